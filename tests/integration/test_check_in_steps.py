"""The check-in one step a screen, without JavaScript (issue 16 item 1): each Next posts a step
into her draft; "None of these" answers only what she left blank; a symptom's other parts are
asked only once its first part is above none; Send on the last step sends it all. Through the
real HTTP app and database, SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select

from alongside.store import tables as t

from .test_check_in_safety import open_alerts
from .test_monitoring import clocked, lines  # noqa: F401

URGENT, FIRST_SYMPTOMS, BURDEN, SEND = 1, 2, 5, 6


def url(world) -> str:
    return f"/patients/{world.patient_a}/check-in"


def post_step(client, world, step: int, action: str = "next", **fields: str):
    data = {"csrf_token": client.headers["X-CSRF-Token"], "step": str(step), "action": action}
    data |= {name.replace("__", "."): value for name, value in fields.items()}
    return client.post(url(world), data=data)



def answers(engine, patient_id) -> dict:
    with engine.connect() as connection:
        row = connection.execute(select(t.CheckInDraftRow.answers).where(t.CheckInDraftRow.patient_id == patient_id)).first()
    return row[0] if row else {}


def test_a_quiet_week_in_six_steps_sends_a_check_in_that_scores_nothing_and_alerts_no_one(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    first = alice.get(url(world)).text
    assert "Step 1 of 6" in first and "None of these" in first and 'name="temperature_c"' in first
    assert 'name="symptom.' not in first  # the urgent questions come first, on their own
    response = post_step(alice, world, URGENT, "none")
    assert response.status_code == 303 and response.headers["location"].endswith("?step=2")
    for step in (2, 3, 4):
        assert "Step %d of 6" % step in alice.get(f"{url(world)}?step={step}").text
        assert post_step(alice, world, step, "none").headers["location"].endswith(f"?step={step + 1}")
    assert post_step(alice, world, BURDEN, burden__pain="0", burden__wellbeing="1").status_code == 303
    last = alice.get(f"{url(world)}?step=6").text
    assert "Send to my team" in last and "you said no to each" in last and "Symptoms you had: none" in last
    form_id = re.search(r'name="form_id" value="([^"]+)"', last).group(1)
    sent = post_step(alice, world, SEND, "send", form_id=form_id, free_text="A good week")
    assert re.search(r"/check-ins/[0-9a-f-]{36}$", sent.headers["location"])
    (check_in,) = alice.get(f"/api/v1/patients/{world.patient_a}/check-ins").json()
    assert all(flag is False for flag in check_in["red_flags"].values()) and check_in["red_flags"]
    # She is on anastrozole (the factories' course): the core symptoms and those it brings in (H55).
    assert set(check_in["symptoms"]) == {"pain", "fatigue", "breathlessness", "cough", "nausea", "vomiting",
                                         "diarrhoea", "constipation", "appetite", "aches", "hot_flushes",
                                         "insomnia", "anxiety", "low_mood"}
    assert open_alerts(client_for(world.nurse), world) == []


def test_none_of_these_never_turns_a_yes_into_a_no_and_the_yes_alerts_at_once(clocked, lines, world, engine):
    # H46: "None of these" pressed after choosing "Yes" keeps the yes; the team is alerted before she sends.
    _, _, client_for = clocked
    alice = client_for(world.alice)
    assert post_step(alice, world, URGENT, "none", flag__limb_weakness="yes").status_code == 303
    flags = answers(engine, world.patient_a)["red_flags"]
    assert flags["limb_weakness"] is True and flags["bleeding"] is False
    alerts = open_alerts(client_for(world.nurse), world)
    assert [(a["rule"], a["item"], a["level"]) for a in alerts] == [("red_flag", "limb_weakness", "red")]
    shown = alice.get(f"{url(world)}?step=2").text
    assert "urgent-notice" in shown and "tel:" in shown  # whom to call, on the next screen


def test_pain_often_opens_how_bad_and_how_much_on_the_same_screen(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    step = alice.get(f"{url(world)}?step=2").text
    assert 'name="symptom.pain.frequency"' in step and 'name="symptom.pain.severity"' not in step
    again = post_step(alice, world, FIRST_SYMPTOMS, symptom__pain__frequency="3")
    assert again.headers["location"].endswith("?step=2#f-answers")  # same screen, now with the follow-ups
    step = alice.get(f"{url(world)}?step=2").text
    assert 'name="symptom.pain.severity"' in step and 'name="symptom.pain.interference"' in step
    assert 'name="follow_ups_shown" value="pain"' in step
    moved = post_step(alice, world, FIRST_SYMPTOMS, follow_ups_shown="pain", symptom__pain__frequency="3",
                      symptom__pain__severity="3", symptom__pain__interference="2")
    assert moved.headers["location"].endswith("?step=3")
    assert answers(engine, world.patient_a)["symptoms"]["pain"] == {"frequency": 3, "severity": 3, "interference": 2}


def test_a_symptom_changed_to_never_drops_its_other_parts_and_scores_zero(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    post_step(alice, world, FIRST_SYMPTOMS, follow_ups_shown="pain", symptom__pain__frequency="3",
              symptom__pain__severity="3")
    post_step(alice, world, FIRST_SYMPTOMS, follow_ups_shown="pain", symptom__pain__frequency="0",
              symptom__pain__severity="3")
    pain = answers(engine, world.patient_a)["symptoms"]["pain"]
    assert pain.get("frequency") == 0 and not pain.get("severity") and not pain.get("interference")
    post_step(alice, world, SEND, "send")
    (check_in,) = alice.get(f"/api/v1/patients/{world.patient_a}/check-ins").json()
    assert check_in["symptoms"]["pain"]["frequency"] == 0
    assert open_alerts(client_for(world.nurse), world) == []


def test_very_severe_breathlessness_with_its_follow_up_unanswered_still_alerts(clocked, lines, world):
    # H45: a follow-up left unanswered never hides what the answered part says.
    _, _, client_for = clocked
    alice = client_for(world.alice)
    post_step(alice, world, FIRST_SYMPTOMS, symptom__breathlessness__severity="4")
    post_step(alice, world, FIRST_SYMPTOMS, "none", follow_ups_shown="breathlessness",
              symptom__breathlessness__severity="4")
    result = post_step(alice, world, SEND, "send")
    assert "/check-ins/" in result.headers["location"]
    alerts = open_alerts(client_for(world.nurse), world)
    severe = [a for a in alerts if a["rule"] == "severe" and a["item"] == "breathlessness"]
    assert severe and "not answered" in severe[0]["summary"]


def test_enter_in_the_temperature_box_moves_on_and_never_means_none_of_these(clocked, lines, world, engine):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    page = alice.get(url(world)).text
    form = page[page.index('id="f-answers"'):]
    assert re.search(r'<button type="submit" name="action" value="(\w+)"', form).group(1) == "next"
    post_step(alice, world, URGENT, temperature_c="37,1")
    kept = answers(engine, world.patient_a)
    assert kept["temperature_c"] == 37.1 and not kept.get("red_flags")


def test_a_mistyped_temperature_keeps_her_on_the_urgent_step_with_the_message(clocked, lines, world):
    _, _, client_for = clocked
    alice = client_for(world.alice)
    page = post_step(alice, world, URGENT, temperature_c="98.6", flag__bleeding="no")
    assert page.status_code == 422 and "Step 1 of 6" in page.text and 'value="98.6"' in page.text
    assert re.search(r'name="flag.bleeding" value="no" checked', page.text)
