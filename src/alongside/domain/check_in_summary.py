"""One check-in in a line or two, for every place that summarises one: the clinic summary PDF,
the appointment page, the record.

A summary that leads with "nothing above mild" while the same check-in raised a red alert for
possible neutropenic sepsis tells the clinic the opposite of what happened. So every summary
names, in this order: the check-in's red alerts, then amber, then green; the urgent questions
answered yes; the temperature; and only then the worst symptoms. Reassuring words ("nothing
above mild") are used only when there is no alert, no urgent answer and no symptom above mild.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..clinical.contacts import Level
from ..clinical.red_flags import BY_CODE
from .entries import Entry
from .instrument import instrument
from .monitoring import Alert, grade_symptoms

LEVEL_ORDER = {Level.RED: 0, Level.AMBER: 1, Level.GREEN: 2}
NOTHING_ABOVE_MILD = "nothing above mild"
BURDEN_WORTH_NAMING = 4  # a 0-10 item from 4 up: ESAS-r's moderate band starts at 4
WORST_SHOWN = 4


@dataclass(frozen=True)
class SummaryLine:
    kind: str  # "alert", "red_flag", "temperature" or "symptom"
    text: str
    level: Level | None = None  # for an alert: its level


@dataclass(frozen=True)
class CheckInSummary:
    at: datetime
    lines: list[SummaryLine]  # alerts red to green, red flags answered yes, temperature, worst symptoms
    unwell: int | None  # burden `wellbeing`: 0 = well, 10 = as unwell as she could be

    @property
    def urgent(self) -> bool:
        """Whether any alert or urgent answer came with it: then nothing reassuring is said."""
        return any(line.kind in ("alert", "red_flag") for line in self.lines)

    @property
    def highest_level(self) -> Level | None:
        levels = [line.level for line in self.lines if line.level is not None]
        return min(levels, key=LEVEL_ORDER.__getitem__) if levels else None

    @property
    def text(self) -> str:
        """All of it in one line, alerts first; "nothing above mild" only when that is all there is."""
        return "; ".join(line.text for line in self.lines) or NOTHING_ABOVE_MILD

    @property
    def worst(self) -> list[SummaryLine]:
        return [line for line in self.lines if line.kind == "symptom"]


def summarise_check_in(entry: Entry, alerts: list[Alert]) -> CheckInSummary:
    """The summary of one stored check-in, given the alerts it raised (uow.alerts.for_check_in)."""
    check_in = entry.data
    lines = [SummaryLine("alert", f"{a.level.value.upper()} alert: {a.summary}", a.level)
             for a in sorted(alerts, key=lambda a: (LEVEL_ORDER[a.level], a.created_at))]
    named = {a.item for a in alerts if a.rule == "red_flag"}
    lines += [SummaryLine("red_flag", f"Answered yes: {BY_CODE[code].short}" if code in BY_CODE else
                          f"Answered yes: {code.replace('_', ' ')}")
              for code, answer in check_in.red_flags.items() if answer and code not in named]
    if check_in.temperature_c is not None:
        lines.append(SummaryLine("temperature", f"temperature {check_in.temperature_c:.1f} °C"))
    lines += [SummaryLine("symptom", text) for text in _worst(check_in)]
    return CheckInSummary(check_in.submitted_at, lines, check_in.burden.get("wellbeing"))


def _worst(check_in) -> list[str]:
    questions = instrument()
    labels = {b.code: b.label for b in questions.burden.items}
    graded = sorted(((questions.symptom(code).label, grade) for code, grade in grade_symptoms(check_in).items()
                     if grade >= 1 and questions.symptom(code)), key=lambda g: -g[1])
    burden = sorted(((labels.get(code, code), score) for code, score in check_in.burden.items()
                     if score >= BURDEN_WORTH_NAMING and code != "wellbeing"), key=lambda b: -b[1])
    return ([f"{name}: grade {grade}" for name, grade in graded] + [f"{name}: {score}/10" for name, score in burden]
            )[:WORST_SHOWN]
