"""Dates checked against the person's life on every way in: nothing before her birth (a tumour
marker dated 1900 once stretched every chart to 1900), and nothing more than a year before her
first diagnosis unless confirmed (records.LifeDates, docs/clinical-rules.md)."""

from __future__ import annotations

import json
import re
from uuid import uuid4

import pytest

from sqlalchemy import func, select

from alongside.domain.records import RECORD_KINDS, LabResult, Scan, TumourMarkerResult
from alongside.store import tables as t

from .test_results import HEADER, csv_of, problem_fields

BORN = "1970-05-17"  # the factory's date of birth
DIAGNOSED = "2021-03-10"


def marker(taken_on: str, value: float = 31.0, **more) -> dict:
    return {"taken_on": taken_on, "marker": "ca15_3", "value": value, "unit": "U/mL", **more}


def markers_of(engine, patient_id) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(t.TumourMarkerResultRow)
                                 .where(t.TumourMarkerResultRow.patient_id == patient_id))


def diagnosed(nurse, patient_id, on: str = DIAGNOSED) -> None:
    profile = nurse.get(f"/api/v1/patients/{patient_id}").json()["cancer_profile"]
    response = nurse.put(f"/api/v1/patients/{patient_id}/cancer-profile",
                         json={**profile, "primary_diagnosis_date": on})
    assert response.status_code == 200, response.text


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# --- The JSON API ------------------------------------------------------------------------------------

def test_api_a_marker_dated_1900_is_refused_naming_its_date_field(world, client_for, engine):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/tumour-markers", json=marker("1900-01-01"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == "taken_on"
    assert "before the date of birth on this record (17 May 1970)" in problem_fields(response)["taken_on"]
    assert "confirm_with" not in body  # a date before birth cannot be confirmed
    confirmed = nurse.post(f"/api/v1/patients/{world.patient_a}/tumour-markers",
                           json=marker("1900-01-01", confirm_early_date=True))
    assert confirmed.status_code == 422
    assert markers_of(engine, world.patient_a) == 0


def test_api_every_dated_kind_is_checked_even_a_treatment_which_may_start_in_the_future(world, client_for):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    course = nurse.post(f"{url}/treatment-courses", json={"modality": "endocrine", "name": "Letrozole",
                                                          "start_date": "1969-01-01"})
    assert course.status_code == 422 and "date of birth" in problem_fields(course)["start_date"]
    visit = nurse.post(f"{url}/appointments", json={"starts_at": "1950-03-01T10:00:00+00:00", "kind": "oncology_clinic"})
    assert visit.status_code == 422 and "starts_at" in problem_fields(visit)
    profile = nurse.get(url).json()["cancer_profile"]
    early_diagnosis = nurse.put(f"{url}/cancer-profile", json={**profile, "primary_diagnosis_date": "1965-01-01"})
    assert early_diagnosis.status_code == 422 and "primary_diagnosis_date" in problem_fields(early_diagnosis)


def test_api_an_entry_years_before_the_diagnosis_needs_confirming_and_then_is_kept(world, client_for, engine):
    nurse = client_for(world.nurse)
    diagnosed(nurse, world.patient_a)
    url = f"/api/v1/patients/{world.patient_a}/tumour-markers"
    refused = nurse.post(url, json=marker("2017-06-01"))
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "taken_on" and body["confirm_with"] == "confirm_early_date"
    assert "more than a year before the first diagnosis on this record (10 March 2021)" in body["detail"]
    assert markers_of(engine, world.patient_a) == 0
    kept = nurse.post(url, json=marker("2017-06-01", confirm_early_date=True))
    assert kept.status_code == 201, kept.text
    assert "confirm_early_date" not in kept.json()  # a flag of the request, not a field of the record
    # Changing something else later does not ask again: the date was confirmed when it was saved.
    entry = kept.json()
    fields = {k: v for k, v in entry.items() if k not in ("id", "patient_id", "created_at", "updated_at")}
    assert nurse.put(f"{url}/{entry['id']}", json={**fields, "value": 33.0}).status_code == 200


def test_api_an_entry_after_birth_and_after_the_diagnosis_or_shortly_before_it_is_accepted(world, client_for):
    nurse = client_for(world.nurse)
    diagnosed(nurse, world.patient_a)
    url = f"/api/v1/patients/{world.patient_a}"
    assert nurse.post(f"{url}/tumour-markers", json=marker("2024-02-01")).status_code == 201
    # Imaging leading up to the diagnosis, within the year's margin.
    assert nurse.post(f"{url}/scans", json={"performed_on": "2020-11-20", "modality": "ultrasound"}).status_code == 201


# --- The HTML forms ------------------------------------------------------------------------------------

def test_form_a_date_before_birth_comes_back_with_the_message_and_what_was_typed(world, client_for, engine):
    nurse = client_for(world.nurse)
    page = nurse.get(f"/patients/{world.patient_a}/record/tumour-markers/new")
    response = nurse.post(f"/patients/{world.patient_a}/record/tumour-markers/new",
                          data={"csrf_token": csrf_of(page.text), "taken_on": "1900-06-01", "marker": "ca15_3",
                                "value": "31", "unit": "U/mL", "laboratory": "City Lab"})
    assert response.status_code == 422
    assert "This date is before the date of birth on this record (17 May 1970)" in response.text
    assert 'value="1900-06-01"' in response.text and 'value="City Lab"' in response.text
    assert 'name="confirm_early_date"' not in response.text  # nothing to confirm: it cannot be right
    assert markers_of(engine, world.patient_a) == 0


def test_form_an_early_date_is_offered_a_confirm_box_and_saved_once_ticked(world, client_for, engine):
    nurse = client_for(world.nurse)
    diagnosed(nurse, world.patient_a)
    url = f"/patients/{world.patient_a}/record/tumour-markers/new"
    page = nurse.get(url)
    typed = {"csrf_token": csrf_of(page.text), "taken_on": "2018-02-01", "marker": "ca15_3", "value": "31",
             "unit": "U/mL", "assay": "Roche Elecsys"}
    first = nurse.post(url, data=typed)
    assert first.status_code == 422
    assert "more than a year before the first diagnosis on this record (10 March 2021)" in first.text
    assert 'name="confirm_early_date"' in first.text and "Yes, this date is right" in first.text
    assert 'value="2018-02-01"' in first.text and 'value="Roche Elecsys"' in first.text
    assert markers_of(engine, world.patient_a) == 0
    form_id = re.search(r'name="form_id" value="([^"]+)"', first.text).group(1)
    second = nurse.post(url, data={**typed, "form_id": form_id, "confirm_early_date": "on"})
    assert second.status_code == 303, second.text
    assert markers_of(engine, world.patient_a) == 1


# --- Imports ----------------------------------------------------------------------------------------

def test_csv_a_row_before_birth_is_named_with_its_reason_and_nothing_is_imported(world, client_for, engine):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}/lab-results/import"
    body = csv_of("2025-09-01,Neutrophils,3.1,10*9/L,,,,", "1900-01-01,Neutrophils,2.9,10*9/L,,,,")
    response = nurse.post(url, content=body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    assert "date of birth" in problem_fields(response)["row 3.taken_on"]
    assert nurse.post(url, params={"confirm_early_dates": "true"}, content=body,
                      headers={"Content-Type": "text/csv"}).status_code == 422  # cannot be confirmed
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(t.LabResultRow)
                                 .where(t.LabResultRow.patient_id == world.patient_a)) == 0


def test_csv_rows_years_before_the_diagnosis_go_in_only_when_confirmed(world, client_for):
    nurse = client_for(world.nurse)
    diagnosed(nurse, world.patient_a)
    url = f"/api/v1/patients/{world.patient_a}/lab-results/import"
    body = HEADER + "2016-04-01,Neutrophils,3.1,10*9/L,,,,\n"
    refused = nurse.post(url, content=body, headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422 and refused.json()["confirm_with"] == "confirm_early_dates"
    assert "first diagnosis" in problem_fields(refused)["row 2.taken_on"]
    kept = nurse.post(url, params={"confirm_early_dates": "true"}, content=body, headers={"Content-Type": "text/csv"})
    assert kept.status_code == 200 and kept.json()["added"] == 1


def test_csv_page_names_the_row_and_offers_to_confirm(world, client_for):
    nurse = client_for(world.nurse)
    diagnosed(nurse, world.patient_a)
    page = nurse.get(f"/patients/{world.patient_a}/lab-results/import")
    body = csv_of("2016-04-01,Neutrophils,3.1,10*9/L,,,,").encode()
    response = nurse.post(f"/patients/{world.patient_a}/lab-results/import", data={"csrf_token": csrf_of(page.text)},
                          files={"file": ("bloods.csv", body, "text/csv")})
    assert response.status_code == 422
    assert "Row 2, taken_on" in response.text and "first diagnosis" in response.text
    assert 'name="confirm_early_dates"' in response.text
    done = nurse.post(f"/patients/{world.patient_a}/lab-results/import",
                      data={"csrf_token": csrf_of(page.text), "confirm_early_dates": "on"},
                      files={"file": ("bloods.csv", body, "text/csv")})
    assert done.status_code == 303


def test_fhir_an_observation_before_birth_is_refused_and_nothing_written(world, client_for, engine):
    nurse = client_for(world.nurse)
    observation = {"resourceType": "Observation", "id": "old-neut", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "751-8"}], "text": "Neutrophils"},
                   "effectiveDateTime": "1901-02-03",
                   "valueQuantity": {"value": 3.1, "unit": "10*9/L", "system": "http://unitsofmeasure.org",
                                     "code": "10*9/L"}}
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results/import", content=json.dumps(observation),
                          headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 422, response.text
    assert "date of birth" in json.dumps(response.json())
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(t.LabResultRow)
                                 .where(t.LabResultRow.patient_id == world.patient_a)) == 0


# --- Old data: a wild date already stored is flagged where the entries are listed --------------------------

STORED_BEFORE_BIRTH = {
    "tumour-markers": lambda: TumourMarkerResult.model_validate(marker("1900-01-01")),
    "scans": lambda: Scan.model_validate({"performed_on": "1900-01-01", "modality": "ultrasound"}),
    "lab-results": lambda: LabResult.model_validate({"taken_on": "1900-01-01", "test": "Haemoglobin", "loinc": "718-7",
                                                     "value": 120, "unit": "g/L"}),
}


@pytest.mark.parametrize("slug", sorted(STORED_BEFORE_BIRTH))
@pytest.mark.parametrize("reader", ["alice", "nurse"])
def test_a_stored_result_dated_before_birth_is_flagged_for_whoever_reads_the_list(world, client_for, new_uow,
                                                                                  slug, reader):
    """The patient cannot change a result, so the flag is not tied to the change link (it once was,
    and she never saw it)."""
    with new_uow() as uow:  # as saved before these checks existed
        uow.records.add(world.patient_a, RECORD_KINDS[slug], STORED_BEFORE_BIRTH[slug](), uuid4())
        uow.commit()
    page = client_for(getattr(world, reader)).get(f"/patients/{world.patient_a}/record/{slug}")
    assert page.status_code == 200
    assert page.text.count("Date before the date of birth on this record") == 1


def test_a_record_moved_in_with_an_entry_before_birth_is_refused_and_early_ones_kept(new_uow, world):
    from alongside.domain.errors import InvalidInput
    from alongside.domain.people import SYSTEM
    from alongside.domain.transfer import export_record, import_record

    with new_uow() as uow:
        text = json.dumps(export_record(uow, SYSTEM, world.patient_b))
    for old in re.findall(r'"id": "([0-9a-f-]{36})"', text):  # a copy, beside the original
        text = text.replace(old, str(uuid4()))
    document = json.loads(text)
    document["patient"]["details"]["nhs_number"] = None
    document["patient"]["cancer_profile"]["primary_diagnosis_date"] = DIAGNOSED
    document["entries"]["tumour-markers"][0]["taken_on"] = "2015-01-01"  # confirmed where it was kept
    with new_uow() as uow:
        import_record(uow, SYSTEM, document)
        uow.rollback()
    document["entries"]["tumour-markers"][0]["taken_on"] = "1900-01-01"
    with new_uow() as uow:
        try:
            import_record(uow, SYSTEM, document)
        except InvalidInput as exc:
            assert exc.errors[0]["field"] == "entries.tumour-markers.0.taken_on"
        else:
            raise AssertionError("a marker dated before her birth was imported")
