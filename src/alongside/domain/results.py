"""Results over time: blood tests, tumour markers and scans, read against the treatment given.

The rules live in clinical/ (CTCAE v5.0 grades, RECIST 1.1 responses, tumour marker trends).
This module gathers a patient's entries for them, raises alerts for severe blood results,
imports results from CSV files and assembles the one timeline that tells the whole story.
"""

from __future__ import annotations

import csv
import re
import threading
from bisect import bisect_right
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Collection, Iterable
from uuid import UUID

from ..clinical import ctcae
from ..clinical.alert_rules import AlertThresholds, lab_result_finding
from ..clinical.lab_tests import LAB_TESTS, LabTest, adjusted_calcium
from ..clinical.markers import (DEFAULT_MARKER_RULES, MarkerReading, MarkerRules, TumourMarkerTrend, marker_trend,
                                plausible_marker_value)
from ..clinical.recist import Lesion, best_overall_response, overall_response, target_response
from .access import Action, authorise
from .dates import long_date
from .entries import Entry
from .errors import InvalidInput, NeedsConfirming
from .monitoring import Alert, raise_alerts, worst_symptom_grade
from .people import Actor
from .result_sharing import may_hold, shown_to_reader
from .records import (
    EARLY_DATE_MARGIN, RECORD_KINDS, Decision, LabResult, LifeDates, Medication, Scan, TreatmentBreak, TreatmentCourse,
    TumourMarkerResult,
    identify_lab_test, in_canonical_unit, measured_lesions, validate,
)
from .vocab import NewLesions, ScanImpression, TumourMarker

# The tests CTCAE v5.0 grades from a number (see clinical/ctcae.py), by their catalogue keys.
GRADED_TESTS = frozenset({*ctcae.GRADED_TESTS, "calcium_adjusted"} - {"calcium_corrected"})
SPANS = {"3m": ("3 months", 91), "1y": ("1 year", 365), "all": ("All", None)}
DEFAULT_LABS = ("neutrophils", "haemoglobin", "platelets")


# --- Blood tests --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabReading:
    entry_id: UUID | None  # None for a value calculated from others (adjusted calcium)
    taken_on: date
    value: float  # in the test's canonical unit
    as_entered: str
    low: float | None
    high: float | None
    grade: int | None  # CTCAE v5.0; None when the test is not graded or cannot be
    term: str | None

    @property
    def outside_range(self) -> bool:
        return (self.low is not None and self.value < self.low) or (self.high is not None and self.value > self.high)


@dataclass(frozen=True)
class LabSeries:
    key: str
    label: str
    unit: str
    readings: list[LabReading]
    not_graded: str | None = None  # why a test in the catalogue is never graded (glucose), in words

    def __post_init__(self) -> None:
        if self.not_graded is None and self.key in ctcae.NOT_GRADED_BY_VALUE:
            object.__setattr__(self, "not_graded", ctcae.NOT_GRADED_BY_VALUE[self.key])


@dataclass(frozen=True)
class ReadingMark:
    """How a blood result stands, in words (never colour alone) and a level for its colour."""

    words: str
    level: str  # "graded-severe" (CTCAE 3-4), "graded" (1-2), "outside" (outside its range), "" (neither)


# CTCAE grades 3 and 4 are severe and life-threatening (CTCAE v5.0, "Grades").
SEVERE_GRADE = 3


def british(term: str) -> str:
    """CTCAE's terms in British spelling for the page: anaemia, hypokalaemia, haemoglobin."""
    return re.sub(r"(?<=[bcdfghklmnprstvz])emia\b", "aemia", term).replace("hemoglobin", "haemoglobin")


def reading_mark(reading: LabReading) -> ReadingMark:
    if reading.grade:
        words = f"Grade {reading.grade}" + (f": {british(reading.term.lower())}" if reading.term else "")
        return ReadingMark(words, "graded-severe" if reading.grade >= SEVERE_GRADE else "graded")
    if reading.low is not None and reading.value < reading.low:
        return ReadingMark("Below the normal range", "outside")
    if reading.high is not None and reading.value > reading.high:
        return ReadingMark("Above the normal range", "outside")
    if reading.low is None and reading.high is None:
        return ReadingMark("No normal range given", "")
    return ReadingMark("Within the normal range", "")


def blood_tests(uow, actor: Actor, patient_id: UUID) -> tuple[list[LabSeries], dict[UUID, Entry[LabResult]]]:
    """Every blood test of hers the reader may see, graded, by test name, each test's readings
    newest first; and those results by id (a reading keeps only its entry's id, and the page's
    date flags and her team's holds need the entries)."""
    courses = uow.records.list(patient_id, RECORD_KINDS["treatment-courses"])
    shown = _shown(uow, actor, patient_id, "lab-results")
    series = lab_series(shown, courses).values()
    return (sorted((LabSeries(s.key, s.label, s.unit, s.readings[::-1], s.not_graded) for s in series),
                   key=lambda s: s.label.casefold()), {entry.id: entry for entry in shown})


@dataclass(frozen=True)
class _Raw:
    entry_id: UUID | None
    taken_on: date
    value: float
    as_entered: str
    low: float | None
    high: float | None


def lab_series(labs: list[Entry[LabResult]], courses: list[Entry[TreatmentCourse]],
               keys: Collection[str] | None = None) -> dict[str, LabSeries]:
    """Every blood test (or those of `keys`) in its canonical unit, oldest first, graded against
    its own baseline."""
    return _graded_series(*_by_test(labs), courses, keys)


def _graded_series(raw: dict[str, list[_Raw]], labels: dict[str, tuple[str, str]],
                   courses: list[Entry[TreatmentCourse]], keys: Collection[str] | None) -> dict[str, LabSeries]:
    starts = _line_starts(courses)
    series = {}
    for key, readings in raw.items():
        if keys is not None and key not in keys:
            continue
        readings.sort(key=lambda r: r.taken_on)
        days = [r.taken_on for r in readings]
        label, unit = labels[key]
        series[key] = LabSeries(key, label, unit, [_graded(key, unit, r, readings, days, starts) for r in readings])
    return series


def _by_test(labs: list[Entry[LabResult]]) -> tuple[dict[str, list[_Raw]], dict[str, tuple[str, str]]]:
    """Results grouped by test, in its canonical unit, with each test's (name, unit)."""
    raw: dict[str, list[_Raw]] = defaultdict(list)
    tests: dict[str, LabTest | None] = {}
    labels: dict[str, tuple[str, str]] = {}
    # A long record repeats a few tests and units: each is identified and converted once.
    known: dict[tuple[str | None, str], LabTest | None] = {}
    factors: dict[tuple[str, str], float] = {}
    for entry in labs:
        result = entry.data
        named = (result.loinc, result.test)
        if named not in known:
            known[named] = identify_lab_test(result)
        test = known[named]
        key = test.key if test else "other:" + result.test.casefold()
        tests[key] = test
        labels[key] = (test.name, test.unit) if test else (result.test, result.unit)
        factor = 1.0
        if test:
            if (key, result.unit) not in factors:
                factors[key, result.unit] = in_canonical_unit(test, 1.0, result.unit)
            factor = factors[key, result.unit]
        raw[key].append(_Raw(entry.id, result.taken_on, result.value * factor, f"{result.value:g} {result.unit}",
                             _times(factor, result.reference_low), _times(factor, result.reference_high)))
    _add_adjusted_calcium(raw, tests, labels)
    return raw, labels


def _times(factor: float, value: float | None) -> float | None:
    return None if value is None else value * factor


def _add_adjusted_calcium(raw: dict[str, list[_Raw]], tests: dict, labels: dict) -> None:
    """Calcium adjusted for albumin, worked out for each day with both and no adjusted value."""
    from ..clinical.lab_tests import LAB_TESTS

    albumin = {r.taken_on: r for r in raw.get("albumin", [])}
    reported = {r.taken_on for r in raw.get("calcium_adjusted", [])}
    for calcium in raw.get("calcium", []):
        if calcium.taken_on in albumin and calcium.taken_on not in reported:
            test = LAB_TESTS["calcium_adjusted"]
            value = round(adjusted_calcium(calcium.value, albumin[calcium.taken_on].value), 2)
            raw["calcium_adjusted"].append(_Raw(None, calcium.taken_on, value, f"{value:g} {test.unit} (calculated)",
                                                calcium.low, calcium.high))
            tests["calcium_adjusted"], labels["calcium_adjusted"] = test, (test.name, test.unit)


def _line_starts(courses: list[Entry[TreatmentCourse]]) -> list[tuple[date, date | None]]:
    return sorted((c.data.start_date, c.data.end_date) for c in courses if c.data.line_of_treatment)


def _baseline(reading: _Raw, readings: list[_Raw], days: list[date], starts: list[tuple[date, date | None]]) -> float | None:
    """CTCAE's baseline: the last value of the same test on or before the start of the line
    of treatment running when this one was taken (`readings` oldest first, `days` their dates)."""
    running = [start for start, end in starts if start <= reading.taken_on and (end is None or reading.taken_on <= end)]
    if not running:
        return None
    before = [r for r in readings[max(0, bisect_right(days, running[-1]) - 2):bisect_right(days, running[-1])]
              if r is not reading]
    return before[-1].value if before else None


def _possible(key: str, value: float) -> bool:
    """False for a value stored before blood tests had plausible ranges (1e308, a negative count):
    it is listed and drawn off the scale, but not graded."""
    test = LAB_TESTS.get(key)
    return test is None or test.possible(value)


def _graded(key: str, unit: str, reading: _Raw, readings: list[_Raw], days: list[date], starts) -> LabReading:
    grade = term = None
    if key in GRADED_TESTS and _possible(key, reading.value):
        baseline = _baseline(reading, readings, days, starts)
        grade = ctcae.grade_lab(key, reading.value, unit, uln=reading.high, lln=reading.low, baseline=baseline)
        if grade:
            event = ctcae.lab_adverse_event(key, reading.value, unit, uln=reading.high, lln=reading.low,
                                            baseline=baseline)
            term = event[0] if event else None
    return LabReading(reading.entry_id, reading.taken_on, reading.value, reading.as_entered, reading.low,
                      reading.high, grade, term)


def alerts_for_lab_result(uow, patient_id: UUID, entry: Entry[LabResult], thresholds: AlertThresholds,
                          now: datetime) -> list[Alert]:
    """Alert the team to a recent blood result graded severe (CTCAE grade 3 or more), once per
    test and day, including an adjusted calcium that this result completes."""
    test = identify_lab_test(entry.data)
    if test is None:
        return []
    keys = {test.key} | ({"calcium_adjusted"} if test.key in ("calcium", "albumin") else set())
    series = lab_series(uow.records.list(patient_id, RECORD_KINDS["lab-results"]),
                        uow.records.list(patient_id, RECORD_KINDS["treatment-courses"]))
    open_alerts = {(a.item, a.detail.get("taken_on")) for a in uow.alerts.for_patient(patient_id)
                   if a.rule == "lab" and a.state != "resolved"}
    raised = []
    for key in keys & series.keys():
        for reading in series[key].readings:
            if reading.taken_on != entry.data.taken_on or reading.grade is None:
                continue
            finding = lab_result_finding(key, reading.term or series[key].label, reading.grade, reading.value,
                                         series[key].unit, reading.taken_on, now.date(), thresholds)
            if finding and (key, reading.taken_on.isoformat()) not in open_alerts:
                raised += raise_alerts(uow, patient_id, None, [finding], now)
                open_alerts.add((key, reading.taken_on.isoformat()))
    return raised


# --- Importing blood results from a CSV file -------------------------------------------------------

CSV_COLUMNS = ("taken_on", "test", "value", "unit", "reference_low", "reference_high", "loinc", "laboratory")
CSV_REQUIRED = ("taken_on", "test", "value", "unit")
IMPORT_BATCH = 5000
MAX_REPORTED_ERRORS = 50


@dataclass(frozen=True)
class LabImport:
    added: int
    already_there: int
    alerts: list[Alert]


def import_lab_results(uow, actor: Actor, patient_id: UUID, lines: Iterable[str], thresholds: AlertThresholds,
                       now: datetime | None = None, *, confirm_early_dates: bool = False,
                       early_date_margin: timedelta = EARLY_DATE_MARGIN) -> LabImport:
    """Import blood results from CSV text (columns in CSV_COLUMNS, a header row first).

    All or nothing: every row is checked, and one bad row means nothing is kept; the error
    names each bad row and field. Rows already in the record are skipped, so importing the
    same file twice adds nothing the second time. Dates must fit her life as for one entry typed
    (records.LifeDates); rows dated long before the first diagnosis need `confirm_early_dates`."""
    lab_results = RECORD_KINDS["lab-results"]
    authorise(uow, actor, patient_id, Action.WRITE, lab_results, what="lab-results-import")
    now = now or datetime.now(UTC)
    patient = uow.patients.get(patient_id)
    life = LifeDates.of(patient.details, patient.profile, early_date_margin)
    early = 0
    reader = csv.DictReader(lines)
    _check_header(reader.fieldnames)
    seen = {_identity(e.data) for e in uow.records.list(patient_id, lab_results)}
    batch: list[LabResult] = []
    errors: list[dict[str, str]] = []
    added = repeated = 0
    newest: dict[tuple, LabResult] = {}
    for number, row in enumerate(reader, start=2):  # line 1 is the header
        result = _row_result(row, number, now, errors)
        if result is not None:
            early += _row_in_life(result, number, life, confirm_early_dates, errors)
        if result is None or errors:
            continue  # after the first error, rows are only checked
        identity = _identity(result)
        if identity in seen:
            repeated += 1
            continue
        seen.add(identity)
        batch.append(result)
        if now.date() - result.taken_on <= thresholds.lab_alert_within:
            newest[identity] = result
        if len(batch) >= IMPORT_BATCH:
            added += uow.records.add_many(patient_id, lab_results, batch)
            batch = []
    if errors and early == len(errors):  # only dates to confirm: the same file, confirmed, goes in
        raise NeedsConfirming(f"{_count(early, 'row')} of the file {'is' if early == 1 else 'are'} dated long before "
                              "the first diagnosis; nothing was imported", confirm_with="confirm_early_dates",
                              errors=errors[:MAX_REPORTED_ERRORS])
    if errors:
        raise InvalidInput(f"{_count(len(errors), 'row')} of the file need correcting; nothing was imported",
                           errors=errors[:MAX_REPORTED_ERRORS])
    added += uow.records.add_many(patient_id, lab_results, batch)
    alerts = _alerts_after_import(uow, patient_id, newest.values(), thresholds, now)
    return LabImport(added, repeated, alerts)


def _check_header(names: list[str] | None) -> None:
    names = [n.strip() for n in names or []]
    missing = [c for c in CSV_REQUIRED if c not in names]
    unknown = [n for n in names if n not in CSV_COLUMNS]
    if missing or unknown:
        problems = ([f"missing column(s): {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s): {', '.join(unknown)}"] if unknown else [])
        raise InvalidInput(f"The first line must name the columns ({', '.join(CSV_COLUMNS)}); "
                           + "; ".join(problems), field="row 1")


def _row_result(row: dict, number: int, now: datetime, errors: list[dict[str, str]]) -> LabResult | None:
    if None in row:  # more cells than columns
        errors.append({"field": f"row {number}", "message": "This row has more cells than the header has columns"})
        return None
    data = {name.strip(): value.strip() for name, value in row.items() if value is not None and value.strip()}
    try:
        return validate(LabResult, data, now)
    except InvalidInput as exc:
        errors += [{"field": f"row {number}.{e['field']}", "message": e["message"]} for e in exc.errors]
        return None


def _row_in_life(result: LabResult, number: int, life: LifeDates, confirmed: bool, errors: list[dict[str, str]]) -> int:
    """Add a row's dates that do not fit her life to `errors`; 1 when they only need confirming."""
    try:
        life.check(result, confirmed)
    except InvalidInput as exc:
        errors += [{"field": f"row {number}.{e['field']}", "message": e["message"]} for e in exc.errors]
        return int(isinstance(exc, NeedsConfirming))
    return 0


def _identity(result: LabResult) -> tuple:
    return result.taken_on, result.test.casefold(), result.value, result.unit


def _alerts_after_import(uow, patient_id: UUID, recent: Iterable[LabResult], thresholds: AlertThresholds,
                         now: datetime) -> list[Alert]:
    """Only recent results can alert; history brought in from elsewhere is shown, not paged."""
    recent = list(recent)
    if not recent:
        return []
    alerts: list[Alert] = []
    labs = RECORD_KINDS["lab-results"]
    by_identity = {_identity(e.data): e for e in uow.records.list(patient_id, labs)}
    for result in recent:
        alerts += alerts_for_lab_result(uow, patient_id, by_identity[_identity(result)], thresholds, now)
    return alerts


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --- Scans and RECIST 1.1 -------------------------------------------------------------------------

@dataclass(frozen=True)
class ScanReading:
    entry: Entry[Scan]
    line: int | None  # the line of treatment it was read against
    target_sum_mm: float | None
    recist: str | None  # the overall response at this scan, when lesions were measured and compared
    baseline_for: tuple[int, ...] = ()  # the lines of treatment whose baseline scan this is
    cannot_assess: str | None = None  # why its measured lesions could not be compared with the baseline

    @property
    def recist_words(self) -> str:
        """The RECIST 1.1 reading in words: the response, 'baseline', or why there is none."""
        words = []
        if self.baseline_for:
            words.append("baseline for line " + " and ".join(str(n) for n in self.baseline_for))
        if self.recist:
            words.append(self.recist if not self.baseline_for else f"{self.recist} against line {self.line}")
        elif self.cannot_assess and not self.baseline_for:  # a new baseline is meant to differ
            words.append(f"cannot be assessed: {self.cannot_assess}")
        if not words:
            words.append("not measured" if self.target_sum_mm is None else
                         "measured, with no baseline scan of this line to compare it with")
        return "; ".join(words)


    @property
    def response_words(self) -> str:
        """`recist_words` with the response spelt out: "PD: progression" rather than "PD"."""
        words = self.recist_words
        return words.replace(self.recist, RECIST_WORDS.get(self.recist, self.recist), 1) if self.recist else words

    @property
    def mark(self) -> ReadingMark:
        return scan_mark(self)


# RECIST 1.1 overall responses (section 4.3.4) in words for the page.
RECIST_WORDS = {"CR": "CR: complete response", "PR": "PR: partial response", "SD": "SD: stable disease",
                "PD": "PD: progression", "NE": "NE: not evaluable"}


def scan_mark(reading: ScanReading) -> ReadingMark:
    """A scan read as progressing said in words, with "progressing" for its colour: a RECIST 1.1
    response of PD, new lesions seen, or the radiologist's impression of progression."""
    scan = reading.entry.data
    words = []
    if reading.recist == "PD":
        words.append("Progression by RECIST 1.1")
    if scan.new_lesions is NewLesions.YES:
        words.append("New lesions seen")
    if scan.impression is ScanImpression.PROGRESSING:
        words.append("Growing or spreading, in the radiologist's impression")
    return ReadingMark("; ".join(words), "progressing") if words else ReadingMark("", "")


class LesionMismatch(ValueError):
    """A scan's target lesions are not the lesions of its baseline scan."""


def lesion_key(site: str) -> str:
    """Two names are the same lesion when they differ only in case or spacing ('Liver  segment 6'
    is 'liver segment 6'); anything more is a different lesion, which RECIST cannot compare."""
    return " ".join(site.split()).casefold()


def matched_lesions(baseline: list[Lesion], current: list[Lesion], baseline_on: date) -> list[Lesion]:
    """`current` restated as the baseline's lesions, in the baseline's names, ready for
    `target_response`. A baseline lesion the scan does not list is not measured (so the target
    response is NE, RECIST 1.1 section 4.3.1). A lesion that is not the baseline's raises
    LesionMismatch naming it: RECIST compares the same lesions, and a sum over others means nothing."""
    left = {}  # key -> the baseline's lesions of that name not yet matched
    for lesion in baseline:
        left.setdefault(lesion_key(lesion.site), []).append(lesion)
    matched, unknown = [], []
    for lesion in current:
        same = left.get(lesion_key(lesion.site))
        if same:
            matched.append(Lesion(same.pop(0).site, lesion.nodal, lesion.diameter_mm))
        else:
            unknown.append(lesion.site)
    if unknown:
        names = ", ".join(lesion.site for lesion in baseline)
        raise LesionMismatch(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a target lesion of the "
                             f"baseline scan of {long_date(baseline_on)} ({names})")
    return matched + [Lesion(lesion.site, lesion.nodal, None) for rest in left.values() for lesion in rest]


def scan_readings(scans: list[Entry[Scan]], courses: list[Entry[TreatmentCourse]]) -> list[ScanReading]:
    """Each scan with its RECIST 1.1 response, measured against the baseline scan of the line
    of treatment it falls in (the last measured scan on or before the line started).

    A scan that cannot be compared (stored with lesions that are not the baseline's, before
    lesions were checked on saving) says why, and never stops the others being read."""
    lines = sorted((c.data for c in courses if c.data.line_of_treatment), key=lambda c: c.start_date)
    ordered = sorted(scans, key=lambda s: s.data.performed_on)
    baselines: dict[UUID, list[int]] = defaultdict(list)
    for line in lines:
        base = _baseline_scan(line, ordered)
        if base and line.line_of_treatment not in baselines[base.id]:
            baselines[base.id].append(line.line_of_treatment)
    readings = []
    for scan in ordered:
        line = _line_on(lines, scan.data.performed_on)
        lesions, recist, reason = [], None, None
        try:
            lesions = _lesions(scan.data)
            recist = _response(scan, line, ordered) if line and lesions else None
        except ValueError as exc:  # LesionMismatch, or stored lesions RECIST cannot read
            reason = str(exc)
        total = sum(l.diameter_mm or 0 for l in lesions) if lesions else None
        readings.append(ScanReading(scan, line.line_of_treatment if line else None, total, recist,
                                    tuple(baselines.get(scan.id, ())), reason))
    return readings


def _line_on(lines: list[TreatmentCourse], day: date) -> TreatmentCourse | None:
    running = [c for c in lines if c.start_date < day and (c.end_date is None or day <= c.end_date + timedelta(days=28))]
    return running[-1] if running else None


def _lesions(scan: Scan) -> list[Lesion]:
    return [Lesion(m.site, m.nodal, m.diameter_mm) for m in measured_lesions(scan.target_lesions)]


def _baseline_scan(line: TreatmentCourse, ordered: list[Entry[Scan]]) -> Entry[Scan] | None:
    baseline = [s for s in ordered if s.data.performed_on <= line.start_date and s.data.target_lesions]
    return baseline[-1] if baseline else None


def _response(scan: Entry[Scan], line: TreatmentCourse, ordered: list[Entry[Scan]]) -> str | None:
    baseline = _baseline_scan(line, ordered)
    if baseline is None:
        return None
    base = _lesions(baseline.data)
    on = baseline.data.performed_on
    current = matched_lesions(base, _lesions(scan.data), on)
    # The nadir is the smallest sum of the same lesions, all measured: a scan that could not be
    # compared, or left a lesion unmeasured, says nothing about the smallest size.
    earlier = [sum(l.diameter_mm for l in base)]
    for other in ordered:
        if other is scan or other is baseline or not other.data.target_lesions \
                or not on < other.data.performed_on <= scan.data.performed_on:
            continue
        try:
            same = matched_lesions(base, _lesions(other.data), on)
        except ValueError:
            continue
        if all(l.diameter_mm is not None for l in same):
            earlier.append(sum(l.diameter_mm for l in same))
    target = target_response(base, min(earlier), current)
    non_target = scan.data.non_target.value if scan.data.non_target else "NE"
    new = scan.data.new_lesions.value if scan.data.new_lesions else "no"
    return overall_response(target, non_target, new)


def check_scan_lesions(scan: Scan, scans: list[Entry[Scan]], courses: list[Entry[TreatmentCourse]],
                       scan_id: UUID | None) -> None:
    """A scan during a line of treatment measures the lesions of that line's baseline scan
    (case and spacing aside), or it cannot be read with RECIST: refuse any other lesion, naming
    the field. A scan that is the baseline of a line starting on or after it, or done after its
    line stopped, may measure new lesions (new target lesions are chosen for a new line)."""
    if not scan.target_lesions:
        return
    line, baseline = baseline_during(scans, courses, scan.performed_on, scan_id)
    if baseline is None:
        return
    try:
        matched_lesions(_lesions(baseline.data), _lesions(scan), baseline.data.performed_on)
    except LesionMismatch as exc:
        still = (f" If this scan is the baseline for a new line of treatment, record that line first "
                 f"(with line {line.line_of_treatment}, {line.name}, stopped): its baseline may measure new lesions.")
        raise InvalidInput(f"{exc}. Measure the same lesions as the baseline, named as they are there.{still}",
                           field="target_lesions") from None


def baseline_during(scans: list[Entry[Scan]], courses: list[Entry[TreatmentCourse]], day: date,
                    scan_id: UUID | None = None) -> tuple[TreatmentCourse | None, Entry[Scan] | None]:
    """The line of treatment being given on `day` (not its weeks after stopping) and its baseline
    scan, which a scan done that day must measure the lesions of; (None, None) when there is none.
    `scan_id`, a scan being changed, is not its own baseline. A scan on `day` that would be the
    baseline of a line starting on or after it (no measured scan between) has none to match."""
    lines = sorted((c.data for c in courses if c.data.line_of_treatment), key=lambda c: c.start_date)
    line = next((c for c in reversed(lines) if c.start_date < day and (c.end_date is None or day <= c.end_date)), None)
    if line is None:
        return None, None
    others = sorted((s for s in scans if s.id != scan_id), key=lambda s: s.data.performed_on)
    for later in (c for c in lines if c.start_date >= day):
        if not any(day < s.data.performed_on <= later.start_date and s.data.target_lesions for s in others):
            return None, None  # a scan that day would be the baseline of `later`
    return line, _baseline_scan(line, others)


def best_response_of_line(readings: list[ScanReading], line: int) -> str | None:
    timepoints = [(r.entry.data.performed_on, r.recist) for r in readings if r.line == line and r.recist]
    return best_overall_response(timepoints) if timepoints else None


# --- Tumour markers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MarkerPeriod:
    """A marker's trend during one line of treatment, from the last result before it began."""

    label: str
    trend: TumourMarkerTrend


@dataclass(frozen=True)
class MarkerRow:
    """One marker result as its table shows it, with how it stands in words."""

    entry: Entry[TumourMarkerResult]
    mark: ReadingMark

    @property
    def taken_on(self) -> date:
        return self.entry.data.taken_on


@dataclass(frozen=True)
class MarkerSeries:
    marker: TumourMarker
    unit: str
    readings: list[tuple[date, float]]
    periods: list[MarkerPeriod]
    rows: list[MarkerRow] = field(default_factory=list)  # every result, newest first, marked

    @property
    def key(self) -> str:
        return self.marker.value

    @property
    def label(self) -> str:
        return self.marker.label

    @property
    def current(self) -> MarkerPeriod:
        return self.periods[-1]

    @property
    def confirmed_rises(self) -> list[date]:
        return [s.rise_confirmed_on for p in self.periods for s in p.trend.segments if s.rise_confirmed_on]


def marker_series(entries: list[Entry], courses: list[Entry[TreatmentCourse]],
                  rules: MarkerRules = DEFAULT_MARKER_RULES) -> list[MarkerSeries]:
    """Each marker's results, with its trend read line by line: a new treatment starts a new
    baseline and nadir, so a rise on the last line does not colour the reading of this one."""
    by_marker: dict[TumourMarker, list] = defaultdict(list)
    for entry in entries:
        by_marker[entry.data.marker].append(entry.data)
    lines = sorted((c.data for c in courses if c.data.line_of_treatment), key=lambda c: c.start_date)
    series = []
    for marker in TumourMarker:
        results = sorted(by_marker.get(marker, []), key=lambda r: r.taken_on)
        if results:
            # A value stored before markers had plausible ranges (1e308, a negative) is listed and
            # drawn off the scale, but is not a reading a trend can be computed from.
            readings = [MarkerReading(r.taken_on, r.value, r.assay, r.laboratory) for r in results
                        if plausible_marker_value(marker.value, r.value)]
            periods = [MarkerPeriod(label, marker_trend(part, rules)) for label, part in _by_line(readings, lines)]
            risen = {s.rise_confirmed_on for p in periods for s in p.trend.segments if s.rise_confirmed_on}
            rows = [MarkerRow(e, marker_mark(e.data, e.data.taken_on in risen, rules))
                    for e in sorted((e for e in entries if e.data.marker is marker),
                                    key=lambda e: e.data.taken_on, reverse=True)]
            series.append(MarkerSeries(marker, results[-1].unit, [(r.taken_on, r.value) for r in results], periods,
                                       rows))
    return series


def marker_mark(result: TumourMarkerResult, rise_confirmed: bool,
                rules: MarkerRules = DEFAULT_MARKER_RULES) -> ReadingMark:
    """How a marker result stands, in words: above the laboratory's normal range, and whether it
    is the repeat test that confirms a rise (clinical/markers.py); "rise" colours a confirmed rise,
    "outside" a result above its range. A marker never calls progression on its own: the page
    says so beside the table (MARKER_CAVEAT)."""
    if not plausible_marker_value(result.marker.value, result.value):
        return ReadingMark("Not a possible result: check it with the laboratory", "outside")
    words = [f"A rise confirmed by this repeat test ({rules.sustained_rise_percent:g}% or more above its lowest)"
             ] if rise_confirmed else []
    high = result.reference_high
    if high is None:
        words.append("No normal range given")
    elif result.value > high:
        words.append("Above the normal range")
    else:
        words.append("Within the normal range")
    level = "rise" if rise_confirmed else "outside" if high is not None and result.value > high else ""
    return ReadingMark("; ".join(words), level)


def marker_tables(uow, actor: Actor, patient_id: UUID) -> list[MarkerSeries]:
    """Every tumour marker of hers the reader may see, each with its results newest first, marked."""
    return marker_series(_shown(uow, actor, patient_id, "tumour-markers"),
                         uow.records.list(patient_id, RECORD_KINDS["treatment-courses"]))


def scan_table(uow, actor: Actor, patient_id: UUID) -> list[ScanReading]:
    """Every scan of hers the reader may see, newest first, each read with RECIST 1.1 where measured."""
    return scan_readings(_shown(uow, actor, patient_id, "scans"),
                         uow.records.list(patient_id, RECORD_KINDS["treatment-courses"]))[::-1]


def _shown(uow, actor: Actor, patient_id: UUID, slug: str) -> list[Entry]:
    """One kind of result, the read authorised (and audited), without what she waits to hear about
    when the reader is she or her carer (result_sharing.shown_to_reader, the one rule)."""
    relationship = authorise(uow, actor, patient_id, Action.READ, RECORD_KINDS[slug])
    return shown_to_reader(uow, relationship, patient_id, {slug: uow.records.list(patient_id, RECORD_KINDS[slug])})[slug]


def _by_line(readings: list[MarkerReading], lines: list[TreatmentCourse]) -> list[tuple[str, list[MarkerReading]]]:
    """The readings of each line of treatment, each led by the last one before the line began."""
    parts = []
    for index, line in enumerate(lines):
        until = lines[index + 1].start_date if index + 1 < len(lines) else date.max
        before = [r for r in readings if r.taken_on <= line.start_date][-1:]
        during = [r for r in readings if line.start_date < r.taken_on < until]
        if during:
            parts.append((f"Line {line.line_of_treatment}: {line.name}", before + during))
    return parts or [("All results", readings)]


# --- The timeline -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    label: str
    start: date
    end: date | None
    kind: str  # line, break


@dataclass(frozen=True)
class Moment:
    day: date
    kind: str  # scan, decision, medicine
    label: str


@dataclass(frozen=True)
class Timeline:
    span: str
    start: date
    end: date
    spans: list[Span]
    moments: list[Moment]
    worst_grade: list[tuple[datetime, int]]  # the worst symptom grade (0-3) of each check-in
    markers: list[MarkerSeries]
    labs: list[LabSeries]
    lab_choices: list[tuple[str, str]]
    scans: list[ScanReading]

    def within(self, day: date) -> bool:
        return self.start <= day <= self.end

    # What each table of the page lists: the rows in the time span, chosen here once per table
    # rather than by the template row by row (a five-year record has hundreds of rows).

    def moments_in_span(self) -> list[Moment]:
        return [m for m in self.moments if self.within(m.day)]

    def grades_in_span(self) -> list[tuple[datetime, int]]:
        return [(when, grade) for when, grade in self.worst_grade if self.within(when.date())]

    def marker_rows_in_span(self, series: MarkerSeries) -> list[MarkerRow]:
        return [row for row in series.rows if self.within(row.taken_on)]

    def lab_readings_in_span(self, series: LabSeries) -> list[LabReading]:
        return [r for r in reversed(series.readings) if self.within(r.taken_on)]  # newest first


TIMELINE_KINDS = ["treatment-courses", "treatment-breaks", "decisions", "tumour-markers", "lab-results", "scans",
                  "medicines"]


class _RecentTimelines:
    """The last timelines this process built, each kept under the exact state of the record it
    was built from (store: `revision`, the ids and versions of every entry it reads), the span,
    the tests chosen and the day. A long record's timeline takes most of a request to build
    (docs/benchmarks.md); a second look at an unchanged record, by anyone on the team or by the
    patient, is then read from here. Only kept for a reader who sees every result: a patient who
    has chosen to wait for results always has hers built afresh. Each reader is still authorised
    and audited first. A Timeline is frozen and never changed once built; the pages only read it."""

    def __init__(self, size: int):
        self._size, self._kept, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key: tuple) -> Timeline | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: tuple, story: Timeline) -> None:
        with self._lock:
            self._kept[key] = story
            self._trim()

    def resize(self, size: int) -> None:
        with self._lock:
            self._size = max(size, 0)
            self._trim()

    def _trim(self) -> None:
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)


RECENT_TIMELINES = _RecentTimelines(32)


def timeline(uow, actor: Actor, patient_id: UUID, today: date, span: str = "1y",
             labs: list[str] | None = None) -> Timeline:
    """Treatments, symptoms, markers, blood tests and scans of one person on one time axis."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="timeline")
    if may_hold(uow, relationship, patient_id):
        return _timeline(uow, relationship, patient_id, today, span, labs)
    key = (patient_id, span, tuple(labs or DEFAULT_LABS), today,
           uow.records.revision(patient_id, [*TIMELINE_KINDS, "check-ins"]))
    story = RECENT_TIMELINES.get(key)
    if story is None:
        story = _timeline(uow, relationship, patient_id, today, span, labs)
        RECENT_TIMELINES.put(key, story)
    return story


def _timeline(uow, relationship, patient_id: UUID, today: date, span: str, labs: list[str] | None) -> Timeline:
    everything = shown_to_reader(uow, relationship, patient_id, uow.records.everything(patient_id, TIMELINE_KINDS))
    courses = everything["treatment-courses"]
    by_test, labels = _by_test(everything["lab-results"])
    chosen = [k for k in (labs or DEFAULT_LABS) if k in labels]
    series = _graded_series(by_test, labels, courses, chosen)  # only the charts shown are graded
    scans = scan_readings(everything["scans"], courses)
    days = SPANS.get(span, SPANS["1y"])[1]
    # Check-ins are only drawn, never trended here: read just those in the window, and of each
    # only when it was sent and its symptoms.
    since = datetime.combine(today - timedelta(days=days), datetime.min.time(), UTC) if days else None
    symptoms = uow.records.symptoms_since(patient_id, since)
    return Timeline(
        span=span if span in SPANS else "1y",
        start=_start(today, days, courses, everything, symptoms),
        end=today,
        spans=_spans(courses, everything["treatment-breaks"]),
        moments=_moments(scans, everything["decisions"], everything["medicines"]),
        worst_grade=[(submitted_at, worst_symptom_grade(answers)) for submitted_at, answers in symptoms],
        markers=marker_series(everything["tumour-markers"], courses),
        labs=[series[k] for k in chosen],
        lab_choices=sorted(((key, label) for key, (label, _) in labels.items()), key=lambda c: c[1]),
        scans=scans,
    )


def _start(today: date, days: int | None, courses: list[Entry], everything: dict[str, list[Entry]],
           check_ins: list[tuple[datetime, object]]) -> date:
    if days:
        return today - timedelta(days=days)
    firsts = [c.data.start_date for c in courses if c.data.line_of_treatment]
    firsts += [_day_of(e) for slug in ("tumour-markers", "lab-results", "scans") for e in everything[slug]]
    firsts += [submitted_at.date() for submitted_at, _ in check_ins[:1]]
    return min(firsts, default=today - timedelta(days=365))


def _day_of(entry: Entry) -> date:
    data = entry.data
    return getattr(data, "taken_on", None) or getattr(data, "performed_on", None) or data.submitted_at.date()


def _spans(courses: list[Entry[TreatmentCourse]], breaks: list[Entry[TreatmentBreak]]) -> list[Span]:
    lines = [c for c in courses if c.data.line_of_treatment]
    names = {c.id: c.data.name for c in courses}
    spans = [Span(f"Line {c.data.line_of_treatment}: {c.data.name}", c.data.start_date, c.data.end_date, "line")
             for c in sorted(lines, key=lambda c: c.data.start_date)]
    spans += [Span(f"Break from {names.get(b.data.course_id, 'treatment')}", b.data.start_date, b.data.end_date, "break")
              for b in sorted(breaks, key=lambda b: b.data.start_date)]
    return spans


def _moments(scans: list[ScanReading], decisions: list[Entry[Decision]], medicines: list[Entry[Medication]]) -> list[Moment]:
    moments = [Moment(s.entry.data.performed_on, "scan", _scan_words(s)) for s in scans]
    moments += [Moment(d.data.decided_on, "decision", f"Decision: {d.data.chosen}") for d in decisions]
    moments += [Moment(m.data.start_date, "medicine", f"Started {m.data.name}" + (f" {m.data.dose_text}" if m.data.dose_text else ""))
                for m in medicines if m.data.start_date]
    moments += [Moment(m.data.stop_date, "medicine", f"Stopped {m.data.name}") for m in medicines if m.data.stop_date]
    return sorted(moments, key=lambda m: m.day)


def _scan_words(reading: ScanReading) -> str:
    scan = reading.entry.data
    words = scan.modality.label + (f": {scan.impression.label.lower()}" if scan.impression else "")
    if reading.recist:
        return words + f" (RECIST {reading.recist})"
    if reading.baseline_for:
        return words + " (RECIST baseline)"
    return words + (" (RECIST: cannot be assessed)" if reading.cannot_assess else "")
