"""When a check-in should alert the team, and why: severe, worsening, red flag, missed.

The rules follow the symptom-monitoring trials this loop is built on (Basch et al., JCO 2016 and
JAMA 2017; PRO-TECT, Basch et al., JAMA 2022): an alert for a severe symptom, or one that has
worsened, goes to a nurse. Defaults:
- severe: PRO-CTCAE composite grade 3 (the top grade; Basch et al., Clinical Trials 2021), or a
  0-10 burden item of 7 or more (the "severe" band of ESAS scores, Selby et al., J Pain Symptom
  Manage 2010), or any single answer of "very severe" whatever the composite grade (the trials
  above alerted on single severe item responses, not on composite grades; a composite can grade
  "rarely / very severe / not at all" as 2, and a care companion must not stay silent about a
  symptom she called very severe);
- worsening: 2 or more points higher than both the previous report and the person's own
  baseline (the first report after a treatment starts), so a steady high score alerts once as
  severe and a single bad week is not compared against a flattering baseline only;
- red flag: any raised flag, at its own level (see red_flags.py);
- missed: no check-in for 7 days plus 3 days' grace;
- blood result: a CTCAE v5.0 grade 3 result alerts the team for review today (amber) and a
  grade 4 one as urgent (red), when taken within the last 14 days (older results entered
  late, or imported history, are shown but do not page anyone). The CTCAE grades are
  defined as severe (3) and life-threatening (4); the mapping to our levels is our choice.
All are fields of `AlertThresholds`. A team may change four of them, and only towards alerting
more (`TEAM_ADJUSTABLE`): a lower severe 0-10 score, fewer points of worsening, less grace before a
missed check-in alerts. Nothing a team sets can silence an alert or make a red flag amber.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .contacts import Level
from .red_flags import RaisedFlag


@dataclass(frozen=True)
class AlertThresholds:
    severe_grade: int = 3
    severe_burden: int = 7
    very_severe_answer: int | None = 4  # a severity answer at or above this alerts on its own (None: off)
    worsening_grade_points: int = 2
    worsening_burden_points: int = 2
    check_in_every: timedelta = timedelta(days=7)
    missed_grace: timedelta = timedelta(days=3)
    severe_level: Level = Level.AMBER
    worsening_level: Level = Level.GREEN
    missed_level: Level = Level.GREEN
    lab_alert_grade: int = 3
    lab_urgent_grade: int = 4
    lab_alert_within: timedelta = timedelta(days=14)


@dataclass(frozen=True)
class Adjustable:
    """One threshold a team may change: within [most_sensitive, the service's default], never past it."""

    name: str
    label: str
    most_sensitive: int
    unit: str
    source: str


# Each bound is the most a team may lower a default, so that its patients are alerted about more,
# never less (docs/clinical-rules.md "Team thresholds"). Red flags, the fever temperature, the
# severe composite grade and the blood result grades are not offered: lowering them has no
# published band to stop at, and raising any threshold would silence alerts.
TEAM_ADJUSTABLE = (
    Adjustable("severe_burden", "A 0-10 score counts as severe from", 4, "points",
               "ESAS bands, Selby et al., J Pain Symptom Manage 2010: 4-6 moderate, 7-10 severe"),
    Adjustable("worsening_grade_points", "Worsening: a symptom's grade higher by", 1, "grades",
               "Basch et al., JCO 2016: an alert on any worsening grade"),
    Adjustable("worsening_burden_points", "Worsening: a 0-10 score higher by", 1, "points",
               "Basch et al., JCO 2016; our choice of the smallest step"),
    Adjustable("missed_grace_days", "A missed check-in alerts after this many days' grace", 0, "days",
               "our choice: no grace at all is the most a team may ask"),
)
ADJUSTABLE = {a.name: a for a in TEAM_ADJUSTABLE}


def default_of(thresholds: AlertThresholds, name: str) -> int:
    return thresholds.missed_grace.days if name == "missed_grace_days" else getattr(thresholds, name)


def out_of_bounds(thresholds: AlertThresholds, name: str, value: int) -> str | None:
    """Why a team may not set this threshold to this value, or None if it may."""
    rule, default = ADJUSTABLE[name], default_of(thresholds, name)
    if value < rule.most_sensitive or value > default:
        return (f"{rule.label}: choose from {rule.most_sensitive} to {default} {rule.unit}. A team may only "
                "make alerts come sooner than the default, never later.")
    return None


def for_teams(thresholds: AlertThresholds, teams_values: list[dict[str, int]]) -> AlertThresholds:
    """The thresholds for someone cared for by these teams: for each, the most sensitive that any
    of her teams chose, never less sensitive than the default (a stored value out of bounds is
    held to them, so an old or hand-edited row cannot silence an alert)."""
    changed = {}
    for rule in TEAM_ADJUSTABLE:
        default = default_of(thresholds, rule.name)
        chosen = [v for values in teams_values if isinstance(v := values.get(rule.name), int)]
        if chosen:
            changed[rule.name] = max(rule.most_sensitive, min(default, *chosen))
    if not changed:
        return thresholds
    grace = changed.pop("missed_grace_days", None)
    return replace(thresholds, **changed, **({"missed_grace": timedelta(days=grace)} if grace is not None else {}))


# A check-in sent up to this many days before the team's check-in day counts for that day (our
# choice: someone who checks in on Saturday for a Monday is not asked again two days later).
EARLY_DAYS = 3


def next_check_in_due(last: datetime, every: timedelta, weekday: int | None, zone: ZoneInfo) -> datetime:
    """When the next check-in is due after one sent at `last`: `every` later, or, when the team has
    a check-in day (0 Monday .. 6 Sunday), the start of the first such day more than EARLY_DAYS
    days after the day it was sent, in the service's time zone."""
    if weekday is None:
        return last + every
    day = last.astimezone(zone).date() + timedelta(days=EARLY_DAYS + 1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime.combine(day, time(), zone)


@dataclass(frozen=True)
class Scores:
    """What one check-in measured. Skipped items are absent, never zero."""

    grades: dict[str, int] = field(default_factory=dict)  # PRO-CTCAE composite grade 0-3 by symptom
    burden: dict[str, int] = field(default_factory=dict)  # 0-10 items by name
    # Parts of a symptom's question left blank: the grade rests on the rest (clinical/pro_ctcae.py).
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    severity: dict[str, int] = field(default_factory=dict)  # each symptom's severity answer, where given


@dataclass(frozen=True)
class Finding:
    rule: str  # severe, worsening, red_flag, missed
    level: Level
    item: str
    values: dict[str, object]


def evaluate(current: Scores, previous: Scores | None, baseline: Scores | None, flags: list[RaisedFlag],
             thresholds: AlertThresholds = AlertThresholds()) -> list[Finding]:
    findings = [Finding("red_flag", f.level, f.code, {"answer": f.value, "concern": f.concern}) for f in flags]
    findings += _severe(current, thresholds)
    findings += _worsening(current.grades, previous, baseline, "grades", thresholds.worsening_grade_points, thresholds)
    findings += _worsening(current.burden, previous, baseline, "burden", thresholds.worsening_burden_points, thresholds)
    return findings


def _severe(current: Scores, t: AlertThresholds) -> list[Finding]:
    found = [Finding("severe", t.severe_level, item, {"grade": grade, "threshold": t.severe_grade}
                     | ({"missing": list(current.missing[item])} if item in current.missing else {}))
             for item, grade in current.grades.items() if grade >= t.severe_grade]
    if t.very_severe_answer is not None:
        graded_severe = {f.item for f in found}
        found += [Finding("severe", t.severe_level, item, {"severity": score, "threshold": t.very_severe_answer})
                  for item, score in current.severity.items()
                  if score >= t.very_severe_answer and item not in graded_severe]
    found += [Finding("severe", t.severe_level, item, {"score": score, "threshold": t.severe_burden})
              for item, score in current.burden.items() if score >= t.severe_burden]
    return found


_RANK = {Level.GREEN: 0, Level.AMBER: 1, Level.RED: 2}


def symptom_level(grade: int | None, flag_levels: list[Level],
                  thresholds: AlertThresholds = AlertThresholds()) -> Level | None:
    """One symptom's own level, which chooses the self-care advice she reads for it.

    A reported symptom (grade 1 or more) is green; at the severe grade it takes the level a
    severe alert has; a "yes" to a red-flag question about the symptom gives it that flag's
    level, even when the symptom's own questions were skipped. The highest of these wins, so
    the advice never says less than the alert. None when there is nothing to advise on."""
    levels = list(flag_levels)
    if grade is not None and grade >= 1:
        levels.append(Level.GREEN)
    if grade is not None and grade >= thresholds.severe_grade:
        levels.append(thresholds.severe_level)
    return max(levels, key=_RANK.__getitem__, default=None)


def _worsening(now: dict[str, int], previous: Scores | None, baseline: Scores | None, part: str, points: int,
               t: AlertThresholds) -> list[Finding]:
    if previous is None or baseline is None:
        return []
    before, start = getattr(previous, part), getattr(baseline, part)
    found = []
    for item, value in now.items():
        if item in before and item in start and value - before[item] >= points and value - start[item] >= points:
            found.append(Finding("worsening", t.worsening_level, item,
                                 {"now": value, "previous": before[item], "baseline": start[item], "points": points}))
    return found


def missed_check_in(last_submitted: datetime | None, since: datetime, now: datetime,
                    thresholds: AlertThresholds = AlertThresholds(), weekday: int | None = None,
                    zone: ZoneInfo = ZoneInfo("Europe/London")) -> Finding | None:
    """A check-in is overdue when none has come in for the interval plus grace, counted from
    the last one (or from when monitoring began, for someone who has never checked in); with a
    team's check-in day, from the check-in day after it."""
    reference = last_submitted or since
    overdue = now - next_check_in_due(reference, thresholds.check_in_every, weekday, zone)
    if overdue < thresholds.missed_grace:
        return None
    return Finding("missed", thresholds.missed_level, "check_in",
                   {"last": last_submitted.isoformat() if last_submitted else None, "days": (now - reference).days})


def lab_result_finding(test: str, term: str, grade: int, value: float, unit: str, taken_on: date, today: date,
                       thresholds: AlertThresholds = AlertThresholds()) -> Finding | None:
    """A recent blood result graded at or above the alert grade, as a finding for the team."""
    if grade < thresholds.lab_alert_grade or today - taken_on > thresholds.lab_alert_within:
        return None
    level = Level.RED if grade >= thresholds.lab_urgent_grade else Level.AMBER
    return Finding("lab", level, test, {"term": term, "grade": grade, "value": value, "unit": unit,
                                         "taken_on": taken_on.isoformat()})
