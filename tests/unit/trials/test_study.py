"""Reading one ClinicalTrials.gov API v2 study (trials/study.py), against the real fixtures."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from alongside.trials.study import Intervention, Site, StudyFormatError, load_study, parse_study

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ctgov"
STUDY_FILES = sorted(FIXTURES.glob("NCT*.json"))


def document(nct_id: str) -> dict:
    return json.loads((FIXTURES / f"{nct_id}.json").read_text())


def test_the_fixture_set_is_all_there():
    assert len(STUDY_FILES) == 41


@pytest.mark.parametrize("path", STUDY_FILES, ids=lambda path: path.stem)
def test_every_fixture_study_parses_under_its_own_id(path):
    study = load_study(path.read_bytes())
    assert study.nct_id == path.stem
    assert study.brief_title and study.overall_status and study.eligibility_text
    assert all(site.latitude is None or -90 <= site.latitude <= 90 for site in study.sites)


def test_heredera_read_field_by_field_as_the_file_gives_it():
    study = parse_study(document("NCT05296798"))
    assert study.brief_title.startswith("A Study to Evaluate the Efficacy and Safety of Giredestrant")
    assert study.official_title.startswith("A Phase III, Randomized, Open-Label Study")
    assert study.overall_status == "RECRUITING" and study.recruiting
    assert study.phases == ("PHASE3",) and study.study_type == "INTERVENTIONAL"
    assert study.conditions == ("Locally Advanced or Metastatic Breast Cancer",)
    assert study.sex == "ALL" and study.minimum_age_years == 18 and study.maximum_age_years is None
    assert study.last_update == date(2025, 6, 25)
    assert study.eligibility_text.startswith("Inclusion Criteria:")
    assert "HER2)-positive/estrogen receptor (ER)-positive" in study.eligibility_text
    assert study.interventions[0] == Intervention(
        "Phesgo", "DRUG", ("Pertuzumab, Trastuzumab, and Hyaluronidase-zzxf", "Pertuzumab, Trastuzumab, and rHuPH20",
                           "Fixed-Dose Combination of Pertuzumab and Trastuzumab for Subcutaneous Use (PH FDC SC)",
                           "RO7198574", "RG6264"))
    assert "Giredestrant" in [intervention.name for intervention in study.interventions]
    assert len(study.sites) == 237
    assert study.sites[:2] == (
        Site("Arizona Clinical Research Center, Inc", "Tucson", "Arizona", "United States", 32.22174, -110.92648, "RECRUITING"),
        Site("Genesis Cancer Center", "Hot Springs", "Arkansas", "United States", 34.5037, -93.05518, "WITHDRAWN"))
    assert study.about_breast_cancer


def test_a_neoadjuvant_study_in_india_read_field_by_field():
    study = parse_study(document("NCT06038539"))
    assert "Neoadjuvant Treatment in Chemotherapy naïve Patients" in study.brief_title
    assert study.conditions == ("HR Negative HER2 Positive Early Breast Cancer or Locally Advanced Breast Cancer Patients",)
    assert "Neoadjuvant treatment" in study.keywords
    assert study.sex == "FEMALE" and (study.minimum_age_years, study.maximum_age_years) == (18, 99)
    assert study.last_update == date(2025, 6, 25)
    assert [(i.type, i.other_names) for i in study.interventions] == [("BIOLOGICAL", ()), ("BIOLOGICAL", ())]
    assert study.sites == (Site("Chopda Medicare & Research Centre Pvt. Ltd,", "Nashik", None, "India",
                                19.99727, 73.79096, "RECRUITING"),)


def test_a_lung_cancer_study_is_not_about_breast_cancer():
    assert not parse_study(document("NCT05048797")).about_breast_cancer


def test_a_completed_study_is_not_recruiting():
    study = parse_study(document("NCT05032404"))
    assert study.overall_status == "COMPLETED" and not study.recruiting


def test_the_retired_v1_json_is_refused_naming_the_format():
    with pytest.raises(StudyFormatError, match="legacy v1 JSON"):
        load_study((FIXTURES / "legacy" / "NCT00023673.v1-full-studies.json").read_bytes())


@pytest.mark.parametrize("name", ["NCT00023673.xml", "NCT02513394.xml"])
def test_the_xml_format_is_refused_naming_the_format(name):
    with pytest.raises(StudyFormatError, match="XML"):
        load_study((FIXTURES / "legacy" / name).read_bytes())


@pytest.mark.parametrize("data, message", [
    (b'{"protocolSection": ', "malformed JSON"),
    (b"[1, 2]", "found a JSON list"),
    (b'{"studies": [], "nextPageToken": "x"}', "search page"),
    (b'{"hasResults": false}', "protocolSection is missing"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_what_is_not_one_study_is_refused_saying_why(data, message):
    with pytest.raises(StudyFormatError, match=message):
        load_study(data)


def test_a_study_without_an_eligibility_section_parses_with_no_criteria_text():
    changed = document("NCT05296798")
    del changed["protocolSection"]["eligibilityModule"]
    study = parse_study(changed)
    assert study.eligibility_text is None and study.sex is None and study.minimum_age_years is None


@pytest.mark.parametrize("path, value, message", [
    (("identificationModule", "nctId"), "12345", "nctId"),
    (("statusModule", "overallStatus"), None, "overallStatus"),
    (("eligibilityModule", "minimumAge"), "eighteen", "minimumAge"),
    (("statusModule", "lastUpdatePostDateStruct"), {"date": "2025-13-40"}, "lastUpdatePostDateStruct"),
    (("conditionsModule", "conditions"), "Breast Cancer", "conditions"),
])
def test_a_broken_field_is_refused_naming_it(path, value, message):
    changed = copy.deepcopy(document("NCT05296798"))
    changed["protocolSection"][path[0]][path[1]] = value
    with pytest.raises(StudyFormatError, match=message):
        parse_study(changed)


@pytest.mark.parametrize("text, years", [("18 Years", 18), ("6 Months", 0.5), ("N/A", None)])
def test_ages_are_read_in_years(text, years):
    changed = document("NCT05296798")
    changed["protocolSection"]["eligibilityModule"]["minimumAge"] = text
    assert parse_study(changed).minimum_age_years == years


def test_a_month_only_last_update_is_the_first_of_that_month():
    changed = document("NCT05296798")
    changed["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2024-03"}
    assert parse_study(changed).last_update == date(2024, 3, 1)
