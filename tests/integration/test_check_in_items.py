"""The check-in's symptoms follow the treatment (issue 16 item 1, hazard H55): the stepped check-in,
its review and the one-page form ask the same set, chosen from the course in force and what the
team chose for the line; the urgent questions and temperature are always asked; the API takes an
answer to any symptom. Through the real HTTP app and database, SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

from sqlalchemy import select

from alongside.domain.check_in_items import check_in_items
from alongside.domain.instrument import instrument
from alongside.store import tables as t

from .test_check_in_steps import post_step, url
from .test_monitoring import check_ins, clocked, lines  # noqa: F401

CORE = set(check_in_items().core)
EVERY = {s.code for s in instrument().symptoms}
CHOSEN = "These questions are chosen for your current treatment. You can tell us about anything else at the end."


def courses_url(world) -> str:
    return f"/api/v1/patients/{world.patient_a}/treatment-courses"


def on_treatment(nurse, world, name: str, modality: str = "chemotherapy", **choice) -> dict:
    """Her first line (anastrozole, from the factories) stopped in the summer; `name` since September."""
    (first,) = nurse.get(courses_url(world)).json()
    stopped = {k: v for k, v in first.items() if k not in ("id", "patient_id", "created_at", "updated_at")}
    stopped |= {"end_date": "2026-08-01", "stop_reason": "progression"}
    assert nurse.put(f"{courses_url(world)}/{first['id']}", json=stopped).status_code == 200
    response = nurse.post(courses_url(world), json={"modality": modality, "name": name, "line_of_treatment": 2,
                                                    "start_date": "2026-09-01", **choice})
    assert response.status_code == 201, response.text
    return response.json()


def symptoms_on(page: str) -> set[str]:
    return set(re.findall(r'name="symptom\.(\w+)\.', page))


def stepped_symptoms(client, world) -> tuple[set[str], int, list[str]]:
    first = client.get(url(world)).text
    total = int(re.search(r"Step 1 of (\d+)", first).group(1))
    pages = [client.get(f"{url(world)}?step={n}").text for n in range(2, total - 1)]
    assert all(f"of {total}</strong>" in page for page in pages)
    return set().union(*(symptoms_on(p) for p in pages)), total, pages


def test_on_capecitabine_the_steps_the_review_and_the_one_page_form_ask_core_and_its_symptoms(clocked, lines, world,
                                                                                             as_user):
    _, _, client_for = clocked
    on_treatment(as_user(world.nurse), world, "Capecitabine")
    alice = client_for(world.alice)
    stepped, total, pages = stepped_symptoms(alice, world)
    assert stepped == CORE | {"hand_foot", "mouth_sores"} and total == 6  # 14 symptoms: 3 screens
    assert all(CHOSEN in page for page in pages)
    one_page = alice.get(f"{url(world)}?all=1").text
    assert symptoms_on(one_page) == stepped and CHOSEN in one_page
    # The urgent questions, the chemotherapy ones and the temperature are never chosen away.
    assert 'name="flag.feeling_unwell_on_chemo"' in one_page and 'name="temperature_c"' in one_page
    for step in range(1, total - 1):
        post_step(alice, world, step, "none")
    review = alice.get(f"{url(world)}?step={total}").text
    assert "Symptoms you had: none." in review and "not answered" not in review
    form_id = re.search(r'name="form_id" value="([^"]+)"', review).group(1)
    assert post_step(alice, world, total, "send", form_id=form_id).status_code == 303
    (check_in,) = alice.get(check_ins(world)).json()
    assert set(check_in["symptoms"]) == stepped  # what was not asked is missing, not "none"


def test_on_palbociclib_and_letrozole_the_check_in_asks_its_symptoms(clocked, lines, world, as_user):
    _, _, client_for = clocked
    on_treatment(as_user(world.nurse), world, "Palbociclib and letrozole", "targeted")
    stepped, total, _ = stepped_symptoms(client_for(world.alice), world)
    assert stepped == CORE | {"mouth_sores", "aches", "hot_flushes"} and total == 6


def test_a_medicine_only_on_her_medicine_list_brings_its_symptoms_into_the_check_in(clocked, lines, world, as_user):
    """Letrozole is the line; capecitabine tablets were put on the medicine list alone."""
    _, _, client_for = clocked
    nurse = as_user(world.nurse)
    on_treatment(nurse, world, "Letrozole", "endocrine")
    alice = client_for(world.alice)
    before, _, _ = stepped_symptoms(alice, world)
    assert "hand_foot" not in before
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/medicines",
                          json={"name": "Capecitabine", "purpose": "anticancer", "start_date": "2026-10-01"})
    assert response.status_code == 201, response.text
    after, _, _ = stepped_symptoms(alice, world)
    assert after == before | {"hand_foot", "mouth_sores"}


def test_a_treatment_the_check_in_does_not_know_asks_every_symptom_and_says_nothing_of_choosing(clocked, lines,
                                                                                               world, as_user):
    _, _, client_for = clocked
    on_treatment(as_user(world.nurse), world, "Study drug ABC-123", "targeted")
    alice = client_for(world.alice)
    stepped, total, pages = stepped_symptoms(alice, world)
    assert stepped == EVERY and total == 6 and not any(CHOSEN in page for page in pages)
    assert symptoms_on(alice.get(f"{url(world)}?all=1").text) == EVERY


def test_the_team_adds_and_removes_symptoms_on_the_course_form_and_the_check_in_follows(clocked, lines, world,
                                                                                       as_user, engine):
    _, _, client_for = clocked
    course = on_treatment(as_user(world.nurse), world, "Capecitabine")
    nurse = client_for(world.nurse)
    edit = f"/patients/{world.patient_a}/record/treatment-courses/{course['id']}/edit"
    form = nurse.get(edit).text
    assert "Check-in questions for this treatment" in form and "Always asked of everyone: Pain" in form
    assert "As the treatment decides (asked, with capecitabine)" in form  # hand-foot, for this course
    assert 'name="check_in.pain"' not in form  # a core symptom is not offered for removal
    data = {k: str(v) for k, v in course.items() if v is not None and k in (
        "modality", "name", "line_of_treatment", "intent", "start_date")}
    data |= {"csrf_token": nurse.headers["X-CSRF-Token"], "version": str(course["version"]),
             "check_in.numbness": "add", "check_in.hand_foot": "remove", "check_in.rash": ""}
    assert nurse.post(edit, data=data).status_code == 303
    saved = nurse.get(f"{courses_url(world)}/{course['id']}").json()
    assert saved["check_in_added"] == ["numbness"] and saved["check_in_removed"] == ["hand_foot"]
    again = nurse.get(edit).text
    assert re.search(r'name="check_in.numbness".*?<option value="add" selected', again, re.S)
    stepped, _, _ = stepped_symptoms(client_for(world.alice), world)
    assert stepped == CORE | {"mouth_sores", "numbness"}
    listed = client_for(world.alice).get(f"/patients/{world.patient_a}/record/treatment-courses").text
    label = {code: instrument().symptom(code).label.lower() for code in ("mouth_sores", "numbness", "hand_foot")}
    words = (f"Also asks about {label['mouth_sores']} (with capecitabine); added by the team: {label['numbness']}; "
             f"not asked, as the team chose: {label['hand_foot']}")
    assert html.escape(words, quote=False) in listed  # the course list says what the team chose
    with engine.connect() as connection:  # audited as any change to the course is
        events = connection.execute(select(t.AuditEventRow.action, t.AuditEventRow.record_id)
                                    .where(t.AuditEventRow.patient_id == world.patient_a,
                                           t.AuditEventRow.what == "treatment-courses")).all()
    assert ("write:granted", uuid.UUID(course["id"])) in set(events)


def test_removing_a_core_symptom_is_refused_naming_the_field_on_the_form_and_the_api(clocked, lines, world, as_user):
    _, _, client_for = clocked
    course = on_treatment(as_user(world.nurse), world, "Capecitabine")
    nurse = client_for(world.nurse)
    edit = f"/patients/{world.patient_a}/record/treatment-courses/{course['id']}/edit"
    data = {"csrf_token": nurse.headers["X-CSRF-Token"], "version": str(course["version"]), "modality": "chemotherapy",
            "name": "Capecitabine", "start_date": "2026-09-01", "check_in.pain": "remove"}
    refused = nurse.post(edit, data=data)
    assert refused.status_code == 422
    assert "Pain is always asked and cannot be removed from the check-in" in refused.text
    body = {k: v for k, v in course.items() if k not in ("id", "patient_id", "created_at", "updated_at")}
    problem = nurse.put(f"{courses_url(world)}/{course['id']}", json=body | {"check_in_removed": ["low_mood"]})
    assert problem.status_code == 422 and problem.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"] == "check_in_removed" for e in problem.json()["errors"])
    assert nurse.get(f"{courses_url(world)}/{course['id']}").json()["check_in_removed"] == []  # nothing kept


def test_the_api_takes_an_answer_to_a_symptom_not_asked(clocked, lines, world, as_user):
    _, _, client_for = clocked
    on_treatment(as_user(world.nurse), world, "Palbociclib and letrozole", "targeted")
    alice = client_for(world.alice)
    response = alice.post(check_ins(world), json={"symptoms": {"numbness": {"severity": 3, "interference": 3}}})
    assert response.status_code == 201, response.text
    (check_in,) = alice.get(check_ins(world)).json()
    assert check_in["symptoms"]["numbness"]["severity"] == 3
    alerts = client_for(world.nurse).get(f"/api/v1/patients/{world.patient_a}/alerts").json()
    assert ("severe", "numbness") in {(a["rule"], a["item"]) for a in alerts}


def test_a_symptom_asked_last_week_and_not_this_week_is_missing_not_zero(clocked, lines, world, as_user):
    _, moment, client_for = clocked
    nurse = as_user(world.nurse)
    course = on_treatment(nurse, world, "Capecitabine")
    alice = client_for(world.alice)
    hand_foot = {"hand_foot": {"severity": 2}, "pain": {"frequency": 1, "severity": 1, "interference": 0}}
    for week in range(2):  # two weeks with hand-foot: her baseline and the week before
        assert alice.post(check_ins(world), json={"symptoms": hand_foot}).status_code == 201
        moment["now"] += timedelta(days=7)
    body = {k: v for k, v in course.items() if k not in ("id", "patient_id", "created_at", "updated_at")}
    assert nurse.put(f"{courses_url(world)}/{course['id']}",
                     json=body | {"check_in_removed": ["hand_foot"]}).status_code == 200
    assert "hand_foot" not in stepped_symptoms(alice, world)[0]
    sent = alice.post(check_ins(world), json={"symptoms": {"pain": {"frequency": 1, "severity": 1, "interference": 0}}})
    assert sent.status_code == 201
    assert not [a for a in sent.json()["alerts"] if a["item"] == "hand_foot"]
    latest = max(alice.get(check_ins(world)).json(), key=lambda c: c["submitted_at"])
    assert "hand_foot" not in latest["symptoms"]  # not asked: missing, never 0
    chart = client_for(world.nurse).get(f"/patients/{world.patient_a}/symptoms")
    assert chart.status_code == 200 and "Sore, red or peeling hands or feet" in chart.text
