"""The official mCODE STU4 examples (tests/fixtures/mcode, hl7.fhir.us.mcode 4.0.0) imported as a
hospital would send them: what the record can hold is read, the rest set aside with a reason."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path

import pytest

from alongside.domain.people import SYSTEM
from alongside.domain.trials import trial_profile
from alongside.domain.vocab import Her2Status, Histology, Laterality, Modality, ReceptorStatus

from .test_fhir import _import, _without_ids_and_times
from .test_transfer_and_cli import empty_database_url, run_cli  # noqa: F401 (a fixture)

MCODE = Path(__file__).parents[1] / "fixtures" / "mcode"
JENNY = "Bundle-mcode-patient-bundle-jenny-m.json"
NEUTROPHILS = "Observation/us-core-observation-lab-neutrophils-jenny-m"


def _jenny() -> dict:
    return json.loads((MCODE / JENNY).read_text())


def _collection(*names: str) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": json.loads((MCODE / name).read_text())} for name in names]}


def _jenny_files() -> list[str]:
    """Her separate example files as SOURCES.md lists them, her Bundle aside."""
    text = (MCODE / "SOURCES.md").read_text().split("## Jenny M")[1].split("\n## ")[0]
    return [line.strip(" -`") for line in text.splitlines() if line.startswith("- `") and JENNY not in line]


def _record(new_uow, patient_id):
    with new_uow() as uow:
        return uow.patients.get(patient_id), uow.records.everything(patient_id)


def _no_errors_and_the_examples_impossible_neutrophil_count_set_aside(report) -> None:
    # The example sends 3000 x10*3/uL (3,000 x10^9/L; normal is 2-7.5), with a normal range of
    # 2500-5000 in the same unit: it means cells/uL. Taking it as sent would be a wrong count, so
    # it is not imported, and the report says why.
    assert not report.errors, [i.diagnostics for i in report.errors]
    reasons = {item["resource"]: item["reason"] for item in report.set_aside}
    assert reasons[NEUTROPHILS] == ("3000 10*3/uL is not a possible neutrophils result, so it was not imported; "
                                    "check the number and the unit with the laboratory")


def test_the_jenny_m_bundle_gives_her_receptors_treatments_and_the_rest_set_aside_with_reasons(new_uow, world):
    report = _import(new_uow, _jenny(), team_id=world.team_id)
    assert report.written
    _no_errors_and_the_examples_impossible_neutrophil_count_set_aside(report)
    patient, entries = _record(new_uow, report.patient_id)
    assert (patient.details.town, patient.details.country) == ("Anytown", "US")  # "United States", by name
    profile = patient.profile
    assert (profile.er_status, profile.pr_status) == (ReceptorStatus.POSITIVE, ReceptorStatus.NEGATIVE)
    assert profile.her2_status is Her2Status.NEGATIVE  # a bare "negative": HER2-low left open, and it says so
    assert any("HER2 'negative'" in i.diagnostics for i in report.issues if i.severity == "warning")
    assert (profile.histology, profile.laterality) == (Histology.DUCTAL_NST, Laterality.LEFT)
    assert str(profile.primary_diagnosis_date) == "2018-03-16"
    courses = {(c.data.modality, c.data.name.lower()) for c in entries["treatment-courses"]}
    assert {name for _, name in courses} >= {"anastrozole", "paclitaxel", "doxorubicin", "cyclophosphamide"}
    assert (Modality.RADIOTHERAPY, "radiotherapy") in courses  # its code has no display: named by its kind
    assert any(modality is Modality.SURGERY for modality, _ in courses)
    assert (Modality.CHEMOTHERAPY, "cyclophosphamide") in courses  # by the drug's name, as the code is unknown
    assert [e.data.ecog for e in entries["performance-status"]] == [1] or entries["performance-status"]
    [variant] = [e.data for e in entries["genomic-results"]]
    assert (variant.gene.value, variant.origin.value, variant.finding.value) == ("PALB2", "somatic", "detected")
    assert variant.variant == "NM_024675.3(PALB2):c.3549C>A (p.Tyr1183Ter)"
    assert entries["scans"]  # her cancer disease status
    reasons = {item["resource"]: item["reason"] for item in report.set_aside}
    # Her weight comes in pounds (155 lb) and is kept in kg.
    assert [(str(e.data.measured_on), e.data.measure.value, e.data.value, e.data.unit)
            for e in entries["body-measurements"]] == [("2018-03-06", "weight", 70.31, "kg")]
    assert not any("bodyweight" in name for name in reasons)
    assert profile.stage_at_diagnosis == "Clinical IIB (cT3 cN0 cM0), AJCC 8th edition"
    assert not any("tnm" in name for name in reasons)
    assert "not a blood test" in reasons["Observation/tumor-marker-test-oncotype-dx-jenny-m"]
    assert all(reason for reason in reasons.values())


def test_her_separate_example_resources_import_like_her_bundle(new_uow, world):
    files = _jenny_files()
    assert len(files) == 55
    report = _import(new_uow, _collection(*files), team_id=world.team_id)
    assert report.written
    _no_errors_and_the_examples_impossible_neutrophil_count_set_aside(report)
    patient, entries = _record(new_uow, report.patient_id)
    assert patient.profile.er_status is ReceptorStatus.POSITIVE and len(entries["treatment-courses"]) >= 6
    # Her clinical and pathological stage; pM "not applicable" says nothing and is left out.
    assert patient.profile.stage_at_diagnosis == "Clinical IIB (cT3 cN0 cM0); pathological IIB (pT3 pN0), AJCC 8th edition"
    # Her weights and height, in pounds and inches, kept in kg and cm (each on the date the
    # resource gives, whatever its id says).
    assert sorted((str(e.data.measured_on), e.data.measure.value, e.data.value, e.data.unit)
                  for e in entries["body-measurements"]) == [
        ("2018-03-06", "weight", 70.31, "kg"), ("2018-03-16", "height", 165.1, "cm"),
        ("2018-04-22", "weight", 68.04, "kg")]


def test_eve_anyperson_imports_with_no_errors(new_uow, world):
    eve = [name for name in (MCODE / "SOURCES.md").read_text().split("## Eve Anyperson")[1].split("\n## ")[0]
           .splitlines() if name.startswith("- `")]
    report = _import(new_uow, _collection(*(n.strip(" -`") for n in eve)), team_id=world.team_id)
    assert report.written and not report.errors, report.errors
    patient, _ = _record(new_uow, report.patient_id)
    assert patient.details.family_name == "Anyperson"


@pytest.mark.parametrize("value, unit, stored", [(3.0, "10*3/uL", 3.0), (3000, "/uL", 3.0), (3.0, "10*9/L", 3.0)])
def test_a_ucum_unit_that_converts_to_the_tests_unit_is_accepted_and_converted(new_uow, world, value, unit, stored):
    document = _jenny()
    neutrophils = next(e["resource"] for e in document["entry"] if e["resource"]["id"] in NEUTROPHILS)
    neutrophils["valueQuantity"].update(value=value, code=unit, unit=unit)
    neutrophils.pop("referenceRange")
    report = _import(new_uow, document, team_id=world.team_id)
    assert report.written and not report.errors, report.errors
    _, entries = _record(new_uow, report.patient_id)
    [result] = entries["lab-results"]
    assert (result.data.value, result.data.unit) == (stored, "10*9/L")


@pytest.mark.parametrize("unit, says", [("furlongs", "'furlongs' is not a UCUM unit"), ("[lb_av]", "[lb_av]")])
def test_a_unit_that_is_not_ucum_or_does_not_convert_is_named(new_uow, world, unit, says):
    document = _jenny()
    neutrophils = next(e["resource"] for e in document["entry"] if e["resource"]["id"] in NEUTROPHILS)
    neutrophils["valueQuantity"].update(value=3.0, code=unit, unit=unit)
    neutrophils.pop("referenceRange")
    report = _import(new_uow, document, team_id=world.team_id)
    [error] = report.errors
    assert NEUTROPHILS in error.diagnostics and says in error.diagnostics


def test_a_measurement_alongside_does_not_know_is_still_an_error_in_results_from_a_laboratory(new_uow, world):
    from alongside.fhir.importer import import_results

    oncotype = json.loads((MCODE / "Observation-tumor-marker-test-oncotype-dx-jenny-m.json").read_text())
    oncotype.pop("subject")
    with new_uow() as uow:
        report = import_results(uow, SYSTEM, world.patient_a, json.dumps(oncotype))
    assert not report.written and "not a blood test Alongside knows" in report.errors[0].diagnostics


def test_her_trial_profile_comes_from_the_import_without_typing(new_uow, world):
    report = _import(new_uow, _jenny(), team_id=world.team_id)
    with new_uow() as uow:
        profile = trial_profile(uow, SYSTEM, report.patient_id, date(2026, 12, 1))
    assert (profile.er, profile.pr, profile.sex) == ("positive", "negative", "female")
    assert (profile.biomarkers or {}).get("PALB2")  # her somatic PALB2 variant, from its HGNC coding
    assert profile.setting is None and not profile.brain_metastases  # her example is early disease
    # A secondary cancer sent later (the IG's brain-metastasis example) gives the setting and the site.
    brain = _collection("Condition-secondary-cancer-condition-brain-mets.json")
    later = _import(new_uow, copy.deepcopy(brain), patient_id=report.patient_id)
    assert later.written and not later.errors, later.errors
    with new_uow() as uow:
        profile = trial_profile(uow, SYSTEM, report.patient_id, date(2026, 12, 1))
    assert profile.setting == "metastatic" and profile.er == "positive"
    assert profile.brain_metastases is None  # recorded, but not whether treated: the matcher asks
    _, entries = _record(new_uow, report.patient_id)
    assert [m.data.site.value for m in entries["metastases"]] == ["brain"]


def test_jenny_m_round_trips_exactly_import_export_import_into_an_empty_database_export(database_url,
                                                                                        empty_database_url, tmp_path):
    imported = run_cli(database_url, "fhir", "import", str(MCODE / JENNY), "--team", "Imported")
    patient_id = re.search(r"Imported into patient ([0-9a-f-]{36})", imported.stderr).group(1)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert run_cli(database_url, "fhir", "export", patient_id, "--out", str(first)).returncode == 0
    again = run_cli(empty_database_url, "fhir", "import", str(first), "--team", "Imported")
    assert again.returncode == 0 and "0 set aside; 0 error(s)" in again.stderr, again.stdout + again.stderr
    assert run_cli(empty_database_url, "fhir", "export", patient_id, "--out", str(second)).returncode == 0
    exported = json.loads(first.read_text())
    assert len(exported["entry"]) == 15  # her Patient, cancer, ER, PR, HER2, ECOG, variant, status, weight, 6 treatments
    assert _without_ids_and_times(json.loads(second.read_text())) == _without_ids_and_times(exported)
