"""`alongside trials match` and `alongside trials evaluate` through the real CLI, on the shipped
fixture studies (files, and the real database after an import) and the hand-labelled evaluation set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alongside.cli import app as cli
from alongside.trials.evaluate import TARGET_NOT_ELIGIBLE_PRECISION, TARGET_NOT_ELIGIBLE_RECALL

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STUDIES = FIXTURES / "ctgov"
EVALUATION = FIXTURES / "trials" / "evaluation.json"
PROFILE = {"age": 52, "sex": "female", "country": "United Kingdom", "town": "Leeds", "setting": "metastatic",
           "er": "positive", "pr": "negative", "her2": "positive", "ecog": 1, "brain_metastases": "stable",
           "leptomeningeal_disease": False, "prior_lines_metastatic": 0, "prior_chemotherapy_lines_metastatic": 0,
           "prior_endocrine_lines_metastatic": 0, "prior_treatments": [{"agent": "trastuzumab", "setting": "early"}]}

runner = CliRunner()


def profile_file(tmp_path: Path, profile: dict | str) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(profile if isinstance(profile, str) else json.dumps(profile))
    return path


def run(*args: str):
    return runner.invoke(cli, ["trials", *args])


def test_match_prints_verdicts_reasons_sentences_and_questions(tmp_path):
    partial = {k: v for k, v in PROFILE.items() if k != "menopausal_status"}
    result = run("match", "--profile", str(profile_file(tmp_path, partial)), "--studies", str(STUDIES))
    assert result.exit_code == 0, result.output
    heredera = result.output.split("NCT05296798", 1)[1].split("\nNCT", 1)[0]
    assert "Likely eligible" in heredera or "Possibly eligible" in heredera
    assert '"Known active uncontrolled or symptomatic central nervous system (CNS) metastases' in heredera
    assert "Nearest site:" in heredera and "United Kingdom" in heredera
    assert "== Not recruiting (shown apart) ==" in result.output


def test_match_as_json_for_a_file_of_studies(tmp_path):
    result = run("match", "--profile", str(profile_file(tmp_path, PROFILE)), "--studies", str(STUDIES), "--json")
    assert result.exit_code == 0, result.output
    matches = {m["nct_id"]: m for m in json.loads(result.stdout)["matches"]}
    assert len(matches) == 41
    lung = matches["NCT05048797"]
    assert lung["verdict"] == "not_eligible"
    assert [c["kind"] for c in lung["criteria"] if c["outcome"] == "not_met"] == ["condition"]
    assert matches["NCT06103864"]["verdict"] == "not_eligible"
    assert matches["NCT05296798"]["verdict"] in ("likely_eligible", "possibly_eligible")
    rank = ["likely_eligible", "possibly_eligible", "not_eligible"]
    verdicts = [rank.index(m["verdict"]) for m in matches.values()]
    assert verdicts == sorted(verdicts)  # ranked by fit first


def test_match_against_the_studies_in_the_database(tmp_path, database_url, engine, monkeypatch):
    monkeypatch.setenv("ALONGSIDE_DATABASE_URL", database_url)
    imported = run("import", str(STUDIES))
    assert "41" in imported.output
    result = run("match", "--profile", str(profile_file(tmp_path, PROFILE)), "--json")
    assert result.exit_code == 0, result.output
    matches = {m["nct_id"]: m for m in json.loads(result.stdout)["matches"]}
    # The database pre-filter drops the studies that are not for breast cancer.
    assert "NCT05048797" not in matches and "NCT05296798" in matches
    assert matches["NCT05296798"]["verdict"] in ("likely_eligible", "possibly_eligible")


@pytest.mark.parametrize("profile, field", [({"her2": "3+"}, "her2"), ({"stage": "IV"}, "stage"),
                                            ({"prior_treatments": [{"agent": "x", "setting": "later"}]}, "prior_treatments.0.setting")])
def test_a_bad_profile_is_refused_naming_the_field(tmp_path, profile, field):
    result = run("match", "--profile", str(profile_file(tmp_path, profile)), "--studies", str(STUDIES))
    assert result.exit_code == 2
    assert f"{field}:" in result.output


def test_a_malformed_profile_file_is_refused(tmp_path):
    result = run("match", "--profile", str(profile_file(tmp_path, "{not json")), "--studies", str(STUDIES))
    assert result.exit_code == 2 and "refused" in result.output


def test_evaluate_prints_figures_and_disagreements(tmp_path):
    cases = {"patients": [{"id": "her2", "profile": PROFILE}],
             "expected": [{"patient": "her2", "nct_id": "NCT05048797", "verdict": "not_eligible", "deciding": ["condition"]},
                          {"patient": "her2", "nct_id": "NCT06103864", "verdict": "likely_eligible", "deciding": []}]}
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    result = run("evaluate", str(path), "--studies", str(STUDIES))
    assert result.exit_code == 0, result.output
    assert "2 cases, verdicts agree on 50.0%" in result.output
    assert "her2 / NCT06103864: expected likely_eligible (-), got not_eligible (" in result.output
    figures = json.loads(run("evaluate", str(path), "--studies", str(STUDIES), "--json").stdout)
    assert figures["overall"]["not_eligible"] == {"precision": 0.5, "recall": 1.0, "predicted": 2, "expected": 1, "agreed": 1}
    assert figures["per_kind"]["condition"]["not_eligible"]["precision"] == 1.0


def test_evaluate_refuses_a_case_for_an_undefined_patient(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"patients": [], "expected": [{"patient": "nobody", "nct_id": "NCT05048797", "verdict": "not_eligible"}]}))
    result = run("evaluate", str(path), "--studies", str(STUDIES))
    assert result.exit_code == 2 and "expected[0].patient" in result.output


HELD_OUT = FIXTURES / "trials" / "heldout" / "evaluation.json"


@pytest.mark.parametrize("evaluation", [EVALUATION, HELD_OUT], ids=["first-set", "held-out-set"])
@pytest.mark.parametrize("breast_only", [False, True], ids=["all-studies", "breast-only"])
def test_the_hand_labelled_evaluation_sets_meet_the_targets(evaluation, breast_only):
    result = run("evaluate", str(evaluation), "--studies", str(STUDIES), "--json", *(["--breast-only"] if breast_only else []))
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    labelled = json.loads(evaluation.read_text())
    assert figures["cases"] == (23 if breast_only else 41) * len(labelled["patients"])  # 23 of the 41 studies are breast cancer
    assert figures["breast_only"] is breast_only
    not_eligible = figures["overall"]["not_eligible"]
    assert not_eligible["precision"] >= TARGET_NOT_ELIGIBLE_PRECISION
    assert not_eligible["recall"] >= TARGET_NOT_ELIGIBLE_RECALL
