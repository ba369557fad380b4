"""Messages to the team (issue 18 items 4-6): the urgent-word safety net, threads, the inbox,
appointment change requests. Through the real HTTP app and database, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from alongside.domain.messages import due_by
from alongside.store import tables as t

from .test_alerts_at_commit import team_email  # noqa: F401  (the team's address)
from .test_appointments import smtp  # noqa: F401  (a real SMTP server, its emails decoded)
from .test_monitoring import SATURDAY_NIGHT, WEDNESDAY_MORNING, clocked, lines  # noqa: F401

CHEMO = {"modality": "chemotherapy", "name": "Paclitaxel", "start_date": "2026-10-01"}
TEMPERATURE = "I have had a temperature of 38.4 since this morning"


def messages_url(world) -> str:
    return f"/api/v1/patients/{world.patient_a}/messages"


def message_alerts(client, world) -> list[dict]:
    return [a for a in client.get(f"/api/v1/patients/{world.patient_a}/alerts").json() if a["rule"] == "message"]


def stored_threads(engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(t.MessageThreadRow.__table__)).all())


# --- The safety net --------------------------------------------------------------------------------

def test_a_temperature_on_chemotherapy_is_red_says_call_the_24_hour_line_and_is_still_sent(
        clocked, lines, world, as_user, engine):
    app, moment, client_for = clocked
    moment["now"] = WEDNESDAY_MORNING
    assert as_user(world.nurse).post(f"/api/v1/patients/{world.patient_a}/treatment-courses", json=CHEMO).status_code == 201
    alice = client_for(world.alice)
    response = alice.post(messages_url(world), json={"category": "side_effect", "text": TEMPERATURE})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"]["text"] == TEMPERATURE  # sent, not held back
    assert body["urgent"]["whom_to_call"]["level"] == "red"
    assert body["urgent"]["whom_to_call"]["call"]["name"] == "24-hour line"  # even while the nurses are open
    found = {f["code"]: f["level"] for f in body["urgent"]["found"]}
    assert found["temperature_on_chemo"] == "red"
    nurse = client_for(world.nurse)
    alerts = message_alerts(nurse, world)
    assert {a["item"] for a in alerts} >= {"temperature_on_chemo", "fever"}
    assert all(a["values"]["thread_id"] == body["message"]["id"] for a in alerts)
    assert "38.4" in next(a for a in alerts if a["item"] == "temperature_on_chemo")["summary"]
    alert_page = nurse.get(f"/alerts/{alerts[0]['id']}").text
    assert f"/patients/{world.patient_a}/messages/{body['message']['id']}" in alert_page  # from the alert to the message
    assert stored_threads(engine) == 1


def test_a_temperature_off_chemotherapy_is_amber_through_the_fever_rule(clocked, lines, world):
    app, moment, client_for = clocked
    moment["now"] = WEDNESDAY_MORNING
    body = client_for(world.alice).post(messages_url(world), json={"text": "temp 38.4 tonight"}).json()
    assert body["urgent"]["whom_to_call"]["level"] == "amber"
    assert body["urgent"]["whom_to_call"]["call"]["name"] == "Nurse line"  # the team is open: call them today


def test_a_negation_still_alerts(clocked, lines, world):
    _, _, client_for = clocked
    body = client_for(world.alice).post(messages_url(world), json={"text": "No chest pain, just checking"}).json()
    assert body["urgent"]["found"][0]["code"] == "chest_pain"


def test_a_routine_message_alerts_no_one_and_is_due_by_the_target(clocked, lines, world):
    app, moment, client_for = clocked
    moment["now"] = WEDNESDAY_MORNING
    alice = client_for(world.alice)
    body = alice.post(messages_url(world), json={"category": "repeat_prescription",
                                                  "text": "Please could I have more letrozole"}).json()
    assert body["urgent"] is None
    assert message_alerts(client_for(world.nurse), world) == []
    # 3 working days from Wednesday 10:00 is Monday 10:00 (local time)
    assert datetime.fromisoformat(body["message"]["due_at"]) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_a_message_refused_as_written_still_alerts_on_its_urgent_words(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    response = alice.post(messages_url(world), json={"text": "I can't breathe " + "x" * 5000})
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "text"
    assert problem["urgent"]["whom_to_call"]["level"] == "red"
    assert [a["item"] for a in message_alerts(client_for(world.nurse), world)] == ["breathless"]
    assert stored_threads(engine) == 0


def test_a_retry_with_the_same_id_stores_and_alerts_once(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    key = {"Idempotency-Key": "6a1f5d5e-9a3c-4a57-9e54-3d0f3c1b2a10"}
    first = alice.post(messages_url(world), json={"text": "chest pain"}, headers=key)
    again = alice.post(messages_url(world), json={"text": "chest pain"}, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["urgent"]["whom_to_call"]["level"] == "red"  # still told whom to call
    assert len(message_alerts(client_for(world.nurse), world)) == 1
    assert stored_threads(engine) == 1
    other = alice.post(messages_url(world), json={"text": "something else"}, headers=key)
    assert other.status_code == 409


# --- Threads and the inbox -------------------------------------------------------------------------

def test_replies_thread_the_team_answers_and_closes_and_the_inbox_shows_due_and_overdue(clocked, lines, world):
    app, moment, client_for = clocked
    moment["now"] = WEDNESDAY_MORNING
    alice, nurse = client_for(world.alice), client_for(world.nurse)
    thread = alice.post(messages_url(world), json={"category": "side_effect", "text": "My skin is dry"}).json()["message"]
    inbox = nurse.get("/api/v1/messages").json()
    assert [(m["id"], m["overdue"]) for m in inbox] == [(thread["id"], False)]
    moment["now"] = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # Friday: the 1 working day target has passed
    assert nurse.get("/api/v1/messages").json()[0]["overdue"] is True
    assert "Overdue" in nurse.get("/triage").text
    reply = nurse.post(f"{messages_url(world)}/{thread['id']}/replies", json={"text": "Try an unperfumed cream"})
    assert reply.status_code == 201
    assert alice.post(f"{messages_url(world)}/{thread['id']}/replies", json={"text": "Thank you"}).status_code == 201
    read = alice.get(f"{messages_url(world)}/{thread['id']}").json()
    assert [r["text"] for r in read["replies"]] == ["Try an unperfumed cream", "Thank you"]
    assert read["message"]["answered_at"] is not None
    assert nurse.get("/api/v1/messages").json()[0]["overdue"] is False
    version = read["message"]["version"]
    assert alice.post(f"{messages_url(world)}/{thread['id']}/close", json={"version": version}).status_code == 403
    closed = nurse.post(f"{messages_url(world)}/{thread['id']}/close", json={"version": version})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert nurse.get("/api/v1/messages").json() == []


def test_another_patient_and_a_stranger_see_nothing_and_a_read_only_carer_cannot_write(clocked, lines, world):
    _, _, client_for = clocked
    thread = client_for(world.alice).post(messages_url(world), json={"text": "A question"}).json()["message"]
    for outsider in (world.bella, world.stranger):
        client = client_for(outsider)
        assert client.get(f"{messages_url(world)}/{thread['id']}").status_code == 404
        assert client.get(messages_url(world)).status_code == 404
        assert client.get(f"/patients/{world.patient_a}/messages/{thread['id']}").status_code == 404
    assert client_for(world.stranger).get("/api/v1/messages").json() == []
    carer = client_for(world.carer)
    assert carer.get(f"{messages_url(world)}/{thread['id']}").status_code == 200
    assert carer.post(messages_url(world), json={"text": "hello"}).status_code == 403


def test_due_by_counts_working_days_and_skips_bank_holidays():
    friday = datetime(2026, 12, 18, 15, 0, tzinfo=UTC)
    holidays = frozenset({datetime(2026, 12, 25).date(), datetime(2026, 12, 28).date()})
    assert due_by(friday, 1, holidays) == datetime(2026, 12, 21, 15, 0, tzinfo=UTC)
    assert due_by(datetime(2026, 12, 24, 9, 0, tzinfo=UTC), 1, holidays) == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
    assert due_by(datetime(2026, 11, 28, 12, 0, tzinfo=UTC), 2, holidays) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


# --- The pages, without JavaScript -----------------------------------------------------------------

def test_the_page_says_not_for_emergencies_and_when_messages_are_read(clocked, lines, world):
    _, _, client_for = clocked
    assert f"/patients/{world.patient_a}/messages" in client_for(world.alice).get(f"/patients/{world.patient_a}").text
    page = client_for(world.alice).get(f"/patients/{world.patient_a}/messages").text
    assert "not for emergencies" in page
    assert "Mon-Fri 09:00-17:00" in page and "01632 960999" in page


def test_sending_the_form_shows_whom_to_call_and_that_it_was_sent(clocked, lines, world, as_user):
    app, moment, client_for = clocked
    moment["now"] = WEDNESDAY_MORNING
    assert as_user(world.nurse).post(f"/api/v1/patients/{world.patient_a}/treatment-courses", json=CHEMO).status_code == 201
    alice = client_for(world.alice)
    token = alice.headers["X-CSRF-Token"]
    sent = alice.post(f"/patients/{world.patient_a}/messages",
                      data={"csrf_token": token, "category": "side_effect", "text": TEMPERATURE})
    assert sent.status_code == 303
    page = alice.get(sent.headers["location"]).text
    assert "Your message has been sent" in page and "24-hour line" in page and "01632 960999" in page
    assert page.index("01632 960999") < page.index(TEMPERATURE)
    inbox = client_for(world.nurse).get("/triage").text
    assert "URGENT WORDS" in inbox and "Urgent words in a message" in inbox


def test_a_form_that_needs_correcting_keeps_what_was_typed_and_shows_whom_to_call(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    typed = "I have chest pain " + "y" * 5000
    page = alice.post(f"/patients/{world.patient_a}/messages",
                      data={"csrf_token": alice.headers["X-CSRF-Token"], "text": typed})
    assert page.status_code == 422
    assert typed in page.text and "has not been sent yet" in page.text and "01632 960999" in page.text


# --- Appointment change requests -------------------------------------------------------------------

def test_a_move_changes_the_appointment_only_when_the_team_confirms(clocked, lines, world, as_user):
    _, _, client_for = clocked
    nurse = client_for(world.nurse)
    appointments = f"/api/v1/patients/{world.patient_a}/appointments"
    appointment = nurse.post(appointments, json={"starts_at": "2026-12-10T10:00:00+00:00", "kind": "oncology_clinic"}).json()
    alice = client_for(world.alice)
    asked = alice.post(messages_url(world), json={"text": "I am away that week", "appointment_id": appointment["id"],
                                                  "change": "move", "preferred_times": "any afternoon the week after"})
    assert asked.status_code == 201, asked.text
    thread = asked.json()["message"]
    assert thread["category"] == "appointment_change" and thread["request_state"] == "asked"
    assert nurse.get(f"{appointments}/{appointment['id']}").json()["starts_at"].startswith("2026-12-10")
    decided = nurse.post(f"{messages_url(world)}/{thread['id']}/decision",
                         json={"version": thread["version"], "confirm": True, "new_starts_at": "2026-12-17T14:00:00+00:00"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["request_state"] == "confirmed"
    assert nurse.get(f"{appointments}/{appointment['id']}").json()["starts_at"].startswith("2026-12-17T14:00")
    again = nurse.post(f"{messages_url(world)}/{thread['id']}/decision",
                       json={"version": decided.json()["version"], "confirm": False, "note": "no"})
    assert again.status_code == 409


def test_a_declined_request_needs_a_note_and_leaves_the_appointment(clocked, lines, world):
    _, _, client_for = clocked
    nurse = client_for(world.nurse)
    appointments = f"/api/v1/patients/{world.patient_a}/appointments"
    appointment = nurse.post(appointments, json={"starts_at": "2026-12-10T10:00:00+00:00", "kind": "oncology_clinic"}).json()
    thread = client_for(world.alice).post(messages_url(world), json={
        "text": "please cancel", "appointment_id": appointment["id"], "change": "cancel"}).json()["message"]
    refused = nurse.post(f"{messages_url(world)}/{thread['id']}/decision",
                         json={"version": thread["version"], "confirm": False})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "note"
    declined = nurse.post(f"{messages_url(world)}/{thread['id']}/decision",
                          json={"version": thread["version"], "confirm": False, "note": "Your scan must be that day"})
    assert declined.json()["request_state"] == "declined"
    assert nurse.get(f"{appointments}/{appointment['id']}").status_code == 200


def test_a_request_names_an_appointment_of_her_own_record(clocked, lines, world):
    _, _, client_for = clocked
    other = world.entries_b["appointments"]
    response = client_for(world.alice).post(messages_url(world), json={
        "text": "move it", "appointment_id": str(other), "change": "move"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "appointment_id"


def test_the_check_while_typing_says_whom_to_call_and_stores_and_alerts_nothing(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    answer = alice.post(f"{messages_url(world)}/check", json={"text": "my legs are weak"}).json()
    assert answer["found"][0]["code"] == "spinal_cord" and answer["whom_to_call"]["level"] == "red"
    assert alice.post(f"{messages_url(world)}/check", json={"text": "thank you"}).json() == {"found": []}
    assert message_alerts(client_for(world.nurse), world) == [] and stored_threads(engine) == 0
    assert client_for(world.bella).post(f"{messages_url(world)}/check", json={"text": "x"}).status_code == 404


# --- An overdue message emails the team, once (hazard H54) -------------------------------------------

def test_a_message_past_its_target_emails_the_team_once_with_no_health_detail(client_for, world, engine, smtp,
                                                                              team_email):
    """A question (2 working days) sent on Wednesday 25 November at 10:00 is due on Friday at
    10:00. The monitor pass after that queues one email to the team's notify address through the
    outbox and sends it over real SMTP; later passes send nothing more. An answered message and
    one not yet due are never emailed about."""
    from datetime import timedelta

    from alongside.notify import NotifySettings
    from alongside.store.database import session_factory
    from alongside.web.monitor import run_once
    from alongside.web.settings import Settings

    from .conftest import NOW
    from .test_alerts_at_commit import TEAM_ADDRESS

    inbox, notify = smtp
    alice, nurse = client_for(world.alice), client_for(world.nurse)
    waiting = alice.post(messages_url(world), json={"text": "Is it fine to take paracetamol with my tablets?"})
    answered = alice.post(messages_url(world), json={"text": "Could you send my last letter to my GP?"})
    slower = alice.post(messages_url(world), json={"category": "repeat_prescription", "text": "More ondansetron please"})
    waiting_id, answered_id = waiting.json()["message"]["id"], answered.json()["message"]["id"]
    assert nurse.post(f"{messages_url(world)}/{answered_id}/replies", json={"text": "Done"}).status_code == 201
    sessions, moment = session_factory(engine), {"now": NOW + timedelta(days=1)}
    settings = Settings(database_url=str(engine.url), clock=lambda: moment["now"],
                        notify=NotifySettings(smtp_host=notify.smtp_host, smtp_port=notify.smtp_port,
                                              base_url="https://alongside.example"))
    assert "overdue messages 0" in run_once(sessions, settings)  # Thursday: not due yet
    moment["now"] = NOW + timedelta(days=2, minutes=1)  # Friday 10:01: the question is overdue
    assert "overdue messages 1, sent 1" in run_once(sessions, settings)
    moment["now"] = NOW + timedelta(days=2, hours=5)
    assert "overdue messages 0, sent 0" in run_once(sessions, settings)  # once only
    overdue_emails = [(to, text) for to, text in inbox.messages if "overdue" in text.lower()]
    assert len(overdue_emails) == 1
    [(recipients, text)] = overdue_emails
    assert recipients == [TEAM_ADDRESS]
    assert f"https://alongside.example/patients/{world.patient_a}/messages/{waiting_id}" in text
    for detail in ("paracetamol", "tablets", "Alice", "Able", "question", "ondansetron"):
        assert detail not in text
    assert slower.status_code == 201  # the repeat prescription (3 working days) is due on Monday, not yet
