"""The rules that keep a treatment plan coherent, and the pieces of the decision summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from alongside.domain.entries import Entry
from alongside.domain.errors import InvalidInput
from alongside.domain.planning import best_response, duration_text
from alongside.domain.records import Decision, DoseChange, TreatmentBreak, TreatmentCourse
from alongside.domain.treatment_plan import (
    check_break_fits, check_course_fits, dose_in_force, is_anticancer, last_given, supportive_care_only_since,
)
from alongside.domain.vocab import ScanImpression

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def entry(data, entry_id=None) -> Entry:
    return Entry(entry_id or uuid4(), uuid4(), "x", 1, data, NOW, NOW)


def course(line, start, end=None, modality="chemotherapy", intent="disease_control", name="Drug") -> TreatmentCourse:
    return TreatmentCourse(modality=modality, name=name, line_of_treatment=line, intent=intent,
                           start_date=start, end_date=end)


def test_a_new_line_overlapping_a_running_line_is_refused_on_its_start_date():
    running = entry(course(1, date(2025, 1, 1), name="Capecitabine"))
    with pytest.raises(InvalidInput) as caught:
        check_course_fits(course(2, date(2025, 6, 1)), [running], None)
    assert caught.value.field == "start_date"
    assert "line 1 (Capecitabine)" in caught.value.detail


def test_a_line_may_start_the_day_the_previous_one_stopped():
    check_course_fits(course(2, date(2025, 6, 1)), [entry(course(1, date(2025, 1, 1), date(2025, 6, 1)))], None)


def test_courses_of_one_line_may_run_together_and_unnumbered_treatment_is_not_a_line():
    first = entry(course(1, date(2025, 1, 1), modality="endocrine"))
    bone = entry(course(None, date(2024, 1, 1), modality="bone_strengthening", intent="supportive"))
    check_course_fits(course(1, date(2025, 1, 1), modality="targeted"), [first, bone], None)
    check_course_fits(course(None, date(2025, 2, 1)), [first], None)


def test_a_course_does_not_overlap_itself_when_edited():
    existing = entry(course(1, date(2025, 1, 1)))
    check_course_fits(course(1, date(2025, 1, 2)), [existing], existing.id)
    with pytest.raises(InvalidInput):
        check_course_fits(course(2, date(2025, 1, 2)), [existing], None)


def pause(start, end=None, course_id=None) -> TreatmentBreak:
    return TreatmentBreak(course_id=course_id or uuid4(), start_date=start, end_date=end, reason="side_effects")


def test_a_break_ending_before_it_starts_names_its_end_date():
    with pytest.raises(ValueError, match="end of the break cannot be before its start"):
        pause(date(2025, 3, 10), date(2025, 3, 1))


@pytest.mark.parametrize("start, end, field", [
    (date(2024, 12, 1), date(2025, 1, 10), "start_date"),  # before the treatment started
    (date(2025, 7, 1), date(2025, 7, 10), "start_date"),  # after it stopped
    (date(2025, 5, 1), date(2025, 7, 10), "end_date"),  # runs past its stop
    (date(2025, 5, 1), None, "end_date"),  # open, on a stopped treatment
])
def test_a_break_outside_its_treatment_is_refused(start, end, field):
    stopped = course(1, date(2025, 1, 1), date(2025, 6, 1))
    with pytest.raises(InvalidInput) as caught:
        check_break_fits(pause(start, end), stopped, [], None)
    assert caught.value.field == field


def test_two_breaks_of_one_treatment_may_not_overlap_but_may_follow_each_other():
    course_id = uuid4()
    running = course(1, date(2025, 1, 1))
    earlier = entry(pause(date(2025, 2, 1), date(2025, 2, 14), course_id))
    check_break_fits(pause(date(2025, 2, 14), date(2025, 2, 20), course_id), running, [earlier], None)
    with pytest.raises(InvalidInput) as caught:
        check_break_fits(pause(date(2025, 2, 10), None, course_id), running, [earlier], None)
    assert caught.value.field == "start_date"


def test_supportive_treatment_is_not_anticancer():
    assert is_anticancer(course(2, date(2025, 1, 1)))
    assert not is_anticancer(course(None, date(2025, 1, 1), modality="bone_strengthening", intent="supportive"))
    assert not is_anticancer(course(None, date(2025, 1, 1), modality="radiotherapy", intent="symptom_control"))


def stop_decision(on: date) -> Entry:
    return entry(Decision(decided_on=on, participants="Her and Dr R", options_discussed="Stop or go on",
                          chosen="Stop", stops_anticancer_treatment_on=on))


def test_supportive_care_only_from_the_stop_date_until_anticancer_treatment_starts_again():
    stop = stop_decision(date(2025, 5, 1))
    ordinary = entry(Decision(decided_on=date(2025, 1, 1), participants="x", options_discussed="y", chosen="z"))
    assert supportive_care_only_since([ordinary, stop], [], date(2025, 4, 30)) is None
    assert supportive_care_only_since([ordinary, stop], [], date(2025, 5, 1)) == date(2025, 5, 1)
    restarted = entry(course(3, date(2025, 7, 1)))
    assert supportive_care_only_since([stop], [restarted], date(2025, 6, 30)) == date(2025, 5, 1)
    assert supportive_care_only_since([stop], [restarted], date(2025, 7, 1)) is None
    bone = entry(course(None, date(2025, 7, 1), modality="bone_strengthening", intent="supportive"))
    assert supportive_care_only_since([stop], [bone], date(2025, 8, 1)) == date(2025, 5, 1)


@pytest.mark.parametrize("impressions, best", [
    ([], None),
    ([ScanImpression.NOT_EVALUABLE, None], None),
    ([ScanImpression.PROGRESSING, ScanImpression.STABLE], ScanImpression.STABLE),
    ([ScanImpression.STABLE, ScanImpression.RESPONDING, ScanImpression.PROGRESSING], ScanImpression.RESPONDING),
    ([ScanImpression.MIXED, ScanImpression.PROGRESSING], ScanImpression.MIXED),
])
def test_best_response_is_the_best_scan_impression_and_never_a_not_evaluable_one(impressions, best):
    assert best_response(impressions) == best


@pytest.mark.parametrize("days, text", [(1, "1 day"), (10, "10 days"), (21, "3 weeks"), (200, "7 months"),
                                         (800, "2 years 2 months"), (730, "2 years")])
def test_durations_read_as_people_say_them(days, text):
    assert duration_text(days) == text


# --- The last day a treatment was given (the fever rule's window counts from it) ----------------

def break_of(course_entry, start, end=None) -> Entry:
    return entry(TreatmentBreak(course_id=course_entry.id, start_date=start, end_date=end, reason="side_effects"))


CAPE = entry(course(2, date(2025, 3, 1)))


@pytest.mark.parametrize("breaks, stopped, on, expected", [
    ([], None, date(2025, 5, 1), date(2025, 5, 1)),  # running: today
    ([], None, date(2025, 2, 1), None),  # not begun
    ([(date(2025, 4, 10), None)], None, date(2025, 5, 1), date(2025, 4, 9)),  # on an open break
    ([(date(2025, 4, 10), date(2025, 4, 20))], None, date(2025, 5, 1), date(2025, 5, 1)),  # the break is over
    ([(date(2025, 4, 1), date(2025, 4, 9)), (date(2025, 4, 10), None)], None, date(2025, 5, 1), date(2025, 3, 31)),
    ([], date(2025, 4, 15), date(2025, 5, 1), date(2025, 4, 15)),  # stopped by a decision
    ([(date(2025, 3, 1), None)], None, date(2025, 5, 1), None),  # on a break from its first day: never given
])
def test_the_last_day_given_steps_back_over_breaks_and_stops(breaks, stopped, on, expected):
    assert last_given(CAPE, [break_of(CAPE, *b) for b in breaks], stopped, on) == expected


def test_a_course_that_ended_was_last_given_on_its_end_date_and_other_courses_breaks_do_not_count():
    ended = entry(course(1, date(2024, 1, 1), date(2024, 12, 31)))
    assert last_given(ended, [break_of(CAPE, date(2024, 12, 1))], None, date(2025, 5, 1)) == date(2024, 12, 31)


# --- The dose in force on a day ------------------------------------------------------------------

def test_the_dose_in_force_is_the_latest_change_on_or_before_the_day_else_the_starting_dose():
    capecitabine = entry(course(2, date(2026, 7, 1), name="Capecitabine").model_copy(
        update={"schedule": "1,000 mg/m2 twice daily, days 1-14 of 21"}))
    other = entry(course(None, date(2026, 1, 1), name="Denosumab"))
    changes = [entry(DoseChange(course_id=capecitabine.id, changed_on=date(2026, 10, 2),
                                change="Capecitabine reduced to 825 mg/m2")),
               entry(DoseChange(course_id=capecitabine.id, changed_on=date(2026, 11, 20),
                                change="Capecitabine reduced to 650 mg/m2")),
               entry(DoseChange(course_id=other.id, changed_on=date(2026, 11, 1), change="Denosumab paused"))]
    assert dose_in_force(capecitabine, changes, date(2026, 9, 1)).change is None
    assert dose_in_force(capecitabine, changes, date(2026, 9, 1)).started_on.startswith("1,000 mg/m2")
    assert dose_in_force(capecitabine, changes, date(2026, 10, 2)).change.change.endswith("825 mg/m2")
    assert dose_in_force(capecitabine, changes, date(2026, 11, 19)).change.change.endswith("825 mg/m2")
    assert dose_in_force(capecitabine, changes, date(2026, 11, 25)).change.change.endswith("650 mg/m2")
