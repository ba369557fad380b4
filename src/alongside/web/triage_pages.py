"""The team's triage pages: the inbox (one row per check-in, filtered by a GET form), claiming and
releasing, acknowledging green and amber alerts together, and an alert's own page with the whole
check-in, her phone number and her treatment now."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..clinical.contacts import Level
from ..domain import messages, monitoring, triage
from ..domain.errors import InvalidInput, NotFound
from ..domain.vocab import AlertOutcome
from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work
from .forms import submitted_values
from .pages import _by_field, safe_next, _version, render, see_other

router = APIRouter(include_in_schema=False)
FILTERS = ("level", "waiting", "rule", "claimed", "escalated")
ACK = "ack-"  # the prefix of a ticked alert's box in the acknowledge-together form


@router.get("/triage", response_class=HTMLResponse)
@with_unit_of_work
def triage_page(request: Request, current: Visit, uow: UnitOfWork):
    chosen = {name: request.query_params.get(name, "") for name in FILTERS}
    now = request.app.state.settings.clock()
    errors, status = {}, 200
    try:
        filters = triage.TriageFilters.from_query(chosen)
    except InvalidInput as exc:  # shown with the message, the list unfiltered, what was chosen kept
        filters, errors, status = triage.TriageFilters(), _by_field(exc), 422
    groups = triage.triage_groups(uow, current.actor, filters, now)
    report = monitoring.acknowledgement_times(uow, current.actor, now=now)
    inbox_messages = messages.message_inbox(uow, current.actor, now)  # the messages group (_inbox_messages.html)
    uow.commit()
    here = "/triage" + (f"?{urlencode({k: v for k, v in chosen.items() if v})}" if any(chosen.values()) else "")
    return render(request, "triage.html", status, groups=groups, report=report, now=now, chosen=chosen, errors=errors,
                  here=here, levels=list(Level), ages=triage.AGES, rules=triage.RULES, me=current.actor.user_id,
                  inbox_messages=inbox_messages)


@router.post("/triage/acknowledge")
@with_unit_of_work
def acknowledge_together(request: Request, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    triage.acknowledge_together(uow, current.actor, _ticked(form), request.app.state.settings.clock())
    uow.commit()
    return see_other(safe_next(form.get("next") or "/triage"))


def _ticked(form: dict[str, str]) -> dict[UUID, int]:
    """Each ticked box is ack-<alert id> = its version as drawn, so a change since is a 409."""
    try:
        return {UUID(name.removeprefix(ACK)): int(version) for name, version in form.items() if name.startswith(ACK)}
    except ValueError:
        raise InvalidInput("The form lost which alerts were ticked. Reload the page.", field="alerts") from None


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
@with_unit_of_work
def alert_page(request: Request, alert_id: UUID, current: Visit, uow: UnitOfWork):
    details = triage.alert_details(uow, current.actor, alert_id, request.app.state.settings.clock())
    uow.commit()
    return _alert_page(request, details)


def _alert_page(request, details, values=None, errors=None, status=200) -> HTMLResponse:
    return render(request, "alert.html", status, details=details, alert=details.alert, patient=details.patient,
                  check_in=details.check_in, outcomes=list(AlertOutcome),
                  outcome_required=details.alert.level in monitoring.OUTCOME_REQUIRED,
                  notes_max=monitoring.NOTES_MAX_CHARS, values=values or {}, errors=errors or {})


@router.post("/alerts/{alert_id}/{action}")
@with_unit_of_work
def act_on_alert(request: Request, alert_id: UUID, action: str, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    now = request.app.state.settings.clock()
    if action == "acknowledge":
        monitoring.acknowledge_alert(uow, current.actor, alert_id, _version(form), now)
    elif action == "claim":
        triage.claim_alert(uow, current.actor, alert_id, now)
    elif action == "release":
        triage.release_alert(uow, current.actor, alert_id)
    elif action == "resolve":
        try:
            monitoring.resolve_alert(uow, current.actor, alert_id, _version(form), form.get("notes"), now,
                                     form.get("outcome"))
        except InvalidInput as exc:  # shown again with the message, keeping what was typed
            uow.rollback()
            details = triage.alert_details(uow, current.actor, alert_id, now)
            uow.commit()
            return _alert_page(request, details, submitted_values(form), _by_field(exc), 422)
    else:
        raise NotFound("No such action")
    uow.commit()
    return see_other(safe_next(form.get("next")) if form.get("next") else f"/alerts/{alert_id}")
