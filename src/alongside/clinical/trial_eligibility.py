"""Whether a person's facts meet a trial's eligibility criteria, criterion by criterion.

Pure rules, no ClinicalTrials.gov knowledge: a `Profile` (what is known about the person, every
fact optional), `Criterion` (one requirement read from a trial, with the sentence it came from)
and `assess`, which gives each criterion met / not met / unknown and the trial a `Verdict`.

The verdict convention (docs/trials.md, and the evaluation labels):
- not_eligible when at least one deciding criterion is clearly not met by a fact the profile
  states; a missing or borderline fact (ER-low against "ER-positive") gives unknown, never not
  met, so nobody is ruled out on a guess;
- possibly_eligible when none fails but at least one depends on a fact the profile does not state;
- likely_eligible when every deciding criterion the trial states is met.
Only the kinds in `CriterionKind` decide; the rest of a trial's list is for the team to check.

Receptor conventions follow the ASCO/CAP guidelines (docs/clinical-rules.md): HER2-low and
HER2-ultralow are HER2-negative; "hormone receptor positive" is ER or PR positive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Profile", "PriorTreatment", "CriterionKind", "Criterion", "Outcome", "Verdict",
    "CriterionResult", "Assessment", "assess", "assess_criterion", "verdict_of", "question_for",
    "HER2_NEGATIVE", "BIOMARKER_GENES",
]

Receptor = Literal["positive", "low", "ultralow", "negative", "negative_unscored"]
Setting = Literal["metastatic", "locally_advanced", "early"]
Mutation = Literal["mutated", "negative"]

# HER2-low (IHC 1+ or 2+/ISH-) and ultralow (IHC 0 with faint staining) are HER2-negative
# (ASCO/CAP 2023); a "HER2-negative" trial takes all three.
HER2_NEGATIVE = ("negative", "low", "ultralow")
# HER2 reported only as "negative": one of those three, not said which. It meets a criterion
# that takes all three, fails one that takes none of them, and is unknown for the rest.
HER2_UNSCORED = "negative_unscored"
# ER/PR "low" (1-10% of cells) is reported as positive but many trials treat it apart, so it
# never decides a positive/negative criterion on its own (ASCO/CAP ER/PR guideline 2020).
_BORDERLINE_RECEPTOR = "low"
BIOMARKER_GENES = ("BRCA1", "BRCA2", "gBRCA1", "gBRCA2", "PALB2", "PIK3CA", "ESR1", "AKT1", "PTEN")


class PriorTreatment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, description="lower-case generic drug name, e.g. trastuzumab")
    setting: Literal["early", "metastatic"]


class Profile(BaseModel):
    """What is known about the person. A fact left out (None) is unknown."""

    model_config = ConfigDict(extra="forbid")

    age: int | None = Field(default=None, ge=0, le=120)
    sex: Literal["female", "male"] | None = None
    country: str | None = None
    town: str | None = None
    setting: Setting | None = None
    er: Receptor | None = None
    pr: Receptor | None = None
    her2: Receptor | None = None
    menopausal_status: Literal["premenopausal", "perimenopausal", "postmenopausal"] | None = None
    ecog: int | None = Field(default=None, ge=0, le=4)
    measurable_disease: bool | None = None
    brain_metastases: Literal["none", "stable", "active"] | None = None
    leptomeningeal_disease: bool | None = None
    prior_lines_metastatic: int | None = Field(default=None, ge=0, le=30)
    prior_chemotherapy_lines_metastatic: int | None = Field(default=None, ge=0, le=30)
    prior_endocrine_lines_metastatic: int | None = Field(default=None, ge=0, le=30)
    prior_treatments: list[PriorTreatment] | None = None
    biomarkers: dict[Literal[BIOMARKER_GENES + ("PD-L1",)], Literal["mutated", "negative", "positive"]] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _lines_add_up(self) -> "Profile":
        """Chemotherapy and endocrine lines are among the lines for metastatic disease, so a
        profile cannot state more of them than lines in all (a contradiction would let the
        matcher read either number)."""
        total = self.prior_lines_metastatic
        chemo, endocrine = self.prior_chemotherapy_lines_metastatic, self.prior_endocrine_lines_metastatic
        if total is not None and (chemo or 0) + (endocrine or 0) > total:
            raise ValueError("prior_lines_metastatic: fewer than the chemotherapy and endocrine lines stated")
        return self


class CriterionKind(StrEnum):
    condition = "condition"
    setting = "setting"
    sex = "sex"
    age = "age"
    er = "er"
    pr = "pr"
    her2 = "her2"
    prior_lines = "prior_lines"
    prior_chemotherapy_lines = "prior_chemotherapy_lines"
    prior_endocrine_lines = "prior_endocrine_lines"
    prior_agents = "prior_agents"
    brain_metastases = "brain_metastases"
    leptomeningeal_disease = "leptomeningeal_disease"
    measurable_disease = "measurable_disease"
    ecog = "ecog"
    menopausal_status = "menopausal_status"
    biomarkers = "biomarkers"


class Outcome(StrEnum):
    met = "met"
    not_met = "not_met"
    unknown = "unknown"


class Verdict(StrEnum):
    likely_eligible = "likely_eligible"
    possibly_eligible = "possibly_eligible"
    not_eligible = "not_eligible"


class Criterion(BaseModel):
    """One requirement the person must meet, read from a trial, in positive form.

    An exclusion ("no prior SERD") is stored as what the person must satisfy (SERD forbidden);
    `inclusion` says which list it came from. Fields used per kind:
    - enum kinds (setting, sex, er, pr, her2, brain_metastases, menopausal_status,
      leptomeningeal_disease, measurable_disease as "true"/"false"): `allowed` values;
      er with `hormone_receptor` means "ER or PR" is what must be in `allowed`;
    - age, ecog and the prior-lines kinds: `minimum` / `maximum` (inclusive); prior_lines with
      `non_endocrine` counts only lines other than endocrine therapy;
    - prior_agents: `agents` (generic names or class ids) `forbidden` or required, in `in_setting`,
      with `except_agents` allowed in `except_setting`;
    - biomarkers: `genes` (any of them) whose value must be in `allowed`;
    - condition: `allowed` is ("breast",) for a breast cancer trial, () for any other.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: CriterionKind
    inclusion: bool
    sentence: str
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    hormone_receptor: bool = False
    non_endocrine: bool = False
    agents: tuple[str, ...] = ()
    forbidden: bool = True
    in_setting: Literal["any", "early", "metastatic"] = "any"
    except_agents: tuple[str, ...] = ()
    except_setting: Literal["any", "early", "metastatic"] = "any"
    genes: tuple[str, ...] = ()
    # Values the sentence leaves open ("metastases, if present, should be stable"): unknown.
    uncertain: tuple[str, ...] = ()
    # The sentence binds only part of the study ("Key inclusion criteria only for phase III") or
    # has an exception Alongside cannot read: failing it makes the trial possible, not excluded.
    qualified: bool = False
    # The exception of a qualified sentence, where it can be read ("HR positive patients will be
    # considered eligible if they have received ET as adjuvant therapy"): a profile that clearly
    # falls outside it (HR-negative, or treated without those agents) fails the sentence after all.
    exception_if_hormone_receptor_positive: bool = False
    exception_if_agents: tuple[str, ...] = ()
    exception_if_setting: Literal["any", "early", "metastatic"] = "any"
    # A trial for people after surgery ("after upfront mastectomy"): `early` is unknown, since a
    # profile cannot say whether surgery has happened, and the question asks about surgery.
    after_surgery: bool = False
    men_exempt: bool = False  # menopausal status asked of women only ("postmenopausal women and men")


# Plain dataclasses, not models: a match over a large corpus makes millions of them.
@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    outcome: Outcome
    fact: str | None  # the profile fact used, in words; None when unknown


@dataclass(frozen=True, slots=True)
class Assessment:
    verdict: Verdict
    results: list[CriterionResult]
    questions: list[str]


DrugClasses = Mapping[str, frozenset[str]]  # agent -> the class ids it belongs to


def assess(profile: Profile, criteria: list[Criterion], drug_classes: DrugClasses) -> Assessment:
    """Every criterion against the profile, the verdict, and the things to ask the team."""
    results = [assess_criterion(profile, c, drug_classes) for c in criteria]
    questions = list(dict.fromkeys(question_for(r.criterion) for r in results if r.outcome is Outcome.unknown))
    return Assessment(verdict=verdict_of([r.outcome for r in results]), results=results, questions=questions)


def verdict_of(outcomes: list[Outcome]) -> Verdict:
    if Outcome.not_met in outcomes:
        return Verdict.not_eligible
    if Outcome.unknown in outcomes:
        return Verdict.possibly_eligible
    return Verdict.likely_eligible


def assess_criterion(profile: Profile, criterion: Criterion, drug_classes: DrugClasses) -> CriterionResult:
    outcome, fact = _RULES[criterion.kind](profile, criterion, drug_classes)
    if outcome is Outcome.not_met and criterion.qualified and not _outside_exception(profile, criterion, drug_classes):
        outcome = Outcome.unknown
    return CriterionResult(criterion=criterion, outcome=outcome, fact=fact)


def _outside_exception(profile: Profile, c: Criterion, classes: DrugClasses) -> bool:
    """Whether the stated facts put the person clearly outside the sentence's exception."""
    hormone_negative = profile.er == "negative" and profile.pr == "negative"
    if c.exception_if_hormone_receptor_positive and hormone_negative:
        return True
    if c.exception_if_agents and profile.prior_treatments is not None:
        wanted = set(c.exception_if_agents)
        return not any(c.exception_if_setting in ("any", t.setting) and _in(t.agent, wanted, classes)
                       for t in profile.prior_treatments)
    return False


def _judge(ok: bool | None) -> Outcome:
    return Outcome.unknown if ok is None else (Outcome.met if ok else Outcome.not_met)


def _enum(field: str, label: str):
    def rule(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
        if c.men_exempt and profile.sex == "male":
            return Outcome.met, "sex: male (asked of women only)"
        value = getattr(profile, field)
        if value is None:
            return Outcome.unknown, None
        text = str(value).lower()
        if text in c.uncertain:
            return Outcome.unknown, f"{label}: {text}"
        return _judge(text in c.allowed), f"{label}: {text}"
    return rule


def _receptor(field: str, label: str):
    def rule(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
        if c.hormone_receptor:
            return _hormone_receptor(profile, c)
        value = getattr(profile, field)
        if value is None:
            return Outcome.unknown, None
        fact = f"{label}: {value}"
        if value == HER2_UNSCORED:
            return _her2_unscored(c), f"{label}: negative (not said whether 0, ultralow or low)"
        if value in c.allowed:
            return Outcome.met, fact
        if value in c.uncertain:
            return Outcome.unknown, fact
        if field != "her2" and value == _BORDERLINE_RECEPTOR:
            return Outcome.unknown, fact
        return Outcome.not_met, fact
    return rule


def _her2_unscored(c: Criterion) -> Outcome:
    accepted = set(c.allowed) & set(HER2_NEGATIVE)
    if accepted == set(HER2_NEGATIVE):
        return Outcome.met
    return Outcome.not_met if not accepted and not set(c.uncertain) & set(HER2_NEGATIVE) else Outcome.unknown


def _hormone_receptor(profile: Profile, c: Criterion) -> tuple[Outcome, str | None]:
    """ER or PR: met if either is in `allowed`, not met only when both are stated and clearly outside."""
    values = [profile.er, profile.pr]
    fact = f"ER: {profile.er or 'not recorded'}, PR: {profile.pr or 'not recorded'}"
    if any(v in c.allowed for v in values if v):
        return Outcome.met, fact
    if all(v is not None and v != _BORDERLINE_RECEPTOR for v in values):
        return Outcome.not_met, fact
    return Outcome.unknown, fact if any(values) else None


def _number(field: str, label: str):
    def rule(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
        value = getattr(profile, field)
        if value is None:
            return Outcome.unknown, None
        return _judge(_within(value, c)), f"{label}: {value}"
    return rule


def _within(value: float, c: Criterion) -> bool:
    return (c.minimum is None or value >= c.minimum) and (c.maximum is None or value <= c.maximum)


def _flag(field: str, label: str):
    def rule(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
        value = getattr(profile, field)
        if value is None:
            return Outcome.unknown, None
        text = "true" if value else "false"
        return _judge(text in c.allowed), f"{label}: {'yes' if value else 'no'}"
    return rule


def _condition(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
    # Everyone Alongside matches has breast cancer; a trial for another condition never fits.
    return _judge("breast" in c.allowed), "condition: breast cancer"


def _sex(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
    if profile.sex is None:
        return Outcome.unknown, None
    return _judge(profile.sex in c.allowed), f"sex: {profile.sex}"


def _prior_lines(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
    """Lines of treatment for metastatic disease, all of them or only the non-endocrine ones.

    The count is known as a range: a stated total bounds it above; a stated chemotherapy count
    bounds the non-endocrine lines below. It fails only when the whole range is outside."""
    total, chemo, endocrine = (profile.prior_lines_metastatic, profile.prior_chemotherapy_lines_metastatic,
                               profile.prior_endocrine_lines_metastatic)
    if c.non_endocrine:
        low = max(chemo or 0, total - endocrine if total is not None and endocrine is not None else 0)
        high = total - endocrine if total is not None and endocrine is not None else total
        fact = f"lines for secondary cancer other than hormone therapy: {low if low == high else f'at least {low}'}"
        known = total is not None or chemo is not None
    else:
        low = max(total or 0, chemo or 0, endocrine or 0)
        high = total
        fact = f"lines of treatment for secondary cancer: {total if total is not None else f'at least {low}'}"
        known = any(v is not None for v in (total, chemo, endocrine))
    return _range_outcome(low, high, c, known), fact if known else None


def _range_outcome(low: float, high: float | None, c: Criterion, known: bool) -> Outcome:
    if c.maximum is not None and low > c.maximum and known:
        return Outcome.not_met
    if c.minimum is not None and high is not None and high < c.minimum:
        return Outcome.not_met
    if high is not None and low == high:
        return _judge(_within(low, c))
    if (c.minimum is None or low >= c.minimum) and (c.maximum is None or (high is not None and high <= c.maximum)):
        return Outcome.met
    return Outcome.unknown


def _lines(field: str, label: str):
    def rule(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
        value = getattr(profile, field)
        if value is None:
            # No lines at all for metastatic disease means none of this kind either.
            if profile.prior_lines_metastatic == 0:
                return _judge(_within(0, c)), f"{label}: 0"
            return Outcome.unknown, None
        return _judge(_within(value, c)), f"{label}: {value}"
    return rule


def _prior_agents(profile: Profile, c: Criterion, classes: DrugClasses) -> tuple[Outcome, str | None]:
    if profile.prior_treatments is None:
        if c.in_setting == "metastatic" and profile.prior_lines_metastatic == 0:
            return _judge(c.forbidden), "no treatment yet for secondary cancer"
        return Outcome.unknown, None
    wanted = set(c.agents)
    relevant = [t for t in profile.prior_treatments
                if c.in_setting in ("any", t.setting) and _in(t.agent, wanted, classes)
                and not (_in(t.agent, set(c.except_agents), classes) and c.except_setting in ("any", t.setting))]
    had = ", ".join(f"{t.agent} ({t.setting})" for t in relevant) or "none of these"
    if c.forbidden:
        return _judge(not relevant), f"previous treatment: {had}"
    return _judge(bool(relevant)), f"previous treatment: {had}"


def _in(agent: str, wanted: set[str], classes: DrugClasses) -> bool:
    return agent in wanted or bool(classes.get(agent, frozenset()) & wanted)


def _biomarkers(profile: Profile, c: Criterion, _: DrugClasses) -> tuple[Outcome, str | None]:
    stated = {g: (profile.biomarkers or {}).get(g) for g in c.genes}
    known = {g: v for g, v in stated.items() if v is not None}
    fact = ", ".join(f"{g}: {v}" for g, v in known.items()) or None
    if any(v in c.allowed for v in known.values()):
        return Outcome.met, fact
    if known and len(known) == len(c.genes):
        return Outcome.not_met, fact
    return Outcome.unknown, fact


_RULES = {
    CriterionKind.condition: _condition,
    CriterionKind.setting: _enum("setting", "setting"),
    CriterionKind.sex: _sex,
    CriterionKind.age: _number("age", "age"),
    CriterionKind.er: _receptor("er", "ER"),
    CriterionKind.pr: _receptor("pr", "PR"),
    CriterionKind.her2: _receptor("her2", "HER2"),
    CriterionKind.prior_lines: _prior_lines,
    CriterionKind.prior_chemotherapy_lines: _lines("prior_chemotherapy_lines_metastatic", "lines of chemotherapy for secondary cancer"),
    CriterionKind.prior_endocrine_lines: _lines("prior_endocrine_lines_metastatic", "lines of hormone therapy for secondary cancer"),
    CriterionKind.prior_agents: _prior_agents,
    CriterionKind.brain_metastases: _enum("brain_metastases", "cancer in the brain"),
    CriterionKind.leptomeningeal_disease: _flag("leptomeningeal_disease", "cancer in the lining of the brain"),
    CriterionKind.measurable_disease: _flag("measurable_disease", "measurable disease"),
    CriterionKind.ecog: _number("ecog", "performance status (ECOG)"),
    CriterionKind.menopausal_status: _enum("menopausal_status", "menopausal status"),
    CriterionKind.biomarkers: _biomarkers,
}

# Plain words, written by us, for what to ask the team when the record does not say.
_QUESTIONS = {
    CriterionKind.condition: "Is this trial for my kind of cancer?",
    CriterionKind.setting: "Is my cancer early, locally advanced or secondary (metastatic), in the terms this trial uses?",
    CriterionKind.sex: "Does this trial take people of my sex?",
    CriterionKind.age: "Am I within the age range this trial takes?",
    CriterionKind.er: "What are my hormone receptor (ER) results?",
    CriterionKind.pr: "What is my progesterone receptor (PR) result?",
    CriterionKind.her2: "What is my HER2 result: positive, low, ultralow or zero?",
    CriterionKind.prior_lines: "How many lines of treatment have I had for secondary breast cancer?",
    CriterionKind.prior_chemotherapy_lines: "How many lines of chemotherapy have I had for secondary breast cancer?",
    CriterionKind.prior_endocrine_lines: "How many lines of hormone therapy have I had for secondary breast cancer?",
    CriterionKind.prior_agents: "Have I had any of the medicines this trial asks about, and when?",
    CriterionKind.brain_metastases: "Has the cancer spread to my brain, and if so is it treated and stable?",
    CriterionKind.leptomeningeal_disease: "Has the cancer spread to the lining of my brain or spinal cord?",
    CriterionKind.measurable_disease: "Can my cancer be measured on scans in the way this trial needs (RECIST)?",
    CriterionKind.ecog: "What is my performance status score (how much daily life is affected)?",
    CriterionKind.menopausal_status: "Am I counted as before, around or after the menopause?",
    CriterionKind.biomarkers: "Have I had the genetic or tumour tests this trial asks about, and what did they show?",
}


def question_for(criterion: Criterion) -> str:
    if criterion.kind is CriterionKind.setting and criterion.after_surgery:
        return "Have I already had surgery for this breast cancer? This trial is for people after their operation."
    if criterion.kind is CriterionKind.her2 and "low" in criterion.uncertain:
        return "Was my HER2 test scored 1+ or 2+? This trial takes a HER2 score of 0 or 1+ only."
    if criterion.kind is CriterionKind.biomarkers and criterion.genes:
        genes = " or ".join(dict.fromkeys(g.removeprefix("g") for g in criterion.genes))
        return f"Have I been tested for {genes}, and what did the test show?"
    return _QUESTIONS[criterion.kind]
