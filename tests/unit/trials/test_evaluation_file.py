"""The hand-labelled evaluation set of the trial matcher keeps its shape (issue 14, item 6).

Shape only: this never runs the matcher. It checks that every profile is in the documented
format, that every profile meets every fixture study exactly once with a valid verdict and
deciding kinds from the vocabulary, that each study's requirements quote its own text, and that
evaluation.json is what the labels in tests/fixtures/trials/labels/ produce.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EVALUATION = FIXTURES / "trials" / "evaluation.json"
LABELS = FIXTURES / "trials" / "labels"
STUDIES = sorted(path.stem for path in (FIXTURES / "ctgov").glob("NCT*.json"))

KINDS = {"condition", "setting", "sex", "age", "er", "pr", "her2", "prior_lines",
         "prior_chemotherapy_lines", "prior_endocrine_lines", "prior_agents", "brain_metastases",
         "leptomeningeal_disease", "measurable_disease", "ecog", "menopausal_status", "biomarkers"}
VERDICTS = {"likely_eligible", "possibly_eligible", "not_eligible"}
RECEPTOR = {"positive", "low", "ultralow", "negative"}
CHOICES = {
    "sex": {"female", "male"},
    "setting": {"metastatic", "locally_advanced", "early"},
    "er": RECEPTOR, "pr": RECEPTOR, "her2": RECEPTOR,
    "menopausal_status": {"premenopausal", "perimenopausal", "postmenopausal"},
    "brain_metastases": {"none", "stable", "active"},
}
FLAGS = {"measurable_disease", "leptomeningeal_disease"}
COUNTS = {"age", "ecog", "prior_lines_metastatic", "prior_chemotherapy_lines_metastatic",
          "prior_endocrine_lines_metastatic"}
PLACES = {"country", "town"}
GENES = {"BRCA1", "BRCA2", "gBRCA1", "gBRCA2", "PALB2", "PIK3CA", "ESR1", "AKT1", "PTEN"}


@pytest.fixture(scope="module")
def evaluation() -> dict:
    return json.loads(EVALUATION.read_text(encoding="utf-8"))


def profile_problems(profile: dict) -> list[str]:
    """What is wrong with one profile, by field; empty when it is in the documented format."""
    known = set(CHOICES) | FLAGS | COUNTS | PLACES | {"prior_treatments", "biomarkers"}
    problems = [f"unknown field {name}" for name in profile if name not in known]
    problems += [f"{name}={profile[name]!r}" for name in CHOICES if name in profile and profile[name] not in CHOICES[name]]
    problems += [f"{name} not a bool" for name in FLAGS if name in profile and not isinstance(profile[name], bool)]
    problems += [f"{name} not a count" for name in COUNTS
                 if name in profile and (isinstance(profile[name], bool) or not isinstance(profile[name], int) or profile[name] < 0)]
    if "ecog" in profile and not 0 <= profile["ecog"] <= 4:
        problems.append("ecog outside 0-4")
    for treatment in profile.get("prior_treatments", []):
        if set(treatment) != {"agent", "setting"} or treatment["setting"] not in {"early", "metastatic"}:
            problems.append(f"prior treatment {treatment}")
        elif treatment["agent"] != treatment["agent"].lower():
            problems.append(f"agent {treatment['agent']!r} not a lower-case generic name")
    for gene, value in profile.get("biomarkers", {}).items():
        allowed = {"positive", "negative"} if gene == "PD-L1" else {"mutated", "negative"}
        if (gene not in GENES and gene != "PD-L1") or value not in allowed:
            problems.append(f"biomarker {gene}={value!r}")
    return problems


def test_profile_check_names_the_bad_field():
    assert profile_problems({"her2": "positive", "ecog": 1, "biomarkers": {"PIK3CA": "mutated"}}) == []
    assert profile_problems({"her2": "amplified"}) == ["her2='amplified'"]
    assert profile_problems({"brain_mets": "stable"}) == ["unknown field brain_mets"]
    assert profile_problems({"ecog": 5}) == ["ecog outside 0-4"]
    assert profile_problems({"biomarkers": {"PD-L1": "mutated"}}) == ["biomarker PD-L1='mutated'"]


def test_there_are_at_least_twelve_patients_with_unique_ids_and_valid_profiles(evaluation):
    ids = [patient["id"] for patient in evaluation["patients"]]
    assert len(ids) >= 12
    assert len(ids) == len(set(ids))
    problems = {p["id"]: profile_problems(p["profile"]) for p in evaluation["patients"]}
    assert {pid: found for pid, found in problems.items() if found} == {}


def test_every_patient_meets_every_fixture_study_exactly_once(evaluation):
    pairs = [(row["patient"], row["nct_id"]) for row in evaluation["expected"]]
    ids = {patient["id"] for patient in evaluation["patients"]}
    assert len(STUDIES) == 41
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {(pid, nct) for pid in ids for nct in STUDIES}


def test_every_expectation_has_a_verdict_deciding_kinds_and_a_note(evaluation):
    bad = [row for row in evaluation["expected"]
           if set(row) != {"patient", "nct_id", "verdict", "deciding", "note"}
           or row["verdict"] not in VERDICTS
           or not row["deciding"] or not set(row["deciding"]) <= KINDS
           or not row["note"].strip()]
    assert bad == []


def test_every_verdict_occurs_so_both_precisions_can_be_measured(evaluation):
    assert {row["verdict"] for row in evaluation["expected"]} == VERDICTS


def study_texts(nct_id: str) -> dict[str, str]:
    """The places a requirement may quote, with the registry's Markdown backslashes left out."""
    protocol = json.loads((FIXTURES / "ctgov" / f"{nct_id}.json").read_text(encoding="utf-8"))["protocolSection"]
    module = protocol["eligibilityModule"]
    texts = {"eligibilityCriteria": module.get("eligibilityCriteria", ""),
             "conditions": "\n".join(protocol["conditionsModule"]["conditions"])}
    texts.update({key: module.get(key, "") for key in ("sex", "minimumAge", "maximumAge")})
    return {key: normalise(text) for key, text in texts.items()}


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\\", "")).strip()


def test_requirements_cover_every_study_with_quoted_sentences_of_known_kinds():
    studies = yaml.safe_load((LABELS / "requirements.yaml").read_text(encoding="utf-8"))
    assert sorted(study["nct_id"] for study in studies) == STUDIES
    misquoted, bad_kinds = [], []
    for study in studies:
        texts = study_texts(study["nct_id"])
        for requirement in study["requirements"]:
            if requirement["kind"] not in KINDS or requirement["criterion"] not in {"inclusion", "exclusion"}:
                bad_kinds.append((study["nct_id"], requirement["kind"]))
            source = requirement.get("source", "eligibilityCriteria")
            if normalise(requirement["sentence"]) not in texts[source]:
                misquoted.append((study["nct_id"], requirement["sentence"][:60]))
    assert bad_kinds == []
    assert misquoted == []


def test_evaluation_file_is_what_the_labels_produce(evaluation):
    spec = importlib.util.spec_from_file_location("label", LABELS / "label.py")
    label = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(label)
    assert label.build() == evaluation
