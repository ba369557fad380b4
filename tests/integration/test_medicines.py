"""Medicines and allergies through the HTTP app and the real database: who may read and write
them, and the fever rule reading the medicines she is taking (issue 18 items 1 and 3).

The clock of `client_for` reads Wednesday 25 November 2026."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from alongside.domain.records import Medication

from ..unit.test_medicines import a_uk_extension_code
from .conftest import NOW
from .test_transfer_and_cli import empty_database_url, run_cli  # noqa: F401 (a fixture)

ACUTE = {"name": "24-hour line", "purpose": "urgent", "phone": "01632 960999", "hours": "24/7"}
TODAY = NOW.date()


def api(patient, slug: str) -> str:
    return f"/api/v1/patients/{patient}/{slug}"


def capecitabine(**change) -> dict:
    return {"name": "Capecitabine", "purpose": "anticancer", "dose_value": 1500, "dose_unit": "mg",
            "schedule": "cycle", "cycle_days_on": 14, "cycle_days_off": 7, **change}


def palbociclib(**change) -> dict:
    return {"name": "Palbociclib", "purpose": "anticancer", "dose_value": 125, "dose_unit": "mg",
            "schedule": "cycle", "cycle_days_on": 21, "cycle_days_off": 7, **change}


def daily(name: str, purpose: str = "anticancer", **change) -> dict:
    return {"name": name, "purpose": purpose, "schedule": "daily", **change}


@pytest.fixture
def team(client_for, world):
    """The nurse of patient A, with a 24-hour line on A's record. A's only treatment course is
    anastrozole (hormone treatment), so without a medicine a fever is amber, as before."""
    nurse = client_for(world.nurse)
    assert nurse.post(api(world.patient_a, "contact-points"), json=ACUTE).status_code == 201
    return nurse


def fever_level(client, world) -> str:
    response = client.post(api(world.patient_a, "check-ins"), json={"temperature_c": 38.3})
    assert response.status_code == 201, response.text
    return response.json()["whom_to_call"]["level"]


# --- The fever rule reads the medicine list --------------------------------------------------------

@pytest.mark.parametrize("case, medicine, cycle_day, level", [
    ("capecitabine day 3, on", capecitabine(start_date="2026-11-23"), 3, "red"),
    ("capecitabine day 18, the off-week", capecitabine(start_date="2026-11-08"), 18, "red"),
    ("capecitabine stopped 30 days ago", capecitabine(start_date="2026-09-01", stop_date="2026-10-26"), None, "red"),
    ("capecitabine stopped 42 days ago, the window's last day", capecitabine(start_date="2026-09-01",
                                                                             stop_date="2026-10-14"), None, "red"),
    ("capecitabine stopped 43 days ago", capecitabine(start_date="2026-09-01", stop_date="2026-10-13"), None, "amber"),
    ("capecitabine stopped 50 days ago", capecitabine(start_date="2026-09-01", stop_date="2026-10-06"), None, "amber"),
    ("capecitabine to start next week", capecitabine(start_date="2026-12-02"), None, "amber"),
    ("palbociclib day 22, the off-week", palbociclib(start_date="2026-10-07"), 22, "red"),
    ("palbociclib by its brand name", palbociclib(name="Ibrance", start_date="2026-10-07"), 22, "red"),
    ("olaparib every day, start not known", daily("Olaparib", dose_value=300, dose_unit="mg"), None, "red"),
    ("a medicine named only by its code", daily("Tablets from the hospital", code_system=
                                                "http://www.nlm.nih.gov/research/umls/rxnorm", code="1601374",
                                                code_display="palbociclib 125 MG Oral Capsule",
                                                start_date="2026-11-01"), None, "red"),
    ("letrozole alone: not lowering white cells", daily("Letrozole", dose_value=2.5, dose_unit="mg",
                                                        start_date="2026-01-05"), None, "amber"),
    ("a supportive medicine", daily("Ondansetron", "supportive", start_date="2026-11-20"), None, "amber"),
])
def test_a_fever_is_red_while_a_medicine_lowering_white_cells_is_taken_and_for_42_days_after(
        client_for, world, team, case, medicine, cycle_day, level):
    assert Medication.model_validate(medicine).cycle_day(TODAY) == cycle_day  # the case is what it says
    assert team.post(api(world.patient_a, "medicines"), json=medicine).status_code == 201
    alice = client_for(world.alice)
    assert fever_level(alice, world) == level, case
    asked = "feeling_unwell_on_chemo" in alice.get(f"/patients/{world.patient_a}/check-in").text
    assert asked is (level == "red")


def test_a_course_naming_a_cdk46_inhibitor_counts_whatever_its_type(client_for, world, team):
    """Before, only chemotherapy and antibody-drug conjugate courses counted: 'Letrozole and
    palbociclib' recorded as targeted therapy left a fever amber."""
    alice = client_for(world.alice)
    assert fever_level(alice, world) == "amber"
    assert team.post(api(world.patient_a, "treatment-courses"), json={
        "modality": "targeted", "name": "Letrozole and palbociclib", "start_date": "2026-10-01"}).status_code == 201
    assert fever_level(alice, world) == "red"


def test_a_chemotherapy_course_still_counts_with_no_medicine_on_the_list(client_for, world, team):
    assert team.post(api(world.patient_a, "treatment-courses"), json={
        "modality": "chemotherapy", "name": "Paclitaxel weekly", "start_date": "2026-11-01"}).status_code == 201
    assert fever_level(client_for(world.alice), world) == "red"


# --- Who may read and write them ----------------------------------------------------------------------

@pytest.mark.parametrize("slug, body", [
    ("medicines", palbociclib(start_date="2026-10-07")),
    ("allergies", {"substance": "Penicillin", "reaction": "Rash", "severity": "moderate"}),
])
def test_the_team_writes_medicines_and_allergies_and_she_and_her_carer_only_read_them(client_for, world, team,
                                                                                      slug, body):
    created = team.post(api(world.patient_a, slug), json=body)
    assert created.status_code == 201, created.text
    entry = created.json()
    for reader in (client_for(world.alice), client_for(world.carer)):
        listed = reader.get(api(world.patient_a, slug))
        assert listed.status_code == 200 and [e["id"] for e in listed.json()] == [entry["id"]]
        assert reader.post(api(world.patient_a, slug), json=body).status_code == 403
        assert reader.put(f"{api(world.patient_a, slug)}/{entry['id']}",
                          json={**body, "version": entry["version"]}).status_code == 403
        assert reader.delete(f"{api(world.patient_a, slug)}/{entry['id']}",
                             params={"version": entry["version"]}).status_code == 403
    bella = client_for(world.bella)
    assert bella.get(api(world.patient_a, slug)).status_code == 404
    assert bella.get(f"{api(world.patient_a, slug)}/{entry['id']}").status_code == 404


def test_a_medicine_belongs_to_a_course_of_her_own_and_keeps_the_course_from_being_deleted(world, team):
    other = team.post(api(world.patient_a, "medicines"), json=palbociclib(start_date="2026-10-07", course_id=str(world.course_b)))
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "course_id"
    linked = team.post(api(world.patient_a, "medicines"), json=palbociclib(start_date="2026-10-07", course_id=str(world.course_a)))
    assert linked.status_code == 201, linked.text
    course = team.get(f"{api(world.patient_a, 'treatment-courses')}/{world.course_a}").json()
    refused = team.delete(f"{api(world.patient_a, 'treatment-courses')}/{world.course_a}",
                          params={"version": course["version"]})
    assert refused.status_code == 422 and "medicines" in refused.text


def test_a_bad_medicine_is_a_problem_naming_its_field_and_nothing_is_saved(world, team):
    response = team.post(api(world.patient_a, "medicines"),
                         json=capecitabine(start_date="2026-11-08", stop_date="2026-11-01"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "stop_date", "message": "The stop date cannot be before the start date"}]
    assert team.get(api(world.patient_a, "medicines")).json() == []


# --- FHIR: MedicationStatement and AllergyIntolerance, there and back ----------------------------------

def test_medicines_and_allergies_go_out_as_fhir_and_come_back_exactly(database_url, empty_database_url, world,
                                                                      client_for, tmp_path):
    nurse = client_for(world.nurse)
    dmd = a_uk_extension_code()
    for body in (palbociclib(start_date="2026-10-07", code_system="https://dmd.nhs.uk", code=dmd,
                             code_display="Palbociclib 125mg capsules", course_id=str(world.course_a),
                             prescribed_by="Dr Ada Example", notes="With food"),
                 daily("Denosumab", "supportive", schedule="every_n_days", every_n_days=28, route="subcutaneous",
                       dose_value=120, dose_unit="mg", start_date="2025-02-01"),
                 daily("Ondansetron", "supportive", schedule="as_needed", dose_value=8, dose_unit="mg",
                       start_date="2026-10-07", stop_date="2026-11-01"),
                 daily("Letrozole", schedule="weekly", dose_value=1, dose_unit="tablets")):
        assert nurse.post(api(world.patient_a, "medicines"), json=body).status_code == 201
    for body in ({"substance": "Penicillin", "code_system": "http://snomed.info/sct", "code": "764146007",
                  "reaction": "Rash and swollen lips", "severity": "severe", "criticality": "high"},
                 {"substance": "Plasters", "category": "environment", "kind": "intolerance", "severity": "mild",
                  "status": "inactive", "recorded_on": "2025-03-01"}):
        assert nurse.post(api(world.patient_a, "allergies"), json=body).status_code == 201
    exported = tmp_path / "bundle.json"
    assert run_cli(database_url, "fhir", "export", str(world.patient_a), "--out", str(exported)).returncode == 0
    first = json.loads(exported.read_text())
    resources = [e["resource"] for e in first["entry"]]
    statements = [r for r in resources if r["resourceType"] == "MedicationStatement"]
    allergies = [r for r in resources if r["resourceType"] == "AllergyIntolerance"]
    assert len(statements) == 4 and len(allergies) == 2
    coded = next(s for s in statements if s["medicationCodeableConcept"]["text"] == "Palbociclib")
    assert coded["medicationCodeableConcept"]["coding"] == [
        {"system": "https://dmd.nhs.uk", "code": dmd, "display": "Palbociclib 125mg capsules"}]
    assert coded["basedOn"] == [{"reference": f"urn:uuid:{world.course_a}"}]
    assert run_cli(empty_database_url, "fhir", "import", str(exported), "--team", "Imported").returncode == 0
    again = run_cli(empty_database_url, "fhir", "export", str(world.patient_a))
    assert again.returncode == 0, again.stderr
    assert [e["resource"] for e in json.loads(again.stdout)["entry"]] == resources


# --- Shown to the team, and to her ----------------------------------------------------------------------

def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_record_her_home_the_timeline_and_the_clinic_summary_show_medicines_and_allergies(client_for, world, team):
    from .test_planning import pdf_text

    assert team.post(api(world.patient_a, "medicines"), json=palbociclib(start_date="2026-10-07")).status_code == 201
    assert team.post(api(world.patient_a, "medicines"), json=daily("Ondansetron", "supportive", start_date="2026-10-07",
                                                                   stop_date="2026-10-20")).status_code == 201
    assert team.post(api(world.patient_a, "allergies"), json={
        "substance": "Penicillin", "reaction": "Swollen lips", "severity": "severe", "criticality": "high"}).status_code == 201
    assert team.post(api(world.patient_a, "allergies"), json={"substance": "Latex", "status": "resolved"}).status_code == 201
    record = text_of(team.get(f"/patients/{world.patient_a}").text)
    alice = client_for(world.alice)
    home = text_of(alice.get(f"/patients/{world.patient_a}").text)
    for page in (record, home):
        assert "Palbociclib 125 mg, 21 days on, 7 days off" in page
        assert "Penicillin : allergy (Swollen lips), severe reaction. High risk (could be life-threatening)" in page
        assert "Ondansetron" not in page and "Latex" not in page  # stopped, and no longer a concern
    listing = alice.get(f"/patients/{world.patient_a}/record/medicines").text
    assert "Palbociclib" in listing and f"/patients/{world.patient_a}/record/medicines/new" not in listing  # she only reads
    timeline = text_of(team.get(f"/patients/{world.patient_a}/timeline", params={"span": "all"}).text)
    assert "Started Palbociclib 125 mg" in timeline and "Stopped Ondansetron" in timeline
    summary = pdf_text(team.get(f"/patients/{world.patient_a}/clinic-summary.pdf").content)
    assert "Allergies and intolerances: Penicillin (allergy, Swollen lips, severe reaction, high risk)." in summary
    assert "Medicines: Palbociclib 125 mg, 21 days on, 7 days off, since 7 October 2026." in summary
