"""The pure assessment of a profile against trial criteria (clinical/trial_eligibility.py)."""

import pytest
from hypothesis import assume, given, settings, strategies as st
from pydantic import ValidationError

from alongside.clinical.trial_eligibility import (
    Criterion, CriterionKind as K, Outcome, Profile, Verdict, assess, assess_criterion, question_for, verdict_of,
)
from alongside.trials.drug_classes import vocabulary

CLASSES = vocabulary().classes_of


def outcome(profile: dict, **criterion) -> Outcome:
    c = Criterion(inclusion=criterion.pop("inclusion", True), sentence="quoted", **criterion)
    return assess_criterion(Profile.model_validate(profile), c, CLASSES).outcome


def test_an_unknown_enum_value_is_an_error_naming_the_field():
    with pytest.raises(ValidationError) as error:
        Profile.model_validate({"her2": "3+"})
    assert error.value.errors()[0]["loc"] == ("her2",)


def test_a_field_outside_the_format_is_refused():
    with pytest.raises(ValidationError) as error:
        Profile.model_validate({"stage": "IV"})
    assert error.value.errors()[0]["loc"] == ("stage",)


def test_lines_that_do_not_add_up_are_refused():
    with pytest.raises(ValidationError) as error:
        Profile.model_validate({"prior_lines_metastatic": 1, "prior_chemotherapy_lines_metastatic": 2})
    assert "prior_lines_metastatic" in str(error.value)
    Profile.model_validate({"prior_lines_metastatic": 3, "prior_chemotherapy_lines_metastatic": 2, "prior_endocrine_lines_metastatic": 1})


def test_a_biomarker_outside_the_list_is_refused():
    with pytest.raises(ValidationError) as error:
        Profile.model_validate({"biomarkers": {"KRAS": "mutated"}})
    assert "biomarkers" in error.value.errors()[0]["loc"]


@pytest.mark.parametrize("her2, expected", [("positive", Outcome.not_met), ("low", Outcome.met),
                                            ("ultralow", Outcome.met), ("negative", Outcome.met), (None, Outcome.unknown)])
def test_her2_low_and_ultralow_are_her2_negative(her2, expected):
    assert outcome({"her2": her2}, kind=K.her2, allowed=("negative", "low", "ultralow")) is expected


@pytest.mark.parametrize("er, pr, expected", [("positive", None, Outcome.met), ("negative", "positive", Outcome.met),
                                              ("negative", "negative", Outcome.not_met), ("negative", None, Outcome.unknown),
                                              ("low", "negative", Outcome.unknown)])
def test_hormone_receptor_positive_is_er_or_pr_and_er_low_never_decides(er, pr, expected):
    assert outcome({"er": er, "pr": pr}, kind=K.er, allowed=("positive",), hormone_receptor=True) is expected


def test_er_low_against_er_positive_is_unknown_not_a_failure():
    assert outcome({"er": "low"}, kind=K.er, allowed=("positive",)) is Outcome.unknown


@pytest.mark.parametrize("profile, expected", [
    ({"prior_lines_metastatic": 0}, Outcome.met),
    ({"prior_lines_metastatic": 2, "prior_chemotherapy_lines_metastatic": 2}, Outcome.not_met),
    ({"prior_lines_metastatic": 1, "prior_endocrine_lines_metastatic": 1}, Outcome.met),
    ({"prior_lines_metastatic": 2, "prior_endocrine_lines_metastatic": 1}, Outcome.not_met),
    ({"prior_chemotherapy_lines_metastatic": 1}, Outcome.not_met),
    ({"prior_lines_metastatic": 1}, Outcome.unknown),   # the one line may have been endocrine
    ({}, Outcome.unknown),
])
def test_no_prior_non_hormonal_therapy_for_metastatic_disease(profile, expected):
    # NCT05296798: "Previous systemic non-hormonal anti-cancer therapy in the metastatic ... setting"
    assert outcome(profile, kind=K.prior_lines, inclusion=False, maximum=0, non_endocrine=True) is expected


def test_lines_of_one_kind_are_zero_when_no_line_was_given_at_all():
    assert outcome({"prior_lines_metastatic": 0}, kind=K.prior_chemotherapy_lines, minimum=1) is Outcome.not_met
    assert outcome({"prior_lines_metastatic": 3}, kind=K.prior_chemotherapy_lines, minimum=1) is Outcome.unknown


def test_an_excepted_agent_in_the_excepted_setting_does_not_count():
    # NCT05296798: anti-HER2 agents are excluded "except ... trastuzumab ... in the neoadjuvant or adjuvant setting"
    rule = dict(kind=K.prior_agents, inclusion=False, agents=("her2_directed",), forbidden=True,
                except_agents=("trastuzumab", "pertuzumab"), except_setting="early")
    assert outcome({"prior_treatments": [{"agent": "trastuzumab", "setting": "early"}]}, **rule) is Outcome.met
    assert outcome({"prior_treatments": [{"agent": "trastuzumab", "setting": "metastatic"}]}, **rule) is Outcome.not_met
    assert outcome({"prior_treatments": [{"agent": "tucatinib", "setting": "early"}]}, **rule) is Outcome.not_met
    assert outcome({}, **rule) is Outcome.unknown


def test_a_named_agent_counts_as_its_class():
    rule = dict(kind=K.prior_agents, inclusion=False, agents=("cdk46_inhibitor",), forbidden=True)
    assert outcome({"prior_treatments": [{"agent": "palbociclib", "setting": "metastatic"}]}, **rule) is Outcome.not_met
    assert outcome({"prior_treatments": [{"agent": "letrozole", "setting": "metastatic"}]}, **rule) is Outcome.met


def test_a_required_class_is_met_by_any_of_its_members():
    rule = dict(kind=K.prior_agents, agents=("cdk46_inhibitor",), forbidden=False)
    assert outcome({"prior_treatments": [{"agent": "ribociclib", "setting": "metastatic"}]}, **rule) is Outcome.met
    assert outcome({"prior_treatments": []}, **rule) is Outcome.not_met


def test_a_qualified_criterion_never_fails():
    assert outcome({"ecog": 3}, kind=K.ecog, minimum=0, maximum=1, qualified=True) is Outcome.unknown
    assert outcome({"ecog": 1}, kind=K.ecog, minimum=0, maximum=1, qualified=True) is Outcome.met


def test_an_uncertain_value_is_unknown():
    assert outcome({"setting": "metastatic"}, kind=K.setting, allowed=("locally_advanced",), uncertain=("metastatic",)) is Outcome.unknown
    assert outcome({"setting": "early"}, kind=K.setting, allowed=("locally_advanced",), uncertain=("metastatic",)) is Outcome.not_met


def test_men_are_exempt_from_a_menopausal_criterion_that_names_them():
    rule = dict(kind=K.menopausal_status, allowed=("postmenopausal",), men_exempt=True)
    assert outcome({"sex": "male"}, **rule) is Outcome.met
    assert outcome({"sex": "female", "menopausal_status": "premenopausal"}, **rule) is Outcome.not_met


@pytest.mark.parametrize("biomarkers, expected", [({"gBRCA1": "mutated"}, Outcome.met), ({"gBRCA1": "negative"}, Outcome.unknown),
                                                  ({"gBRCA1": "negative", "gBRCA2": "negative"}, Outcome.not_met), (None, Outcome.unknown)])
def test_any_of_the_genes_mutated(biomarkers, expected):
    assert outcome({"biomarkers": biomarkers}, kind=K.biomarkers, genes=("gBRCA1", "gBRCA2"), allowed=("mutated",)) is expected


def test_a_non_breast_trial_fails_on_condition_whatever_the_profile():
    assert outcome({}, kind=K.condition, allowed=()) is Outcome.not_met
    assert outcome({}, kind=K.condition, allowed=("breast",)) is Outcome.met


def test_the_verdict_convention():
    assert verdict_of([Outcome.met, Outcome.unknown, Outcome.not_met]) is Verdict.not_eligible
    assert verdict_of([Outcome.met, Outcome.unknown]) is Verdict.possibly_eligible
    assert verdict_of([Outcome.met, Outcome.met]) is Verdict.likely_eligible


def test_unknowns_become_plain_questions_once_each():
    criteria = [Criterion(kind=K.her2, inclusion=True, sentence="HER2-positive", allowed=("positive",)),
                Criterion(kind=K.her2, inclusion=True, sentence="HER2 3+", allowed=("positive",)),
                Criterion(kind=K.biomarkers, inclusion=True, sentence="gBRCA", genes=("gBRCA1", "gBRCA2"), allowed=("mutated",))]
    result = assess(Profile(), criteria, CLASSES)
    assert result.verdict is Verdict.possibly_eligible
    assert result.questions == [question_for(criteria[0]), "Have I been tested for BRCA1 or BRCA2, and what did the test show?"]


def test_a_criterion_round_trips_through_json():
    c = Criterion(kind=K.prior_agents, inclusion=False, sentence="s", agents=("serd",), except_setting="early")
    assert Criterion.model_validate(c.model_dump(mode="json")) == c


# --- the safety property: an unknown fact never rules anyone out --------------------------------

FULL = {"age": 52, "sex": "female", "setting": "metastatic", "er": "positive", "pr": "negative", "her2": "positive",
        "menopausal_status": "postmenopausal", "ecog": 1, "measurable_disease": True, "brain_metastases": "stable",
        "leptomeningeal_disease": False, "prior_lines_metastatic": 2, "prior_chemotherapy_lines_metastatic": 1,
        "prior_endocrine_lines_metastatic": 1,
        "prior_treatments": [{"agent": "trastuzumab", "setting": "metastatic"}, {"agent": "letrozole", "setting": "early"}],
        "biomarkers": {"PIK3CA": "mutated", "gBRCA1": "negative"}}

receptor = st.sampled_from(["positive", "low", "ultralow", "negative"])
agents = st.sampled_from(["trastuzumab", "palbociclib", "letrozole", "fulvestrant", "paclitaxel", "olaparib", "pembrolizumab",
                          "trastuzumab deruxtecan", "alpelisib"])
profiles = st.fixed_dictionaries({}, optional={
    "age": st.integers(18, 95), "sex": st.sampled_from(["female", "male"]),
    "setting": st.sampled_from(["metastatic", "locally_advanced", "early"]), "er": receptor, "pr": receptor, "her2": receptor,
    "menopausal_status": st.sampled_from(["premenopausal", "perimenopausal", "postmenopausal"]), "ecog": st.integers(0, 4),
    "measurable_disease": st.booleans(), "brain_metastases": st.sampled_from(["none", "stable", "active"]),
    "leptomeningeal_disease": st.booleans(), "prior_lines_metastatic": st.integers(0, 5),
    "prior_chemotherapy_lines_metastatic": st.integers(0, 5), "prior_endocrine_lines_metastatic": st.integers(0, 5),
    "prior_treatments": st.lists(st.fixed_dictionaries({"agent": agents, "setting": st.sampled_from(["early", "metastatic"])}), max_size=4),
    "biomarkers": st.dictionaries(st.sampled_from(["gBRCA1", "gBRCA2", "PIK3CA", "ESR1"]), st.sampled_from(["mutated", "negative"]), max_size=3),
})


def _criteria_of_fixtures() -> list[list[Criterion]]:
    from pathlib import Path

    from alongside.trials.eligibility_text import extract_criteria
    from alongside.trials.study import load_study
    root = Path(__file__).parents[2] / "fixtures" / "ctgov"
    return [extract_criteria(load_study(p.read_bytes())) for p in sorted(root.glob("NCT*.json"))]


FIXTURE_CRITERIA = _criteria_of_fixtures()


@settings(max_examples=300, deadline=None)
@given(profiles, st.data())
def test_removing_a_fact_never_rules_a_person_out(profile, data):
    """Removing a fact can only move a criterion to unknown: possibly or likely never becomes not
    eligible, and not eligible never becomes likely (at most possibly)."""
    if not profile:
        return
    try:
        Profile.model_validate(profile)
    except ValidationError:
        assume(False)  # lines that do not add up are refused (test below)
    fact = data.draw(st.sampled_from(sorted(profile)))
    fewer = {k: v for k, v in profile.items() if k != fact}
    criteria = data.draw(st.sampled_from(FIXTURE_CRITERIA))
    before = assess(Profile.model_validate(profile), criteria, CLASSES)
    after = assess(Profile.model_validate(fewer), criteria, CLASSES)
    if before.verdict is not Verdict.not_eligible:
        assert after.verdict is not Verdict.not_eligible
    else:
        assert after.verdict is not Verdict.likely_eligible
    for b, a in zip(before.results, after.results):
        assert a.outcome in (b.outcome, Outcome.unknown)


def test_an_uncertain_receptor_value_is_unknown():
    # "HER2 IHC negative" (IHC 0 or 1+): HER2-low may be 2+ without amplification.
    rule = dict(kind=K.her2, allowed=("negative", "ultralow"), uncertain=("low",))
    assert outcome({"her2": "low"}, **rule) is Outcome.unknown
    assert outcome({"her2": "ultralow"}, **rule) is Outcome.met
    assert outcome({"her2": "positive"}, **rule) is Outcome.not_met


def test_a_qualified_criterion_fails_when_the_profile_is_clearly_outside_its_exception():
    rule = dict(kind=K.prior_lines, minimum=1, qualified=True, exception_if_hormone_receptor_positive=True,
                exception_if_agents=("endocrine",), exception_if_setting="early")
    first_line = {"prior_lines_metastatic": 0}
    assert outcome({**first_line, "er": "negative", "pr": "negative"}, **rule) is Outcome.not_met
    assert outcome({**first_line, "er": "low", "pr": "negative"}, **rule) is Outcome.unknown  # ER-low may count as HR-positive
    assert outcome({**first_line, "er": "positive", "prior_treatments": []}, **rule) is Outcome.not_met
    assert outcome({**first_line, "er": "positive", "prior_treatments": [{"agent": "letrozole", "setting": "metastatic"}]},
                   **rule) is Outcome.not_met  # hormone therapy, but not adjuvant
    assert outcome({**first_line, "er": "positive", "prior_treatments": [{"agent": "letrozole", "setting": "early"}]},
                   **rule) is Outcome.unknown
    assert outcome(first_line, **rule) is Outcome.unknown


def test_after_surgery_asks_about_surgery():
    c = Criterion(kind=K.setting, inclusion=True, sentence="s", allowed=(), uncertain=("early",), after_surgery=True)
    assert "surgery" in question_for(c)
    assert outcome({"setting": "early"}, kind=K.setting, allowed=(), uncertain=("early",), after_surgery=True) is Outcome.unknown
    assert outcome({"setting": "locally_advanced"}, kind=K.setting, allowed=(), uncertain=("early",)) is Outcome.not_met
