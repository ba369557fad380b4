from datetime import time

import pytest

from alongside.clinical.opening_hours import OpeningHours


@pytest.mark.parametrize("text, shown", [
    ("24/7", "24/7"),
    ("Always", "24/7"),
    ("mon-fri 9:00-17:00", "Mon-Fri 09:00-17:00"),
    ("Mon-Fri 08:30-18:00; Sat 09:00-12:00", "Mon-Fri 08:30-18:00; Sat 09:00-12:00"),
    ("SUN 10:00-14:00", "Sun 10:00-14:00"),
])
def test_hours_are_read_and_written_back_the_clinic_way(text, shown):
    assert str(OpeningHours.parse(text)) == shown


def test_parsed_hours_keep_days_and_times():
    hours = OpeningHours.parse("Mon-Wed 08:00-16:30")
    assert not hours.always_open
    (span,) = hours.spans
    assert span.days == ("mon", "tue", "wed")
    assert (span.opens, span.closes) == (time(8, 0), time(16, 30))


@pytest.mark.parametrize("text, message", [
    ("", "Say when"),
    ("weekdays 9-5", "Could not read"),
    ("Fri-Mon 09:00-17:00", "days"),
    ("Mon 17:00-09:00", "after the opening"),
    ("Mon 25:00-26:00", "not a time"),
])
def test_unreadable_hours_say_how_to_write_them(text, message):
    with pytest.raises(ValueError, match=message):
        OpeningHours.parse(text)
