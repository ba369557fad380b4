"""Rules that keep the treatment plan coherent: lines of treatment do not overlap, a break
lies within its treatment and not over another break, and a decision to stop anticancer
treatment moves the person to supportive care only.

Pure functions over domain objects: the use cases in `services` and `planning` gather the
entries and call these before anything is saved, so bad input is refused whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from .dates import long_date
from .entries import Entry
from .errors import InvalidInput
from .records import Decision, DoseChange, TreatmentBreak, TreatmentCourse
from .vocab import Intent, Modality

# Treatment that is not aimed at the cancer itself: it goes on after a decision to stop
# anticancer treatment (bone-strengthening drugs protect the bones; intent says the rest).
SUPPORTIVE_MODALITIES = {Modality.BONE_STRENGTHENING}
SUPPORTIVE_INTENTS = {Intent.SUPPORTIVE, Intent.SYMPTOM_CONTROL}


def _overlap(start_a: date, end_a: date | None, start_b: date, end_b: date | None) -> bool:
    """Two date ranges share a day, where an open end runs on. Touching is allowed: one line
    may stop on the day the next one starts."""
    return (end_b is None or start_a < end_b) and (end_a is None or start_b < end_a)


def _day(value: date | None) -> str:
    return long_date(value) if value else "now"


def check_course_fits(course: TreatmentCourse, others: Iterable[Entry], course_id: UUID | None) -> None:
    """A numbered line of treatment must not overlap a different numbered line."""
    if course.line_of_treatment is None:
        return
    for other in others:
        data: TreatmentCourse = other.data
        if other.id == course_id or data.line_of_treatment in (None, course.line_of_treatment):
            continue
        if _overlap(course.start_date, course.end_date, data.start_date, data.end_date):
            until = f"until {_day(data.end_date)}" if data.end_date else "and has no stop date"
            raise InvalidInput(
                f"This overlaps line {data.line_of_treatment} ({data.name}), which runs from "
                f"{_day(data.start_date)} {until}. Give that line its stop date first, or change these dates",
                field="start_date")


def check_break_fits(pause: TreatmentBreak, course: TreatmentCourse, others: Iterable[Entry],
                     break_id: UUID | None) -> None:
    """A break lies within its treatment, and two breaks of one treatment do not overlap."""
    if pause.start_date < course.start_date:
        raise InvalidInput(f"The break cannot start before {course.name} started ({_day(course.start_date)})",
                           field="start_date")
    if course.end_date and pause.start_date > course.end_date:
        raise InvalidInput(f"The break cannot start after {course.name} stopped ({_day(course.end_date)})",
                           field="start_date")
    if course.end_date and (pause.end_date is None or pause.end_date > course.end_date):
        raise InvalidInput(f"The break must end by the day {course.name} stopped ({_day(course.end_date)})",
                           field="end_date")
    for other in others:
        data: TreatmentBreak = other.data
        if other.id != break_id and data.course_id == pause.course_id and \
                _overlap(pause.start_date, pause.end_date, data.start_date, data.end_date):
            raise InvalidInput(f"This overlaps another break of {course.name} "
                               f"({_day(data.start_date)} to {_day(data.end_date)})", field="start_date")


def is_anticancer(course: TreatmentCourse) -> bool:
    return course.modality not in SUPPORTIVE_MODALITIES and course.intent not in SUPPORTIVE_INTENTS


def supportive_care_only_since(decisions: Iterable[Entry], courses: Iterable[Entry], on: date) -> date | None:
    """The date anticancer treatment stopped, when a decision to stop is in force on `on`.

    A decision stays in force until an anticancer treatment is started after it (the person
    may change her mind, and the record then says so)."""
    stops = [d.data.stops_anticancer_treatment_on for d in decisions
             if isinstance(d.data, Decision) and d.data.stops_anticancer_treatment_on
             and d.data.stops_anticancer_treatment_on <= on]
    if not stops:
        return None
    stopped = max(stops)
    restarted = any(is_anticancer(c.data) and stopped < c.data.start_date <= on for c in courses)
    return None if restarted else stopped


def last_given(course: Entry, breaks: Iterable[Entry], stopped: date | None, on: date) -> date | None:
    """The last day on or before `on` that `course` was being given: not after it ended, not
    after a decision to stop anticancer treatment (`stopped`), and not on one of its breaks.
    None when it had not begun by `on`."""
    data: TreatmentCourse = course.data
    if data.start_date > on:
        return None
    last = min(d for d in (on, data.end_date, stopped if stopped and stopped >= data.start_date else None) if d)
    own = sorted((b.data for b in breaks if b.data.course_id == course.id), key=lambda b: b.start_date, reverse=True)
    for pause in own:  # latest first, so back-to-back breaks are stepped over one after another
        if pause.start_date <= last and (pause.end_date is None or pause.end_date >= last):
            last = pause.start_date - timedelta(days=1)
    return last if last >= data.start_date else None


@dataclass(frozen=True)
class DoseInForce:
    """A treatment's dose on one day, as the record has it: the latest dose change made on or
    before that day, or, with none, the dose and schedule it started on. Every page that shows a
    current dose shows this, so none shows the starting dose after a recorded change."""

    started_on: str | None  # TreatmentCourse.schedule: the dose and schedule it started on
    change: DoseChange | None  # the latest dose change on or before the day, if any


def dose_in_force(course: Entry, dose_changes: Iterable[Entry], on: date) -> DoseInForce:
    """The dose of `course` in force on `on` (dose changes of other treatments are ignored)."""
    changes = [d for d in dose_changes if d.data.course_id == course.id and d.data.changed_on <= on]
    latest = max(changes, key=lambda d: (d.data.changed_on, d.created_at), default=None)
    return DoseInForce(course.data.schedule, latest.data if latest else None)
