"""FHIR R4 / mCODE through the real app and database: export, import, round trip, REST."""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest

from alongside.demo import create_demo
from alongside.domain import services
from alongside.domain.errors import NotFound
from alongside.domain.people import SYSTEM
from alongside.fhir import codes
from alongside.fhir.export import export_bundle
from alongside.fhir.importer import import_bundle
from alongside.fhir.resources import validated

from .test_transfer_and_cli import empty_database_url, run_cli  # noqa: F401 (a fixture)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fhir" / "breast-cancer-example.json"
FHIR_JSON = "application/fhir+json"


def _without_ids_and_times(bundle: dict) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"]]


def _import(new_uow, document, **options):
    with new_uow() as uow:
        report = import_bundle(uow, SYSTEM, document, **options)
        if report.written:
            uow.commit()
    return report


def _fixture() -> dict:
    return json.loads(FIXTURE.read_text())


# --- Export, import, round trip -------------------------------------------------------------

def test_export_import_export_through_the_command_gives_the_same_bundle(database_url, empty_database_url, world,
                                                                         tmp_path):
    exported = tmp_path / "bundle.json"
    result = run_cli(database_url, "fhir", "export", str(world.patient_b), "--out", str(exported))
    assert result.returncode == 0, result.stderr
    first = json.loads(exported.read_text())
    assert first["resourceType"] == "Bundle" and len(first["entry"]) >= 15
    result = run_cli(empty_database_url, "fhir", "import", str(exported), "--team", "Imported")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["resourceType"] == "OperationOutcome"
    again = run_cli(empty_database_url, "fhir", "export", str(world.patient_b))
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert first["id"] != second["id"]
    assert _without_ids_and_times(second) == _without_ids_and_times(first)


def test_the_demo_export_validates_with_every_mcode_profile_set(new_uow):
    with new_uow() as uow:
        patient_id = create_demo(uow)
        uow.commit()
    with new_uow() as uow:
        bundle = export_bundle(uow, SYSTEM, patient_id)
    assert validated(bundle) == bundle  # the whole Bundle, through the fhir.resources R4B models
    profiled = {"Patient", "Condition", "MedicationRequest", "Procedure"}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        profiles = (resource.get("meta") or {}).get("profile", [])
        assert set(profiles) <= set(codes.PROFILE.values())
        if resource["resourceType"] in profiled:
            assert profiles, resource["id"]
        if resource["resourceType"] == "Observation" and not any(
                c.get("code") == "laboratory" for cat in resource["category"] for c in cat["coding"]):
            assert profiles, resource["id"]  # only plain laboratory results carry no mCODE profile
    used = {p for e in bundle["entry"] for p in (e["resource"].get("meta") or {}).get("profile", [])}
    assert {codes.PROFILE[n] for n in ("cancer-patient", "primary-cancer-condition", "secondary-cancer-condition",
                                       "tumor-marker-test", "ecog-performance-status",
                                       "cancer-related-medication-request")} <= used


def test_the_example_bundle_imports_into_a_new_record_the_clinician_then_reads(new_uow, world, as_user):
    report = _import(new_uow, _fixture(), team_id=world.team_id)
    assert report.written and not report.errors, report.issues
    page = as_user(world.nurse).get(f"/patients/{report.patient_id}")
    assert page.status_code == 200
    text = page.text
    assert "Rose Example" in text
    assert "Positive / Negative" in text  # ER / PR
    assert "HER2-low" in text
    assert "Bone" in text and "Liver" in text
    assert "Ribociclib" in text and "Letrozole" in text


def test_a_second_import_updates_instead_of_duplicating(new_uow, world):
    first = _import(new_uow, _fixture(), team_id=world.team_id)
    assert first.created == 11
    again = _import(new_uow, _fixture())
    assert (again.created, again.updated) == (0, 0) and again.unchanged == 10
    changed = _fixture()
    next(e["resource"] for e in changed["entry"] if e["resource"]["id"] == "rose-hb")["valueQuantity"]["value"] = 109
    third = _import(new_uow, changed)
    assert (third.created, third.updated) == (0, 1)
    with new_uow() as uow:
        labs = uow.records.everything(first.patient_id, ["lab-results"])["lab-results"]
    assert sorted(lab.data.value for lab in labs) == [1.6, 32, 109]


def test_importing_into_a_named_patient_goes_through_authorisation_and_audit(new_uow, world):
    document = _fixture()
    document["entry"] = [e for e in document["entry"] if e["resource"]["resourceType"] != "Patient"]
    report = _import(new_uow, document, patient_id=world.patient_a)
    assert report.written and not report.errors, report.issues
    with new_uow() as uow:
        patient = uow.patients.get(world.patient_a)
        events = uow.audit.for_patient(world.patient_a, 500)
    assert patient.details.given_name == "Alice"  # the named record keeps its person
    assert patient.profile.her2_status.value == "low"
    assert any(e.what == "metastases" and e.action == "write:granted" for e in events)


def test_all_or_nothing_writes_nothing_when_one_resource_is_bad(new_uow, world):
    document = _fixture()
    next(e["resource"] for e in document["entry"] if e["resource"]["id"] == "rose-alt")["valueQuantity"]["code"] = "furlongs"
    report = _import(new_uow, copy.deepcopy(document), team_id=world.team_id, all_or_nothing=True)
    assert not report.written and len(report.errors) == 1
    with new_uow() as uow:
        assert not uow.patients.exists(report.patient_id)
    report = _import(new_uow, document, team_id=world.team_id)
    assert report.written and report.created == 10
    outcome = report.outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    error = next(i for i in outcome["issue"] if i["severity"] == "error")
    assert "Observation/rose-alt" in error["diagnostics"] and error["expression"] == [
        "Bundle.entry[11].resource.valueQuantity.code"]


def test_a_patient_that_cannot_be_read_stops_the_import_and_an_unknown_patient_is_not_found(new_uow, world):
    document = _fixture()
    del document["entry"][0]["resource"]["birthDate"]
    report = _import(new_uow, document, team_id=world.team_id)
    assert not report.written
    assert any("Patient/rose-example" in i.diagnostics and i.expression.endswith("birthDate") for i in report.errors)
    with pytest.raises(NotFound):
        _import(new_uow, _fixture(), patient_id=uuid.uuid4())


def test_the_command_reports_bad_input_as_an_operation_outcome(database_url, world, tmp_path):
    not_json = tmp_path / "notes.txt"
    not_json.write_text("this is not FHIR")
    result = run_cli(database_url, "fhir", "import", str(not_json))
    assert result.returncode == 2 and json.loads(result.stdout)["issue"][0]["severity"] == "error"
    wrong = tmp_path / "observation.json"
    wrong.write_text(json.dumps({"resourceType": "Observation", "status": "final"}))
    result = run_cli(database_url, "fhir", "import", str(wrong))
    assert result.returncode == 2 and "not a FHIR Bundle" in result.stdout
    read_only = tmp_path / "from-the-hospital"
    read_only.mkdir()
    bundle = read_only / "bundle.json"
    shutil.copy(FIXTURE, bundle)
    read_only.chmod(0o555)  # nothing may be written beside the input (as root this is not enforced)
    aside = tmp_path / "aside.json"
    result = run_cli(database_url, "fhir", "import", str(bundle), "--team", "Team One", "--all-or-nothing",
                     "--set-aside", str(aside))
    read_only.chmod(0o755)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in read_only.iterdir()] == ["bundle.json"]
    kept = json.loads(aside.read_text())
    assert kept and all(item["reason"] and item["content"] for item in kept)
    warnings = [i for i in json.loads(result.stdout)["issue"] if i["code"] == "not-supported"]
    assert len(warnings) == len(kept)  # the report names each, with its reason, without the file too


# --- REST -------------------------------------------------------------------------------------

def test_metadata_is_a_capability_statement(make_client):
    response = make_client().get("/fhir/r4/metadata")
    assert response.status_code == 200 and response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    assert {r["type"] for r in body["rest"][0]["resource"]} == {"Patient", "Condition", "Observation",
                                                                 "MedicationRequest", "QuestionnaireResponse"}


def test_a_patient_reads_her_own_record_and_search_filters_by_date(as_user, world):
    bella = as_user(world.bella)
    patient = bella.get(f"/fhir/r4/Patient/{world.patient_b}")
    assert patient.status_code == 200 and patient.headers["content-type"].startswith(FHIR_JSON)
    assert patient.json()["name"][0]["family"] == "Baker"
    every = bella.get(f"/fhir/r4/Observation?patient={world.patient_b}").json()
    assert every["type"] == "searchset" and every["total"] >= 5
    days = sorted(e["resource"]["effectiveDateTime"][:10] for e in every["entry"] if e["resource"].get("effectiveDateTime"))
    middle = days[len(days) // 2]
    later = bella.get(f"/fhir/r4/Observation?patient=Patient/{world.patient_b}&date=ge{middle}").json()
    earlier = bella.get(f"/fhir/r4/Observation?patient={world.patient_b}&date=lt{middle}").json()
    assert later["total"] + earlier["total"] == len(days)
    assert all(e["resource"]["effectiveDateTime"][:10] >= middle for e in later["entry"])
    assert every["entry"][0]["fullUrl"].startswith("http://testserver/fhir/r4/Observation/")
    own = bella.get("/fhir/r4/MedicationRequest").json()  # a patient's search defaults to her own record
    assert own["total"] == 1 and own["entry"][0]["resource"]["subject"]["reference"] == f"Patient/{world.patient_b}"
    for kind in ("Condition", "QuestionnaireResponse"):
        assert bella.get(f"/fhir/r4/{kind}?patient={world.patient_b}").json()["total"] >= 1


def test_everything_is_an_importable_bundle_and_reads_are_audited(as_user, world, new_uow):
    nurse = as_user(world.nurse)
    response = nurse.get(f"/fhir/r4/Patient/{world.patient_b}/$everything")
    assert response.status_code == 200 and response.json()["type"] == "searchset"
    nurse.get(f"/fhir/r4/Observation?patient={world.patient_b}")
    with new_uow() as uow:
        events = uow.audit.for_patient(world.patient_b, 50)
    assert {"fhir:$everything", "fhir:Observation"} <= {e.what for e in events}


@pytest.mark.parametrize("who", ["alice", "carer", "stranger", "admin"])
def test_no_one_else_reads_her_fhir_data(as_user, world, who):
    client = as_user(getattr(world, who))
    urls = [f"/fhir/r4/Patient/{world.patient_b}", f"/fhir/r4/Patient/{world.patient_b}/$everything"] + \
           [f"/fhir/r4/{kind}?patient={world.patient_b}" for kind in
            ("Condition", "Observation", "MedicationRequest", "QuestionnaireResponse")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json()["resourceType"] == "OperationOutcome"
        assert "Baker" not in response.text and "Bella" not in response.text


def test_errors_are_operation_outcomes(make_client, as_user, world):
    anonymous = make_client().get(f"/fhir/r4/Observation?patient={world.patient_b}")
    assert anonymous.status_code == 401 and anonymous.json()["resourceType"] == "OperationOutcome"
    nurse = as_user(world.nurse)
    for url, status in [("/fhir/r4/Observation", 422), (f"/fhir/r4/Observation?patient={world.patient_b}&date=soon", 422),
                        ("/fhir/r4/Patient/not-a-uuid", 400)]:
        response = nurse.get(url)
        assert response.status_code == status, (url, response.text)
        assert response.headers["content-type"].startswith(FHIR_JSON)
        assert response.json()["issue"][0]["severity"] == "error"


def test_a_profile_the_record_refuses_is_reported_and_the_rest_still_goes_in(new_uow, world):
    with new_uow() as uow:  # her record here says the secondary cancer was found in 2010
        patient = uow.patients.get(world.patient_a)
        profile = patient.profile.model_copy(update={"metastatic_diagnosis_date": date(2010, 1, 1)})
        services.update_cancer_profile(uow, SYSTEM, world.patient_a, profile, patient.profile_version)
        uow.commit()
    document = _fixture()
    document["entry"] = [e for e in document["entry"] if e["resource"]["resourceType"] != "Patient"]
    report = _import(new_uow, document, patient_id=world.patient_a)  # the bundle's first diagnosis is 2018
    assert report.written
    assert any(i.diagnostics.startswith("Cancer profile") and "metastatic_diagnosis_date" in i.diagnostics
               for i in report.errors), report.issues
    with new_uow() as uow:
        assert len(uow.records.everything(world.patient_a, ["metastases"])["metastases"]) == 2


def test_what_the_server_does_not_do_is_an_operation_outcome(as_user, world):
    response = as_user(world.nurse).get("/fhir/r4/Encounter?patient=" + str(world.patient_b))
    assert response.status_code == 404 and response.json()["issue"][0]["code"] == "not-supported"


# --- Results from a laboratory system -----------------------------------------------------------

def _neutrophils(value: float, unit: str = "10*9/L", identifier: str = "lab-0001") -> dict:
    return {"resourceType": "Observation", "status": "final",
            "identifier": [{"system": "https://lab.example.org/results", "value": identifier}],
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "751-8", "display": "Neutrophils"}]},
            "subject": {"reference": "Patient/at-the-lab"}, "effectiveDateTime": "2026-11-23",
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
            "referenceRange": [{"low": {"value": 2.0, "unit": "10*9/L"}, "high": {"value": 7.5, "unit": "10*9/L"}}]}


def _lab_import(world) -> str:
    return f"/api/v1/patients/{world.patient_a}/lab-results/import"


def _neutrophil_values(client, world) -> list[float]:
    results = client.get(f"/api/v1/patients/{world.patient_a}/lab-results").json()
    return sorted(r["value"] for r in results if r["test"] == "Neutrophils" and r["taken_on"] == "2026-11-23")


def test_one_observation_from_the_lab_imports_once_however_often_it_is_sent(as_user, world):
    nurse = as_user(world.nurse)
    for _ in range(2):
        response = nurse.post(_lab_import(world), content=json.dumps(_neutrophils(1.4)),
                              headers={"Content-Type": FHIR_JSON})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(FHIR_JSON)
        assert response.json()["resourceType"] == "OperationOutcome"
    assert _neutrophil_values(nurse, world) == [1.4]


def test_a_bundle_with_one_bad_result_imports_nothing_and_names_it(as_user, world):
    nurse = as_user(world.nurse)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _neutrophils(1.4, identifier="lab-1")},
        {"resource": _neutrophils(1.5, unit="mmol/L", identifier="lab-2")}]}
    response = nurse.post(_lab_import(world), content=json.dumps(bundle), headers={"Content-Type": FHIR_JSON})
    assert response.status_code == 422
    errors = [i for i in response.json()["issue"] if i["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["expression"][0].startswith("Bundle.entry[1]")
    assert _neutrophil_values(nurse, world) == []  # the good one was not written either


def test_lab_import_reads_observations_only_and_refuses_what_is_not_json(as_user, world):
    nurse = as_user(world.nurse)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": {"resourceType": "Patient"}}, {"resource": _neutrophils(1.4)}]}
    response = nurse.post(_lab_import(world), content=json.dumps(bundle), headers={"Content-Type": FHIR_JSON})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "Bundle.entry"
    response = nurse.post(_lab_import(world), content="{not json", headers={"Content-Type": FHIR_JSON})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"
    assert _neutrophil_values(nurse, world) == []


def test_only_those_who_may_add_results_can_import_them(as_user, world):
    observation = json.dumps(_neutrophils(1.4))
    for person, status in ((world.carer, 403), (world.stranger, 404), (world.bella, 404)):
        response = as_user(person).post(_lab_import(world), content=observation, headers={"Content-Type": FHIR_JSON})
        assert response.status_code == status, (person.email, response.text)
    assert _neutrophil_values(as_user(world.nurse), world) == []


def test_the_import_page_takes_a_fhir_file_and_lists_its_problems(as_user, world):
    nurse = as_user(world.nurse)
    page = nurse.get(f"/patients/{world.patient_a}/lab-results/import")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    url = f"/patients/{world.patient_a}/lab-results/import"
    bad = json.dumps(_neutrophils(-1)).encode()
    response = nurse.post(url, data={"csrf_token": token}, files={"file": ("result.json", bad, FHIR_JSON)})
    assert response.status_code == 422 and "Nothing was imported" in response.text
    assert "is not a possible neutrophils result" in response.text and _neutrophil_values(nurse, world) == []
    good = json.dumps(_neutrophils(1.4)).encode()
    response = nurse.post(url, data={"csrf_token": token}, files={"file": ("result.json", good, FHIR_JSON)})
    assert response.status_code == 303 and "imported=1" in response.headers["location"]
    assert _neutrophil_values(nurse, world) == [1.4]


def test_a_tumour_markers_normal_range_goes_out_and_comes_back(new_uow, world, as_user):
    added = as_user(world.nurse).post(f"/api/v1/patients/{world.patient_a}/tumour-markers", json={
        "taken_on": "2026-10-01", "marker": "ca15_3", "value": 41, "unit": "U/mL", "reference_high": 30})
    assert added.status_code == 201, added.text
    with new_uow() as uow:
        bundle = export_bundle(uow, SYSTEM, world.patient_a)
    marker = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"].endswith(added.json()["id"]))
    assert marker["referenceRange"] == [{"high": {"value": 30, "unit": "U/mL", "system": "http://unitsofmeasure.org",
                                                  "code": "U/mL"}}]
    assert validated(bundle) == bundle
    marker["referenceRange"][0]["high"]["value"] = 35  # the laboratory's range, changed
    report = _import(new_uow, bundle)
    assert report.written and report.updated == 1, report.issues
    with new_uow() as uow:
        stored = [e for e in uow.records.everything(world.patient_a, ["tumour-markers"])["tumour-markers"]
                  if e.data.value == 41]
    assert [e.data.reference_high for e in stored] == [35]
