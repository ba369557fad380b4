"""Cycles of an oral anticancer medicine taken at home: which cycle and day a date falls on,
whether it is a dose day, the calendar of one cycle, and adherence per cycle.

A schedule is "N days on, M days off", repeated from day 1 of cycle 1 (the day the team said to
start). The usual ones, from each medicine's Summary of Product Characteristics (SmPC):
- palbociclib (Ibrance SmPC 4.2) and ribociclib (Kisqali SmPC 4.2): 21 days on, 7 off, 28-day cycles;
- capecitabine (Xeloda SmPC 4.2, monotherapy): 14 days on, 7 off, 21-day cycles;
- continuous daily medicines (abemaciclib, Verzenios SmPC 4.2; letrozole, anastrozole, exemestane,
  tamoxifen; olaparib, Lynparza SmPC 4.2; alpelisib, Piqray SmPC 4.2): no days off, grouped in
  cycles of 28 days only so the diary has pages, as clinics count them.
These are what the team prescribes; Alongside only draws them. It never works out a dose or says
whether to take one: the team's instructions (a pause, a restart) are recorded as theirs and
shown here as days with no dose due.

Adherence counts only what was marked: a dose day with no mark is "not recorded", never taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum


class DoseMark(str, Enum):
    TAKEN = "taken"
    MISSED = "missed"
    REDUCED = "reduced"  # took less than the prescribed dose, as she records it


@dataclass(frozen=True)
class CycleSchedule:
    days_on: int
    days_off: int
    first_day: date  # day 1 of cycle 1

    def __post_init__(self) -> None:
        if self.days_on < 1 or self.days_off < 0:
            raise ValueError("A schedule needs at least one day on, and no fewer than 0 days off")

    @classmethod
    def continuous(cls, first_day: date, cycle_length: int = 28) -> CycleSchedule:
        """Every day a dose day, grouped into cycles of `cycle_length` days for the diary."""
        return cls(cycle_length, 0, first_day)

    @property
    def length(self) -> int:
        return self.days_on + self.days_off

    @property
    def is_continuous(self) -> bool:
        return self.days_off == 0


@dataclass(frozen=True)
class Pause:
    """Days the team said no dose is due (a break, a hold), from `start` to `end` inclusive;
    `end` None while it goes on."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class CycleDay:
    day: date
    cycle: int  # 1 for the first cycle
    day_of_cycle: int  # 1 to the cycle's length
    on_day: bool  # a day on in the schedule
    paused: bool = False

    @property
    def dose_due(self) -> bool:
        return self.on_day and not self.paused


def cycle_day(schedule: CycleSchedule, day: date, pauses: Iterable[Pause] = ()) -> CycleDay | None:
    """Where `day` falls in the schedule; None before day 1 of cycle 1."""
    offset = (day - schedule.first_day).days
    if offset < 0:
        return None
    cycle, index = divmod(offset, schedule.length)
    return CycleDay(day, cycle + 1, index + 1, index < schedule.days_on, any(p.covers(day) for p in pauses))


def is_dose_day(schedule: CycleSchedule, day: date, pauses: Iterable[Pause] = ()) -> bool:
    found = cycle_day(schedule, day, pauses)
    return found is not None and found.dose_due


def cycle_start(schedule: CycleSchedule, cycle: int) -> date:
    if cycle < 1:
        raise ValueError("Cycles are numbered from 1")
    return schedule.first_day + timedelta(days=(cycle - 1) * schedule.length)


def cycle_calendar(schedule: CycleSchedule, cycle: int, pauses: Iterable[Pause] = ()) -> list[CycleDay]:
    """Every day of one cycle, day 1 first."""
    start, pauses = cycle_start(schedule, cycle), tuple(pauses)
    return [cycle_day(schedule, start + timedelta(days=i), pauses) for i in range(schedule.length)]


def current_cycle(schedule: CycleSchedule, today: date) -> int | None:
    found = cycle_day(schedule, today)
    return found.cycle if found else None


@dataclass(frozen=True)
class CycleAdherence:
    cycle: int
    starts_on: date
    dose_days: int  # in the whole cycle, pauses left out
    dose_days_so_far: int  # up to and including today
    taken: int
    missed: int
    reduced: int
    not_recorded: int  # dose days so far with no mark: never counted as taken
    marked_on_days_off: int  # marks on a day with no dose due, for the team to see

    @property
    def recorded(self) -> int:
        return self.taken + self.missed + self.reduced


def cycle_adherence(schedule: CycleSchedule, cycle: int, marks: Mapping[date, DoseMark], today: date,
                    pauses: Iterable[Pause] = ()) -> CycleAdherence:
    """Marks against the dose days of one cycle up to `today`. A day in the future is not yet due
    and is not counted, marked or not (the diary refuses future marks anyway)."""
    days = cycle_calendar(schedule, cycle, pauses)
    due = [d for d in days if d.dose_due]
    so_far = [d for d in due if d.day <= today]
    counts = {mark: sum(1 for d in so_far if marks.get(d.day) is mark) for mark in DoseMark}
    off = sum(1 for d in days if not d.dose_due and d.day <= today and d.day in marks)
    return CycleAdherence(
        cycle, days[0].day, len(due), len(so_far), counts[DoseMark.TAKEN], counts[DoseMark.MISSED],
        counts[DoseMark.REDUCED], len(so_far) - sum(counts.values()), off)


def adherence_by_cycle(schedule: CycleSchedule, marks: Mapping[date, DoseMark], today: date,
                       pauses: Iterable[Pause] = (), until: date | None = None) -> list[CycleAdherence]:
    """Each cycle from the first to the one holding `today` (or `until`, when the medicine stopped
    earlier), latest first. Nothing before day 1 of cycle 1."""
    last = cycle_day(schedule, min(today, until) if until else today)
    if last is None:
        return []
    # No dose is due after the medicine stopped: the days after it count as paused.
    pauses = tuple(pauses) + ((Pause(until + timedelta(days=1)),) if until else ())
    return [cycle_adherence(schedule, n, marks, today, pauses) for n in range(last.cycle, 0, -1)]
