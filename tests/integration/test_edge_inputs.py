"""Issue 13 item 7, through the HTTP app and the database: inputs at the edges of what Python and
the database can hold (datetimes whose UTC conversion overflows, offsets beyond a 64-bit integer,
JSON nested deeper than the parser's recursion, a body of the wrong media type or not UTF-8) are
refused as 422 problem+json naming the field, never a 500."""

from __future__ import annotations

import pytest

from .test_result_units import problem_fields

CALENDAR_ENDS = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]
DEEP = "[" * 100_000 + "]" * 100_000  # within the body size limit, far beyond json's recursion
NESTED = '{"resourceType": "Observation", "note": ' + "[" * 500 + "]" * 500 + "}"  # parses; still not FHIR


def assert_problem(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in problem_fields(response), response.json()


@pytest.mark.parametrize("starts_at", CALENDAR_ENDS)
def test_an_appointment_at_the_ends_of_the_calendar_is_refused_naming_starts_at(world, client_for, starts_at):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/appointments",
                          json={"starts_at": starts_at, "kind": "oncology_clinic"})
    assert_problem(response, "starts_at")


@pytest.mark.parametrize("submitted_at", CALENDAR_ENDS)
def test_a_check_in_at_the_ends_of_the_calendar_is_refused_naming_submitted_at(world, client_for, submitted_at):
    alice = client_for(world.alice)
    response = alice.post(f"/api/v1/patients/{world.patient_a}/check-ins",
                          json={"submitted_at": submitted_at, "burden": {"pain": 1}})
    assert_problem(response, "submitted_at")


@pytest.mark.parametrize("offset", [10**20, 2**63, -1])
def test_an_offset_beyond_any_list_is_refused_naming_offset(world, client_for, offset):
    nurse = client_for(world.nurse)
    assert_problem(nurse.get("/api/v1/patients", params={"offset": offset}), "offset")


@pytest.mark.parametrize("slug", ["appointments", "lab-results", "tumour-markers", "check-ins"])
def test_an_offset_beyond_any_list_on_a_patients_entries_is_ignored_or_refused(world, client_for, slug):
    nurse = client_for(world.nurse)
    response = nurse.get(f"/api/v1/patients/{world.patient_a}/{slug}", params={"offset": 10**20})
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize("content_type", ["application/fhir+json", "application/json"])
@pytest.mark.parametrize("body", [DEEP, NESTED], ids=["beyond-the-parser", "beyond-the-depth-limit"])
def test_deeply_nested_json_to_the_fhir_results_import_is_refused_naming_body(world, client_for, content_type, body):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results/import", content=body,
                          headers={"Content-Type": content_type})
    assert_problem(response, "body")


@pytest.mark.parametrize("body", ["taken_on=2025-01-09&test=Neutrophils&value=1.2&unit=10*9/L",
                                  "file=results.csv"])
def test_a_form_encoded_body_to_the_results_import_api_is_refused_naming_body(world, client_for, body):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results/import", content=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(response, "body")


@pytest.mark.parametrize("content_type", ["text/csv", "application/fhir+json"])
def test_a_body_that_is_not_utf_8_is_refused_naming_body(world, client_for, content_type):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results/import", content=b"\xff\xfe\xfa{",
                          headers={"Content-Type": content_type})
    assert_problem(response, "body")
