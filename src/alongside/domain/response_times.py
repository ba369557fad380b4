"""How quickly a team acknowledges and closes its alerts: per level and per week, against its targets.

Read in one statement over the team's alerts of the period (store `AlertRepository.response_rows`)
and summed in one pass here. An alert not yet acknowledged or closed is counted as still open,
never left out; once it is older than the target it also counts as having missed it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from uuid import UUID
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ..clinical.contacts import Level
from .errors import AccessDenied, NotFound
from .people import Actor
from .vocab import Role

WEEKS = 12
LEVELS = (Level.RED, Level.AMBER, Level.GREEN)


class _TargetsFile(BaseModel):
    """content/response_targets.yaml: local policy; red's acknowledge target is the team's escalation time."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    acknowledge_minutes: dict[str, int] = Field(description="amber and green")
    close_hours: dict[str, int] = Field(description="red, amber and green")


@cache
def _targets_file() -> _TargetsFile:
    text = files("alongside.content").joinpath("response_targets.yaml").read_text(encoding="utf-8")
    data = _TargetsFile.model_validate(yaml.safe_load(text))
    if set(data.acknowledge_minutes) != {"amber", "green"} or set(data.close_hours) != {"red", "amber", "green"}:
        raise ValueError("response_targets.yaml: acknowledge_minutes names amber and green; close_hours all three levels")
    if min([*data.acknowledge_minutes.values(), *data.close_hours.values()]) < 1:
        raise ValueError("response_targets.yaml: every target is at least 1")
    return data


@dataclass(frozen=True)
class ResponseTargets:
    """Minutes within which a team aims to acknowledge, and to close, an alert of each level."""

    acknowledge_minutes: dict[Level, int]
    close_minutes: dict[Level, int]

    @classmethod
    def for_team(cls, escalate_red_after_minutes: int) -> ResponseTargets:
        data = _targets_file()
        acknowledge = {Level.RED: escalate_red_after_minutes} | {Level(k): v for k, v in data.acknowledge_minutes.items()}
        return cls(acknowledge, {Level(k): v * 60 for k, v in data.close_hours.items()})


@dataclass(frozen=True)
class AlertTimes:
    """One alert's level and the moments that matter here."""

    level: Level
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Measure:
    """Time to one step (acknowledge or close) over a set of alerts, in minutes."""

    done: int
    still_open: int
    median_minutes: float | None  # of those done; None if none is
    p90_minutes: float | None
    missed: int  # done later than the target, or still open and already older than it
    target_minutes: int


@dataclass(frozen=True)
class LevelTimes:
    level: Level
    alerts: int
    acknowledge: Measure
    close: Measure


@dataclass(frozen=True)
class WeekTimes:
    week_of: date  # the Monday, in the service's time zone
    levels: list[LevelTimes]


@dataclass(frozen=True)
class ResponseTimes:
    team_id: UUID
    team_name: str
    since: date
    targets: ResponseTargets
    overall: list[LevelTimes]
    weeks: list[WeekTimes]  # oldest first


def quantile(values: list[float], q: float) -> float | None:
    """The q-quantile of the values by linear interpolation between closest ranks (the
    'inclusive' method of Python's statistics.quantiles, numpy's default), to 0.1."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below, above = ordered[math.floor(position)], ordered[math.ceil(position)]
    return round(below + (above - below) * (position - math.floor(position)), 1)


def team_response_times(uow, actor: Actor, team_id: UUID, now: datetime, time_zone: str) -> ResponseTimes:
    """The last WEEKS weeks of one of the clinician's own teams; audited, refused to anyone else."""
    if actor.role is not Role.CLINICIAN or team_id not in uow.teams.ids_of(actor.user_id):
        uow.audit.record(actor, "read:refused", None, "response-times", team_id)
        uow.commit()  # the refusal stays in the audit log though the request fails
        if actor.role is not Role.CLINICIAN:
            raise AccessDenied("Response times are for the team's clinicians")
        raise NotFound("No such team")
    team = uow.teams.settings(team_id)
    zone = ZoneInfo(time_zone)
    first_week = _monday(now, zone) - timedelta(weeks=WEEKS - 1)
    since = datetime.combine(first_week, time(), zone)
    rows = uow.alerts.response_rows(team_id, since)
    uow.audit.record(actor, "read:granted", None, "response-times", team_id)
    targets = ResponseTargets.for_team(team.escalate_red_after_minutes)
    by_week: dict[tuple[date, Level], list[AlertTimes]] = {}
    for row in rows:
        by_week.setdefault((_monday(row.created_at, zone), row.level), []).append(row)
    weeks = [first_week + timedelta(weeks=n) for n in range(WEEKS)]
    return ResponseTimes(
        team_id, team.name, first_week, targets,
        overall=[_level_times(level, [r for r in rows if r.level is level], targets, now) for level in LEVELS],
        weeks=[WeekTimes(week, [_level_times(level, by_week.get((week, level), []), targets, now) for level in LEVELS])
               for week in weeks])


def _monday(moment: datetime, zone: ZoneInfo) -> date:
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def _level_times(level: Level, alerts: list[AlertTimes], targets: ResponseTargets, now: datetime) -> LevelTimes:
    return LevelTimes(level, len(alerts),
                      _measure([(a.created_at, a.acknowledged_at) for a in alerts], targets.acknowledge_minutes[level], now),
                      _measure([(a.created_at, a.resolved_at) for a in alerts], targets.close_minutes[level], now))


def _measure(spans: list[tuple[datetime, datetime | None]], target_minutes: int, now: datetime) -> Measure:
    minutes = [(end - start).total_seconds() / 60 for start, end in spans if end is not None]
    waiting = [(now - start).total_seconds() / 60 for start, end in spans if end is None]
    missed = sum(m > target_minutes for m in minutes) + sum(w > target_minutes for w in waiting)
    return Measure(len(minutes), len(waiting), quantile(minutes, 0.5), quantile(minutes, 0.9), missed, target_minutes)
