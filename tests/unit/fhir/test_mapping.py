"""The FHIR mappers without a database: each kind out to mCODE and back, and bad input reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from alongside.domain.entries import Entry, Patient
from alongside.domain.records import RECORD_KINDS, CancerProfile, validate
from alongside.clinical.body_measures import BODY_MEASURES
from alongside.domain.vocab import Her2Status, ReceptorStatus
from alongside.fhir import codes
from alongside.fhir.export import EXPORTED_KINDS, _Builder, questionnaire
from alongside.fhir.outcome import ImportReport
from alongside.fhir.reading import BundleReader
from alongside.fhir.rest import DateFilter
from alongside.fhir.resources import validated

from ...factories import SAMPLES, details

FIXTURE = Path(__file__).parents[2] / "fixtures" / "fhir" / "breast-cancer-example.json"
PATIENT_ID = UUID("00000000-0000-4000-8000-000000000001")


def _patient(**profile) -> Patient:
    return Patient(PATIENT_ID, 1, details("Rose", "Example", "9990000042"),
                   CancerProfile(**profile), 1)


def _entry(slug: str, data: dict, course_id: UUID | None = None) -> Entry:
    data = {**data, **({"course_id": str(course_id) if course_id else None} if "course_id" in data else {})}
    now = datetime.now(UTC)
    return Entry(uuid4(), PATIENT_ID, slug, 1, validate(RECORD_KINDS[slug].model, data), now, now)


def _bundle(patient: Patient, entries: dict) -> list[dict]:
    return _Builder(patient, "bundle").build({slug: entries.get(slug, []) for slug in EXPORTED_KINDS})


def _read(resources: list[dict], patient_id: UUID = PATIENT_ID):
    report = ImportReport()
    reader = BundleReader(report)
    parsed = reader.parse({"resourceType": "Bundle", "type": "collection",
                           "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]})
    patient = reader.the_patient(parsed)
    reader.target, reader.own_bundle = patient_id, True
    return reader.plan(parsed, patient), report


def test_every_sample_entry_exports_to_a_valid_resource_with_its_mcode_profile():
    entries = {slug: [_entry(slug, SAMPLES[slug])] for slug in EXPORTED_KINDS}
    resources = _bundle(_patient(er_status="positive", pr_status="negative", her2_status="low"), entries)
    profiles = {p for r in resources for p in (r.get("meta") or {}).get("profile", [])}
    assert profiles <= set(codes.PROFILE.values()) | {m.fhir_profile for m in BODY_MEASURES.values()}
    assert {codes.PROFILE[name] for name in ("cancer-patient", "primary-cancer-condition", "secondary-cancer-condition",
                                             "tumor-marker-test", "cancer-disease-status", "ecog-performance-status",
                                             "genomic-variant", "cancer-related-medication-request")} <= profiles
    for resource in resources:
        assert validated(resource) == resource


def test_every_sample_entry_reads_back_as_it_was():
    entries = {slug: [_entry(slug, SAMPLES[slug])] for slug in EXPORTED_KINDS}
    plan, report = _read(_bundle(_patient(er_status="positive", her2_status="ultralow"), entries))
    assert not report.errors, report.issues
    read = {slug: model for slug, _, model, _ in plan.entries}
    for slug in EXPORTED_KINDS:
        assert read[slug] == entries[slug][0].data, slug
    assert plan.profile["er_status"] is ReceptorStatus.POSITIVE
    assert plan.profile["her2_status"] is Her2Status.ULTRALOW


@pytest.mark.parametrize("modality,profile", [("radiotherapy", "radiotherapy-course-summary"),
                                              ("surgery", "cancer-related-surgical-procedure")])
def test_radiotherapy_and_surgery_are_procedures_and_read_back(modality, profile):
    course = _entry("treatment-courses", {"modality": modality, "name": "Spine T8-T10, 8 Gy single fraction",
                                          "start_date": "2024-09-10", "end_date": "2024-09-10",
                                          "stop_reason": "completed", "intent": "symptom_control"})
    resources = _bundle(_patient(), {"treatment-courses": [course]})
    procedure = next(r for r in resources if r["resourceType"] == "Procedure")
    assert procedure["meta"]["profile"] == [codes.PROFILE[profile]]
    plan, report = _read(resources)
    assert [model for *_, model, _ in plan.entries] == [course.data]


def test_a_combination_is_sent_as_text_and_a_single_drug_with_its_rxnorm_code():
    single = _entry("treatment-courses", {"modality": "endocrine", "name": "Letrozole", "start_date": "2024-01-01"})
    combined = _entry("treatment-courses", {"modality": "targeted", "name": "Letrozole and ribociclib",
                                            "start_date": "2024-01-01"})
    resources = {r["id"]: r for r in _bundle(_patient(), {"treatment-courses": [single, combined]})}
    assert resources[str(single.id)]["medicationCodeableConcept"]["coding"][0]["code"] == codes.DRUG_RXNORM["letrozole"]
    assert "coding" not in resources[str(combined.id)]["medicationCodeableConcept"]


def test_the_questionnaire_asks_every_item_a_check_in_can_answer():
    link_ids = {item["linkId"] for item in questionnaire()["item"]}
    assert "symptoms.pain.severity" in link_ids and "red_flags.new_back_pain" in link_ids and "burden.wellbeing" in link_ids
    assert "wellbeing" not in link_ids  # the old 0 worst - 10 best item: one scale now, 10 the worst
    validated(questionnaire())


# --- Reading bundles from elsewhere -------------------------------------------------------------

def _fixture() -> list[dict]:
    return [e["resource"] for e in json.loads(FIXTURE.read_text())["entry"]]


def test_the_example_bundle_gives_receptors_sites_and_medicines():
    plan, report = _read(_fixture(), PATIENT_ID)
    assert not report.errors, report.issues
    assert plan.profile["er_status"] is ReceptorStatus.POSITIVE
    assert plan.profile["pr_status"] is ReceptorStatus.NEGATIVE
    assert plan.profile["her2_status"] is Her2Status.LOW  # from the text: HER2 "negative" alone would not say
    sites = sorted(m.site.value for slug, _, m, _ in plan.entries if slug == "metastases")
    assert sites == ["bone", "liver"]
    drugs = sorted((m.name, m.modality.value) for slug, _, m, _ in plan.entries if slug == "treatment-courses")
    assert drugs == [("Letrozole", "endocrine"), ("Ribociclib", "targeted")]
    ecog = next(m for slug, _, m, _ in plan.entries if slug == "performance-status")
    assert ecog.ecog == 1  # read from the LOINC answer LA9623-5
    assert any("Encounter" in item["resource"] for item in report.set_aside)
    assert any("us-core-birthsex" in json.dumps(item["content"]) for item in report.set_aside)


def test_a_bare_her2_negative_is_her2_negative_unscored_with_a_warning():
    resources = _fixture()
    her2 = next(r for r in resources if r["id"] == "rose-her2")
    del her2["valueCodeableConcept"]["text"]
    plan, report = _read(resources)
    assert plan.profile["her2_status"] is Her2Status.NEGATIVE
    assert any(i.severity == "warning" and "HER2" in i.diagnostics for i in report.issues)


def _one_error(report) -> str:
    assert len(report.errors) == 1, report.issues
    return report.errors[0].diagnostics + " @ " + (report.errors[0].expression or "")


def test_an_unknown_unit_names_the_observation_and_the_field():
    resources = _fixture()
    next(r for r in resources if r["id"] == "rose-hb")["valueQuantity"]["code"] = "g/furlong"
    plan, report = _read(resources)
    message = _one_error(report)
    assert "Observation/rose-hb" in message and "valueQuantity.code" in message and "g/furlong" in message
    assert len([e for e in plan.entries if e[0] == "lab-results"]) == 2  # the other results still go in


def test_a_reference_to_a_missing_resource_names_the_field():
    resources = _fixture()
    med = next(r for r in resources if r["id"] == "rose-letrozole")
    med["reasonReference"] = [{"reference": "Condition/not-in-this-bundle"}]
    _, report = _read(resources)
    message = _one_error(report)
    assert "MedicationRequest/rose-letrozole" in message and "reasonReference[0].reference" in message
    assert report.errors[0].code == "not-found"


def test_a_subject_that_is_not_the_bundles_patient_is_refused():
    resources = _fixture()
    next(r for r in resources if r["id"] == "rose-alt")["subject"] = {"reference": "Patient/someone-else"}
    _, report = _read(resources)
    assert "Observation/rose-alt" in _one_error(report) and "subject.reference" in _one_error(report)


def test_a_wrong_resource_type_and_an_invalid_resource_are_errors_of_their_own():
    resources = _fixture()
    resources.append({"resourceType": "Observaton", "id": "typo", "status": "final"})
    resources.append({"resourceType": "Observation", "id": "no-status", "code": {"text": "x"}, "valueInteger": "many"})
    plan, report = _read(resources)
    messages = [i.diagnostics for i in report.errors]
    assert any("Observaton/typo" in m and "not a FHIR R4 resource type" in m for m in messages)
    assert any("Observation/no-status" in m for m in messages)
    assert len(plan.entries) >= 9  # the rest is still read


def test_a_domain_rule_broken_in_a_resource_names_the_fhir_field():
    resources = _fixture()
    del next(r for r in resources if r["id"] == "rose-neut")["effectiveDateTime"]
    _, report = _read(resources)
    message = _one_error(report)
    assert "Observation/rose-neut" in message and "effectiveDateTime" in message


def test_a_modifier_extension_sets_the_resource_aside():
    resources = _fixture()
    next(r for r in resources if r["id"] == "rose-liver-mets")["modifierExtension"] = [
        {"url": "https://elsewhere.example/refuted", "valueBoolean": True}]
    plan, report = _read(resources)
    assert [m.site.value for slug, _, m, _ in plan.entries if slug == "metastases"] == ["bone"]
    assert any(item["resource"] == "Condition/rose-liver-mets" for item in report.set_aside)


# --- Search by date -----------------------------------------------------------------------------

@pytest.mark.parametrize("search,day,admitted", [
    ("ge2025-01-01", "2025-01-01", True), ("ge2025-01-01", "2024-12-31", False),
    ("le2025-01-01", "2025-01-01", True), ("le2025-01-01", "2025-01-02", False),
    ("gt2025-01-01", "2025-01-01", False), ("lt2025-01-01", "2024-12-31", True),
    ("2025-01-01", "2025-01-01", True), ("eq2025-01-01T10:00:00Z", "2025-01-01", True),
])
def test_date_search_prefixes(search, day, admitted):
    assert DateFilter.parse(search).admits(day) is admitted


def test_a_date_search_that_is_not_a_date_is_refused():
    from alongside.domain.errors import InvalidInput
    with pytest.raises(InvalidInput):
        DateFilter.parse("ge-last-week")


def test_reverse_tables_leave_out_codes_shared_by_several_values():
    assert "260385009" not in codes.reverse(codes.HER2_SNOMED)
    assert codes.reverse(codes.HER2_SNOMED)["10828004"] is Her2Status.POSITIVE


@pytest.mark.parametrize("end,reason,status", [(None, None, "active"), ("2024-06-01", None, "completed"),
                                               ("2024-06-01", "completed", "completed"),
                                               ("2024-06-01", "progression", "stopped")])
def test_a_course_status_follows_its_end_and_reason(end, reason, status):
    course = _entry("treatment-courses", {"modality": "chemotherapy", "name": "Capecitabine",
                                          "start_date": "2024-01-01", "end_date": end, "stop_reason": reason})
    request = next(r for r in _bundle(_patient(), {"treatment-courses": [course]})
                   if r["resourceType"] == "MedicationRequest")
    assert request["status"] == status
    plan, _ = _read(_bundle(_patient(), {"treatment-courses": [course]}))
    assert [model for *_, model, _ in plan.entries] == [course.data]


def _tnm(code: str, value: dict, resource_id: str) -> dict:
    return {"resourceType": "Observation", "id": resource_id, "status": "final",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
            "subject": {"reference": "Patient/rose-example"}, "valueCodeableConcept": value,
            "method": {"text": "AJCC Cancer Staging Manual, 7th edition"}}


def test_tnm_parts_become_one_stage_line_and_a_missing_group_is_said():
    resources = _fixture() + [
        _tnm("399504009", {"text": "cT2"}, "t"), _tnm("399534004", {"coding": [{"code": "x", "display": "AJCC cN1"}]}, "n"),
        _tnm("371497001", {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                       "code": "not-applicable"}]}, "pm")]
    plan, report = _read(resources)
    assert plan.profile["stage_at_diagnosis"] == "Clinical stage group not given (cT2 cN1), AJCC 7th edition"
    assert any("pm" in item["resource"] and "no value" in item["reason"] for item in report.set_aside)
