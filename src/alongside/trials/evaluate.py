"""How well the matcher agrees with verdicts labelled by hand (the evaluation file of docs/trials.md).

Precision and recall of *not eligible* (wrongly ruling a person out is the costly error) and of
*likely eligible*, overall and per criterion kind, with every disagreement listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from alongside.clinical.trial_eligibility import CriterionKind, Outcome, Profile, Verdict

from .matcher import TrialMatch

__all__ = ["EvaluationFile", "Case", "Scores", "Disagreement", "Report", "deciding_kinds", "score"]

TARGET_NOT_ELIGIBLE_PRECISION = 0.95
TARGET_NOT_ELIGIBLE_RECALL = 0.80


class Patient(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    profile: Profile


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patient: str
    nct_id: str
    verdict: Verdict
    deciding: list[CriterionKind] = []
    note: str | None = None


class EvaluationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patients: list[Patient]
    expected: list[Expected]

    def check_references(self) -> list[str]:
        """Problems naming the field: an expected verdict for a patient the file does not define."""
        ids = {p.id for p in self.patients}
        return [f"expected[{i}].patient: no patient {e.patient!r} in patients"
                for i, e in enumerate(self.expected) if e.patient not in ids]


@dataclass(frozen=True)
class Case:
    expected: Expected
    got: TrialMatch


@dataclass(frozen=True)
class Scores:
    precision: float | None   # None: nothing was predicted in this class
    recall: float | None      # None: nothing was expected in this class
    predicted: int
    expected: int
    agreed: int


@dataclass(frozen=True)
class Disagreement:
    patient: str
    nct_id: str
    expected: Verdict
    got: Verdict
    expected_deciding: tuple[str, ...]
    got_deciding: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class Report:
    cases: int
    agreement: float
    overall: dict[Verdict, Scores]
    per_kind: dict[str, dict[Verdict, Scores]]
    disagreements: list[Disagreement]

    @property
    def meets_targets(self) -> bool:
        ne = self.overall[Verdict.not_eligible]
        return (ne.precision or 0) >= TARGET_NOT_ELIGIBLE_PRECISION and (ne.recall or 0) >= TARGET_NOT_ELIGIBLE_RECALL


def deciding_kinds(m: TrialMatch) -> tuple[str, ...]:
    """The criteria that made the verdict: those not met, or for a possible fit those unknown."""
    outcome = {Verdict.not_eligible: Outcome.not_met, Verdict.possibly_eligible: Outcome.unknown}.get(m.verdict)
    if outcome is None:
        return ()
    return tuple(dict.fromkeys(r.criterion.kind.value for r in m.results if r.outcome == outcome))


def score(cases: list[Case]) -> Report:
    kinds = sorted({k.value for c in cases for k in c.expected.deciding} | {k for c in cases for k in deciding_kinds(c.got)})
    per_kind = {}
    for kind in kinds:
        subset = [c for c in cases if kind in {k.value for k in c.expected.deciding} or kind in deciding_kinds(c.got)]
        per_kind[kind] = _by_verdict(subset)
    disagreements = [Disagreement(c.expected.patient, c.expected.nct_id, c.expected.verdict, c.got.verdict,
                                  tuple(k.value for k in c.expected.deciding), deciding_kinds(c.got), c.expected.note)
                     for c in cases if c.expected.verdict != c.got.verdict]
    agreed = len(cases) - len(disagreements)
    return Report(len(cases), agreed / len(cases) if cases else 0.0, _by_verdict(cases), per_kind, disagreements)


def _by_verdict(cases: list[Case]) -> dict[Verdict, Scores]:
    return {v: _scores(cases, v) for v in (Verdict.not_eligible, Verdict.likely_eligible)}


def _scores(cases: list[Case], verdict: Verdict) -> Scores:
    predicted = sum(c.got.verdict == verdict for c in cases)
    expected = sum(c.expected.verdict == verdict for c in cases)
    agreed = sum(c.got.verdict == verdict == c.expected.verdict for c in cases)
    return Scores(agreed / predicted if predicted else None, agreed / expected if expected else None,
                  predicted, expected, agreed)
