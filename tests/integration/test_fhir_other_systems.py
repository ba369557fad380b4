"""Bundles from older mCODE (STU1-STU3) and from US Core / IPS systems: what is recognisable is
read, the rest reported and set aside, never fatal."""

from __future__ import annotations

import json

from alongside.domain.vocab import Gene, GenomicFinding, Modality

from .test_fhir import _import

MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def _bundle(*resources: dict) -> dict:
    patient = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "https://other.example/mrn",
                                                                        "value": "OTHER-1"}],
               "name": [{"given": ["Ann"], "family": "Older"}], "gender": "female", "birthDate": "1961-02-03"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}] + [{"resource": {**r, "subject": {"reference": "Patient/p1"}}}
                                                for r in resources]}


def _entries(new_uow, patient_id, slug):
    with new_uow() as uow:
        return [e.data for e in uow.records.everything(patient_id, [slug])[slug]]


def test_an_stu1_medication_statement_and_radiation_procedure_are_read_as_courses(new_uow, world):
    statement = {"resourceType": "MedicationStatement", "id": "ms1", "status": "completed",
                 "meta": {"profile": [MCODE + "mcode-cancer-related-medication-statement"]},
                 "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                           "code": "72965", "display": "letrozole"}]},
                 "effectivePeriod": {"start": "2019-01-05", "end": "2020-06-30"}}
    radiation = {"resourceType": "Procedure", "id": "rt1", "status": "completed",
                 "meta": {"profile": [MCODE + "mcode-cancer-related-radiation-procedure"]},
                 "code": {"coding": [{"system": SNOMED, "code": "108290001"}], "text": "Radiotherapy to spine"},
                 "performedPeriod": {"start": "2020-07-01", "end": "2020-07-05"}}
    report = _import(new_uow, _bundle(statement, radiation), team_id=world.team_id)
    assert report.written and not report.errors, report.errors
    courses = sorted(_entries(new_uow, report.patient_id, "treatment-courses"), key=lambda c: c.start_date)
    assert [(c.modality, c.name, str(c.start_date), str(c.end_date)) for c in courses] == [
        (Modality.ENDOCRINE, "letrozole", "2019-01-05", "2020-06-30"),
        (Modality.RADIOTHERAPY, "Radiotherapy to spine", "2020-07-01", "2020-07-05")]


def test_a_variant_with_its_gene_as_a_symbol_and_its_change_as_a_string_is_read(new_uow, world):
    variant = {"resourceType": "Observation", "id": "v1", "status": "final",
               "meta": {"profile": [MCODE + "mcode-cancer-genetic-variant"]},  # STU1's name
               "code": {"coding": [{"system": LOINC, "code": "69548-6"}]}, "effectiveDateTime": "2021-03-01",
               "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA9633-4"}]},
               "component": [{"code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
                              "valueCodeableConcept": {"text": "PIK3CA"}},
                             {"code": {"coding": [{"system": LOINC, "code": "48005-3"}]},
                              "valueString": "p.His1047Arg"}]}
    without_origin = _import(new_uow, _bundle(variant), team_id=world.team_id, all_or_nothing=True)
    [error] = without_origin.errors  # our record needs to know germline or somatic, and says where
    assert error.expression.endswith("component.where(code.coding.code='48002-0')")
    variant["component"].append({"code": {"coding": [{"system": LOINC, "code": "48002-0"}]},
                                 "valueCodeableConcept": {"text": "Somatic"}})
    report = _import(new_uow, _bundle(variant), team_id=world.team_id)
    assert report.written and not report.errors, report.errors
    [found] = _entries(new_uow, report.patient_id, "genomic-results")
    assert (found.gene, found.finding, found.variant) == (Gene.PIK3CA, GenomicFinding.DETECTED, "p.His1047Arg")


def test_a_us_core_lab_in_another_unit_is_converted_and_what_is_not_recognisable_is_set_aside(new_uow, world):
    haemoglobin = {"resourceType": "Observation", "id": "hb", "status": "final",
                   "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"]},
                   "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                             "code": "laboratory"}]}],
                   "code": {"coding": [{"system": LOINC, "code": "718-7", "display": "Hemoglobin [Mass/volume] in Blood"}]},
                   "effectiveDateTime": "2022-05-01",
                   "valueQuantity": {"value": 11.5, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"}}
    encounter = {"resourceType": "Encounter", "id": "e1", "status": "finished",
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}
    given = {"resourceType": "MedicationAdministration", "id": "ma1", "status": "completed",
             "medicationCodeableConcept": {"text": "paclitaxel"}, "effectiveDateTime": "2022-05-02"}
    report = _import(new_uow, _bundle(haemoglobin, encounter, given), team_id=world.team_id)
    assert report.written and not report.errors, report.errors
    [hb] = _entries(new_uow, report.patient_id, "lab-results")
    assert (hb.value, hb.unit) == (115.0, "g/L")
    reasons = {item["resource"]: item["reason"] for item in report.set_aside}
    assert "Encounter" in reasons["Encounter/e1"]
    assert "one dose given" in reasons["MedicationAdministration/ma1"]


def test_deeply_nested_json_is_refused_by_name_by_the_command_and_the_importer(new_uow, database_url, tmp_path):
    import pytest

    from alongside.domain.errors import InvalidInput

    from .test_transfer_and_cli import run_cli

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = run_cli(database_url, "fhir", "import", str(deep))
    assert result.returncode == 2 and "nested too deeply" in result.stdout, result.stdout + result.stderr
    nested: dict = {"url": "https://example.org/x"}
    for _ in range(200):
        nested = {"url": "https://example.org/x", "extension": [nested]}
    bundle = _bundle({"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"},
                      "extension": [nested]})
    with pytest.raises(InvalidInput, match="nested more than 64 levels"):
        _import(new_uow, bundle)


def test_a_large_bundle_with_one_bad_result_reports_it_and_writes_nothing_when_all_or_nothing(new_uow, world):
    results = [{"resourceType": "Observation", "id": f"hb{i}", "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "718-7"}]}, "effectiveDateTime": "2022-05-01",
                "valueQuantity": {"value": 120, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}
               for i in range(5_000)]
    results[4_321]["valueQuantity"]["code"] = "furlongs"
    report = _import(new_uow, _bundle(*results), team_id=world.team_id, all_or_nothing=True)
    assert not report.written and [e.expression for e in report.errors] == [
        "Bundle.entry[4322].resource.valueQuantity.code"]
    with new_uow() as uow:
        assert not uow.patients.exists(report.patient_id)


def test_a_bundle_over_the_size_limit_is_refused_before_it_is_read(database_url, tmp_path):
    from .test_transfer_and_cli import run_cli

    big = tmp_path / "big.json"
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "Haemoglobin"}}
    big.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                               "entry": [{"resource": {**observation, "id": f"o{i}"}} for i in range(20_000)]}))
    assert 2_000_000 < big.stat().st_size < 3_000_000
    refused = run_cli(database_url, "fhir", "import", str(big), "--max-megabytes", "2")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    outcome = json.loads(refused.stdout)
    assert "over the 2 MB this import reads at once" in outcome["issue"][0]["diagnostics"]
    assert outcome["issue"][0]["expression"] == ["Bundle"]
    # Under the limit the same file is read (and its results refused one by one, not all at once).
    read = run_cli(database_url, "fhir", "import", str(big), "--max-megabytes", "3")
    assert "over the" not in read.stdout
