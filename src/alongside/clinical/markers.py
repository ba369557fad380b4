"""Tumour marker trends (CA 15-3, CEA, CA 27.29).

What the guidelines say, and what this module therefore does not do: the ASCO guideline on
tumour markers in metastatic breast cancer (Van Poznak C et al., "Use of Biomarkers to Guide
Decisions on Systemic Therapy for Women With Metastatic Breast Cancer", J Clin Oncol
2015;33:2695-2704) says CA 15-3, CA 27.29 and CEA may be used as adjunctive evidence with
imaging and examination, never alone, to decide that disease is progressing; ESMO's advanced
breast cancer consensus (ABC) says the same. Markers can rise for other reasons (including a
short-lived "flare" in the first weeks of a new treatment), can stay normal despite disease,
and different assays and laboratories give different numbers for the same blood.

So a trend here describes; it never calls progression. It:
- splits the readings into segments whenever the assay or the laboratory changes, and never
  compares values across that break;
- gives the change from the first reading of a segment (baseline) and from its lowest (nadir);
- gives a doubling time, only while the marker is rising, from a log-linear least-squares fit
  of the readings from the nadir to the latest;
- flags a sustained rise only when a rise over the nadir above the threshold is confirmed by a
  later repeat test, far enough apart to be a genuine repeat, that is still above it. One high
  value alone never flags.

The thresholds are data (`MarkerRules`); docs/clinical-rules.md gives the source of each
default and says which are conventions rather than guideline numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

__all__ = ["MarkerReading", "MarkerRules", "DEFAULT_MARKER_RULES", "MarkerSegment", "TumourMarkerTrend",
           "marker_trend", "MARKER_CAVEAT", "MARKER_UNITS", "marker_in_canonical_unit", "MARKER_PLAUSIBLE_HIGH",
           "plausible_marker_value"]

MARKER_CAVEAT = (
    "Tumour markers can rise for reasons other than cancer, can be normal even when cancer is "
    "growing, and are never used on their own to change treatment. Your team reads them together "
    "with scans, examination and how you are feeling."
)


@dataclass(frozen=True)
class MarkerReading:
    taken_on: date
    value: float
    assay: str | None = None
    laboratory: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.value, (int, float)) or math.isnan(self.value) or self.value < 0:
            raise ValueError(f"A tumour marker value must be a number of 0 or more, not {self.value!r}")


@dataclass(frozen=True)
class MarkerRules:
    # A rise of at least this much over the nadir counts. 25% is the convention of the CA 15-3
    # literature (used in several studies of marker-defined progression); it is not a
    # guideline threshold.
    sustained_rise_percent: float = 25.0
    # The confirming test must be at least this long after the first high one, so a same-week
    # re-draw does not count as a repeat. Convention: repeat in 2-4 weeks.
    min_days_between: int = 14
    # ...and no more than this long after it (None: any later test confirms). Convention: a
    # confirmation three months later is a new trend, not a repeat.
    confirm_within_days: int | None = 90

    def __post_init__(self) -> None:
        if self.sustained_rise_percent <= 0:
            raise ValueError("sustained_rise_percent must be above 0")
        if self.min_days_between < 0:
            raise ValueError("min_days_between cannot be negative")
        if self.confirm_within_days is not None and self.confirm_within_days < self.min_days_between:
            raise ValueError("confirm_within_days cannot be shorter than min_days_between")


DEFAULT_MARKER_RULES = MarkerRules()


@dataclass(frozen=True)
class MarkerSegment:
    """Readings from one assay at one laboratory, in date order."""

    assay: str | None
    laboratory: str | None
    readings: tuple[MarkerReading, ...]
    baseline: MarkerReading
    nadir: MarkerReading
    latest: MarkerReading
    change_from_baseline_percent: float | None
    change_from_nadir_percent: float | None
    doubling_time_days: float | None
    sustained_rise: bool
    rise_confirmed_on: date | None


@dataclass(frozen=True)
class TumourMarkerTrend:
    segments: tuple[MarkerSegment, ...]

    @property
    def current(self) -> MarkerSegment | None:
        """The latest segment (the readings still comparable with the newest), or None."""
        return self.segments[-1] if self.segments else None


def _percent(now: float, then: float) -> float | None:
    return None if then == 0 else (now - then) / then * 100


def _doubling_time(run: list[MarkerReading]) -> float | None:
    """ln 2 over the slope of ln(value) against days, by least squares; None unless rising."""
    if len(run) < 2 or run[-1].value <= run[0].value or any(r.value <= 0 for r in run):
        return None
    xs = [(r.taken_on - run[0].taken_on).days for r in run]
    ys = [math.log(r.value) for r in run]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None  # all on one day
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx
    return math.log(2) / slope if slope > 0 else None


def _sustained_rise(after_nadir: list[MarkerReading], nadir: float, rules: MarkerRules) -> date | None:
    """The date a rise over the nadir was confirmed, or None."""
    threshold = nadir * (1 + rules.sustained_rise_percent / 100)

    def high(r: MarkerReading) -> bool:
        return r.value >= threshold and r.value > nadir

    for i, first in enumerate(after_nadir):
        if not high(first):
            continue
        for later in after_nadir[i + 1:]:
            if not high(later):
                break  # fell back: this rise was not sustained
            gap = (later.taken_on - first.taken_on).days
            if gap < rules.min_days_between:
                continue  # too soon to be a repeat; keep looking
            if rules.confirm_within_days is not None and gap > rules.confirm_within_days:
                break  # too late to confirm this one; a later high may start afresh
            return later.taken_on
    return None


def _segment(readings: list[MarkerReading], rules: MarkerRules) -> MarkerSegment:
    baseline, latest = readings[0], readings[-1]
    lowest = min(r.value for r in readings)
    # The latest of equal lowest values: a rise is measured from the most recent low.
    nadir_index = max(i for i, r in enumerate(readings) if r.value == lowest)
    nadir = readings[nadir_index]
    since_nadir = readings[nadir_index:]
    return MarkerSegment(
        assay=baseline.assay,
        laboratory=baseline.laboratory,
        readings=tuple(readings),
        baseline=baseline,
        nadir=nadir,
        latest=latest,
        change_from_baseline_percent=_percent(latest.value, baseline.value),
        change_from_nadir_percent=_percent(latest.value, nadir.value),
        doubling_time_days=_doubling_time(since_nadir),
        sustained_rise=(confirmed := _sustained_rise(since_nadir[1:], nadir.value, rules)) is not None,
        rise_confirmed_on=confirmed,
    )


def marker_trend(readings: list[MarkerReading], rules: MarkerRules = DEFAULT_MARKER_RULES) -> TumourMarkerTrend:
    """The trend of one marker's readings, split where the assay or laboratory changes.

    Readings are taken in date order (the order given is kept for readings on the same day).
    A change of assay or laboratory, including from a named one to an unrecorded one, starts a
    new segment: values on either side of it are not compared.
    """
    ordered = sorted(readings, key=lambda r: r.taken_on)
    groups: list[list[MarkerReading]] = []
    for reading in ordered:
        if groups and (groups[-1][-1].assay, groups[-1][-1].laboratory) == (reading.assay, reading.laboratory):
            groups[-1].append(reading)
        else:
            groups.append([reading])
    return TumourMarkerTrend(segments=tuple(_segment(group, rules) for group in groups))


# --- Units ------------------------------------------------------------------------------------------
# The units each marker is reported in (UCUM), the one it is kept in first. CA 15-3 and CA 27.29
# are counted in the assay's arbitrary units per millilitre (kU/L is the same number); CEA is a
# mass concentration, ug/L in UK laboratories and ng/mL in others, again the same number. Any
# other unit is refused, even a mass concentration such as mg/dL: a CEA of 5 mg/dL would be
# 50,000 ug/L, which no one has, so it is a slip of the unit, not a result.
MARKER_UNITS: dict[str, tuple[str, ...]] = {
    "ca15_3": ("U/mL", "kU/L"),
    "ca27_29": ("U/mL", "kU/L"),
    "cea": ("ug/L", "ng/mL"),
}


def marker_in_canonical_unit(marker: str, label: str, value: float, unit: str) -> tuple[float, str]:
    """(value, unit) of a marker result in the unit it is kept in.

    Raises UnitError naming the units the marker accepts when `unit` is not one of them (or is
    not a unit at all)."""
    from .units import UnitError, convert, parse_unit

    accepted = MARKER_UNITS[marker]
    code = parse_unit(unit)
    if code not in accepted:
        raise UnitError(f"{code} does not fit {label}, which is counted in {accepted[0]}. "
                        f"Units accepted: {', '.join(accepted)}")
    return float(f"{convert(value, code, accepted[0]):.12g}"), accepted[0]


# --- Plausible ranges --------------------------------------------------------------------------------
# The highest value a result can be, in the marker's own unit, like the blood tests' plausible
# ranges (clinical/lab_tests.py): not a reference range but the edge beyond which a number is an
# entry error (digits typed twice, a unit slip, 1e308) rather than a result. Our choice, not a
# guideline number: the highest values reported in metastatic breast cancer (in case reports of
# widespread liver and bone disease) are in the tens of thousands of U/mL for CA 15-3 and CA 27.29
# and of ug/L for CEA, so 1,000,000 is well over ten times above anything reported. A value outside
# 0..high is refused naming the value; one stored before this rule is kept, left out of the
# trend, and drawn "off the scale".
MARKER_PLAUSIBLE_HIGH: dict[str, float] = {
    "ca15_3": 1_000_000.0,  # U/mL
    "ca27_29": 1_000_000.0,  # U/mL
    "cea": 1_000_000.0,  # ug/L
}


def plausible_marker_value(marker: str, value: float) -> bool:
    """True when `value` (in the marker's own unit) can be a real result: 0 to its plausible high."""
    return isinstance(value, (int, float)) and 0 <= value <= MARKER_PLAUSIBLE_HIGH[marker]
