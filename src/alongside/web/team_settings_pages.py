"""A team's settings page: where its alerts go, its check-in day and reminders, the thresholds it
may change (each with the service's default and its source), and the history of changes. Thin
handlers: the use case authorises, checks, changes and audits; this parses and draws."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..domain import team_settings as use_case
from ..domain.errors import InvalidInput
from ..domain.people import TeamSettingsChange
from ..notify.webhook_targets import check_webhook_url
from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work
from .forms import build_form, parse_form, submitted_values
from .pages import _by_field, _zone, render, see_other

router = APIRouter(include_in_schema=False)
GROUPS = (("Where alerts go", ("notify_email", "escalation_email", "escalate_red_after_minutes", "webhook_url",
                               "webhook_secret")),
          ("Check-in day and reminders", ("check_in_day", "check_in_reminders", "reminder_hour")),
          ("Alert thresholds", use_case.THRESHOLD_NAMES))


@router.get("/teams/{team_id}/settings", response_class=HTMLResponse)
@with_unit_of_work
def team_settings_page(request: Request, team_id: UUID, current: Visit, uow: UnitOfWork, saved: bool = False):
    page = use_case.team_settings(uow, current.actor, team_id, request.app.state.settings.monitoring.thresholds)
    uow.commit()
    return _page(request, page, use_case.as_change(page.settings), {}, saved=saved)


@router.post("/teams/{team_id}/settings", response_class=HTMLResponse)
@with_unit_of_work
def change_team_settings(request: Request, team_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    settings = request.app.state.settings
    # Every field is on the form, so a blank one clears its setting (a blank secret keeps the one set).
    values = {name: None for name in TeamSettingsChange.model_fields} | parse_form(TeamSettingsChange, form,
                                                                                  _zone(request))
    allowed = settings.notify.webhook_allowed_hosts
    try:
        use_case.change_team_settings(uow, current.actor, team_id, values, settings.monitoring.thresholds,
                                      check_webhook_url=lambda url: check_webhook_url(url, allowed))
    except InvalidInput as exc:
        uow.rollback()
        page = use_case.team_settings(uow, current.actor, team_id, settings.monitoring.thresholds)
        uow.commit()
        typed = {k: v for k, v in submitted_values(form).items() if k != use_case.SECRET}
        typed["check_in_reminders"] = "check_in_reminders" in form
        return _page(request, page, typed, _by_field(exc), status=422)
    uow.commit()
    return see_other(f"/teams/{team_id}/settings?saved=true")


def _page(request: Request, page: use_case.TeamSettingsPage, values: dict, errors: dict, status: int = 200,
          saved: bool = False) -> HTMLResponse:
    fields = {f.name: f for f in build_form(TeamSettingsChange, values, errors, _zone(request))}
    for choice in page.thresholds:
        f = fields[choice.rule.name]
        f.hint = (f"Default {choice.default} {choice.rule.unit}; you may choose from {choice.rule.most_sensitive} "
                  f"to {choice.default}, so that alerts come sooner, never later. Blank: the default. "
                  f"Source: {choice.rule.source}.")
    if secret := use_case.masked(page.settings.webhook_secret):
        fields[use_case.SECRET].hint = f"A secret is {secret}. Leave this blank to keep it; type a new one to change it."
    groups = [(title, [fields[name] for name in names]) for title, names in GROUPS]
    labels = {name: info.title for name, info in TeamSettingsChange.model_fields.items()}
    history = [(event, *_worded(event.detail, labels)) for event in page.history]
    return render(request, "team_settings.html", status, page=page, groups=groups, errors=errors,
                  fields=list(fields.values()), saved=saved, history=history)


def _worded(detail: str, labels: dict[str, str]) -> tuple[str, str]:
    """An audited change, "check_in_day: none -> wednesday", as (its field's label, what changed)."""
    name, _, change = detail.partition(": ")
    return labels.get(name, name), change.replace("->", "\u2192")
