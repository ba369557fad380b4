"""Whom to call, moment by moment: weekdays, nights, weekends, bank holidays and the clock changes."""

from datetime import UTC, date, datetime

import pytest

from alongside.clinical.contacts import EMERGENCY, NHS_111, Level, Line, Purpose, route
from alongside.clinical.opening_hours import OpeningHours

NURSES = Line("Nurse line", "01632 960222", Purpose.ROUTINE, OpeningHours.parse("Mon-Fri 09:00-17:00"))
ACUTE = Line("24-hour line", "01632 960999", Purpose.URGENT, OpeningHours.parse("24/7"))
LINES = [NURSES, ACUTE]
# England and Wales, 2026 (GOV.UK bank holidays): Good Friday, Easter Monday, early May, Christmas.
HOLIDAYS = frozenset({date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 12, 25), date(2026, 12, 28)})


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize("case, level, at, expected_line, now", [
    ("red on a Saturday night", "red", utc(2026, 11, 28, 23, 30), ACUTE, True),
    ("red on a weekday morning still goes to the 24-hour line", "red", utc(2026, 11, 25, 10, 0), ACUTE, True),
    ("amber in hours goes to the team", "amber", utc(2026, 11, 25, 10, 0), NURSES, True),
    ("amber just after closing goes to the 24-hour line", "amber", utc(2026, 11, 25, 17, 0), ACUTE, True),
    ("amber at 08:59 goes to the 24-hour line", "amber", utc(2026, 11, 25, 8, 59), ACUTE, True),
    ("amber on a bank holiday goes to the 24-hour line", "amber", utc(2026, 12, 28, 11, 0), ACUTE, True),
    ("green in hours: the team's line now", "green", utc(2026, 11, 25, 14, 0), NURSES, True),
    ("green on Friday evening: the team's line when it opens", "green", utc(2026, 11, 27, 18, 0), NURSES, False),
])
def test_routing_table(case, level, at, expected_line, now):
    routing = route(level, at, LINES, HOLIDAYS)
    assert routing.call == expected_line, case
    assert routing.now is now


def test_red_always_shows_999_beside_the_line():
    assert route(Level.RED, utc(2026, 11, 28, 23, 30), LINES).also == (EMERGENCY,)


def test_without_a_24_hour_line_red_means_999_and_amber_out_of_hours_means_111():
    assert route("red", utc(2026, 11, 28, 23, 30), [NURSES]).call == EMERGENCY
    assert route("amber", utc(2026, 11, 28, 23, 30), [NURSES]).call == NHS_111


def test_green_after_a_friday_says_when_the_line_opens_on_monday():
    routing = route("green", utc(2026, 11, 27, 18, 0), LINES, HOLIDAYS)
    assert routing.opens_at.replace(tzinfo=None) == datetime(2026, 11, 30, 9, 0)


def test_green_before_easter_skips_good_friday_and_easter_monday():
    routing = route("green", utc(2026, 4, 2, 18, 0), LINES, HOLIDAYS)  # Thursday evening
    assert routing.opens_at.date() == date(2026, 4, 7)


# Clocks go forward at 01:00 UTC on Sunday 29 March 2026 and back at 01:00 UTC on Sunday 25 October 2026.
@pytest.mark.parametrize("case, at, expected", [
    ("08:30 UTC in winter is 08:30 in London: closed", utc(2026, 3, 27, 8, 30), ACUTE),
    ("08:30 UTC in summer is 09:30 in London: open", utc(2026, 3, 30, 8, 30), NURSES),
    ("16:30 UTC in summer is 17:30 in London: closed", utc(2026, 3, 30, 16, 30), ACUTE),
    ("16:30 UTC in winter is 16:30 in London: open", utc(2026, 10, 26, 16, 30), NURSES),
    ("08:30 UTC the Monday after the clocks go back is 08:30: closed", utc(2026, 10, 26, 8, 30), ACUTE),
])
def test_opening_hours_follow_the_london_clock_across_the_changes(case, at, expected):
    assert route("amber", at, LINES).call == expected, case


@pytest.mark.parametrize("at", [
    utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30),  # spring-forward night
    utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 30),  # the repeated hour
])
def test_the_nights_of_the_clock_changes_still_route_red_to_the_24_hour_line(at):
    assert route("red", at, LINES).call == ACUTE


def test_a_saturday_morning_clinic_is_open_on_saturday_only():
    weekend = Line("Weekend clinic", "01632 960444", Purpose.BOTH, OpeningHours.parse("Sat 09:00-12:00"))
    assert route("amber", utc(2026, 11, 28, 10, 0), [weekend, ACUTE]).call == weekend
    assert route("amber", utc(2026, 11, 29, 10, 0), [weekend, ACUTE]).call == ACUTE


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        route("red", datetime(2026, 1, 1, 12, 0), LINES)
