"""Her say over results: a scan she chose to hear first from her team is absent from every page,
download and API answer she or her carer can open, until her nurse marks it discussed; her team
sees it all along, with what is held; alerts and whom to call are never held."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from alongside.domain.records import RECORD_KINDS
from alongside.store import tables as t

from .test_isolation import every_route

HELD_AREA = "Zebrafinch region"  # words that appear nowhere but in the held scan
SHARING = {"scans": "after_discussion", "tumour_markers": "at_once", "blood_tests": "at_once"}


def choose(client, patient_id, version: int = 0, **choice) -> object:
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    return client.post(f"/patients/{patient_id}/result-sharing",
                       data={**SHARING, **choice, "version": str(version), "csrf_token": csrf})


def add_held_scan(nurse, patient_id) -> str:
    response = nurse.post(f"/api/v1/patients/{patient_id}/scans", json={
        "performed_on": "2026-11-24", "modality": "pet_ct", "body_area": HELD_AREA, "impression": "progressing",
        "report": "Zebrafinch report text"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def readable(response) -> str:
    if response.headers.get("content-type", "").startswith("application/pdf"):
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return response.text


def patient_facing_gets(app, patient_id, scan_id) -> list[str]:
    """Every GET page and API operation naming her record (each kind for {slug}), the held scan by
    id, and the FHIR search a patient's app makes."""
    urls = []
    for route in every_route(app.routes):
        path = getattr(route, "path", "")
        if "{patient_id}" not in path or "GET" not in getattr(route, "methods", ()):
            continue
        if set(re.findall(r"{(\w+)}", path)) - {"patient_id", "slug", "entry_id"}:
            continue
        slugs = RECORD_KINDS if "{slug}" in path else [None]
        for slug in slugs:
            url = path.replace("{patient_id}", str(patient_id)).replace("{slug}", slug or "")
            urls.append(url.replace("{entry_id}", scan_id))
    urls += [f"/api/v1/patients/{patient_id}/scans/{scan_id}", f"/patients/{patient_id}/timeline?span=all",
             f"/api/v1/patients/{patient_id}/timeline?span=all", f"/fhir/r4/Observation?patient={patient_id}"]
    return sorted(set(urls))


def shows_scan(text: str, scan_id: str) -> bool:
    # The timeline draws a scan as "PET-CT scan: progressing ..." and lists it "PET-CT scan of ..."
    return scan_id in text or "zebrafinch" in text.casefold() or "PET-CT scan:" in text


def test_a_held_scan_is_absent_from_everything_she_and_her_carer_open_until_it_is_discussed(
        app, client_for, world):
    alice, carer, nurse = client_for(world.alice), client_for(world.carer), client_for(world.nurse)
    assert choose(alice, world.patient_a).status_code == 303
    scan_id = add_held_scan(nurse, world.patient_a)
    urls = patient_facing_gets(app, world.patient_a, scan_id)
    assert len(urls) > 40
    for reader in (alice, carer):
        answered = set()
        for url in urls:
            response = reader.get(url)
            assert response.status_code < 500, url
            answered |= {url} if response.status_code == 200 else set()
            text = readable(response).replace(url.split("?")[0], "")  # a 404's problem names the URL asked
            assert not shows_scan(text, scan_id), f"{url} shows the held scan"
        assert {f"/patients/{world.patient_a}/timeline?span=all", f"/patients/{world.patient_a}/clinic-summary.pdf",
                f"/fhir/r4/Patient/{world.patient_a}/$everything", f"/fhir/r4/Observation?patient={world.patient_a}",
                f"/api/v1/patients/{world.patient_a}/export", f"/patients/{world.patient_a}/record/scans",
                f"/patients/{world.patient_a}/decision-summary"} <= answered
    # Her team sees it, on the page of scans and the record page, with what is held.
    team_scans = nurse.get(f"/patients/{world.patient_a}/record/scans").text
    assert HELD_AREA in team_scans and "Not yet shown to Alice" in team_scans
    assert "until it is marked discussed" in team_scans
    assert "Results not yet shown to Alice" in nurse.get(f"/patients/{world.patient_a}").text
    assert shows_scan(readable(nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf")), scan_id)
    # The nurse marks it discussed; now she (and her carer) see it.
    csrf = nurse.get("/api/v1/me").json()["csrf_token"]
    marked = nurse.post(f"/patients/{world.patient_a}/record/scans/{scan_id}/discussed", data={"csrf_token": csrf})
    assert marked.status_code == 303
    assert "Discussed with Alice" in nurse.get(f"/patients/{world.patient_a}/record/scans").text
    for reader in (alice, carer):
        assert HELD_AREA in reader.get(f"/patients/{world.patient_a}/record/scans").text
        assert reader.get(f"/api/v1/patients/{world.patient_a}/scans/{scan_id}").status_code == 200
        assert scan_id in reader.get(f"/fhir/r4/Patient/{world.patient_a}/$everything").text


def test_results_already_in_her_record_stay_in_view_and_other_kinds_are_not_held(client_for, world):
    alice, nurse = client_for(world.alice), client_for(world.nurse)
    before = add_held_scan(nurse, world.patient_a)
    assert choose(alice, world.patient_a).status_code == 303
    after = add_held_scan(nurse, world.patient_a)
    marker = nurse.post(f"/api/v1/patients/{world.patient_a}/tumour-markers",
                        json={"taken_on": "2026-11-24", "marker": "ca15_3", "value": 61.0}).json()["id"]
    ids = {e["id"] for e in alice.get(f"/api/v1/patients/{world.patient_a}/scans").json()}
    assert before in ids and after not in ids
    assert marker in alice.get(f"/api/v1/patients/{world.patient_a}/tumour-markers").text


def held_blood_result(alice, nurse, world, test: str, loinc: str, value: float, unit: str, low: float,
                      high: float) -> str:
    """Alice waits for blood results until they are discussed; her nurse adds one. Its id."""
    assert choose(alice, world.patient_a, blood_tests="after_discussion").status_code == 303
    result = {"taken_on": "2026-11-24", "test": test, "loinc": loinc, "value": value, "unit": unit,
              "reference_low": low, "reference_high": high}
    return nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results", json=result).json()["id"]


def test_alerts_and_whom_to_call_are_never_held(client_for, world):
    alice, nurse = client_for(world.alice), client_for(world.nurse)
    lab_id = held_blood_result(alice, nurse, world, "Neutrophils", "751-8", 0.3, "10*9/L", 2.0, 7.5)  # grade 4
    assert lab_id not in alice.get(f"/api/v1/patients/{world.patient_a}/lab-results").text
    alerts = alice.get(f"/api/v1/patients/{world.patient_a}/alerts").json()
    assert [a["level"] for a in alerts if a["rule"] == "lab"] == ["red"]
    assert alice.get(f"/api/v1/patients/{world.patient_a}/whom-to-call?level=red").status_code == 200


def test_only_she_changes_her_choice_and_her_team_sees_it(client_for, world, engine):
    alice, nurse, carer = client_for(world.alice), client_for(world.nurse), client_for(world.carer)
    assert choose(nurse, world.patient_a).status_code == 403
    assert choose(carer, world.patient_a).status_code == 403
    assert choose(alice, world.patient_a, scans="discussion_or_days", scans_days="14").status_code == 303
    team_view = nurse.get(f"/patients/{world.patient_a}/result-sharing").text
    assert "whichever comes first" in team_view and "14 days" in team_view and "Only Alice can change" in team_view
    assert choose(alice, world.patient_a, version=0).status_code == 409  # a stale form changes nothing
    with engine.connect() as connection:
        actions = connection.execute(select(t.AuditEventRow.action, t.AuditEventRow.what)
                                     .where(t.AuditEventRow.what == "result-sharing")).all()
    assert ("write:granted", "result-sharing") in actions
    assert actions.count(("write:refused", "result-sharing")) == 2


@pytest.mark.parametrize("choice, field", [
    ({"scans": "after_days"}, "scans_days"),
    ({"blood_tests": "discussion_or_days", "blood_tests_days": "61"}, "blood_tests_days"),
    ({"tumour_markers": "after_days", "tumour_markers_days": "0"}, "tumour_markers_days"),
])
def test_a_choice_of_days_needs_a_number_from_1_to_60_and_the_form_keeps_what_was_typed(client_for, world,
                                                                                        choice, field):
    alice = client_for(world.alice)
    response = choose(alice, world.patient_a, **choice)
    assert response.status_code == 422
    assert f'id="f-{field}"' in response.text and 'aria-invalid="true"' in response.text
    for value in choice.values():
        assert f'value="{value}"' in response.text


def test_marking_a_result_discussed_is_for_her_team_audited_with_who_and_when(client_for, world, engine):
    alice, nurse = client_for(world.alice), client_for(world.nurse)
    assert choose(alice, world.patient_a).status_code == 303
    scan_id = add_held_scan(nurse, world.patient_a)
    csrf = alice.get("/api/v1/me").json()["csrf_token"]
    url = f"/patients/{world.patient_a}/record/scans/{scan_id}/discussed"
    assert alice.post(url, data={"csrf_token": csrf}).status_code == 403
    csrf = nurse.get("/api/v1/me").json()["csrf_token"]
    for _ in range(2):  # a retry keeps the first mark
        assert nurse.post(url, data={"csrf_token": csrf}).status_code == 303
    with engine.connect() as connection:
        marks = connection.execute(select(t.ResultDiscussionRow)).all()
        audit = connection.execute(select(t.AuditEventRow.action).where(t.AuditEventRow.what == "result-discussed")).scalars().all()
    assert len(marks) == 1 and marks[0].discussed_by_name == "Nina Nurse"
    assert "write:refused" in audit and "write:granted" in audit


def test_her_team_sees_which_blood_results_are_held_and_marks_one_discussed_from_the_table(client_for, world):
    alice, nurse = client_for(world.alice), client_for(world.nurse)
    lab_id = held_blood_result(alice, nurse, world, "Haemoglobin", "718-7", 78, "g/L", 115, 165)
    page = nurse.get(f"/patients/{world.patient_a}/record/lab-results").text
    row = page[page.index(f'id="entry-{lab_id}"'):]
    row = row[:row.index("</tr>")]
    assert "Not yet shown to Alice" in row and "until it is marked discussed" in row
    assert f'action="/patients/{world.patient_a}/record/lab-results/{lab_id}/discussed"' in row
    assert "1 of these is not yet shown to Alice" in page
    hers = alice.get(f"/patients/{world.patient_a}/record/lab-results").text
    assert "Not yet shown" not in hers and f'id="entry-{lab_id}"' not in hers
    token = nurse.headers["X-CSRF-Token"]
    done = nurse.post(f"/patients/{world.patient_a}/record/lab-results/{lab_id}/discussed", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].endswith(f"#entry-{lab_id}")
    after = nurse.get(f"/patients/{world.patient_a}/record/lab-results").text
    assert "Not yet shown to Alice" not in after and "Discussed with Alice" in after
    assert f'id="entry-{lab_id}"' in alice.get(f"/patients/{world.patient_a}/record/lab-results").text
