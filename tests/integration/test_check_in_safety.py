"""Issue 12: every severe or urgent answer reaches the team, and nothing said contradicts it.

Each test is one defect found by trying the check-in as a patient would; each failed before the
change it tests. Through the real HTTP app and database, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, UTC

import pytest

from .test_monitoring import SATURDAY_NIGHT, WEDNESDAY_MORNING, check_ins, clocked, lines  # noqa: F401

CHEMO = {"modality": "chemotherapy", "name": "Paclitaxel", "start_date": "2026-10-01"}


def open_alerts(client, world) -> list[dict]:
    return client.get(f"/api/v1/patients/{world.patient_a}/alerts").json()


def form_page(client, world) -> str:
    page = client.get(f"/patients/{world.patient_a}/check-in")
    assert page.status_code == 200
    return page.text


def post_form(client, world, fields: dict[str, str]):
    token = client.headers["X-CSRF-Token"]
    return client.post(f"/patients/{world.patient_a}/check-in", data={"csrf_token": token, **fields})


# --- 1. A very severe symptom with a part skipped ------------------------------------------------

@pytest.mark.parametrize("symptoms, symptom, missing", [
    pytest.param({"pain": {"frequency": 4, "severity": 4}}, "pain", ["interference"],
                 id="pain almost constantly and very severe, interference blank"),
    pytest.param({"breathlessness": {"severity": 4}}, "breathlessness", ["interference"],
                 id="only very severe breathlessness"),
    pytest.param({"vomiting": {"severity": 4}}, "vomiting", ["frequency"], id="only very severe vomiting"),
])
def test_a_very_severe_symptom_with_a_part_skipped_alerts_says_what_is_missing_and_is_charted(
        clocked, lines, world, symptoms, symptom, missing):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    body = alice.post(check_ins(world), json={"symptoms": symptoms}).json()
    assert body["grades"][symptom] == 3
    severe = [a for a in body["alerts"] if a["rule"] == "severe" and a["item"] == symptom]
    assert severe and severe[0]["values"]["missing"] == missing
    assert "not answered" in severe[0]["summary"]
    assert body["whom_to_call"]["level"] == "amber" and "Nothing" not in body["advice"]
    nurse = client_for(world.nurse)
    assert any(a["item"] == symptom for a in open_alerts(nurse, world))
    chart = alice.get(f"/patients/{world.patient_a}/symptoms").text
    label = {"pain": "Pain", "breathlessness": "Breathlessness", "vomiting": "Being sick"}[symptom]
    assert label in chart


def test_very_severe_alerts_even_where_the_composite_grade_is_2(clocked, lines, world):
    # "Rarely / very severe / not at all" is grade 2 in the published table: she still said very severe.
    _, _, client_for = clocked
    body = client_for(world.alice).post(check_ins(world), json={
        "symptoms": {"pain": {"frequency": 1, "severity": 4, "interference": 0}}}).json()
    assert body["grades"]["pain"] == 2
    assert [a["summary"] for a in body["alerts"]] == ["Severe: pain, answered very severe"]
    pain = next(a for a in body["self_care"] if a["code"] == "pain")
    assert pain["level"] == "amber"


# --- 2. A blank check-in ---------------------------------------------------------------------------

def test_a_blank_check_in_is_refused_and_not_counted(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    refused = alice.post(check_ins(world), json={"symptoms": {}, "burden": {}, "red_flags": {}})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["field"] == "answers" and "Nothing was answered" in refused.json()["detail"]
    page = post_form(alice, world, {"action": "send", "free_text": "   "})
    assert page.status_code == 422 and "Nothing was answered" in page.text
    assert alice.get(f"/api/v1/patients/{world.patient_a}/check-ins").json() == []


def test_a_partial_check_in_says_what_was_not_answered(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    body = alice.post(check_ins(world), json={"symptoms": {"pain": {"frequency": 2, "severity": 1}},
                                              "red_flags": {"bleeding": False}}).json()
    unanswered = body["unanswered"]
    assert {"symptom": "Pain", "parts": ["how much it got in the way"]} in unanswered["parts"]
    assert "bleeding that will not stop" not in unanswered["urgent"] and len(unanswered["urgent"]) == 10
    assert len(unanswered["symptoms"]) == 17 and unanswered["right_now"] == 9
    page = alice.get(f"/patients/{world.patient_a}/check-ins/{body['check_in']['id']}").text
    assert "What you did not answer" in page and "You left 10 of the urgent questions blank" in page
    assert "Nothing you told us needs a call today" in page


# --- 5. Urgent answers come before anything else ---------------------------------------------------

def test_a_red_flag_with_a_mistyped_temperature_says_call_now_and_alerts_the_team(clocked, lines, world):
    _, moment, client_for = clocked
    moment["now"] = WEDNESDAY_MORNING
    alice = client_for(world.alice)
    page = post_form(alice, world, {"action": "send", "flag.limb_weakness": "yes", "temperature_c": "382"})
    assert page.status_code == 422
    assert "not a body temperature" in page.text  # the error is still shown...
    assert "Call now" in page.text and "01632 960999" in page.text  # ...and so is whom to call
    assert "weak or numb arms or legs" in page.text
    nurse = client_for(world.nurse)
    alerts = open_alerts(nurse, world)
    assert [(a["rule"], a["item"], a["level"]) for a in alerts] == [("red_flag", "limb_weakness", "red")]
    # Corrected and sent, the check-in takes the alert already raised rather than raising a second.
    sent = alice.post(check_ins(world), json={"red_flags": {"limb_weakness": True}, "temperature_c": 38.2})
    assert sent.status_code == 201
    assert [a["id"] for a in sent.json()["alerts"] if a["item"] == "limb_weakness"] == [alerts[0]["id"]]
    assert len([a for a in open_alerts(nurse, world) if a["item"] == "limb_weakness"]) == 1


def test_the_api_acts_on_urgent_answers_before_refusing_the_rest(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    refused = alice.post(check_ins(world), json={"red_flags": {"bleeding": True}, "temperature_c": 98.6})
    assert refused.status_code == 422 and refused.json()["field"] == "temperature_c"
    urgent = refused.json()["urgent"]
    assert urgent["whom_to_call"]["level"] == "red" and urgent["whom_to_call"]["call"]["phone"] == "01632 960999"
    assert [a["item"] for a in urgent["alerts"]] == ["bleeding"]
    assert [a["item"] for a in open_alerts(client_for(world.nurse), world)] == ["bleeding"]


def test_saving_a_draft_with_a_red_flag_tells_her_to_call_now_and_alerts_the_team_once(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    for _ in range(2):  # saving again does not page the team again
        saved = post_form(alice, world, {"action": "save", "flag.breathless_or_chest_pain": "yes"})
        assert saved.status_code == 303
    page = form_page(alice, world)
    assert "Call now" in page and "01632 960999" in page
    assert "sudden breathlessness or chest pain" in page
    alerts = open_alerts(client_for(world.nurse), world)
    assert [(a["item"], a["level"], a["check_in_id"]) for a in alerts] == [("breathless_or_chest_pain", "red", None)]
    assert "not yet sent" in alerts[0]["summary"]


def test_a_draft_without_urgent_answers_raises_nothing(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    assert post_form(alice, world, {"action": "save", "flag.bleeding": "no", "symptom.pain.severity": "1"}).status_code == 303
    assert "Call now" not in form_page(alice, world)
    assert open_alerts(client_for(world.nurse), world) == []


# --- 12. Self-care words agree with the answers and with whom to call ------------------------------

def test_weak_legs_are_not_advised_on_as_numbness_and_no_advice_says_call_now_if_you_get_them(clocked, lines, world):
    _, _, client_for = clocked
    body = client_for(world.alice).post(check_ins(world), json={
        "red_flags": {"limb_weakness": True}, "symptoms": {"pain": {"frequency": 4, "severity": 3, "interference": 3}}}).json()
    items = {a["code"]: a for a in body["self_care"]}
    assert "numbness" not in items
    assert items["limb_weakness"]["symptom"] == "Weak or numb arms or legs" and items["limb_weakness"]["level"] == "red"
    assert all("Call now if" not in a["advice"] for a in body["self_care"])
    assert items["pain"]["level"] == "amber"


def test_at_half_past_eleven_on_saturday_amber_advice_names_the_24_hour_line_not_the_team_today(clocked, lines, world):
    _, moment, client_for = clocked
    moment["now"] = SATURDAY_NIGHT
    body = client_for(world.alice).post(check_ins(world), json={"red_flags": {"uncontrolled_pain": True}}).json()
    assert body["whom_to_call"]["call"]["name"] == "24-hour line"
    words = [body["advice"]] + [a["advice"] for a in body["self_care"]]
    assert all("team today" not in text for text in words)
    assert body["advice"].startswith("Call 24-hour line now")
    moment["now"] = WEDNESDAY_MORNING  # in the team's hours the same answer means the team's own line
    body = client_for(world.alice).post(check_ins(world), json={"red_flags": {"uncontrolled_pain": True}}).json()
    assert body["whom_to_call"]["call"]["name"] == "Nurse line"
    assert body["advice"].startswith("Call your team today")


def test_a_fever_on_chemotherapy_has_its_own_advice(clocked, lines, world):
    _, moment, client_for = clocked
    nurse = client_for(world.nurse)
    assert nurse.post(f"/api/v1/patients/{world.patient_a}/treatment-courses", json=CHEMO).status_code == 201
    moment["now"] = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    body = client_for(world.alice).post(check_ins(world), json={"temperature_c": 38.2}).json()
    items = {a["code"]: a for a in body["self_care"]}
    assert items["temperature_on_chemo"]["level"] == "red"
    assert body["whom_to_call"]["level"] == "red"


# --- Issue 13, item 6: a NUL character must not lose a check-in (and its red flag) -----------------

def test_a_nul_in_free_text_is_refused_naming_the_field_and_its_red_flag_still_alerts(clocked, lines, world, backend):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    refused = alice.post(check_ins(world), json={"red_flags": {"bleeding": True}, "free_text": "a\u0000b"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "free_text" and "control character" in refused.json()["errors"][0]["message"]
    assert refused.json()["urgent"]["whom_to_call"]["level"] == "red"
    assert [a["item"] for a in open_alerts(client_for(world.nurse), world)] == ["bleeding"]
    sent = alice.post(check_ins(world), json={"red_flags": {"bleeding": True}, "free_text": "ab"})
    assert sent.status_code == 201


@pytest.mark.parametrize("slug, body, field", [
    ("goals", {"kind": "what_matters", "recorded_on": "2026-01-01", "in_own_words": "Garden\u0000ing"}, "in_own_words"),
    ("care-team", {"name": "Dr\u0007 Ada", "role": "oncologist"}, "name"),
])
def test_control_characters_are_refused_in_every_text_field(as_user, world, slug, body, field):
    refused = as_user(world.nurse).post(f"/api/v1/patients/{world.patient_a}/{slug}", json=body)
    assert refused.status_code == 422 and refused.json()["field"] == field, refused.text


def test_tabs_and_new_lines_are_kept(as_user, world):
    body = {"kind": "what_matters", "recorded_on": "2026-01-01", "in_own_words": "Gardening\n\tand walking"}
    assert as_user(world.nurse).post(f"/api/v1/patients/{world.patient_a}/goals", json=body).status_code == 201


# --- Issue 13, item 9: the same Idempotency-Key with other answers --------------------------------

def test_the_same_idempotency_key_with_other_answers_is_refused_naming_the_key(clocked, lines, world):
    import uuid

    _, _, client_for = clocked
    alice = client_for(world.alice)
    key = str(uuid.uuid4())
    first = alice.post(check_ins(world), json={"red_flags": {"bleeding": False}}, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    again = alice.post(check_ins(world), json={"red_flags": {"bleeding": False}}, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.json()["check_in"]["id"] == first.json()["check_in"]["id"]
    other = alice.post(check_ins(world), json={"red_flags": {"bleeding": True}}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key", other.text
    assert other.json()["urgent"]["whom_to_call"]["level"] == "red"  # refused, but the "yes" is acted on
    assert [a["item"] for a in open_alerts(client_for(world.nurse), world)] == ["bleeding"]
    by_id = alice.post(check_ins(world), json={"id": key, "red_flags": {"bleeding": True}})
    assert by_id.status_code == 422 and by_id.json()["field"] == "id"
