"""The house style for dates, in one place: "2 December 2026", and with a time "2 December 2026,
14:05" on the clock of the service's time zone (Europe/London unless set otherwise).

Every page, email, PDF and FHIR narrative that shows a date to a person writes it through these
functions (the Jinja filters `long_date` and `local_time` are the first two);
tests/unit/test_date_style.py fails if one formats a date any other way. Machine-readable places
(JSON, FHIR and CSV values, <time datetime> attributes, form input values) stay ISO 8601.

The month is spelt out because "2 Dec" and "12/02" are misread, more so by people reading in a
second language or with a screen reader, and the NHS style guide writes dates in full. The
weekday is left out: when it matters (a check-in due, a diary day), the page says it in words
beside the date.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# Spelt out, not strftime's %B and %b: Python never sets LC_TIME, and a long page formats hundreds
# of dates, where strftime took most of the page's time.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_SHORT_MONTHS = tuple(m[:3] for m in MONTHS)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SERVICE_ZONE = "Europe/London"


def long_date(value: date | None) -> str:
    """A day: "2 December 2026" ("" for none)."""
    if value is None:
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def date_and_time(value: datetime | None, zone: str | ZoneInfo = SERVICE_ZONE) -> str:
    """A moment as the clock on the wall shows it in the service's time zone: "2 December 2026, 14:05"."""
    if value is None:
        return ""
    local = value.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))
    return f"{long_date(local.date())}, {local.hour:02d}:{local.minute:02d}"


def local_day(value: datetime, zone: str | ZoneInfo = SERVICE_ZONE) -> str:
    """The day of a moment in the service's time zone, without its time: "2 December 2026"."""
    return long_date(value.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)).date())


def weekday_date(value: date) -> str:
    """A named variant for the places where the day of the week is what a person acts on (a day of
    a cycle diary, taken or not by weekday; an appointment reminder): "Wednesday 2 December 2026"."""
    return f"{WEEKDAYS[value.weekday()]} {long_date(value)}"


def weekday_date_and_time(value: datetime, zone: str | ZoneInfo = SERVICE_ZONE) -> str:
    """weekday_date with the time: "Wednesday 2 December 2026, 14:05" (an appointment reminder)."""
    local = value.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))
    return f"{WEEKDAYS[local.weekday()]} {date_and_time(local, local.tzinfo)}"


def chart_month(value: date) -> str:
    """A named short variant, for a chart's axis only: "Dec 26". Three to six of these share the
    width of a phone under a chart, where "December 2026" would run into the next one; the table
    under every chart gives each date in full."""
    return f"{_SHORT_MONTHS[value.month - 1]} {value.year % 100:02d}"


def chart_day(value: date) -> str:
    """A named short variant, for a chart's axis only: "2 Dec" (see chart_month)."""
    return f"{value.day} {_SHORT_MONTHS[value.month - 1]}"
