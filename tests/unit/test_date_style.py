"""One date style (issue 16 item 6): "2 December 2026", and with a time "2 December 2026, 14:05".

Every date a person reads is written by src/alongside/domain/dates.py (in templates through its
filters `long_date`, `local_time` and `weekday_date`). This test reads the templates and the
Python that writes pages, emails, PDFs and FHIR text, and fails where a date is formatted any other
way: a strftime or f-string format with a day, month or weekday in it, or a date put together by
hand from its parts. ISO 8601 for machines (%Y-%m-%d, %Y-%m-%dT%H:%M) and a time of day alone
(%H:%M, as in opening hours) are not dates in words and are allowed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alongside.domain import dates

SRC = Path(__file__).resolve().parents[2] / "src" / "alongside"
TEMPLATES = SRC / "web" / "templates"
CODE = [SRC / d for d in ("web", "domain", "reports", "notify", "fhir", "clinical", "trials")] + [SRC / "cli.py"]
THE_ONE_PLACE = SRC / "domain" / "dates.py"

# A format with a day, month name or weekday: %d %-d %e %b %B %a %A %m %y, in strftime or an f-string spec.
DATE_DIRECTIVE = re.compile(r"%-?[debBaAmy]")
ISO = {"%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"}
STRFTIME = re.compile(r"""strftime\(\s*["']([^"']*)["']""")
FSTRING_SPEC = re.compile(r"\{[^{}\"']+:([^{}\"']*%[^{}\"']*)\}")
BY_HAND = re.compile(r"\.day\}\s*\{|\.month\s*-\s*1\]")  # f"{d.day} {d:%B}", MONTHS[d.month - 1]
# In templates: strftime, the removed |day filter, or a date built from .day / .month / .year (a form's
# field called "day", its value or its error, is not a date in words).
TEMPLATE_WAYS = re.compile(r"strftime|\|\s*day\b|(?<!errors)(?<!values)\.(day|month|year)\s*\}\}")


def python_files() -> list[Path]:
    return sorted(p for d in CODE for p in ([d] if d.is_file() else d.rglob("*.py"))
                  if p != THE_ONE_PLACE and "migrations" not in p.parts)


def offences_in_python(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for spec in STRFTIME.findall(line) + FSTRING_SPEC.findall(line):
            if DATE_DIRECTIVE.search(spec) and spec not in ISO:
                found.append(f"line {number}: {spec!r}")
        if BY_HAND.search(line):
            found.append(f"line {number}: a date put together by hand")
    return found


def test_no_python_that_writes_for_people_formats_a_date_itself():
    offences = {str(p.relative_to(SRC)): o for p in python_files() if (o := offences_in_python(p.read_text()))}
    assert not offences, f"format dates with alongside.domain.dates: {offences}"


def test_no_template_formats_a_date_itself():
    offences = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        lines = [f"line {n}: {m.group(0)}" for n, line in enumerate(path.read_text().splitlines(), 1)
                 for m in TEMPLATE_WAYS.finditer(line)]
        if lines:
            offences[path.name] = lines
    assert not offences, f"use the long_date, local_time or weekday_date filter: {offences}"


@pytest.mark.parametrize("source, why", [
    ('f"{value:%d %b %Y}"', "short month in an f-string"),
    ('f"{value:%-d %B %Y}"', "long month in an f-string, not through the helper"),
    ('value.strftime("%A")', "a weekday by strftime"),
    ('f"{local:%a} {local.day} {local:%b}"', "a date from its parts"),
    ('f"{value.day} {MONTHS[value.month - 1]}"', "the helper's own table used by hand"),
])
def test_the_scan_finds_each_other_way(source, why):
    assert offences_in_python(source), why


@pytest.mark.parametrize("source", ['f"{day:%Y-%m-%d}"', 'value.strftime("%Y-%m-%dT%H:%M")',
                                    'f"{self.opens:%H:%M}-{self.closes:%H:%M}"', 'f"{value:g} mg"'])
def test_the_scan_allows_iso_and_times_of_day(source):
    assert not offences_in_python(source)


def test_the_template_scan_finds_strftime_and_parts():
    assert TEMPLATE_WAYS.search('{{ d.strftime("%a") }}') and TEMPLATE_WAYS.search("{{ d|day }}")
    assert TEMPLATE_WAYS.search("{{ d.day }}") and not TEMPLATE_WAYS.search("{{ d|long_date }}")


@pytest.mark.parametrize("value, expected", [
    (date(2026, 12, 2), "2 December 2026"), (date(2027, 1, 31), "31 January 2027"), (None, ""),
])
def test_the_house_style_for_a_day(value, expected):
    assert dates.long_date(value) == expected


@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 12, 2, 14, 5, tzinfo=UTC), "2 December 2026, 14:05"),  # GMT
    (datetime(2026, 7, 2, 13, 5, tzinfo=UTC), "2 July 2026, 14:05"),  # BST, an hour ahead
    (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "28 March 2026, 23:30"),  # the night before the clocks go forward
    (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), "25 October 2026, 00:30"),  # still BST: the next day in London
])
def test_the_house_style_with_a_time_is_the_clock_in_london(moment, expected):
    assert dates.date_and_time(moment, "Europe/London") == expected


def test_the_named_variants():
    assert dates.weekday_date(date(2026, 12, 2)) == "Wednesday 2 December 2026"
    assert dates.weekday_date_and_time(datetime(2026, 12, 2, 14, 5, tzinfo=UTC)) == "Wednesday 2 December 2026, 14:05"
    assert dates.chart_month(date(2026, 12, 1)) == "Dec 26" and dates.chart_day(date(2026, 12, 2)) == "2 Dec"


def test_the_appointment_reminder_email_writes_the_date_in_the_house_style():
    from uuid import uuid4

    from alongside.notify import NotifySettings, appointment_reminder_email
    email = appointment_reminder_email(uuid4(), datetime(2026, 7, 1, 8, 30, tzinfo=UTC), NotifySettings())
    assert "You have an appointment on Wednesday 1 July 2026, 09:30." in email.get_content()  # BST
