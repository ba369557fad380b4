"""Eligibility criteria read from real ClinicalTrials.gov records, sentence by sentence.

Every sentence here is quoted from a fixture study in tests/fixtures/ctgov/ (its NCT id named)."""

import json
from pathlib import Path

import pytest

from alongside.clinical.trial_eligibility import HER2_NEGATIVE, CriterionKind as K, Outcome, Profile, Verdict, assess_criterion
from alongside.trials.eligibility_text import criteria_from_text, extract_criteria, is_breast_cancer, split_items
from alongside.trials.matcher import home_of, match, rank
from alongside.trials.study import load_study

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ctgov"


def study(nct_id: str):
    return load_study((FIXTURES / f"{nct_id}.json").read_bytes())


def only(text: str, kind: K, inclusion: bool = True):
    heading = "Inclusion Criteria:" if inclusion else "Exclusion Criteria:"
    found = [c for c in criteria_from_text(f"{heading}\n\n* {text}") if c.kind is kind]
    assert len(found) == 1, found
    assert found[0].sentence == text and found[0].inclusion is inclusion
    return found[0]


def none_of(text: str, kind: K, inclusion: bool = True) -> None:
    heading = "Inclusion Criteria:" if inclusion else "Exclusion Criteria:"
    assert [c for c in criteria_from_text(f"{heading}\n\n* {text}") if c.kind is kind] == []


# --- sections, headings and nested bullets -----------------------------------------------------

def test_headings_that_vary_split_inclusion_from_exclusion():
    items = split_items("Key Inclusion Criteria\n\n* ECOG PS 0 or 1.\n\nKey Exclusion Criteria\n\n* Any concurrent anti-cancer treatment.")
    assert [(i.text, i.inclusion) for i in items] == [("ECOG PS 0 or 1.", True), ("Any concurrent anti-cancer treatment.", False)]


def test_a_nested_sub_bullet_belongs_to_its_parent_sentence():
    # NCT06103864
    text = ("Key Inclusion Criteria\n\n* No prior chemotherapy or other systemic anti-cancer therapy for metastatic or locally "
            "recurrent inoperable breast cancer.\n\n  - Patients with recurrent disease will be eligible if they have completed "
            "treatment for Stage I-III breast cancer, if indicated.\n* Measurable disease as per RECIST 1.1.")
    items = split_items(text)
    assert len(items) == 2
    assert items[0].text.endswith("if they have completed treatment for Stage I-III breast cancer, if indicated.")
    assert len(items[0].sentences) == 2


def test_a_numbered_list_run_into_one_line_is_split_with_its_headings():
    # NCT06131424
    items = split_items("Inclusion Criteria:1. Men or women, ≥18 years of age 2. Provision of informed consent "
                        "- Exclusion Criteria:1. Have a history of other malignancies")
    assert [(i.text, i.inclusion) for i in items] == [("Men or women, ≥18 years of age", True),
                                                      ("Provision of informed consent", True),
                                                      ("Have a history of other malignancies", False)]


def test_items_under_a_heading_for_one_part_of_the_study_are_qualified():
    # NCT04862663
    text = ("Key inclusion criteria for both phases:\n1. Histologically confirmed HR+/ HER2- breast cancer\n"
            "Key inclusion criteria only for phase III:\n4. Have measurable lesion(s) according to RECIST v1.1.")
    criteria = criteria_from_text(text)
    assert {c.kind: c.qualified for c in criteria} == {K.her2: False, K.er: False, K.measurable_disease: True}


# --- receptors ---------------------------------------------------------------------------------

def test_her2_positive_and_er_positive_in_long_form():
    text = ("Histologically or cytologically confirmed and documented human epidermal growth factor receptor 2 (HER2)-positive/"
            "estrogen receptor (ER)-positive adenocarcinoma of the breast with metastatic or locally-advanced disease not "
            "amenable to curative resection")  # NCT05296798
    assert only(text, K.her2).allowed == ("positive",)
    assert only(text, K.er).allowed == ("positive",)


def test_hr_positive_her2_negative_takes_her2_low():
    text = "Histologically or cytologically documented diagnosis of HR-positive, HER2-negative breast cancer"  # NCT06380751
    assert only(text, K.her2).allowed == HER2_NEGATIVE
    assert only(text, K.er).hormone_receptor


def test_triple_negative_is_three_criteria():
    kinds = {c.kind: c.allowed for c in criteria_from_text("Inclusion Criteria:\n* Patients who have histologically confirmed TNBC.")}  # NCT06189209
    assert kinds == {K.er: ("negative",), K.pr: ("negative",), K.her2: HER2_NEGATIVE}


def test_her2_positive_named_in_an_exclusion_about_therapy_is_not_a_receptor_criterion():
    # NCT05894239: the exclusion is about earlier treatment of HER2-positive disease, not HER2 status
    none_of("Any prior systemic non-hormonal anti-cancer therapy for locally advanced or metastatic HER2-positive breast "
            "cancer prior to initiation of induction therapy", K.her2, inclusion=False)


def test_regardless_of_hr_status_sets_no_hormone_criterion():
    text = ("Must have a histological or cytological confirmed previous diagnosis as HER2-negative (IHC zero, 1+, 2+/ISH-) "
            "locally-advanced or mBC between 01 January 2019 and 31 December 2022, regardless of HR status")  # NCT06131424
    assert only(text, K.her2).allowed == HER2_NEGATIVE
    none_of(text, K.er)


# --- lines of treatment for advanced disease ---------------------------------------------------

def test_no_prior_systemic_therapy_for_advanced_disease():
    assert only("No prior systemic anti-cancer therapy for advanced disease", K.prior_lines).maximum == 0  # NCT06065748


def test_non_hormonal_therapy_excluded_with_one_endocrine_line_allowed():
    text = ("Previous systemic non-hormonal anti-cancer therapy in the metastatic breast cancer (MBC) or advanced breast cancer "
            "(ABC) setting. Note: Up to one line of single-agent endocrine therapy given in the metastatic or locally advanced "
            "setting will be allowed.")  # NCT05296798
    lines = only(text, K.prior_lines, inclusion=False)
    assert (lines.maximum, lines.non_endocrine) == (0, True)
    assert only(text, K.prior_endocrine_lines, inclusion=False).maximum == 1


def test_more_than_n_lines_excluded():
    assert only("More than 1 line of chemotherapy for metastatic disease.", K.prior_chemotherapy_lines, inclusion=False).maximum == 1
    assert only("More than 2 lines of prior endocrine therapy treatment", K.prior_endocrine_lines, inclusion=False).maximum == 2


def test_at_least_but_not_more_than():
    c = only("Patients who have received at least 1 but not more than 3 prior chemotherapy regimens in a metastatic setting.",
             K.prior_chemotherapy_lines)  # NCT06189209
    assert (c.minimum, c.maximum) == (1, 3)


def test_one_or_more_lines_required():
    text = ("Has radiographic disease progression on one or more lines of endocrine therapy for unresectable locally advanced/"
            "metastatic HR+/HER2- breast cancer, with one in combination with a CDK4/6 inhibitor")  # NCT06312176
    assert only(text, K.prior_endocrine_lines).minimum == 1
    required = [c for c in criteria_from_text(f"Inclusion Criteria:\n* {text}") if c.kind is K.prior_agents]
    assert [c.agents for c in required] == [("endocrine",), ("cdk46_inhibitor",)] and not any(c.forbidden for c in required)


def test_prior_therapy_with_a_named_class_in_the_metastatic_setting_is_about_agents_not_lines():
    text = ("Prior treatment in the locally advanced or metastatic setting with any PI3K, AKT, or mTOR inhibitor or any agent "
            "whose mechanism of action is to inhibit the PI3K-AKT-mTOR pathway")  # NCT05894239
    none_of(text, K.prior_lines, inclusion=False)
    c = only(text, K.prior_agents, inclusion=False)
    assert (c.agents, c.in_setting, c.forbidden) == (("pi3k_akt_mtor_inhibitor",), "metastatic", True)


# --- agents, except and unless -----------------------------------------------------------------

def test_except_narrows_an_excluded_class():
    text = ("Previous treatment with approved or investigative anti-HER2 agents in any breast cancer treatment setting, except "
            "Phesgo (or trastuzumab SC with pertuzumab IV, or pertuzumab and trastuzumab IV), single-agent trastuzumab IV or SC, "
            "ado-trastuzumab emtansine, lapatinib, and neratinib in the neoadjuvant or adjuvant setting")  # NCT05296798
    c = only(text, K.prior_agents, inclusion=False)
    assert c.agents == ("her2_directed",) and c.except_setting == "early"
    assert set(c.except_agents) == {"pertuzumab", "trastuzumab", "trastuzumab emtansine", "lapatinib", "neratinib"}


def test_a_specific_class_wins_over_the_general_word_inside_it():
    text = "Prior exposure to any treatment including ADC containing a chemotherapeutic agent targeting topoisomerase I and TROP2-targeted therapy."
    assert only(text, K.prior_agents, inclusion=False).agents == ("topoisomerase1_adc", "trop2_directed")  # NCT06103864


def test_hypersensitivity_to_a_drug_is_not_prior_treatment():
    none_of("Known hypersensitivity to alpelisib or fulvestrant, or to any of the excipients of alpelisib or fulvestrant",
            K.prior_agents, inclusion=False)  # NCT05631795


def test_permitted_in_the_adjuvant_setting():
    text = ("Prior treatment with CDK4/6 inhibitors in the metastatic setting (prior CDK4/6 inhibitors permitted in the adjuvant "
            "setting provided there was a CDK4/6i treatment free interval of at least 12 months).")  # NCT04862663
    c = only(text, K.prior_agents, inclusion=False)
    assert (c.agents, c.in_setting) == (("cdk46_inhibitor",), "metastatic")


# --- brain, leptomeningeal, measurable, ECOG, menopause, biomarkers ----------------------------

def test_active_brain_metastases_excluded_so_treated_stable_ones_are_allowed():
    text = "Known active uncontrolled or symptomatic central nervous system (CNS) metastases, carcinomatous meningitis, or leptomeningeal disease"
    assert only(text, K.brain_metastases, inclusion=False).allowed == ("none", "stable")  # NCT05296798
    assert only(text, K.leptomeningeal_disease, inclusion=False).allowed == ("false",)


def test_may_be_included_if_treated():
    text = ("Participants with a history of previously treated neoplastic spinal cord compression or treated, clinically inactive "
            "brain metastases that are no longer symptomatic, who require no treatment with corticosteroids or anticonvulsants, "
            "may be included in the study if they have recovered from acute toxic effects of radiotherapy.")  # NCT06103864
    assert only(text, K.brain_metastases, inclusion=False).allowed == ("none", "stable")


def test_brain_metastases_excluded_outright():
    text = "Spinal cord compression, brain metastases, carcinomatous meningitis, or leptomeningeal disease"  # NCT06380751
    assert only(text, K.brain_metastases, inclusion=False).allowed == ("none",)


def test_unless_treated_and_stable_leaves_leptomeningeal_disease_to_the_team():
    text = ("Spinal cord compression, brain metastases or leptomeningeal metastases unless these lesions are definitively treated "
            "(eg. radiotherapy, surgery) and clinically stable off steroids for management of symptoms for at least 4 weeks prior "
            "to study treatment initiation.")  # NCT04862663
    assert only(text, K.brain_metastases, inclusion=False).allowed == ("none", "stable")
    none_of(text, K.leptomeningeal_disease, inclusion=False)


def test_measurable_disease_and_the_non_measurable_alternative():
    assert only("Measurable disease as per RECIST 1.1.", K.measurable_disease).allowed == ("true",)  # NCT06103864
    none_of("At least one measurable lesion and/or non-measurable disease evaluable according to Response Evaluation Criteria "
            "in Solid Tumors (RECIST) version 1.1", K.measurable_disease)  # NCT05296798


@pytest.mark.parametrize("text, low, high", [
    ("Eastern Cooperative Oncology Group (ECOG) Performance Status 0 or 1", 0, 1),           # NCT05296798
    ("Eastern Cooperative Oncology Group (ECOG) Performance Status 0, 1, or 2", 0, 2),       # NCT04961996
    ("ECOG (Eastern Cooperative Oncology Group) Performance Status < 2", 0, 1),             # NCT05631795
    ("Eastern Cooperative Oncology Group (ECOG) performance status of ≤ 1", 0, 1),           # NCT05774951
    ("ECOG performance status 0 to 2.", 0, 2),                                              # NCT06189209
])
def test_ecog_ranges(text, low, high):
    c = only(text, K.ecog)
    assert (c.minimum, c.maximum) == (low, high)


def test_who_in_a_sentence_is_not_the_who_scale():
    none_of("Patients who have received at least 1 but not more than 3 prior chemotherapy regimens in a metastatic setting.", K.ecog)


def test_postmenopausal_only_and_men_exempt():
    text = "Postmenopausal females and males ≥ 18 years old with confirmed HR-positive, HER2-negative advanced or metastatic breast cancer."
    c = only(text, K.menopausal_status)  # NCT05631795
    assert c.allowed == ("postmenopausal",) and c.men_exempt
    none_of("Adult females (pre-/peri-/ and post-menopausal), and adult males.", K.menopausal_status)  # NCT04862663


def test_germline_brca_or_palb2():
    c = only("Documented germline tumour loss of function mutation in BRCA1, BRCA2, or PALB2", K.biomarkers)  # NCT06380751
    assert (c.genes, c.allowed) == (("gBRCA1", "gBRCA2", "PALB2"), ("mutated",))


def test_a_test_for_a_mutation_status_is_not_a_requirement_of_one():
    none_of("Confirmed ESR1 mutation status (ESR1m versus ESR1nmd) in baseline circulating tumor DNA (ctDNA) through central "
            "laboratory testing", K.biomarkers)  # NCT06065748


def test_pd_l1_positive_but_not_a_pd_l1_inhibitor():
    text = ("PD-L1 positive TNBC based on results from an appropriately validated investigational PD-L1 (22C3) assay (CPS ≥ 10) "
            "from a sponsor designated central laboratory.")  # NCT06103864
    assert only(text, K.biomarkers).genes == ("PD-L1",)
    none_of("Participants with a known severe hypersensitivity to PD-1/PD-L1 inhibitors or Dato-DXd.", K.biomarkers, inclusion=False)


# --- structured fields ---------------------------------------------------------------------------

def test_condition_from_the_conditions_not_a_title_that_excludes_breast():
    assert not is_breast_cancer(study("NCT04482309"))   # "Any Tumor Type Excluding Breast"
    assert not is_breast_cancer(study("NCT05048797"))   # lung cancer
    assert is_breast_cancer(study("NCT05296798"))


def test_sex_and_age_from_the_structured_fields():
    criteria = {c.kind: c for c in extract_criteria(study("NCT05032404"))}
    assert criteria[K.sex].allowed == ("female",)
    assert (criteria[K.age].minimum, criteria[K.age].maximum) == (35, 55)


def test_every_criterion_of_every_fixture_is_json_and_quotes_a_sentence():
    from alongside.clinical.trial_eligibility import Criterion
    for path in sorted(FIXTURES.glob("NCT*.json")):
        for c in extract_criteria(load_study(path.read_bytes())):
            assert c.sentence.strip()
            assert Criterion.model_validate(json.loads(json.dumps(c.model_dump(mode="json")))) == c


# --- the "done when" cases ---------------------------------------------------------------

HER2_FIRST_LINE = {"age": 52, "sex": "female", "country": "United Kingdom", "town": "Leeds", "setting": "metastatic",
                   "er": "positive", "pr": "negative", "her2": "positive", "menopausal_status": "postmenopausal", "ecog": 1,
                   "measurable_disease": True, "brain_metastases": "stable", "leptomeningeal_disease": False,
                   "prior_lines_metastatic": 0, "prior_chemotherapy_lines_metastatic": 0, "prior_endocrine_lines_metastatic": 0,
                   "prior_treatments": [{"agent": "trastuzumab", "setting": "early"}]}
AFTER_TWO_LINES = {**HER2_FIRST_LINE, "prior_lines_metastatic": 2, "prior_chemotherapy_lines_metastatic": 2,
                   "prior_treatments": [{"agent": "trastuzumab", "setting": "early"},
                                        {"agent": "docetaxel", "setting": "metastatic"}, {"agent": "pertuzumab", "setting": "metastatic"},
                                        {"agent": "trastuzumab", "setting": "metastatic"},
                                        {"agent": "trastuzumab emtansine", "setting": "metastatic"}]}


def test_her2_positive_first_line_with_treated_brain_metastases_may_join_heredera():
    m = match(Profile.model_validate(HER2_FIRST_LINE), study("NCT05296798"))
    assert m.verdict in (Verdict.likely_eligible, Verdict.possibly_eligible)
    cns = [r for r in m.results if r.criterion.kind is K.brain_metastases]
    assert [r.outcome for r in cns] == [Outcome.met]
    assert cns[0].criterion.sentence.startswith("Known active uncontrolled or symptomatic central nervous system (CNS) metastases")


def test_after_two_lines_for_metastatic_disease_heredera_is_not_eligible_on_the_prior_therapy_sentence():
    m = match(Profile.model_validate(AFTER_TWO_LINES), study("NCT05296798"))
    assert m.verdict is Verdict.not_eligible
    failed = {r.criterion.sentence for r in m.outcomes(Outcome.not_met)}
    assert any(s.startswith("Previous systemic non-hormonal anti-cancer therapy in the metastatic breast cancer") for s in failed)


def test_triple_negative_trial_is_not_eligible_for_her2_positive():
    m = match(Profile.model_validate(HER2_FIRST_LINE), study("NCT06103864"))
    assert m.verdict is Verdict.not_eligible
    assert {r.criterion.kind for r in m.outcomes(Outcome.not_met)} >= {K.er, K.her2}
    assert any("TNBC" in r.criterion.sentence for r in m.outcomes(Outcome.not_met))


def test_neoadjuvant_trial_is_not_eligible_for_metastatic_disease_on_setting():
    m = match(Profile.model_validate(HER2_FIRST_LINE), study("NCT06038539"))
    assert m.verdict is Verdict.not_eligible
    setting = [r for r in m.outcomes(Outcome.not_met) if r.criterion.kind is K.setting]
    assert setting and "Early Stage or Locally Advanced Breast Cancer" in setting[0].criterion.sentence


def test_lung_cancer_trial_is_not_eligible_on_condition():
    m = match(Profile.model_validate(HER2_FIRST_LINE), study("NCT05048797"))
    assert m.verdict is Verdict.not_eligible
    assert [r.criterion.kind for r in m.outcomes(Outcome.not_met)] == [K.condition]


def test_an_unknown_fact_makes_a_trial_possible_with_a_question():
    partial = {k: v for k, v in HER2_FIRST_LINE.items() if k != "brain_metastases"}
    m = match(Profile.model_validate(partial), study("NCT05296798"))
    assert m.verdict is Verdict.possibly_eligible
    assert "Has the cancer spread to my brain, and if so is it treated and stable?" in m.questions


def test_ranked_by_fit_then_recruiting_then_distance_from_leeds():
    profile = Profile.model_validate(HER2_FIRST_LINE)
    studies = [study(n) for n in ("NCT05048797", "NCT05296798", "NCT06103864", "NCT05894239")]
    ranked = rank([match(profile, s) for s in studies], home_of("Leeds", "United Kingdom"))
    assert [m.verdict for m in ranked] == sorted((m.verdict for m in ranked),
                                                 key=[Verdict.likely_eligible, Verdict.possibly_eligible, Verdict.not_eligible].index)
    heredera = next(m for m in ranked if m.nct_id == "NCT05296798")
    assert heredera.nearest_site.country == "United Kingdom" and 0 < heredera.distance_km < 300


def test_a_town_missing_from_the_gazetteer_gives_no_distance():
    assert home_of("Nowhereville-upon-Nothing", "United Kingdom") is None


@pytest.mark.parametrize("profile", [HER2_FIRST_LINE, AFTER_TWO_LINES,
                                     {"setting": "metastatic", "er": "negative", "pr": "negative", "her2": "low", "ecog": 2},
                                     {"setting": "early", "er": "low", "her2": "negative", "sex": "male"}, {}])
def test_the_pre_filter_rules_out_only_what_the_full_assessment_finds_not_eligible(profile):
    from alongside.trials.matcher import ScreenedCorpus
    studies = [load_study(p.read_bytes()) for p in sorted(FIXTURES.glob("NCT*.json"))]
    corpus = ScreenedCorpus.build(studies, [extract_criteria(s) for s in studies])
    person = Profile.model_validate(profile)
    kept = set(corpus.candidates(person))
    for i, s in enumerate(studies):
        full = match(person, s, corpus.criteria[i]).verdict
        if i not in kept:
            assert full is Verdict.not_eligible, s.nct_id
    if profile:
        assert len(kept) < len(studies)


# --- the held-out set's findings (issue 14): never ruled out, never "likely", on a guess -------

LOCALLY_ADVANCED = {"setting": "locally_advanced", "her2": "negative"}
EARLY_BEFORE_SURGERY = {"age": 60, "sex": "female", "setting": "early", "er": "low", "pr": "negative", "her2": "positive",
                        "prior_lines_metastatic": 0, "prior_treatments": []}


def setting_of(nct_id: str):
    return next(c for c in extract_criteria(study(nct_id)) if c.kind is K.setting)


@pytest.mark.parametrize("nct_id, sentence", [
    ("NCT05032404", "Diagnosed with Stage I-III breast cancer"),
    ("NCT03797482", "Planed for Breast cancer surgery"),
    ("NCT06112379", None),  # a neoadjuvant title, "Stage II or III" in the text
])
def test_an_early_trial_before_surgery_leaves_inoperable_locally_advanced_disease_unknown(nct_id, sentence):
    # Inoperable locally advanced disease is often stage III and may become operable after treatment.
    setting = setting_of(nct_id)
    assert setting.allowed == ("early",) and setting.uncertain == ("locally_advanced",)
    assert sentence is None or setting.sentence == sentence
    assert match(Profile.model_validate(LOCALLY_ADVANCED), study(nct_id)).verdict is not Verdict.not_eligible


@pytest.mark.parametrize("nct_id, sentence", [
    ("NCT02992574", "Women with unilateral pT1,2N0M0 breast cancer"),  # title: "Post-Mastectomy Radiation Therapy"
    ("NCT04472845", "Complete microscopic excision of primary tumour"),
    ("NCT06926543", "Title: Phase III Randomized Controlled Trial of Sequential Chemotherapy and Radiotherapy Versus "
                    "Concurrent Chemoradiotherapy in Adjuvant Treatment of Breast Cancer (CONCERT)"),
    ("NCT04961996", "Participants must have undergone definitive surgery of their primary breast tumor(s)"),
    ("NCT02513394", "Patients must have undergone adequate (definitive) breast surgery for the current malignancy."),
])
def test_an_early_trial_after_surgery_is_possible_for_early_disease_and_asks_about_surgery(nct_id, sentence):
    setting = setting_of(nct_id)
    assert setting.after_surgery and setting.allowed == () and setting.uncertain == ("early",)
    assert setting.sentence.startswith(sentence)
    early = match(Profile.model_validate(EARLY_BEFORE_SURGERY), study(nct_id))
    assert next(r.outcome for r in early.results if r.criterion.kind is K.setting) is Outcome.unknown
    assert any("surgery" in q for q in early.questions)
    # Inoperable locally advanced disease has not been operated on: not this trial.
    assert match(Profile.model_validate(LOCALLY_ADVANCED), study(nct_id)).verdict is Verdict.not_eligible


def test_a_neoadjuvant_trial_that_mentions_adjuvant_treatment_is_still_before_surgery():
    # NCT06112379: "Neoadjuvant Datopotamab Deruxtecan ... Followed by Adjuvant Durvalumab"
    assert not setting_of("NCT06112379").after_surgery
    assert not setting_of("NCT06038539").after_surgery


def test_her2_ihc_negative_leaves_her2_low_unknown():
    c = only("Documented HER2 immunohistochemistry (IHC) negative as per ASCO-CAP 2018 guidance", K.her2)  # NCT05501886
    assert c.allowed == ("negative", "ultralow") and c.uncertain == ("low",)
    man = {"age": 67, "sex": "male", "setting": "metastatic", "er": "positive", "pr": "positive", "her2": "low"}
    m = match(Profile.model_validate(man), study("NCT05501886"))
    assert next(r.outcome for r in m.results if r.criterion.kind is K.her2) is Outcome.unknown
    assert "Was my HER2 test scored 1+ or 2+? This trial takes a HER2 score of 0 or 1+ only." in m.questions


def test_her2_negative_with_its_ihc_scores_spelt_out_still_takes_her2_low():
    text = ("Must have a histological or cytological confirmed previous diagnosis as HER2-negative (IHC zero, 1+, 2+/ISH-) "
            "locally-advanced or mBC between 01 January 2019 and 31 December 2022, regardless of HR status")  # NCT06131424
    assert only(text, K.her2).allowed == HER2_NEGATIVE


def test_a_limit_on_the_number_of_brain_metastases_leaves_even_active_ones_unknown():
    text = ("1 to 3 brain metastases, each with a maximum diameter of no more than 3 cm on contrast enhanced magnetic "
            "resonance imaging(MRI) scans")  # NCT05144867
    c = only(text, K.brain_metastases)
    assert c.allowed == () and set(c.uncertain) == {"active", "stable"}


def test_a_trial_that_requires_brain_metastases_requires_distant_spread():
    # NCT05144867: "metastatic disease detected on imaging" and "1 to 3 brain metastases"
    setting = setting_of("NCT05144867")
    assert setting.allowed == ("metastatic",) and setting.sentence.startswith("1 to 3 brain metastases")
    assert match(Profile.model_validate(LOCALLY_ADVANCED), study("NCT05144867")).verdict is Verdict.not_eligible
    active = {"setting": "metastatic", "age": 55, "ecog": 1, "brain_metastases": "active"}
    assert match(Profile.model_validate(active), study("NCT05144867")).verdict is Verdict.possibly_eligible
    none = {**active, "brain_metastases": "none"}
    assert match(Profile.model_validate(none), study("NCT05144867")).verdict is Verdict.not_eligible


def test_hr_positive_that_must_express_er_is_an_er_requirement():
    text = ("Histologically confirmed HR+/ HER2- breast cancer determined from the most recent tumour sample (primary or "
            "metastatic) per the American Society of Clinical Oncology and College of American Pathologists guideline. "
            "To fulfil the requirement of HR+ disease, a breast cancer must express ER with or without co-expression of "
            "progesterone receptor.")  # NCT04862663
    c = only(text, K.er)
    assert c.allowed == ("positive",) and not c.hormone_receptor
    er_negative_pr_positive = {"setting": "metastatic", "er": "negative", "pr": "positive", "her2": "negative"}
    m = match(Profile.model_validate(er_negative_pr_positive), study("NCT04862663"))
    assert m.verdict is Verdict.not_eligible and [r.criterion.kind for r in m.outcomes(Outcome.not_met)] == [K.er]


PROGRESSED_UNLESS_HR_POSITIVE = (
    "Must have progressed on any systemic anticancer therapy (eg, ET, chemotherapy, CDK4/6 inhibitor, targeted therapies "
    "other than anti-HER2, or immunotherapy) in the metastatic setting with the availability of at least 12 months of "
    "follow-up data (from the index date) in the medical records at the participating site, unless patient died within "
    "the first 12 months of diagnosis a) The HR positive patients will be considered eligible for the study if they have "
    "received ET as adjuvant therapy in the early BC setting and progressed within 24 months, this scenario will be "
    "considered as progression on systematic treatment in the advanced or metastatic setting")  # NCT06131424


def test_an_exception_for_hr_positive_people_after_adjuvant_endocrine_therapy_is_read():
    c = only(PROGRESSED_UNLESS_HR_POSITIVE, K.prior_lines)
    assert c.minimum == 1 and c.qualified
    assert c.exception_if_hormone_receptor_positive
    assert c.exception_if_agents == ("endocrine",) and c.exception_if_setting == "early"


@pytest.mark.parametrize("facts, verdict", [
    ({"er": "negative", "pr": "negative"}, Verdict.not_eligible),             # HR-negative: the exception cannot apply
    ({"er": "negative", "pr": "positive", "prior_treatments": []}, Verdict.not_eligible),  # no adjuvant hormone therapy
    ({"er": "positive", "pr": "positive",
      "prior_treatments": [{"agent": "letrozole", "setting": "early"}]}, Verdict.possibly_eligible),  # timing for the team
    ({"er": "positive", "pr": "positive"}, Verdict.possibly_eligible),        # treatments not stated
])
def test_first_line_against_a_study_of_progression_with_an_hr_positive_exception(facts, verdict):
    profile = {"age": 50, "sex": "female", "setting": "metastatic", "her2": "low", "prior_lines_metastatic": 0, **facts}
    assert match(Profile.model_validate(profile), study("NCT06131424")).verdict is verdict


@pytest.mark.parametrize("text", [
    "Received any anticancer therapy",  # NCT03797482
    "Any prior or concurrent surgery, radiotherapy or systemic anticancer therapy for TNBC or hormone receptor-low/HER2-negative "
    "breast cancer",  # NCT06112379
])
def test_an_exclusion_of_any_earlier_anticancer_therapy_forbids_every_medicine(text):
    c = only(text, K.prior_agents, inclusion=False)
    assert c.forbidden and c.in_setting == "any" and {"paclitaxel", "letrozole", "trastuzumab"} <= set(c.agents)
    treated = {"setting": "locally_advanced", "prior_treatments": [{"agent": "paclitaxel", "setting": "metastatic"}]}
    assert match(Profile.model_validate(treated), study("NCT03797482")).verdict is Verdict.not_eligible
    untreated = {**treated, "prior_treatments": []}
    assert match(Profile.model_validate(untreated), study("NCT03797482")).verdict is not Verdict.not_eligible


def test_an_exclusion_of_earlier_therapy_for_advanced_disease_does_not_forbid_every_medicine():
    # NCT05894239: about lines for advanced disease, read by the lines rule
    text = ("Any prior systemic non-hormonal anti-cancer therapy for locally advanced or metastatic HER2-positive breast "
            "cancer prior to initiation of induction therapy")
    assert all(len(c.agents) < 20 for c in criteria_from_text(f"Exclusion Criteria:\n\n* {text}") if c.kind is K.prior_agents)


@pytest.mark.parametrize("text, outcome", [
    # Takes every HER2-negative category: a bare "negative" meets it.
    ("HER2-negative breast cancer", Outcome.met),
    # Takes HER2-positive only: a bare "negative" is outside it.
    ("HER2-positive breast cancer (IHC 3+ or ISH amplified)", Outcome.not_met),
    # Takes HER2-low only, or 0 and ultralow with low uncertain: "negative" alone cannot tell.
    ("HER2-low breast cancer", Outcome.unknown),
    ("Documented HER2 immunohistochemistry (IHC) negative as per ASCO-CAP 2018 guidance", Outcome.unknown),
])
def test_her2_reported_only_as_negative_is_judged_by_what_the_criterion_takes(text, outcome):
    criterion = only(text, K.her2)
    profile = Profile.model_validate({"her2": "negative_unscored"})
    result = assess_criterion(profile, criterion, {})
    assert result.outcome is outcome
    assert result.fact == "HER2: negative (not said whether 0, ultralow or low)"
