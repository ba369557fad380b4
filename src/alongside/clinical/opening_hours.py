"""When a contact point answers: weekly opening times, written the way a clinic writes them.

Text form, as typed on the form and shown back: ``24/7``, ``Mon-Fri 09:00-17:00``,
``Mon-Fri 08:30-18:00; Sat 09:00-12:00``. Bank holidays are closed unless ``24/7``.
Times are wall-clock times where the service is: callers pass local datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$"
)


@dataclass(frozen=True)
class OpeningSpan:
    days: tuple[str, ...]
    opens: time
    closes: time

    def __str__(self) -> str:
        first, last = self.days[0].capitalize(), self.days[-1].capitalize()
        days = first if len(self.days) == 1 else f"{first}-{last}"
        return f"{days} {self.opens:%H:%M}-{self.closes:%H:%M}"


@dataclass(frozen=True)
class OpeningHours:
    always_open: bool
    spans: tuple[OpeningSpan, ...] = ()

    @classmethod
    def parse(cls, text: str) -> OpeningHours:
        cleaned = text.strip().lower()
        if cleaned in {ALWAYS, "24 hours", "24h", "always"}:
            return cls(always_open=True)
        if not cleaned:
            raise ValueError("Say when this line is open, for example 'Mon-Fri 09:00-17:00' or '24/7'")
        return cls(always_open=False, spans=tuple(_parse_span(p.strip()) for p in cleaned.split(";") if p.strip()))

    def __str__(self) -> str:
        return ALWAYS if self.always_open else "; ".join(str(s) for s in self.spans)


def _parse_span(part: str) -> OpeningSpan:
    match = _PART.match(part)
    if not match:
        raise ValueError(f"Could not read '{part}': write it like 'Mon-Fri 09:00-17:00'")
    first, last = match["first"], match["last"] or match["first"]
    if first not in DAYS or last not in DAYS or DAYS.index(last) < DAYS.index(first):
        raise ValueError(f"Could not read the days in '{part}': use Mon, Tue, Wed, Thu, Fri, Sat, Sun")
    opens, closes = _clock(match["opens"], part), _clock(match["closes"], part)
    if closes <= opens:
        raise ValueError(f"In '{part}' the closing time must be after the opening time")
    return OpeningSpan(DAYS[DAYS.index(first) : DAYS.index(last) + 1], opens, closes)


def _clock(text: str, part: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"'{text}' in '{part}' is not a time of day")
    return time(hours, minutes)


def is_open(hours: OpeningHours, local: datetime, bank_holidays: frozenset[date] = frozenset()) -> bool:
    """Is the line answering at this local wall-clock moment?"""
    if hours.always_open:
        return True
    if local.date() in bank_holidays:
        return False
    day, clock = DAYS[local.weekday()], local.time()
    return any(day in span.days and span.opens <= clock < span.closes for span in hours.spans)


def next_opening(hours: OpeningHours, local: datetime, bank_holidays: frozenset[date] = frozenset(),
                 within_days: int = 14) -> datetime | None:
    """The next local moment the line opens, looking up to `within_days` ahead."""
    if hours.always_open:
        return local
    for offset in range(within_days + 1):
        day = local.date() + timedelta(days=offset)
        if day in bank_holidays:
            continue
        opening_times = sorted(s.opens for s in hours.spans if DAYS[day.weekday()] in s.days)
        for opens in opening_times:
            moment = datetime.combine(day, opens, local.tzinfo)
            if moment > local:
                return moment
    return None
