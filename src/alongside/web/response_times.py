"""The team's response times page: time to acknowledge and to close alerts, per level and per
week, against its targets. Thin handler: the use case authorises, audits and counts; this draws."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..domain import response_times as use_case
from ..reports import charts
from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work
from .pages import render

router = APIRouter(include_in_schema=False)


@router.get("/teams/{team_id}/response-times", response_class=HTMLResponse)
@with_unit_of_work
def response_times(request: Request, team_id: UUID, current: Visit, uow: UnitOfWork):
    settings = request.app.state.settings
    report = use_case.team_response_times(uow, current.actor, team_id, settings.clock(), settings.service_time_zone)
    uow.commit()
    return render(request, "response_times.html", report=report, charts=_charts(report))


def _charts(report: use_case.ResponseTimes) -> list[tuple[str, str]]:
    """Per level, the weekly median to acknowledge (minutes) and to close (hours), with the target."""
    weeks = [w.week_of for w in report.weeks]
    drawn = []
    for index, level in enumerate(use_case.LEVELS):
        steps = (("acknowledge", "minutes", 1), ("close", "hours", 60))
        for step, unit, per in steps:
            values = [_in(getattr(w.levels[index], step).median_minutes, per) for w in report.weeks]
            target = getattr(report.targets, f"{step}_minutes")[level] / per
            title = f"Median time to {step} {level.value} alerts, in {unit}, by week; target {target:g} {unit}"
            drawn.append((title, charts.for_screens(
                lambda width: charts.week_bars(title, weeks, values, target, width))))
    return drawn


def _in(minutes: float | None, per: int) -> float | None:
    return None if minutes is None else round(minutes / per, 1)
