"""Planning care through the HTTP app and the real database: breaks, stopping anticancer
treatment (and what the check-in does then), and the decision summary."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alongside.store import tables as t
from alongside.web.app import create_app
from alongside.web.settings import Settings

from .conftest import NOW, sign_in

ACUTE = {"name": "24-hour line", "purpose": "urgent", "phone": "01632 960999", "hours": "24/7"}


def api(world, slug: str) -> str:
    return f"/api/v1/patients/{world.patient_a}/{slug}"


def csrf(client) -> str:
    return client.get("/api/v1/me").json()["csrf_token"]


def count(engine, table, **where) -> int:
    query = select(func.count()).select_from(table)
    for name, value in where.items():
        query = query.where(getattr(table, name) == value)
    with engine.connect() as connection:
        return connection.scalar(query)


@pytest.fixture
def on_chemo(client_for, world):
    """Patient A: her first line (anastrozole) stopped, capecitabine as line 2, a bone drug, a 24-hour line."""
    nurse = client_for(world.nurse)
    first = nurse.get(f"{api(world, 'treatment-courses')}/{world.course_a}").json()
    body = {k: v for k, v in first.items() if k in ("modality", "name", "line_of_treatment", "intent", "start_date")}
    assert nurse.put(f"{api(world, 'treatment-courses')}/{world.course_a}",
                     json={**body, "end_date": "2026-06-30", "stop_reason": "progression",
                           "version": first["version"]}).status_code == 200
    chemo = nurse.post(api(world, "treatment-courses"), json={
        "modality": "chemotherapy", "name": "Capecitabine", "line_of_treatment": 2, "start_date": "2026-07-01"}).json()
    bone = nurse.post(api(world, "treatment-courses"), json={
        "modality": "bone_strengthening", "name": "Denosumab", "intent": "supportive", "start_date": "2025-01-01"}).json()
    assert nurse.post(api(world, "contact-points"), json=ACUTE).status_code == 201
    return {"nurse": nurse, "chemo": chemo["id"], "bone": bone["id"]}


def fever_level(client, world) -> str:
    response = client.post(api(world, "check-ins"), json={"temperature_c": 38.3})
    assert response.status_code == 201, response.text
    return response.json()["whom_to_call"]["level"]


# --- Breaks ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("form, field", [
    ({"start_date": "2026-11-10", "end_date": "2026-11-01", "reason": "side_effects"}, "end_date"),
    ({"start_date": "2026-06-01", "reason": "side_effects"}, "start_date"),  # before capecitabine started
    ({"start_date": "", "reason": "side_effects"}, "start_date"),
])
def test_a_bad_break_is_refused_naming_the_field_and_the_form_keeps_what_was_typed(client_for, world, on_chemo,
                                                                                   engine, form, field):
    nurse = on_chemo["nurse"]
    response = nurse.post(f"/patients/{world.patient_a}/treatment-breaks/new",
                          data={**form, "course_id": on_chemo["chemo"], "notes": "Kept note", "csrf_token": csrf(nurse)})
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text
    assert "Kept note" in response.text
    assert count(engine, t.TreatmentBreakRow, patient_id=world.patient_a) == 0


def test_a_long_break_pauses_the_chemotherapy_fever_rule_and_ending_it_brings_the_rule_back(client_for, world,
                                                                                            on_chemo, engine):
    nurse, alice = on_chemo["nurse"], client_for(world.alice)
    assert fever_level(alice, world) == "red"
    # The last capecitabine was on 30 September: 56 days before today, past the six-week window.
    response = nurse.post(f"/patients/{world.patient_a}/treatment-breaks/new",
                          data={"course_id": on_chemo["chemo"], "start_date": "2026-10-01", "planned": "on",
                                "reason": "special_occasion", "csrf_token": csrf(nurse)})
    assert response.status_code == 303
    assert fever_level(alice, world) == "amber"
    form = alice.get(f"/patients/{world.patient_a}/check-in").text
    assert "feeling_unwell_on_chemo" not in form  # the chemotherapy-only question is not asked
    (pause,) = nurse.get(api(world, "treatment-breaks")).json()
    page = nurse.get(f"/patients/{world.patient_a}/treatments").text
    assert f"/treatment-breaks/{pause['id']}/end" in page
    bad = nurse.post(f"/patients/{world.patient_a}/treatment-breaks/{pause['id']}/end",
                     data={"end_date": "2026-09-01", "version": pause["version"], "csrf_token": csrf(nurse)})
    assert bad.status_code == 422 and 'id="e-end_date"' in bad.text
    ended = nurse.post(f"/patients/{world.patient_a}/treatment-breaks/{pause['id']}/end",
                       data={"end_date": "2026-11-24", "version": pause["version"], "csrf_token": csrf(nurse)})
    assert ended.status_code == 303
    assert fever_level(alice, world) == "red"
    again = nurse.post(f"/patients/{world.patient_a}/treatment-breaks/{pause['id']}/end",
                       data={"end_date": "2026-11-25", "version": pause["version"] + 1, "csrf_token": csrf(nurse)})
    assert again.status_code == 409


@pytest.mark.parametrize("break_starts, level", [
    ("2026-11-20", "red"),  # last dose 19 November: white cells may still be falling
    ("2026-10-15", "red"),  # last dose 14 October: 42 days ago, the last day of the window
    ("2026-10-14", "amber"),  # last dose 13 October: 43 days ago
])
def test_a_fever_stays_possible_neutropenic_sepsis_for_six_weeks_after_the_last_dose(client_for, world, on_chemo,
                                                                                    break_starts, level):
    nurse, alice = on_chemo["nurse"], client_for(world.alice)
    assert nurse.post(api(world, "treatment-breaks"), json={"course_id": on_chemo["chemo"], "start_date": break_starts,
                                                             "reason": "side_effects"}).status_code == 201
    assert fever_level(alice, world) == level
    asked = "feeling_unwell_on_chemo" in alice.get(f"/patients/{world.patient_a}/check-in").text
    assert asked is (level == "red")


def test_the_window_after_the_last_dose_is_a_team_setting(database_url, engine, world, on_chemo):
    on_chemo["nurse"].post(api(world, "treatment-breaks"), json={"course_id": on_chemo["chemo"],
                                                                 "start_date": "2026-11-20", "reason": "side_effects"})
    settings = Settings(database_url=database_url, cookie_secure=False, clock=lambda: NOW)
    settings = replace(settings, monitoring=replace(settings.monitoring, fever_rule_days_after_treatment=0))
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as alice:
        alice.headers.update(sign_in(alice, world.alice))
        assert fever_level(alice, world) == "amber"  # only while it is being given
    app.state.engine.dispose()


def test_only_the_team_starts_a_break(client_for, world, on_chemo, engine):
    alice = client_for(world.alice)
    response = alice.post(f"/patients/{world.patient_a}/treatment-breaks/new",
                          data={"course_id": on_chemo["chemo"], "start_date": "2026-11-20", "reason": "patient_choice",
                                "csrf_token": csrf(alice)})
    assert response.status_code == 403
    assert count(engine, t.TreatmentBreakRow, patient_id=world.patient_a) == 0


def test_overlapping_lines_of_treatment_are_refused_through_the_api(client_for, world, on_chemo, engine):
    nurse = on_chemo["nurse"]
    response = nurse.post(api(world, "treatment-courses"), json={
        "modality": "targeted", "name": "Alpelisib and fulvestrant", "line_of_treatment": 3, "start_date": "2026-11-01"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "start_date" and "line 2 (Capecitabine)" in error["message"]
    assert count(engine, t.TreatmentCourseRow, patient_id=world.patient_a) == 3


def test_a_treatment_cannot_be_cut_short_of_its_own_break(client_for, world, on_chemo):
    nurse = on_chemo["nurse"]
    assert nurse.post(api(world, "treatment-breaks"), json={
        "course_id": on_chemo["chemo"], "start_date": "2026-09-01", "end_date": "2026-09-20",
        "reason": "recovery"}).status_code == 201
    chemo = nurse.get(f"{api(world, 'treatment-courses')}/{on_chemo['chemo']}").json()
    body = {k: chemo[k] for k in ("modality", "name", "line_of_treatment", "intent", "start_date")}
    response = nurse.put(f"{api(world, 'treatment-courses')}/{on_chemo['chemo']}",
                         json={**body, "end_date": "2026-08-01", "stop_reason": "side_effects", "version": chemo["version"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "end_date"


# --- Stopping anticancer treatment ------------------------------------------------------------------

STOP = {"stops_on": "2026-11-20", "decided_on": "2026-11-20", "participants": "Alice, her son, Dr Rao",
        "options_discussed": "A third line of treatment, or supportive care only",
        "rationale": "She wants time at home without hospital visits"}


def test_a_stop_decision_without_a_date_is_refused_and_nothing_is_saved(client_for, world, on_chemo, engine):
    nurse = on_chemo["nurse"]
    response = nurse.post(f"/patients/{world.patient_a}/stop-treatment",
                          data={**STOP, "stops_on": "", "csrf_token": csrf(nurse)})
    assert response.status_code == 422
    assert 'id="e-stops_on"' in response.text and "She wants time at home" in response.text
    assert count(engine, t.DecisionRow) == 1  # patient B's sample decision only
    assert count(engine, t.TreatmentCourseRow, end_date=None, patient_id=world.patient_a) == 2


def test_stopping_ends_anticancer_treatment_only_and_the_check_in_adapts(client_for, world, on_chemo, engine):
    nurse, alice = on_chemo["nurse"], client_for(world.alice)
    assert nurse.post(api(world, "treatment-breaks"), json={
        "course_id": on_chemo["chemo"], "start_date": "2026-09-15", "reason": "side_effects"}).status_code == 201
    response = nurse.post(f"/patients/{world.patient_a}/stop-treatment", data={**STOP, "csrf_token": csrf(nurse)})
    assert response.status_code == 303
    chemo = nurse.get(f"{api(world, 'treatment-courses')}/{on_chemo['chemo']}").json()
    assert (chemo["end_date"], chemo["stop_reason"]) == ("2026-11-20", "supportive_care_only")
    assert nurse.get(f"{api(world, 'treatment-courses')}/{on_chemo['bone']}").json()["end_date"] is None
    assert nurse.get(api(world, "treatment-breaks")).json()[0]["end_date"] == "2026-11-20"
    (decision,) = nurse.get(api(world, "decisions")).json()
    assert decision["stops_anticancer_treatment_on"] == "2026-11-20"
    # Check-ins and contacts go on; the last capecitabine was in September, so a fever is now
    # the team's today, not neutropenic sepsis.
    assert fever_level(alice, world) == "amber"
    assert "feeling_unwell_on_chemo" not in alice.get(f"/patients/{world.patient_a}/check-in").text
    assert "01632 960999" in alice.get(f"/patients/{world.patient_a}").text
    summary = alice.get(f"/patients/{world.patient_a}/decision-summary").text
    assert "Anticancer treatment stopped on 20 November 2026" in summary


@pytest.mark.parametrize("stops_on, level", [("2026-10-01", "amber"), ("2026-11-20", "red")])
def test_a_stop_decision_recorded_without_ending_courses_still_ends_the_chemotherapy_rule_after_six_weeks(
        client_for, world, on_chemo, stops_on, level):
    nurse, alice = on_chemo["nurse"], client_for(world.alice)
    assert nurse.post(api(world, "decisions"), json={**{k: STOP[k] for k in ("participants", "options_discussed")},
                                                     "decided_on": stops_on, "chosen": "Supportive care only",
                                                     "stops_anticancer_treatment_on": stops_on}).status_code == 201
    assert fever_level(alice, world) == level


def test_only_the_team_records_a_stop(client_for, world, on_chemo, engine):
    alice = client_for(world.alice)
    assert alice.post(f"/patients/{world.patient_a}/stop-treatment",
                      data={**STOP, "csrf_token": csrf(alice)}).status_code == 403
    assert count(engine, t.TreatmentCourseRow, end_date=None, patient_id=world.patient_a) == 2


def test_without_any_chemotherapy_course_a_fever_is_never_the_chemotherapy_red(client_for, world):
    nurse, alice = client_for(world.nurse), client_for(world.alice)
    assert nurse.post(api(world, "contact-points"), json=ACUTE).status_code == 201
    assert fever_level(alice, world) == "amber"  # only anastrozole, a hormone treatment


# --- The decision summary ---------------------------------------------------------------------------

def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_summary_shows_missing_facts_as_missing_and_never_guesses(client_for, world):
    page = client_for(world.nurse).get(f"/patients/{world.patient_a}/decision-summary")
    assert page.status_code == 200
    text = text_of(page.text)
    for missing in ("HER2 status not recorded", "ER status not recorded", "Menopausal status not recorded",
                    "Sites of spread not recorded", "Performance status (ECOG) not recorded",
                    "No genomic results recorded", "No check-in yet", "Priorities and goals not recorded"):
        assert missing in text
    assert "HER2-low" not in text and "HER2-positive" not in text


def test_the_summary_gathers_what_the_team_weighs(client_for, world, on_chemo):
    nurse = on_chemo["nurse"]
    profile = nurse.get(f"/api/v1/patients/{world.patient_a}").json()["cancer_profile"]
    assert nurse.put(f"/api/v1/patients/{world.patient_a}/cancer-profile", json={
        "er_status": "positive", "pr_status": "negative", "her2_status": "low", "menopausal_status": "post",
        "metastatic_diagnosis_date": "2024-02-01", "version": profile["version"]}).status_code == 200
    for slug, body in [
        ("metastases", {"site": "liver", "site_detail": "Two lesions", "diagnosed_on": "2026-06-20"}),
        ("performance-status", {"assessed_on": "2026-11-01", "ecog": 1}),
        ("genomic-results", {"gene": "PIK3CA", "origin": "somatic", "finding": "detected", "variant": "H1047R"}),
        ("scans", {"performed_on": "2024-09-01", "modality": "ct", "impression": "stable"}),
        ("scans", {"performed_on": "2025-03-01", "modality": "ct", "impression": "responding"}),
        ("scans", {"performed_on": "2026-06-15", "modality": "ct", "impression": "progressing"}),
        ("goals", {"kind": "what_matters", "recorded_on": "2026-10-01", "in_own_words": "Walking the dog every day."}),
    ]:
        assert nurse.post(api(world, slug), json=body).status_code == 201, body
    alice = client_for(world.alice)
    assert alice.post(api(world, "check-ins"), json={"symptoms": {"fatigue": {"severity": 3, "interference": 3}},
                                                     "burden": {"pain": 6}, "wellbeing": 5}).status_code == 201
    for client in (nurse, alice):  # the same facts for the team and for her
        text = text_of(client.get(f"/patients/{world.patient_a}/decision-summary").text)
        assert "HER2-low (IHC 1+, or IHC 2+ without amplification)" in text
        assert "Oestrogen receptor (ER) Positive" in text and "Postmenopausal" in text
        assert "Liver (Two lesions): since 20 June 2026" in text
        assert "ECOG 1" in text
        assert "PIK3CA (somatic): Change found" in text
        assert re.search(r"1 Anastrozole 1 March 2024 to 30 June 2026 2 years 4 months "
                         r"15 June 2026: Progressing \(growing or spreading\) 1 March 2025: Responding \(shrinking\) "
                         r"Cancer grew or spread", text), text
        assert re.search(r"2 Capecitabine 1 July 2026 to now 5 months so far No scan during this line "
                         r"No scan response recorded Still being given", text)
        assert "Tiredness or lack of energy: grade 3 of 3" in text and "Pain: 6/10" in text
        # the old "wellbeing 5" (0 worst - 10 best), read on the one scale: unwell 10 - 5
        assert "unwell 5/10 (0 = well, 10 = as unwell as could be)" in text
        assert "Walking the dog every day." in text
        assert "HER2 status not recorded" not in text


def test_every_page_showing_the_dose_now_shows_the_dose_after_its_recorded_reduction(client_for, world, on_chemo):
    """Issue 12: "Treatment now" showed capecitabine 1,000 mg/m2 after a reduction to 825 mg/m2."""
    nurse = on_chemo["nurse"]
    chemo = nurse.get(f"{api(world, 'treatment-courses')}/{on_chemo['chemo']}").json()
    body = {k: v for k, v in chemo.items() if k in ("modality", "name", "line_of_treatment", "intent", "start_date")}
    assert nurse.put(f"{api(world, 'treatment-courses')}/{on_chemo['chemo']}", json={
        **body, "schedule": "1,000 mg/m2 twice daily, days 1-14 of 21", "version": chemo["version"]}).status_code == 200
    assert nurse.post(api(world, "dose-changes"), json={
        "course_id": on_chemo["chemo"], "changed_on": "2026-10-02", "change": "Capecitabine reduced to 825 mg/m2",
        "reason": "Hand-foot syndrome"}).status_code == 201
    now = "Dose now: Capecitabine reduced to 825 mg/m2, since 2 October 2026 (Hand-foot syndrome)."
    pages = {"her home": (client_for(world.alice), f"/patients/{world.patient_a}", 'id="now"'),
             "the team's record page": (nurse, f"/patients/{world.patient_a}", 'id="now"'),
             "treatments": (nurse, f"/patients/{world.patient_a}/treatments", "<h3>Capecitabine</h3>"),
             "decision summary": (nurse, f"/patients/{world.patient_a}/decision-summary", 'id="lines-h"')}
    for name, (client, url, start) in pages.items():
        page = client.get(url)
        assert page.status_code == 200, name
        shown = text_of(page.text.split(start, 1)[1])
        assert now in shown, (name, shown)
        # the starting dose is there only as history, after the dose now
        assert shown.index("1,000 mg/m2") > shown.index(now) and "When it started: 1,000 mg/m2" in shown, name


def test_the_summary_shows_the_latest_scan_beside_the_best_each_dated(client_for, world, on_chemo):
    """Issue 12: progression on the latest scan was hidden behind "best response: responding"."""
    nurse = on_chemo["nurse"]
    for body in ({"performed_on": "2026-06-20", "modality": "ct", "target_lesions": "Liver: 40\nLung: 20",
                  "non_target": "none", "impression": "stable"},
                 {"performed_on": "2026-09-01", "modality": "ct", "target_lesions": "Liver: 25\nLung: 12",
                  "non_target": "none", "new_lesions": "no", "impression": "responding"},
                 {"performed_on": "2026-11-20", "modality": "ct", "target_lesions": "Liver: 30\nLung: 12",
                  "non_target": "none", "new_lesions": "yes", "impression": "progressing"}):
        assert nurse.post(api(world, "scans"), json=body).status_code == 201
    for client in (nurse, client_for(world.alice)):
        text = text_of(client.get(f"/patients/{world.patient_a}/decision-summary").text)
        assert ("2 Capecitabine 1 July 2026 to now 5 months so far "
                "20 November 2026: Progressing (growing or spreading); RECIST 1.1: PD "
                "1 September 2026: Responding (shrinking); RECIST 1.1: PR Still being given") in text, text


# --- Advance care plan documents ---------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PLAN = {"kind": "advance_care_plan", "title": "My advance care plan", "dated": "2026-10-01"}


@pytest.fixture
def documents_app(database_url, engine, tmp_path):
    """An app keeping documents under a temporary data directory, with a 1 MB upload limit."""
    app = create_app(Settings(database_url=database_url, cookie_secure=False, clock=lambda: NOW,
                              data_dir=tmp_path / "data", max_upload_bytes=1024 * 1024))
    clients = []

    def make(person) -> TestClient:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        client.headers.update(sign_in(client, person))
        clients.append(client)
        return client

    yield make, tmp_path / "data"
    for client in clients:
        client.close()
    app.state.engine.dispose()


def upload(client, world, content: bytes, name: str = "plan.pdf", **form):
    return client.post(f"/patients/{world.patient_a}/documents/upload",
                       data={**PLAN, **form, "csrf_token": csrf(client)},
                       files={"file": (name, content, "application/pdf")})


def stored_files(data_dir) -> list:
    return [p for p in (data_dir / "documents").rglob("*") if p.is_file()] if (data_dir / "documents").exists() else []


def test_she_uploads_her_plan_and_the_team_downloads_it_as_an_audited_attachment(documents_app, world, engine):
    make, data_dir = documents_app
    alice, nurse = make(world.alice), make(world.nurse)
    assert upload(alice, world, PDF).status_code == 303
    (path,) = stored_files(data_dir)
    assert path.read_bytes() == PDF and "static" not in str(path) and path.parent.name == str(world.patient_a)
    page = nurse.get(f"/patients/{world.patient_a}/documents").text
    (document_id,) = re.findall(rf"/patients/{world.patient_a}/documents/([0-9a-f-]{{36}})\"", page)
    response = nurse.get(f"/patients/{world.patient_a}/documents/{document_id}")
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="advance_care_plan-2026-10-01.pdf"'
    with engine.connect() as connection:
        reads = connection.execute(select(t.AuditEventRow.actor_name).where(
            t.AuditEventRow.what == "care-documents", t.AuditEventRow.action == "read:granted",
            t.AuditEventRow.record_id == uuid.UUID(document_id))).scalars().all()
    assert reads == ["Nina Nurse"]
    summary = nurse.get(f"/patients/{world.patient_a}/decision-summary").text
    assert "My advance care plan" in summary and "Advance care plan, dated 1 October 2026" in summary


@pytest.mark.parametrize("content, name, message", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "plan.pdf", "not a PDF, JPEG or PNG"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "plan.pdf", "not a PDF, JPEG or PNG"),
    (b"", "plan.pdf", "Choose a file"),
    (PDF + b"0" * (1024 * 1024), "big.pdf", "larger than 1 MB"),  # over the limit, within the form allowance
])
def test_a_disguised_empty_or_oversized_file_is_refused_and_nothing_is_kept(documents_app, world, engine,
                                                                            content, name, message):
    make, data_dir = documents_app
    response = upload(make(world.alice), world, content, name)
    assert response.status_code == 422
    assert 'id="e-file"' in response.text and message in response.text
    assert 'value="My advance care plan"' in response.text  # what she typed is kept
    assert count(engine, t.CareDocumentRow) == 0 and stored_files(data_dir) == []


def test_a_document_without_its_date_names_the_field(documents_app, world, engine):
    make, data_dir = documents_app
    response = upload(make(world.alice), world, PDF, dated="")
    assert response.status_code == 422 and 'id="e-dated"' in response.text
    assert count(engine, t.CareDocumentRow) == 0 and stored_files(data_dir) == []


def test_a_huge_upload_is_refused_from_its_declared_length(documents_app, world, engine):
    make, _ = documents_app
    alice = make(world.alice)
    response = alice.post(f"/patients/{world.patient_a}/documents/upload", content=b"x" * 10,
                          headers={"content-length": str(200 * 1024 * 1024),
                                   "content-type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413 and "too large" in response.text
    assert count(engine, t.CareDocumentRow) == 0


def test_a_carer_may_read_documents_but_not_add_or_remove_them(documents_app, world, engine):
    make, data_dir = documents_app
    assert upload(make(world.alice), world, PDF).status_code == 303
    carer = make(world.carer)
    assert upload(carer, world, PDF).status_code == 403
    page = carer.get(f"/patients/{world.patient_a}/documents")
    assert page.status_code == 200 and "Add a document" not in page.text
    (document_id,) = re.findall(rf"/patients/{world.patient_a}/documents/([0-9a-f-]{{36}})\"", page.text)
    assert carer.get(f"/patients/{world.patient_a}/documents/{document_id}").status_code == 200
    assert carer.post(f"/patients/{world.patient_a}/documents/{document_id}/delete",
                      data={"version": 1, "csrf_token": csrf(carer)}).status_code == 403
    nurse = make(world.nurse)
    assert nurse.post(f"/patients/{world.patient_a}/documents/{document_id}/delete",
                      data={"version": 1, "csrf_token": csrf(nurse)}).status_code == 303
    assert count(engine, t.CareDocumentRow) == 0 and stored_files(data_dir) == []


# --- The clinic summary PDF -----------------------------------------------------------------------------

def pdf_text(content: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(content))
    assert 1 <= len(reader.pages) <= 2  # one or two A4 pages
    assert all(round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842
               for page in reader.pages)
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_clinic_summary_pdf_holds_her_goals_questions_decision_break_and_results(client_for, world, on_chemo):
    nurse, alice = on_chemo["nurse"], client_for(world.alice)
    for slug, body in [
        ("goals", {"kind": "what_matters", "recorded_on": "2026-11-01", "in_own_words": "Seeing the sea in spring."}),
        ("questions", {"kind": "question", "text": "Can my treatment be on Fridays?", "added_on": "2026-11-20"}),
        ("questions", {"kind": "topic", "text": "Travel insurance", "added_on": "2026-11-21"}),
        ("questions", {"kind": "question", "text": "Already answered question", "added_on": "2026-11-01",
                       "answered": True}),
    ]:
        assert alice.post(api(world, slug), json=body).status_code == 201
    for slug, body in [
        ("decisions", {"decided_on": "2026-06-30", "participants": "Alice and Dr Rao", "chosen": "Capecitabine",
                       "options_discussed": "Capecitabine or paclitaxel"}),
        ("treatment-breaks", {"course_id": on_chemo["chemo"], "start_date": "2026-09-01", "end_date": "2026-09-14",
                              "reason": "special_occasion", "planned": True}),
        ("tumour-markers", {"taken_on": "2026-07-01", "marker": "ca15_3", "value": 80}),
        ("tumour-markers", {"taken_on": "2026-10-01", "marker": "ca15_3", "value": 52}),
        ("lab-results", {"taken_on": "2026-11-18", "test": "Neutrophils", "value": 1.4, "unit": "10*9/L",
                         "reference_low": 2.0, "reference_high": 7.5}),
        ("scans", {"performed_on": "2026-10-05", "modality": "ct", "impression": "responding"}),
        ("referrals", {"service": "palliative_care", "status": "made", "referred_on": "2026-11-02"}),
        ("referrals", {"service": "physiotherapy", "status": "closed"}),
    ]:
        assert nurse.post(api(world, slug), json=body).status_code == 201, body
    assert alice.post(api(world, "check-ins"), json={"red_flags": {"uncontrolled_pain": True}}).status_code == 201
    response = nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="clinic-summary-able-2026-11-25.pdf"'
    text = pdf_text(response.content)
    for expected in ("Clinic summary: Alice Able", "943 476 5919", "Seeing the sea in spring.",
                     "Can my treatment be on Fridays?", "Travel insurance (to talk about)",
                     "30 June 2026: Capecitabine. With Alice and Dr Rao",
                     "Break from Capecitabine: 1 September 2026 to 14 September 2026, special occasion or holiday (planned)",
                     "CA 15-3 (U/mL)", "Neutrophils (10*9/L)", "Last scan: CT scan, 5 October 2026: Responding",
                     "Palliative care team: Referral made", "Uncontrolled pain", "HER2 status not recorded",
                     "recommends no treatment"):
        assert expected in text, expected
    assert "Already answered question" not in text and "Physiotherapy" not in text


def test_every_summary_of_a_check_in_with_a_fever_on_chemotherapy_names_its_red_alert_first(client_for, world,
                                                                                             on_chemo):
    """Issue 12, item 4: the PDF and the appointment page called a check-in with 38.2 C on
    chemotherapy, which raised a red neutropenic sepsis alert, "nothing above mild"."""
    nurse, alice = on_chemo["nurse"], client_for(world.alice)
    assert nurse.post(api(world, "appointments"), json={"starts_at": "2026-11-01T10:00:00+00:00",
                                                        "kind": "oncology_clinic"}).status_code == 201
    fever = alice.post(api(world, "check-ins"), json={"temperature_c": 38.2, "burden": {"pain": 2, "wellbeing": 6},
                                                      "submitted_at": "2026-11-24T21:00:00+00:00"}).json()
    assert [a["level"] for a in fever["alerts"]] == ["red"]
    assert alice.post(api(world, "check-ins"), json={"burden": {"pain": 1},
                                                     "submitted_at": "2026-11-17T09:00:00+00:00"}).status_code == 201

    pdf = pdf_text(nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf").content)
    row = pdf.split("Recent check-ins", 1)[1].split("Alerts", 2)[1].split("24 November 2026", 1)[1]
    assert row.lstrip().startswith("6/10 RED alert: Possible neutropenic sepsis"), row[:120]
    assert row.index("neutropenic sepsis") < row.index("temperature 38.2 °C")
    quiet = pdf.split("17 November 2026", 1)[1]
    assert quiet.lstrip().startswith("not given nothing above mild")  # the quiet week may still say so
    assert pdf.count("nothing above mild") == 1

    for client in (nurse, alice):
        page = text_of(client.get(f"/patients/{world.patient_a}/appointment-preparation").text)
        checks = page.split("Check-ins", 1)[1].split("Results", 1)[0]
        fever_line = checks.split("24 November 2026, 21:00:", 1)[1].split("17 November 2026", 1)[0]
        assert fever_line.startswith(" RED alert: Possible neutropenic sepsis"), fever_line
        assert "temperature 38.2 °C" in fever_line and "nothing above mild" not in fever_line
        assert "unwell 6/10" in fever_line

    # The decision summary's "last check-in" names its red alert before any grade (the last one
    # sent is the fever, taken last so the quiet week is not "last").
    summary = text_of(nurse.get(f"/patients/{world.patient_a}/decision-summary").text)
    now = summary.split("Symptoms and general health now", 1)[1].split("Genomic results", 1)[0]
    assert "RED alert: Possible neutropenic sepsis" in now and now.index("RED alert") < now.index("Pain")


def test_one_wellbeing_scale_where_ten_is_the_worst_and_old_answers_are_turned_round(client_for, world, engine):
    """Issue 12, item 13: the old `wellbeing` (0 worst - 10 best) and burden `wellbeing` (how
    unwell, 10 worst) pointed opposite ways; only the second is kept, the first read as 10 minus it."""
    from sqlalchemy import update

    alice, nurse = client_for(world.alice), client_for(world.nurse)
    old_client = alice.post(api(world, "check-ins"), json={"wellbeing": 8, "submitted_at": "2026-11-20T09:00:00+00:00"})
    assert old_client.status_code == 201
    stored = old_client.json()["check_in"]
    assert stored["burden"] == {"wellbeing": 2} and stored.get("wellbeing") is None
    both = alice.post(api(world, "check-ins"), json={"wellbeing": 9, "burden": {"wellbeing": 7},
                                                     "submitted_at": "2026-11-21T09:00:00+00:00"}).json()["check_in"]
    assert both["burden"] == {"wellbeing": 7}  # the one scale, when it is answered, wins
    # A check-in stored before the change, with only the old column filled.
    with engine.begin() as connection:
        connection.execute(update(t.CheckInRow).where(t.CheckInRow.id == uuid.UUID(both["id"]))
                           .values(wellbeing=1, burden={}))
    legacy = nurse.get(f"{api(world, 'check-ins')}/{both['id']}").json()
    assert legacy["burden"] == {"wellbeing": 9} and legacy.get("wellbeing") is None
    listing = text_of(nurse.get(f"/patients/{world.patient_a}/record/check-ins").text)
    assert "unwell 9/10 (10 = worst)" in listing and "unwell 2/10 (10 = worst)" in listing
    assert "wellbeing 8/10" not in listing and "wellbeing 1/10" not in listing
    # The form fills burden.wellbeing; every summary reads it, so no more "not given".
    form = alice.get(f"/patients/{world.patient_a}/check-in?all=1").text  # every question on one page
    assert "Overall, how unwell you feel (0 = well, 10 = as unwell as you could be)" in unescape(form)
    assert alice.post(f"/patients/{world.patient_a}/check-in",
                      data={"csrf_token": csrf(alice), "burden.wellbeing": "6"}).status_code == 303
    pdf = pdf_text(nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf").content)
    assert "Unwell (0 well, 10 worst)" in pdf
    assert "25 November 2026 6/10" in pdf and "not given" not in pdf.split("Recent check-ins", 1)[1].split("Alerts", 1)[0]
    assert "unwell 6/10" in text_of(nurse.get(f"/patients/{world.patient_a}/decision-summary").text)


def test_the_command_line_writes_the_same_summary(database_url, world, tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "summary.pdf"
    result = subprocess.run([sys.executable, "-m", "alongside.cli", "report", str(world.patient_b), "--out", str(out)],
                            env={**os.environ, "ALONGSIDE_DATABASE_URL": database_url}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    text = pdf_text(out.read_bytes())
    assert "Clinic summary: Bella Baker" in text and "Can I have my treatment closer to home?" in text
    missing = subprocess.run([sys.executable, "-m", "alongside.cli", "report", str(uuid.uuid4()), "--out", str(out)],
                             env={**os.environ, "ALONGSIDE_DATABASE_URL": database_url}, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and "No such patient" in missing.stderr


# --- Preparing for an appointment ----------------------------------------------------------------------

def test_she_prepares_for_her_appointment_and_the_team_sees_the_same(client_for, world, on_chemo):
    nurse, alice = on_chemo["nurse"], client_for(world.alice)
    for body in ({"starts_at": "2026-11-01T10:00:00+00:00", "kind": "oncology_clinic"},
                 {"starts_at": "2026-12-02T14:30:00+00:00", "kind": "oncology_clinic", "with_whom": "Dr Rao"}):
        assert nurse.post(api(world, "appointments"), json=body).status_code == 201
    for body in ({"taken_on": "2026-10-20", "test": "Haemoglobin", "value": 120, "unit": "g/L"},
                 {"taken_on": "2026-11-18", "test": "Neutrophils", "value": 1.4, "unit": "10*9/L", "reference_low": 2.0}):
        assert nurse.post(api(world, "lab-results"), json=body).status_code == 201
    assert alice.post(api(world, "check-ins"), json={"burden": {"wellbeing": 3},
                                                     "submitted_at": "2026-11-10T09:00:00+00:00"}).status_code == 201
    assert alice.post(api(world, "check-ins"), json={"burden": {"wellbeing": 6}, "red_flags": {"uncontrolled_pain": True},
                                                     "submitted_at": "2026-11-24T09:00:00+00:00"}).status_code == 201

    page = f"/patients/{world.patient_a}/appointment-preparation"
    add = f"/patients/{world.patient_a}/questions/new"
    assert alice.post(add, data={"text": "", "kind": "question", "csrf_token": csrf(alice)}).status_code == 422
    assert alice.post(add, data={"text": "Can I go to Spain in May?", "kind": "question",
                                 "csrf_token": csrf(alice)}).status_code == 303
    assert alice.post(add, data={"text": "How tired I feel", "kind": "topic", "csrf_token": csrf(alice)}).status_code == 303
    prompt = "Are there clinical trials I could be considered for?"
    assert prompt in alice.get(page).text  # from content/questions.yaml
    assert alice.post(add, data={"text": prompt, "kind": "question", "csrf_token": csrf(alice)}).status_code == 303
    text = text_of(alice.get(page).text)
    assert "Next: Oncology clinic with Dr Rao" in text
    assert "Neutrophils 1.4 10*9/L (18 November 2026) — outside the normal range" in text
    assert "Haemoglobin" not in text  # before the last appointment
    assert "How unwell you felt overall went from 3/10 to 6/10 (0 = well, 10 = as unwell as could be)" in text
    assert "AMBER alert: Uncontrolled pain" in text
    assert re.search(r"Questions Can I go to Spain in May\? Remove.*Are there clinical trials", text)
    assert re.search(r"What you want to talk about How tired I feel", text)

    questions = alice.get(api(world, "questions")).json()
    spain = next(q for q in questions if q["text"].startswith("Can I go"))
    assert alice.post(f"/patients/{world.patient_a}/questions/{spain['id']}/remove",
                      data={"version": spain["version"], "csrf_token": csrf(alice)}).status_code == 303
    team_view = text_of(nurse.get(page).text)
    assert "Before the appointment: a summary" in team_view and "What the patient wants to talk about How tired I feel" in team_view
    assert "Can I go to Spain" not in team_view and prompt in team_view


def test_a_carer_reads_the_preparation_but_cannot_change_her_questions(client_for, world):
    carer = client_for(world.carer)
    page = carer.get(f"/patients/{world.patient_a}/appointment-preparation")
    assert page.status_code == 200 and "Add a question" not in page.text
    assert carer.post(f"/patients/{world.patient_a}/questions/new",
                      data={"text": "Mine", "kind": "question", "csrf_token": csrf(carer)}).status_code == 403


# --- Supportive care prompt -----------------------------------------------------------------------------

def test_persistent_high_burden_prompts_the_team_until_a_supportive_referral_is_open(client_for, world):
    nurse, alice = client_for(world.nurse), client_for(world.alice)
    record = f"/patients/{world.patient_a}"
    for day, pain in ((10, 8), (17, 7), (24, 3)):
        assert alice.post(api(world, "check-ins"), json={"burden": {"pain": pain, "anxiety": 5},
                                                         "submitted_at": f"2026-11-{day}T09:00:00+00:00"}).status_code == 201
    assert "Consider a supportive care referral" not in nurse.get(record).text  # the latest is better
    assert alice.post(api(world, "check-ins"), json={"burden": {"pain": 9}}).status_code == 201
    assert "Consider a supportive care referral" not in nurse.get(record).text  # not three in a row yet
    assert alice.post(api(world, "check-ins"), json={"burden": {"pain": 8, "anxiety": 9}}).status_code == 201
    assert alice.post(api(world, "check-ins"), json={"burden": {"pain": 9}}).status_code == 201
    page = text_of(nurse.get(record).text)
    assert "Consider a supportive care referral" in page and "Feeling nervous 9/10" in page
    assert "Consider a supportive care referral" not in alice.get(record).text  # never an alarm to her
    referral = nurse.post(api(world, "referrals"), json={"service": "palliative_care", "status": "made"}).json()
    assert "Consider a supportive care referral" not in nurse.get(record).text
    assert nurse.put(f"{api(world, 'referrals')}/{referral['id']}",
                     json={"service": "palliative_care", "status": "declined", "version": referral["version"]}
                     ).status_code == 200
    assert "Consider a supportive care referral" in nurse.get(record).text


# --- Access routes and support ------------------------------------------------------------------------------

def test_access_routes_are_explained_in_plain_words_for_her_country_with_support(client_for, world):
    nurse, alice = client_for(world.nurse), client_for(world.alice)
    assert nurse.post(api(world, "access-requests"), json={"drug": "Example-mab", "route": "cancer_drugs_fund",
                                                           "status": "submitted"}).status_code == 201
    assert "/access-to-treatments" in alice.get(f"/patients/{world.patient_a}/record/access-requests").text
    text = text_of(alice.get(f"/patients/{world.patient_a}/access-to-treatments").text)
    assert "Example-mab: Cancer Drugs Fund" in text
    assert "a fund that pays for some new cancer medicines" in text  # under her request, and in the list
    assert "Individual funding request Your doctor asks the NHS to pay" in text
    assert "Breast Cancer Now helpline : 0808 800 6000" in text
    for page in ("appointment-preparation", "decision-summary"):
        assert "0808 800 6000" in alice.get(f"/patients/{world.patient_a}/{page}").text
    details = nurse.get(f"/api/v1/patients/{world.patient_a}").json()
    body = {k: details[k] for k in ("given_name", "family_name", "date_of_birth")}
    assert nurse.put(f"/api/v1/patients/{world.patient_a}",
                     json={**body, "country": "FR", "version": details["version"]}).status_code == 200
    text = text_of(alice.get(f"/patients/{world.patient_a}/access-to-treatments").text)
    assert "have not been written for this country yet" in text and "Cancer Drugs Fund, a fund" not in text
    assert "0808 800 6000" not in text  # a UK helpline is not offered for France


def test_local_services_come_from_the_teams_file(database_url, engine, world, tmp_path):
    own = tmp_path / "support.yaml"
    own.write_text("national: {}\nteams:\n  Team One:\n    - {name: Maggie's centre, phone: 01632 960555}\n"
                   "  Team Two:\n    - {name: Not her team's centre}\n", encoding="utf-8")
    app = create_app(Settings(database_url=database_url, cookie_secure=False, clock=lambda: NOW,
                              support_file=str(own)))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as alice:
        alice.headers.update(sign_in(alice, world.alice))
        text = text_of(alice.get(f"/patients/{world.patient_a}/appointment-preparation").text)
    app.state.engine.dispose()
    assert "Maggie's centre : 01632 960555" in text and "Not her team's centre" not in text
    assert "Breast Cancer Now" not in text


# --- The JSON API for the same verbs ----------------------------------------------------------------------

def test_programs_stop_treatment_and_end_breaks_through_the_api_with_problems_naming_fields(client_for, world,
                                                                                           on_chemo, engine):
    nurse = on_chemo["nurse"]
    pause = nurse.post(api(world, "treatment-breaks"), json={"course_id": on_chemo["chemo"], "start_date": "2026-11-01",
                                                             "reason": "recovery"}).json()
    end = f"{api(world, 'treatment-breaks')}/{pause['id']}/end"
    for body, field in (({"end_date": "2026-11-10"}, "version"), ({"version": pause["version"]}, "end_date"),
                        ({"end_date": "2026-10-01", "version": pause["version"]}, "end_date")):
        response = nurse.post(end, json=body)
        assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field
    ended = nurse.post(end, json={"end_date": "2026-11-10", "version": pause["version"]})
    assert ended.status_code == 200 and ended.json()["end_date"] == "2026-11-10"

    stop = f"/api/v1/patients/{world.patient_a}/stop-anticancer-treatment"
    missing = nurse.post(stop, json={k: v for k, v in STOP.items() if k != "stops_on"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "stops_on"
    assert count(engine, t.TreatmentCourseRow, end_date=None, patient_id=world.patient_a) == 2
    key = str(uuid.uuid4())
    done = nurse.post(stop, json={**STOP, "id": key})
    assert done.status_code == 201
    assert [c["name"] for c in done.json()["stopped_courses"]] == ["Capecitabine"]
    again = nurse.post(stop, json={**STOP, "id": key})  # a retry records nothing new
    assert again.status_code == 201 and again.json()["decision"]["id"] == key
    assert count(engine, t.DecisionRow, patient_id=world.patient_a) == 1
    assert client_for(world.alice).post(stop, json=STOP).status_code == 403
