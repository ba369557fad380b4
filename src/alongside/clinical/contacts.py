"""Whom to call now: a triage level and a moment in, one phone number out.

Levels follow the red / amber / green triage of the UKONS 24-hour triage tool (UK Oncology
Nursing Society, Oncology/Haematology 24-Hour Triage Rapid Assessment and Access Toolkit,
version 3, 2020):
- red: contact the 24-hour line now (or 999 if the person is in danger);
- amber: contact the team today: the team's own line while it is open, the 24-hour line when
  it is not;
- green: self-care advice; raise it at the next contact: the team's routine line when it next
  opens.

Opening hours are read in the service's time zone (Europe/London by default), so the answer is
right on either side of the clock changes, and configured bank holidays count as closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from .opening_hours import OpeningHours, is_open, next_opening


class Level(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Purpose(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    BOTH = "both"


@dataclass(frozen=True)
class Line:
    name: str
    phone: str
    purpose: Purpose
    hours: OpeningHours


EMERGENCY = Line("Emergency services", "999", Purpose.URGENT, OpeningHours(always_open=True))
NHS_111 = Line("NHS 111", "111", Purpose.URGENT, OpeningHours(always_open=True))


@dataclass(frozen=True)
class Routing:
    level: Level
    call: Line  # the one number to call
    now: bool  # call now, or (green) when it next opens
    opens_at: datetime | None = None  # for a line that is closed now: when it opens (local time)
    also: tuple[Line, ...] = ()  # shown smaller: 999 beside a red answer


def route(level: Level | str, at: datetime, lines: list[Line], holidays: frozenset[date] = frozenset(),
          zone: str = "Europe/London") -> Routing:
    """Whom to call for a concern of this level at this moment (an aware datetime)."""
    if at.tzinfo is None:
        raise ValueError("`at` must carry its time zone")
    level = Level(level)
    local = at.astimezone(ZoneInfo(zone))
    open_now = [line for line in lines if is_open(line.hours, local, holidays)]
    urgent_open = [line for line in open_now if line.purpose in (Purpose.URGENT, Purpose.BOTH)]
    team_open = [line for line in open_now if line.purpose in (Purpose.ROUTINE, Purpose.BOTH)]
    if level is Level.RED:
        return Routing(level, _first(urgent_open, EMERGENCY), now=True, also=(EMERGENCY,))
    if level is Level.AMBER:
        return Routing(level, _first(team_open + urgent_open, NHS_111), now=True, also=(EMERGENCY,))
    if team_open:
        return Routing(level, team_open[0], now=True)
    return _next_routine(level, local, lines, holidays)


def _first(candidates: list[Line], fallback: Line) -> Line:
    return candidates[0] if candidates else fallback


def _next_routine(level: Level, local: datetime, lines: list[Line], holidays: frozenset[date]) -> Routing:
    """Green out of hours: the team's line, when it next opens (no need to call anyone at night)."""
    upcoming = [(next_opening(line.hours, local, holidays), line) for line in lines
                if line.purpose in (Purpose.ROUTINE, Purpose.BOTH)]
    upcoming = [(when, line) for when, line in upcoming if when is not None]
    if not upcoming:
        return Routing(level, NHS_111, now=False)
    when, line = min(upcoming, key=lambda pair: pair[0])
    return Routing(level, line, now=False, opens_at=when)
