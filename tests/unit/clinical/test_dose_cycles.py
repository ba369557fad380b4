"""Cycles of oral anticancer medicines (clinical/dose_cycles.py), case by case against the SmPC
schedules: palbociclib and ribociclib 21 days on and 7 off, capecitabine 14 on and 7 off, and
continuous daily medicines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from alongside.clinical.dose_cycles import (
    CycleSchedule, DoseMark, Pause, adherence_by_cycle, current_cycle, cycle_adherence, cycle_calendar, cycle_day,
    cycle_start, is_dose_day,
)

PALBOCICLIB = CycleSchedule(21, 7, date(2026, 3, 2))  # 28-day cycles
CAPECITABINE = CycleSchedule(14, 7, date(2026, 3, 2))  # 21-day cycles
LETROZOLE = CycleSchedule.continuous(date(2026, 3, 2))


@pytest.mark.parametrize("day, cycle, day_of_cycle, on", [
    (date(2026, 3, 2), 1, 1, True),  # day 1 of cycle 1
    (date(2026, 3, 22), 1, 21, True),  # the last day on
    (date(2026, 3, 23), 1, 22, False),  # the first day off
    (date(2026, 3, 29), 1, 28, False),  # the last day off
    (date(2026, 3, 30), 2, 1, True),  # cycle 2 starts the next day
    (date(2026, 4, 26), 2, 28, False),
    (date(2026, 4, 27), 3, 1, True),
])
def test_palbociclib_21_on_7_off(day, cycle, day_of_cycle, on):
    found = cycle_day(PALBOCICLIB, day)
    assert (found.cycle, found.day_of_cycle, found.on_day) == (cycle, day_of_cycle, on)
    assert is_dose_day(PALBOCICLIB, day) is on


@pytest.mark.parametrize("day, cycle, day_of_cycle, on", [
    (date(2026, 3, 15), 1, 14, True),
    (date(2026, 3, 16), 1, 15, False),
    (date(2026, 3, 22), 1, 21, False),
    (date(2026, 3, 23), 2, 1, True),
])
def test_capecitabine_14_on_7_off(day, cycle, day_of_cycle, on):
    found = cycle_day(CAPECITABINE, day)
    assert (found.cycle, found.day_of_cycle, found.on_day) == (cycle, day_of_cycle, on)


def test_a_continuous_medicine_is_due_every_day_in_28_day_cycles():
    assert all(is_dose_day(LETROZOLE, date(2026, 3, 2) + timedelta(days=i)) for i in range(200))
    assert cycle_day(LETROZOLE, date(2026, 3, 30)).cycle == 2
    assert LETROZOLE.is_continuous and not PALBOCICLIB.is_continuous


def test_a_leap_day_is_a_day_of_its_cycle():
    schedule = CycleSchedule(21, 7, date(2028, 2, 8))  # 2028 is a leap year
    assert cycle_day(schedule, date(2028, 2, 28)).day_of_cycle == 21
    assert cycle_day(schedule, date(2028, 2, 29)).day_of_cycle == 22  # the first day off
    assert (cycle_day(schedule, date(2028, 3, 7)).cycle, cycle_day(schedule, date(2028, 3, 7)).day_of_cycle) == (2, 1)
    assert cycle_start(schedule, 2) == date(2028, 3, 7)  # 28 days on, counting 29 February
    assert cycle_start(CycleSchedule(21, 7, date(2027, 2, 8)), 2) == date(2027, 3, 8)  # not a leap year


def test_before_day_1_there_is_no_cycle_and_nothing_is_due():
    future = CycleSchedule(21, 7, date(2026, 6, 1))
    assert cycle_day(future, date(2026, 5, 31)) is None
    assert not is_dose_day(future, date(2026, 5, 31))
    assert current_cycle(future, date(2026, 5, 31)) is None
    assert adherence_by_cycle(future, {}, today=date(2026, 5, 31)) == []
    # Its first cycle can still be drawn, with nothing due yet.
    assert cycle_calendar(future, 1)[0].day == date(2026, 6, 1)
    assert cycle_adherence(future, 1, {}, today=date(2026, 5, 31)).dose_days_so_far == 0


def test_the_calendar_of_a_cycle_has_each_day_once_in_order():
    days = cycle_calendar(PALBOCICLIB, 2)
    assert len(days) == 28
    assert days[0].day == date(2026, 3, 30) and days[-1].day == date(2026, 4, 26)
    assert [d.on_day for d in days] == [True] * 21 + [False] * 7
    with pytest.raises(ValueError):
        cycle_calendar(PALBOCICLIB, 0)


def test_a_pause_the_team_asked_for_makes_its_days_not_due():
    pause = Pause(date(2026, 3, 10), date(2026, 3, 16))
    assert not is_dose_day(PALBOCICLIB, date(2026, 3, 12), [pause])
    assert is_dose_day(PALBOCICLIB, date(2026, 3, 17), [pause])
    days = cycle_calendar(PALBOCICLIB, 1, [pause])
    assert sum(d.dose_due for d in days) == 14 and sum(d.paused for d in days) == 7
    open_ended = Pause(date(2026, 3, 20))
    assert not is_dose_day(PALBOCICLIB, date(2026, 5, 1), [open_ended])


def test_adherence_counts_only_marks_and_never_takes_a_blank_day_as_taken():
    marks = {date(2026, 3, 2): DoseMark.TAKEN, date(2026, 3, 3): DoseMark.TAKEN, date(2026, 3, 4): DoseMark.MISSED,
             date(2026, 3, 5): DoseMark.REDUCED}
    result = cycle_adherence(PALBOCICLIB, 1, marks, today=date(2026, 3, 11))  # day 10
    assert (result.dose_days, result.dose_days_so_far) == (21, 10)
    assert (result.taken, result.missed, result.reduced, result.not_recorded) == (2, 1, 1, 6)
    assert result.recorded == 4


def test_adherence_leaves_out_paused_days_and_notes_marks_on_days_off():
    marks = {date(2026, 3, 2): DoseMark.TAKEN, date(2026, 3, 12): DoseMark.TAKEN,  # the 12th is paused
             date(2026, 3, 25): DoseMark.TAKEN}  # a day off
    result = cycle_adherence(PALBOCICLIB, 1, marks, today=date(2026, 3, 29),
                             pauses=[Pause(date(2026, 3, 10), date(2026, 3, 16))])
    assert (result.dose_days, result.dose_days_so_far, result.taken) == (14, 14, 1)
    assert result.not_recorded == 13 and result.marked_on_days_off == 2


def test_adherence_by_cycle_runs_latest_first_up_to_today():
    marks = {date(2026, 3, 2): DoseMark.TAKEN, date(2026, 3, 30): DoseMark.MISSED}
    cycles = adherence_by_cycle(PALBOCICLIB, marks, today=date(2026, 4, 1))
    assert [(c.cycle, c.taken, c.missed, c.dose_days_so_far) for c in cycles] == [(2, 0, 1, 3), (1, 1, 0, 21)]


def test_no_dose_is_due_after_the_medicine_stopped():
    cycles = adherence_by_cycle(PALBOCICLIB, {}, today=date(2026, 6, 1), until=date(2026, 4, 1))
    assert [c.cycle for c in cycles] == [2, 1]
    assert cycles[0].dose_days_so_far == 3  # 30 and 31 March, 1 April


def test_a_schedule_needs_a_day_on():
    with pytest.raises(ValueError):
        CycleSchedule(0, 7, date(2026, 1, 1))
    with pytest.raises(ValueError):
        CycleSchedule(21, -1, date(2026, 1, 1))


@given(st.integers(1, 28), st.integers(0, 14), st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 2000))
def test_every_day_from_day_1_has_one_place_in_its_cycle(on, off, first, offset):
    schedule = CycleSchedule(on, off, first)
    found = cycle_day(schedule, first + timedelta(days=offset))
    assert 1 <= found.day_of_cycle <= schedule.length
    assert cycle_start(schedule, found.cycle) + timedelta(days=found.day_of_cycle - 1) == found.day
    assert found.on_day == (found.day_of_cycle <= on)


@given(st.dictionaries(st.dates(date(2026, 3, 2), date(2026, 4, 30)), st.sampled_from(list(DoseMark))),
       st.dates(date(2026, 3, 2), date(2026, 4, 30)))
def test_the_counts_add_up_to_the_dose_days_so_far(marks, today):
    for result in adherence_by_cycle(PALBOCICLIB, marks, today):
        assert result.taken + result.missed + result.reduced + result.not_recorded == result.dose_days_so_far
