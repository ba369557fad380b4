"""A record read as the trial matcher's profile, case by case: what the record says is carried
over, and what it cannot tell stays unknown (None), never guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from alongside.domain.entries import Entry, Patient
from alongside.domain.records import RECORD_KINDS, CancerProfile, PatientDetails
from alongside.domain.trials import agents_in, profile_from_record

TODAY = date(2026, 11, 25)


def patient(details: dict | None = None, **cancer) -> Patient:
    return Patient(id=uuid4(), version=1, profile_version=1,
                   details=PatientDetails(given_name="Grace", family_name="Holt", date_of_birth=date(1974, 11, 26),
                                          **(details or {})),
                   profile=CancerProfile(**cancer))


def entry(slug: str, **data) -> Entry:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    return Entry(id=uuid4(), patient_id=uuid4(), kind=slug, version=1,
                 data=RECORD_KINDS[slug].model.model_validate(data), created_at=now, updated_at=now)


def course(name: str, modality: str = "chemotherapy", line: int | None = None, intent: str = "disease_control",
           start: str = "2026-09-15") -> Entry:
    return entry("treatment-courses", modality=modality, name=name, line_of_treatment=line, intent=intent,
                 start_date=start)


def test_an_empty_record_is_all_unknown_but_age_sex_and_country():
    profile = profile_from_record(patient(), {}, TODAY)
    assert (profile.age, profile.sex, profile.country) == (51, "female", "United Kingdom")
    unknown = profile.model_dump(exclude={"age", "sex", "country"})
    assert all(value is None for value in unknown.values()), unknown


def test_age_turns_on_the_birthday():
    assert profile_from_record(patient(), {}, date(2026, 11, 26)).age == 52


@pytest.mark.parametrize("code, name", [("GB", "United Kingdom"), ("IE", "Ireland"), ("ZA", "ZA")])
def test_the_country_code_becomes_the_registrys_name(code, name):
    assert profile_from_record(patient({"country": code}), {}, TODAY).country == name


@pytest.mark.parametrize("stored, read", [("positive", "positive"), ("low", "low"), ("ultralow", "ultralow"),
                                          ("zero", "negative"), ("negative", "negative_unscored"),
                                          ("unknown", None)])
def test_her2_status(stored, read):
    assert profile_from_record(patient(her2_status=stored), {}, TODAY).her2 == read


@pytest.mark.parametrize("stored, read", [("pre", "premenopausal"), ("post", "postmenopausal"),
                                          ("not_applicable", None), ("unknown", None)])
def test_menopausal_status(stored, read):
    assert profile_from_record(patient(menopausal_status=stored), {}, TODAY).menopausal_status == read


def test_sex_other_or_unknown_is_unknown():
    assert profile_from_record(patient({"sex": "other"}), {}, TODAY).sex is None


@pytest.mark.parametrize("cancer, entries, setting", [
    ({"metastatic_diagnosis_date": "2026-09-01"}, {}, "metastatic"),
    ({"de_novo": True}, {}, "metastatic"),
    ({}, {"metastases": [entry("metastases", site="bone")]}, "metastatic"),
    ({"primary_diagnosis_date": "2025-01-01"}, {}, None),  # no spread recorded is not "early"
])
def test_setting(cancer, entries, setting):
    assert profile_from_record(patient(**cancer), entries, TODAY).setting == setting


@pytest.mark.parametrize("detail, read", [
    ("Treated with stereotactic radiotherapy, stable", "stable"),
    ("Untreated, found on MRI", "active"),
    ("Two new lesions", "active"),
    ("Left frontal lobe", None),  # recorded, but not whether treated: the team is asked
])
def test_brain_metastases_only_as_the_record_says(detail, read):
    entries = {"metastases": [entry("metastases", site="brain", site_detail=detail)]}
    assert profile_from_record(patient(), entries, TODAY).brain_metastases == read


def test_no_brain_metastasis_recorded_is_not_none():
    entries = {"metastases": [entry("metastases", site="liver")]}
    profile = profile_from_record(patient(), entries, TODAY)
    assert profile.brain_metastases is None and profile.leptomeningeal_disease is None


def test_leptomeningeal_disease_recorded():
    entries = {"metastases": [entry("metastases", site="leptomeninges")]}
    assert profile_from_record(patient(), entries, TODAY).leptomeningeal_disease is True


def test_the_latest_ecog_counts():
    entries = {"performance-status": [entry("performance-status", assessed_on="2026-10-01", ecog=2),
                                      entry("performance-status", assessed_on="2025-10-01", ecog=0)]}
    assert profile_from_record(patient(), entries, TODAY).ecog == 2


@pytest.mark.parametrize("lesions, measurable", [("Liver segment 6: 23", True), ("Axillary node: 12", None),
                                                 ("Liver: 8", None), (None, None)])
def test_measurable_disease_from_the_latest_measured_scan(lesions, measurable):
    entries = {"scans": [entry("scans", performed_on="2026-10-01", modality="ct", target_lesions=lesions)]}
    assert profile_from_record(patient(), entries, TODAY).measurable_disease is measurable


def test_lines_for_secondary_cancer_by_kind():
    entries = {"treatment-courses": [
        course("Letrozole (adjuvant)", "endocrine", intent="curative", start="2020-01-01"),
        course("Letrozole and ribociclib", "targeted", line=1, start="2026-02-01"),
        course("Paclitaxel", line=2, start="2026-06-01"),
        course("Capecitabine", line=3, start="2026-09-01")]}
    profile = profile_from_record(patient(metastatic_diagnosis_date="2026-01-15"), entries, TODAY)
    assert (profile.prior_lines_metastatic, profile.prior_chemotherapy_lines_metastatic,
            profile.prior_endocrine_lines_metastatic) == (3, 2, 1)
    assert {(t.agent, t.setting) for t in profile.prior_treatments} == {
        ("letrozole", "early"), ("letrozole", "metastatic"), ("ribociclib", "metastatic"),
        ("paclitaxel", "metastatic"), ("capecitabine", "metastatic")}


def test_a_course_for_secondary_cancer_without_a_line_makes_the_count_unknown():
    entries = {"treatment-courses": [course("Paclitaxel", start="2026-10-01")]}
    profile = profile_from_record(patient(metastatic_diagnosis_date="2026-09-01"), entries, TODAY)
    assert profile.prior_lines_metastatic is None and profile.prior_chemotherapy_lines_metastatic is None
    assert [(t.agent, t.setting) for t in profile.prior_treatments] == [("paclitaxel", "metastatic")]


def test_only_early_treatment_recorded_means_no_lines_yet():
    entries = {"treatment-courses": [course("Trastuzumab", "targeted", intent="curative", start="2022-03-01")]}
    profile = profile_from_record(patient(metastatic_diagnosis_date="2026-09-01"), entries, TODAY)
    assert profile.prior_lines_metastatic == 0
    assert [(t.agent, t.setting) for t in profile.prior_treatments] == [("trastuzumab", "early")]


def test_no_treatments_recorded_is_not_never_treated():
    profile = profile_from_record(patient(metastatic_diagnosis_date="2026-09-01"), {"treatment-courses": []}, TODAY)
    assert profile.prior_lines_metastatic is None and profile.prior_treatments is None


def test_supportive_treatment_is_no_line():
    entries = {"treatment-courses": [course("Denosumab", "bone_strengthening", intent="supportive"),
                                     course("Trastuzumab", "targeted", intent="curative", start="2022-03-01")]}
    assert profile_from_record(patient(metastatic_diagnosis_date="2026-09-01"), entries, TODAY).prior_lines_metastatic == 0


@pytest.mark.parametrize("name, agents", [
    ("Letrozole and ribociclib", ("letrozole", "ribociclib")),
    ("Trastuzumab deruxtecan (Enhertu)", ("trastuzumab deruxtecan",)),
    ("Phesgo with docetaxel", ("pertuzumab", "trastuzumab", "docetaxel")),
    ("Left wide local excision", ()),
])
def test_medicines_named_in_a_course(name, agents):
    assert agents_in(name) == agents


@pytest.mark.parametrize("gene, origin, finding, key, value", [
    ("BRCA1", "germline", "detected", "gBRCA1", "mutated"),
    ("BRCA2", "somatic", "not_detected", "BRCA2", "negative"),
    ("PIK3CA", "somatic", "detected", "PIK3CA", "mutated"),
    ("PD-L1", "somatic", "positive", "PD-L1", "positive"),
])
def test_genomic_results(gene, origin, finding, key, value):
    entries = {"genomic-results": [entry("genomic-results", gene=gene, origin=origin, finding=finding)]}
    assert profile_from_record(patient(), entries, TODAY).biomarkers == {key: value}


@pytest.mark.parametrize("finding", ["vus", "failed"])
def test_an_uncertain_or_failed_test_says_nothing(finding):
    entries = {"genomic-results": [entry("genomic-results", gene="ESR1", origin="somatic", finding=finding)]}
    assert profile_from_record(patient(), entries, TODAY).biomarkers is None
