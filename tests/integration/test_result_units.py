"""Issue 12 item 3, through the HTTP app and the database: results are kept in the canonical UCUM
unit and the catalogue's name whatever spelling was typed; a unit a test or marker is not
reported in, and a test Alongside does not know, are refused naming the field; entries saved
before this (unit as typed) read, chart and export canonically."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import func, select

from alongside.domain.records import RECORD_KINDS, LabResult
from alongside.fhir import codes
from alongside.store import tables as t

from .conftest import NOW
from .test_pages import csrf_of, page_sign_in
from .test_planning import pdf_text

TODAY = NOW.date()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def url(world, slug: str = "lab-results") -> str:
    return f"/api/v1/patients/{world.patient_a}/{slug}"


def rows(engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def problem_fields(response) -> dict[str, str]:
    body = response.json()
    return {e["field"]: e["message"] for e in body.get("errors", [])} or {body.get("field"): body["detail"]}


def test_neutrophils_0_4_in_x10_9_per_l_are_stored_in_ucum_graded_4_and_alert_red(world, client_for, engine):
    nurse = client_for(world.nurse)
    response = nurse.post(url(world), json={"taken_on": ago(1), "test": "neutrophils", "value": 0.4,
                                            "unit": "x10^9/L", "reference_low": 2.0, "reference_high": 7.5})
    assert response.status_code == 201, response.text
    assert (response.json()["test"], response.json()["unit"]) == ("Neutrophils", "10*9/L")
    with engine.connect() as connection:
        stored = connection.execute(select(t.LabResultRow.test, t.LabResultRow.unit, t.LabResultRow.value)
                                    .where(t.LabResultRow.id == UUID(response.json()["id"]))).one()
    assert tuple(stored) == ("Neutrophils", "10*9/L", 0.4)
    alerts = [a for a in nurse.get("/api/v1/alerts").json() if a["rule"] == "lab"]
    assert [(a["level"], a["values"]["grade"], a["values"]["unit"]) for a in alerts] == [("red", 4, "10*9/L")]


@pytest.mark.parametrize("unit", ["x10^9/L", "x10*9/L", "10^9/l", "\u00d710\u2079/L", "10*9/L"])
def test_every_spelling_of_a_count_is_kept_as_10_9_per_l(world, client_for, unit):
    nurse = client_for(world.nurse)
    response = nurse.post(url(world), json={"taken_on": ago(3), "test": "Platelets", "value": 210, "unit": unit})
    assert response.status_code == 201, response.text
    assert response.json()["unit"] == "10*9/L" and response.json()["value"] == 210


@pytest.mark.parametrize("test, value, unit, canonical, expected", [
    ("Creatinine", 1.0, "mg/dL", "umol/L", 88.4),
    ("Bilirubin", 17.1, "\u00b5mol/L", "umol/L", 17.1),
    ("Bilirubin", 17.1, "\u03bcmol/L", "umol/L", 17.1),
    ("Albumin", 38, "g/l", "g/L", 38),
    ("Sodium", 138, "mEq/L", "mmol/L", 138),
])
def test_other_units_are_converted_to_the_tests_canonical_unit(world, client_for, test, value, unit, canonical,
                                                                expected):
    response = client_for(world.nurse).post(url(world), json={"taken_on": ago(3), "test": test, "value": value,
                                                              "unit": unit})
    assert response.status_code == 201, response.text
    assert response.json()["unit"] == canonical
    assert response.json()["value"] == pytest.approx(expected, rel=1e-3)


def test_two_spellings_of_one_test_draw_one_series_in_the_clinic_summary(world, client_for):
    nurse = client_for(world.nurse)
    for days, unit in ((20, "x10^9/L"), (10, "10*9/L"), (2, "\u00d710\u2079/L")):
        assert nurse.post(url(world), json={"taken_on": ago(days), "test": "Neutrophils", "value": 1.8,
                                            "unit": unit}).status_code == 201
    text = pdf_text(nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf").content)
    assert text.count("Neutrophils (") == 1
    assert "Neutrophils (10*9/L)" in text


def test_a_result_saved_with_its_unit_as_typed_reads_charts_and_exports_canonically(world, client_for, new_uow):
    """Entries written before units were kept canonical hold the unit and name as typed."""
    with new_uow() as uow:
        uow.records.add_many(world.patient_a, RECORD_KINDS["lab-results"], [
            LabResult.model_construct(taken_on=TODAY - timedelta(days=30), test="ANC", loinc=None, value=1.9,
                                      unit="x10^9/L", reference_low=None, reference_high=None, laboratory=None),
            LabResult.model_construct(taken_on=TODAY - timedelta(days=29), test="Haemoglobin", loinc=None,
                                      value=11.8, unit="g/dl", reference_low=11.5, reference_high=16.5,
                                      laboratory=None)])
        uow.commit()
    nurse = client_for(world.nurse)
    entries = nurse.get(url(world)).json()
    old = {e["test"]: (e["value"], e["unit"], e["reference_low"]) for e in entries if e["taken_on"] in (ago(30), ago(29))}
    assert old == {"Neutrophils": (1.9, "10*9/L", None), "Haemoglobin": (118.0, "g/L", 115.0)}
    text = pdf_text(nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf").content)
    assert text.count("Neutrophils (") == 1 and "x10^9/L" not in text
    bundle = nurse.get(f"/fhir/r4/Observation?patient={world.patient_a}").json()
    quantities = [e["resource"]["valueQuantity"] for e in bundle["entry"]
                  if e["resource"].get("code", {}).get("text") == "Neutrophils"]
    assert quantities and all(q["system"] == codes.UCUM and q["code"] == "10*9/L" for q in quantities)


def test_the_fhir_export_carries_the_ucum_system_and_code(world, client_for):
    nurse = client_for(world.nurse)
    assert nurse.post(url(world), json={"taken_on": ago(1), "test": "Neutrophils", "value": 0.4,
                                        "unit": "x10^9/L", "reference_low": 2.0}).status_code == 201
    assert nurse.post(url(world, "tumour-markers"), json={"taken_on": ago(1), "marker": "cea", "value": 6.1,
                                                           "unit": "ng/mL"}).status_code == 201
    bundle = nurse.get(f"/fhir/r4/Observation?patient={world.patient_a}").json()
    observations = [e["resource"] for e in bundle["entry"] if e["resource"].get("valueQuantity")]
    neutrophils = [o for o in observations if o["code"].get("text") == "Neutrophils" and
                   o["valueQuantity"]["value"] == 0.4]
    assert [o["valueQuantity"] for o in neutrophils] == [
        {"value": 0.4, "unit": "10*9/L", "system": codes.UCUM, "code": "10*9/L"}]
    assert neutrophils[0]["referenceRange"][0]["low"] == {"value": 2.0, "unit": "10*9/L", "system": codes.UCUM,
                                                          "code": "10*9/L"}
    cea = [o for o in observations if o["code"].get("text") == "CEA"]
    assert [o["valueQuantity"] for o in cea] == [{"value": 6.1, "unit": "ug/L", "system": codes.UCUM, "code": "ug/L"}]


def test_cea_in_mg_per_dl_is_refused_with_the_units_it_accepts(world, client_for, engine):
    nurse = client_for(world.nurse)
    before = rows(engine, t.TumourMarkerResultRow)
    response = nurse.post(url(world, "tumour-markers"), json={"taken_on": ago(1), "marker": "cea", "value": 5,
                                                               "unit": "mg/dL"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    message = problem_fields(response)["unit"]
    assert "mg/dL" in message and "CEA" in message and "ug/L, ng/mL" in message
    assert rows(engine, t.TumourMarkerResultRow) == before


@pytest.mark.parametrize("marker, unit, value, kept", [
    ("cea", "ng/mL", 4.2, ("ug/L", 4.2)), ("cea", "\u00b5g/L", 4.2, ("ug/L", 4.2)), ("cea", None, 4.2, ("ug/L", 4.2)),
    ("ca15_3", "kU/L", 31, ("U/mL", 31)), ("ca15_3", None, 31, ("U/mL", 31)),
])
def test_a_marker_is_kept_in_its_own_unit(world, client_for, marker, unit, value, kept):
    body = {"taken_on": ago(1), "marker": marker, "value": value} | ({"unit": unit} if unit else {})
    response = client_for(world.nurse).post(url(world, "tumour-markers"), json=body)
    assert response.status_code == 201, response.text
    assert (response.json()["unit"], response.json()["value"]) == kept


def test_ca15_3_in_a_unit_it_is_not_reported_in_is_refused(world, client_for):
    response = client_for(world.nurse).post(url(world, "tumour-markers"), json={
        "taken_on": ago(1), "marker": "ca15_3", "value": 40, "unit": "ng/mL"})
    assert response.status_code == 422
    assert "U/mL, kU/L" in problem_fields(response)["unit"]


def test_a_blood_test_alongside_does_not_know_is_refused_naming_the_field(world, client_for, engine):
    nurse = client_for(world.nurse)
    before = rows(engine, t.LabResultRow)
    response = nurse.post(url(world), json={"taken_on": ago(1), "test": "Magic", "value": 3, "unit": "g/L"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    message = problem_fields(response)["test"]
    assert "'Magic' is not a blood test Alongside knows" in message and "Neutrophils" in message
    assert rows(engine, t.LabResultRow) == before


def test_the_form_refuses_magic_and_keeps_what_was_typed(make_client, engine, world):
    client = make_client()
    page_sign_in(client, world.nurse)
    form = client.get(f"/patients/{world.patient_a}/record/lab-results/new")
    before = rows(engine, t.LabResultRow)
    response = client.post(f"/patients/{world.patient_a}/record/lab-results/new",
                           data={"csrf_token": csrf_of(form.text), "taken_on": "2026-01-05", "test": "Magic",
                                 "unit": "g/L", "value": "3"})
    assert response.status_code == 422
    assert "is not a blood test Alongside knows" in response.text and 'value="Magic"' in response.text
    assert rows(engine, t.LabResultRow) == before


def test_a_csv_row_with_an_unknown_test_or_unaccepted_unit_imports_nothing_and_names_the_row(world, client_for,
                                                                                              engine):
    nurse = client_for(world.nurse)
    before = rows(engine, t.LabResultRow)
    csv = ("taken_on,test,value,unit\n"
           f"{ago(3)},Neutrophils,1.1,x10^9/L\n"
           f"{ago(3)},Magic,3,g/L\n"
           f"{ago(3)},Haemoglobin,120,mg/dL\n")
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results/import", content=csv,
                          headers={"content-type": "text/csv"})
    assert response.status_code == 422, response.text
    fields = problem_fields(response)
    assert "is not a blood test" in fields["row 3.test"] and "Units accepted: g/L, g/dL, mmol/L" in fields["row 4.unit"]
    assert rows(engine, t.LabResultRow) == before


def test_a_csv_import_keeps_canonical_units_and_a_second_import_in_another_spelling_adds_nothing(world, client_for):
    nurse = client_for(world.nurse)
    first = f"taken_on,test,value,unit\n{ago(3)},ANC,1.1,x10^9/L\n{ago(3)},Potassium,4.2,mEq/L\n"
    again = f"taken_on,test,value,unit\n{ago(3)},Neutrophils,1.1,10*9/L\n{ago(3)},K,4.2,mmol/l\n"
    endpoint = f"/api/v1/patients/{world.patient_a}/lab-results/import"
    assert nurse.post(endpoint, content=first, headers={"content-type": "text/csv"}).json()["added"] == 2
    second = nurse.post(endpoint, content=again, headers={"content-type": "text/csv"}).json()
    assert (second["added"], second["already_there"]) == (0, 2)
    kept = {(e["test"], e["unit"]) for e in nurse.get(url(world)).json() if e["taken_on"] == ago(3)}
    assert kept == {("Neutrophils", "10*9/L"), ("Potassium", "mmol/L")}


def test_low_sodium_is_graded_and_a_grade_3_alerts(world, client_for):
    nurse = client_for(world.nurse)
    assert nurse.post(url(world), json={"taken_on": ago(1), "test": "Sodium", "value": 122, "unit": "mmol/L",
                                        "reference_low": 133, "reference_high": 146}).status_code == 201
    alerts = [a for a in nurse.get("/api/v1/alerts").json() if a["rule"] == "lab"]
    assert [(a["item"], a["values"]["grade"], a["values"]["term"]) for a in alerts] == [("sodium", 3, "Hyponatremia")]


def test_glucose_is_kept_and_shown_not_graded_with_the_reason(world, client_for):
    nurse = client_for(world.nurse)
    assert nurse.post(url(world), json={"taken_on": ago(1), "test": "Glucose", "value": 360, "unit": "mg/dL",
                                        "reference_low": 63, "reference_high": 140}).status_code == 201
    story = nurse.get(f"/api/v1/patients/{world.patient_a}/timeline", params={"labs": "glucose"}).json()
    series = story["labs"][0]
    assert (series["key"], series["unit"], round(series["readings"][0]["value"], 1)) == ("glucose", "mmol/L", 20.0)
    assert series["readings"][0]["grade"] is None and round(series["readings"][0]["high"], 1) == 7.8
    assert "grades high blood sugar by the treatment it needs" in series["not_graded"]
    assert not [a for a in nurse.get("/api/v1/alerts").json() if a["rule"] == "lab"]
