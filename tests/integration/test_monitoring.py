"""The monitoring loop end to end through the API and the database: check-in, alerts, whom to
call, the team's inbox, escalation, missed check-ins and notifications over real SMTP and HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alongside.domain import accounts, monitoring
from alongside.notify import NotifySettings, send_due
from alongside.store import tables as t
from alongside.store.database import session_factory
from alongside.web.app import create_app
from alongside.web.monitor import run_once
from alongside.web.settings import Settings

from .conftest import sign_in

SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ACUTE = {"name": "24-hour line", "purpose": "urgent", "phone": "01632 960999", "hours": "24/7"}
NURSES = {"name": "Nurse line", "purpose": "routine", "phone": "01632 960222", "hours": "Mon-Fri 09:00-17:00"}


@pytest.fixture
def clocked(database_url, engine):
    """An app whose clock can be set, and a client factory for it."""
    moment = {"now": SATURDAY_NIGHT}
    app = create_app(Settings(database_url=database_url, cookie_secure=False, clock=lambda: moment["now"]))
    clients = []

    def client_for(person):
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        client.headers.update(sign_in(client, person))
        clients.append(client)
        return client

    yield app, moment, client_for
    for client in clients:
        client.close()
    app.state.engine.dispose()


@pytest.fixture
def lines(as_user, world):
    nurse = as_user(world.nurse)
    for line in (ACUTE, NURSES):
        assert nurse.post(f"/api/v1/patients/{world.patient_a}/contact-points", json=line).status_code == 201


def check_ins(world) -> str:
    return f"/api/v1/patients/{world.patient_a}/check-ins"


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def test_back_pain_with_leg_weakness_on_saturday_night_means_the_24_hour_line_now(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    response = alice.post(check_ins(world), json={"red_flags": {"new_back_pain": True, "limb_weakness": True}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["whom_to_call"]["call"] == {"name": "24-hour line", "phone": "01632 960999"}
    assert body["whom_to_call"]["level"] == "red" and body["whom_to_call"]["now"] is True
    assert {"name": "Emergency services", "phone": "999"} in body["whom_to_call"]["also"]
    assert {(a["rule"], a["item"], a["level"]) for a in body["alerts"]} == {
        ("red_flag", "new_back_pain", "amber"), ("red_flag", "limb_weakness", "red")}
    assert body["check_in"]["submitted_at"].startswith("2026-11-28T23:30")
    assert body["check_in"]["submitted_by"] == "patient"


def test_the_same_amber_concern_goes_to_the_nurses_in_hours(clocked, lines, world):
    _, moment, client_for = clocked
    moment["now"] = WEDNESDAY_MORNING
    body = client_for(world.alice).post(check_ins(world), json={"red_flags": {"uncontrolled_pain": True}}).json()
    assert body["whom_to_call"]["call"]["phone"] == "01632 960222"


def test_a_retried_submission_creates_no_second_check_in_and_no_second_alert(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    key = str(uuid.uuid4())
    first = alice.post(check_ins(world), json={"red_flags": {"limb_weakness": True}}, headers={"Idempotency-Key": key})
    again = alice.post(check_ins(world), json={"red_flags": {"limb_weakness": True}}, headers={"Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["check_in"]["id"] == key == first.json()["check_in"]["id"]
    assert [a["id"] for a in again.json()["alerts"]] == [a["id"] for a in first.json()["alerts"]]
    assert count(engine, t.AlertRow) == 1


def test_the_same_submission_sent_twice_at_once_is_stored_once(world, new_uow, engine):
    """The second copy reads before the first commits, so it finds nothing and goes on to store;
    the database keeps the first, and the second answers with the first's outcome."""
    with new_uow() as uow:
        alice = accounts.actor_for(uow.users.get(world.alice.user_id))
    check_ins_before, alerts_before = count(engine, t.CheckInRow), count(engine, t.AlertRow)
    key, answers, settings = uuid.uuid4(), {"red_flags": {"limb_weakness": True}}, monitoring.MonitoringSettings()
    outcomes, failures = [], []

    def submit_again():
        try:
            with new_uow() as uow:
                outcomes.append(monitoring.submit_check_in(uow, alice, world.patient_a, answers, key, settings,
                                                           WEDNESDAY_MORNING))
                uow.commit()
        except Exception as error:  # reported below, with the test's own assertion
            failures.append(error)

    with new_uow() as uow:
        first = monitoring.submit_check_in(uow, alice, world.patient_a, answers, key, settings, WEDNESDAY_MORNING)
        second = threading.Thread(target=submit_again)
        second.start()
        second.join(timeout=0.5)  # it reaches the insert and waits there for this transaction
        uow.commit()
    second.join(timeout=30)
    assert not failures, failures
    assert [o.repeated for o in outcomes] == [True]
    assert outcomes[0].check_in.id == first.check_in.id == key
    assert [a.id for a in outcomes[0].alerts] == [a.id for a in first.alerts]
    assert count(engine, t.CheckInRow) == check_ins_before + 1
    assert count(engine, t.AlertRow) == alerts_before + len(first.alerts) == alerts_before + 1


@pytest.mark.parametrize("body, field", [
    ({"symptoms": {"pain": {"frequency": 5}}}, "symptoms.pain.frequency"),
    ({"symptoms": {"pain": {"frequency": -1}}}, "symptoms.pain.frequency"),
    ({"symptoms": {"fatigue": {"frequency": 2}}}, "symptoms.fatigue.frequency"),  # fatigue is not asked by frequency
    ({"symptoms": {"hiccups": {"severity": 1}}}, "symptoms.hiccups"),
    ({"burden": {"pain": 11}}, "burden.pain"),
    ({"temperature_c": 55}, "temperature_c"),
    ({"temperature_c": 98.6}, "temperature_c"),  # Fahrenheit sent as Celsius
    ({"submitted_at": "2030-01-01T00:00:00+00:00"}, "submitted_at"),
    ({"red_flags": {"limb_weakness": "maybe"}}, "red_flags.limb_weakness"),
])
def test_bad_check_ins_name_the_field_and_save_nothing(clocked, lines, world, engine, body, field):
    _, _, client_for = clocked
    before = count(engine, t.CheckInRow)
    response = client_for(world.alice).post(check_ins(world), json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert count(engine, t.CheckInRow) == before and count(engine, t.AlertRow) == 0


def test_carers_submit_only_with_check_in_rights_and_are_marked_as_carer(clocked, lines, world):
    _, _, client_for = clocked
    assert client_for(world.carer).post(check_ins(world), json={"burden": {"pain": 3}}).status_code == 403
    alice = client_for(world.alice)
    alice.delete("/api/v1/session")  # nothing else changes; the patient then upgrades the carer's access
    alice = client_for(world.alice)
    link = alice.post(f"/api/v1/patients/{world.patient_a}/carer-invitations",
                      json={"email": world.carer.email, "access": "read_check_in"}).json()["link"]
    token = link.rsplit("/", 1)[1]
    app, _, _ = clocked
    with TestClient(app, follow_redirects=False) as browser:
        csrf = browser.get(f"/invitations/{token}").text.split('name="csrf_token" value="')[1].split('"')[0]
        browser.post(f"/invitations/{token}", data={"csrf_token": csrf, "display_name": "Carl", "password": "x" * 12})
    response = client_for(world.carer).post(check_ins(world), json={"burden": {"pain": 3}})
    assert response.status_code == 201, response.text
    assert response.json()["check_in"]["submitted_by"] == "carer"


def test_severe_and_worsening_symptoms_alert_with_their_values(clocked, lines, world):
    _, moment, client_for = clocked
    alice = client_for(world.alice)
    for days_ago, severity in ((14, 0), (7, 1)):
        moment["now"] = SATURDAY_NIGHT - timedelta(days=days_ago)
        alice.post(check_ins(world), json={"symptoms": {"nausea": {"frequency": 1, "severity": severity}}})
    moment["now"] = SATURDAY_NIGHT
    body = alice.post(check_ins(world), json={"symptoms": {"nausea": {"frequency": 4, "severity": 4}},
                                              "burden": {"tiredness": 8}}).json()
    assert body["grades"] == {"nausea": 3}
    found = {(a["rule"], a["item"]): a for a in body["alerts"]}
    assert found[("severe", "nausea")]["values"] == {"grade": 3, "threshold": 3}
    assert found[("worsening", "nausea")]["values"] == {"now": 3, "previous": 1, "baseline": 1, "points": 2}
    assert found[("severe", "tiredness")]["values"] == {"score": 8, "threshold": 7}
    assert body["whom_to_call"]["level"] == "amber"
    assert any(s["symptom"].startswith("Feeling sick") for s in body["self_care"])


def test_fever_is_red_on_chemotherapy_and_amber_six_weeks_into_a_break(clocked, lines, world, as_user):
    _, _, client_for = clocked
    nurse = as_user(world.nurse)
    course = nurse.post(f"/api/v1/patients/{world.patient_a}/treatment-courses",
                        json={"modality": "chemotherapy", "name": "Capecitabine", "start_date": "2026-08-01"}).json()
    alice = client_for(world.alice)
    assert alice.post(check_ins(world), json={"temperature_c": 38.2}).json()["whom_to_call"]["level"] == "red"
    # The last dose on 9 October, 50 days before Saturday 28 November: past the 42-day window.
    nurse.post(f"/api/v1/patients/{world.patient_a}/treatment-breaks",
               json={"course_id": course["id"], "start_date": "2026-10-10", "reason": "side_effects"})
    assert alice.post(check_ins(world), json={"temperature_c": 38.2}).json()["whom_to_call"]["level"] == "amber"


def test_the_inbox_puts_red_first_and_the_team_acknowledges_then_resolves(clocked, lines, world):
    _, moment, client_for = clocked
    alice = client_for(world.alice)
    alice.post(check_ins(world), json={"red_flags": {"uncontrolled_pain": True}})
    moment["now"] += timedelta(minutes=5)
    alice.post(check_ins(world), json={"red_flags": {"breathless_or_chest_pain": True}})
    nurse = client_for(world.nurse)
    inbox = nurse.get("/api/v1/alerts").json()
    assert [a["level"] for a in inbox] == ["red", "amber"]
    assert inbox[0]["patient_name"] == "Able, Alice"
    red = inbox[0]
    acknowledged = nurse.post(f"/api/v1/alerts/{red['id']}/acknowledge", json={"version": red["version"]})
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_by"] == "Nina Nurse"
    assert nurse.post(f"/api/v1/alerts/{red['id']}/acknowledge", json={"version": red["version"]}).status_code == 409
    resolved = nurse.post(f"/api/v1/alerts/{red['id']}/resolve",
                          json={"version": acknowledged.json()["version"], "outcome": "sent_to_acute_oncology",
                                "notes": "Sent to A&E; CTPA booked"})
    assert resolved.json()["state"] == "resolved" and resolved.json()["notes"] == "Sent to A&E; CTPA booked"
    assert resolved.json()["outcome"] == "sent_to_acute_oncology"
    assert [a["level"] for a in nurse.get("/api/v1/alerts").json()] == ["amber"]
    report = nurse.get("/api/v1/reports/acknowledgement-times").json()
    assert report[0]["alerts"] == 2 and report[0]["acknowledged"] == 1


def test_a_red_or_amber_alert_is_not_resolved_without_an_outcome(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    red = alice.post(check_ins(world), json={"red_flags": {"bleeding": True}}).json()["alerts"][0]
    amber = alice.post(check_ins(world), json={"red_flags": {"uncontrolled_pain": True}}).json()["alerts"][0]
    nurse = client_for(world.nurse)
    for alert in (red, amber):
        for body in ({"version": 1}, {"version": 1, "notes": "   "}, {"version": 1, "outcome": None}):
            refused = nurse.post(f"/api/v1/alerts/{alert['id']}/resolve", json=body)
            assert refused.status_code == 422, body
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["field"] == "outcome" and "needs an outcome" in refused.json()["detail"]
    unknown = nurse.post(f"/api/v1/alerts/{red['id']}/resolve", json={"version": 1, "outcome": "sorted"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "outcome"
    too_long = nurse.post(f"/api/v1/alerts/{red['id']}/resolve",
                          json={"version": 1, "outcome": "called_back", "notes": "x" * 2001})
    assert too_long.status_code == 422 and too_long.json()["field"] == "notes"
    assert [a["state"] for a in nurse.get(f"/api/v1/patients/{world.patient_a}/alerts").json()] == ["new", "new"]
    resolved = nurse.post(f"/api/v1/alerts/{red['id']}/resolve",
                          json={"version": 1, "outcome": "admitted", "notes": "x" * 2000})
    assert resolved.status_code == 200
    assert (resolved.json()["outcome"], resolved.json()["outcome_label"]) == ("admitted", "Admitted to hospital")


def test_a_green_alert_may_be_resolved_without_an_outcome(world, new_uow):
    from alongside.clinical.alert_rules import Finding
    from alongside.clinical.contacts import Level
    from alongside.domain.errors import InvalidInput

    now = datetime.now(UTC)
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        green, amber = monitoring.raise_alerts(uow, world.patient_a, None, [
            Finding("missed", Level.GREEN, "check_in", {"days": 10, "last": None}),
            Finding("severe", Level.AMBER, "pain", {"score": 9})], now)
        done = monitoring.resolve_alert(uow, nurse, green.id, green.version, None, now)
        assert done.state is monitoring.AlertState.RESOLVED and done.outcome is None
        with pytest.raises(InvalidInput) as refused:
            monitoring.resolve_alert(uow, nurse, amber.id, amber.version, "Rang her", now)
        assert refused.value.field == "outcome"
        uow.commit()
    with new_uow() as uow:
        assert uow.alerts.get(green.id).outcome is None and uow.alerts.get(amber.id).state is monitoring.AlertState.NEW


def test_outsiders_cannot_see_or_act_on_an_alert(clocked, lines, world):
    _, _, client_for = clocked
    alert = client_for(world.alice).post(check_ins(world), json={"red_flags": {"bleeding": True}}).json()["alerts"][0]
    stranger = client_for(world.stranger)
    assert stranger.get("/api/v1/alerts").json() == []
    assert stranger.post(f"/api/v1/alerts/{alert['id']}/acknowledge", json={"version": 1}).status_code == 404
    assert client_for(world.alice).post(f"/api/v1/alerts/{alert['id']}/acknowledge", json={"version": 1}).status_code == 403
    assert client_for(world.bella).get(f"/api/v1/patients/{world.patient_a}/alerts").status_code == 404


def test_an_unacknowledged_red_alert_is_escalated_once(clocked, lines, world, new_uow, as_user):
    _, _, client_for = clocked
    admin = as_user(world.admin)
    assert admin.put(f"/api/v1/teams/{world.team_id}/settings",
                     json={"notify_email": "team@example.org", "escalation_email": "lead@example.org",
                           "escalate_red_after_minutes": 20}).status_code == 200
    client_for(world.alice).post(check_ins(world), json={"red_flags": {"seizure_or_confusion": True}})
    with new_uow() as uow:
        assert monitoring.escalate_overdue(uow, SATURDAY_NIGHT + timedelta(minutes=19)) == []
        assert len(monitoring.escalate_overdue(uow, SATURDAY_NIGHT + timedelta(minutes=21))) == 1
        assert monitoring.escalate_overdue(uow, SATURDAY_NIGHT + timedelta(minutes=40)) == []
        uow.commit()
        queued = {(n.purpose, n.target) for n in uow.notifications.all()}
    assert queued == {("new", "team@example.org"), ("escalation", "lead@example.org")}


def test_missed_check_ins_raise_one_alert_until_resolved(world, new_uow):
    start = datetime.now(UTC)
    with new_uow() as uow:
        # Bella's last check-in was in January 2025; Alice's account is new and she has none yet.
        (overdue,) = monitoring.raise_missed_check_ins(uow, monitoring.AlertThresholds(), start)
        assert overdue.patient_id == world.patient_b and overdue.summary.startswith("No check-in for")
        later = start + timedelta(days=11)
        (alice,) = monitoring.raise_missed_check_ins(uow, monitoring.AlertThresholds(), later)
        assert alice.patient_id == world.patient_a and alice.detail["last"] is None
        assert monitoring.raise_missed_check_ins(uow, monitoring.AlertThresholds(), later) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def test_alert_emails_arrive_at_a_real_smtp_server_without_patient_details(clocked, lines, world, new_uow, as_user):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        as_user(world.admin).put(f"/api/v1/teams/{world.team_id}/settings", json={"notify_email": "team@example.org"})
        _, _, client_for = clocked
        client_for(world.alice).post(check_ins(world), json={"red_flags": {"limb_weakness": True}})
        settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port,
                                  base_url="https://alongside.example")
        with new_uow() as uow:
            assert send_due(uow, settings) == (1, 0)
            assert send_due(uow, settings) == (0, 0)  # sent once, never again
    finally:
        controller.stop()
    ((recipients, text),) = inbox.messages
    assert recipients == ["team@example.org"]
    assert "RED alert waiting" in text and "https://alongside.example/alerts/" in text
    assert "Alice" not in text and "Able" not in text


def test_webhooks_are_signed_with_the_team_secret(clocked, lines, world, new_uow, database_url):
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    secret = "a-long-shared-secret-for-tests"
    try:
        # A local receiver over plain http: allowed only because the administrator named its host.
        url = f"http://127.0.0.1:{server.server_port}/hook"
        allowed = NotifySettings(webhook_allowed_hosts=frozenset({"127.0.0.1"}))
        admin_app = create_app(Settings(database_url=database_url, cookie_secure=False, notify=allowed))
        admin = TestClient(admin_app, base_url="http://testserver")
        admin.headers.update(sign_in(admin, world.admin))
        assert admin.put(f"/api/v1/teams/{world.team_id}/settings",
                         json={"webhook_url": url, "webhook_secret": secret}).status_code == 200
        admin_app.state.engine.dispose()
        _, _, client_for = clocked
        client_for(world.alice).post(check_ins(world), json={"red_flags": {"bleeding": True}})
        with new_uow() as uow:
            assert send_due(uow, allowed) == (1, 0)
    finally:
        server.shutdown()
    headers, body = received[0]
    expected = "sha256=" + hmac.new(secret.encode(), headers["X-Alongside-Timestamp"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    assert headers["X-Alongside-Signature"] == expected
    assert json.loads(body)["level"] == "red"


def test_a_failing_smtp_server_is_retried_and_recorded(clocked, lines, world, new_uow, as_user):
    as_user(world.admin).put(f"/api/v1/teams/{world.team_id}/settings", json={"notify_email": "team@example.org"})
    _, _, client_for = clocked
    client_for(world.alice).post(check_ins(world), json={"red_flags": {"bleeding": True}})
    unreachable = NotifySettings(smtp_host="127.0.0.1", smtp_port=1, timeout_seconds=2)
    with new_uow() as uow:
        assert send_due(uow, unreachable) == (0, 1)
        (row,) = uow.notifications.all()
        assert row.status == "failed" and row.attempts == 1 and row.last_error


class _SlowInbox(_Inbox):
    """Takes a second over each message, as a busy mail server might."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(1)
        return await super().handle_DATA(server, session, envelope)


def test_two_monitors_at_once_send_each_queued_email_once(clocked, lines, world, engine, as_user):
    """A second monitor (cron beside the server, a second server) finds the first mid-pass and
    skips its turn, rather than sending what the first has not yet marked as sent."""
    as_user(world.admin).put(f"/api/v1/teams/{world.team_id}/settings", json={"notify_email": "team@example.org"})
    _, _, client_for = clocked
    client_for(world.alice).post(check_ins(world), json={"red_flags": {"limb_weakness": True}})
    inbox, port = _SlowInbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(database_url=str(engine.url), clock=lambda: SATURDAY_NIGHT,
                        notify=NotifySettings(smtp_host="127.0.0.1", smtp_port=port))
    sessions, summaries = session_factory(engine), []
    try:
        first = threading.Thread(target=lambda: summaries.append(run_once(sessions, settings)))
        first.start()
        time.sleep(0.3)  # the first is now waiting on the slow mail server
        summaries.append(run_once(sessions, settings))
        first.join(timeout=30)
    finally:
        controller.stop()
    assert summaries[0].startswith("skipped") and "sent 1" in summaries[1]
    assert [text for recipients, text in inbox.messages if recipients == ["team@example.org"]] != []
    assert len(inbox.messages) == len({text for _, text in inbox.messages})  # the alert email, any reminder: once each


def test_weekly_reminders_go_once_a_week_to_patients_whose_check_in_is_due(world, new_uow):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, base_url="https://alongside.example")
    from alongside.notify import send_reminders

    try:
        today = datetime.now(UTC)
        # Wednesday noon of this week, so "an hour later" is always the same week.
        now = (today - timedelta(days=today.weekday() - 2)).replace(hour=12, minute=0, second=0, microsecond=0)
        with new_uow() as uow:
            # Bella last checked in in January 2025; Alice's sign-in is new and she has no check-in yet.
            assert send_reminders(uow, settings, now) == 1
            assert send_reminders(uow, settings, now + timedelta(hours=1)) == 0  # once a week
            assert send_reminders(uow, settings, now + timedelta(days=14)) == 2  # a later week; Alice now due too
    finally:
        controller.stop()
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["alice@example.org", "bella@example.org", "bella@example.org"]
    assert all("weekly check-in" in text and "Bella" not in text for _, text in inbox.messages)


def test_self_care_advice_follows_each_symptoms_own_level(clocked, lines, world):
    from alongside.domain.instrument import instrument

    _, _, client_for = clocked
    advice = instrument().self_care
    body = client_for(world.alice).post(check_ins(world), json={
        "symptoms": {"fatigue": {"severity": 1, "interference": 1},      # mild: grade 1
                     "nausea": {"frequency": 4, "severity": 4},          # severe: grade 3
                     "rash": {"severity": 0}},                           # none: no advice
        "red_flags": {"uncontrolled_vomiting": True}}).json()
    found = {a["code"]: a for a in body["self_care"]}
    assert set(found) == {"fatigue", "nausea", "vomiting"}
    assert found["fatigue"] == {"code": "fatigue", "symptom": "Tiredness or lack of energy", "level": "green",
                                "advice": advice["fatigue"].green}
    # Nausea is severe (amber) but linked to the red vomiting question, so it is red; vomiting
    # was not asked about at all and still gets its red advice from the flag.
    assert found["nausea"]["level"] == "red" and found["nausea"]["advice"] == advice["nausea"].red
    assert found["vomiting"]["level"] == "red" and found["vomiting"]["advice"] == advice["vomiting"].red
    assert [a["level"] for a in body["self_care"]] == ["red", "red", "green"]
    assert body["whom_to_call"]["level"] == "red"


def test_a_severe_symptom_alone_gets_its_amber_advice(clocked, lines, world):
    from alongside.domain.instrument import instrument

    _, _, client_for = clocked
    body = client_for(world.alice).post(check_ins(world), json={
        "symptoms": {"hand_foot": {"severity": 3}, "insomnia": {"severity": 2, "interference": 1}}}).json()
    found = {a["code"]: a for a in body["self_care"]}
    assert found["hand_foot"]["level"] == "amber"
    # Saturday night: the call in the advice is to the 24-hour line shown beside it, not "your team today".
    assert found["hand_foot"]["advice"] == instrument().self_care["hand_foot"].amber.format(Call="Call 24-hour line now")
    assert found["insomnia"] == {"code": "insomnia", "symptom": "Trouble sleeping", "level": "green",
                                 "advice": instrument().self_care["insomnia"].green}
    assert body["whom_to_call"]["level"] == "amber"
