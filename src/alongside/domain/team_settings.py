"""A team's settings: where its alerts go, its check-in day and reminders, and the alert
thresholds it may change. Kept by an administrator or by the team's own clinicians; every change
is audited field by field with its old and new values (a secret only as "changed").

A change is refused if it would leave the team's alerts reaching no one (hazard H51): no alert
email and no webhook. Thresholds may only be moved towards alerting more (hazard H52,
clinical/alert_rules.py TEAM_ADJUSTABLE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from uuid import UUID

from ..clinical.alert_rules import TEAM_ADJUSTABLE, Adjustable, AlertThresholds, default_of, out_of_bounds
from .entries import AuditEvent
from .errors import AccessDenied, InvalidInput, NotFound
from .people import Actor, TeamSettings, TeamSettingsChange
from .records import validate
from .vocab import Role

WHAT = "team-settings"
THRESHOLD_NAMES = tuple(rule.name for rule in TEAM_ADJUSTABLE)
SECRET = "webhook_secret"
NO_ONE = ("Alerts would reach no one: give the team's alert email address, or a webhook. A new alert is "
          "sent only to these.")


@dataclass(frozen=True)
class ThresholdChoice:
    """One threshold the team may change, as its settings page shows it."""

    rule: Adjustable
    default: int  # the service's
    chosen: int | None  # the team's, if it changed it


@dataclass(frozen=True)
class TeamSettingsPage:
    settings: TeamSettings
    thresholds: list[ThresholdChoice]
    history: list[AuditEvent]  # newest first


def _may_keep(uow, actor: Actor, team_id: UUID, action: str) -> None:
    """An administrator, or a clinician of this team; anyone else is refused, and that is audited."""
    if actor.role is Role.ADMIN and uow.teams.exists(team_id):
        return
    if actor.role is Role.CLINICIAN and team_id in uow.teams.ids_of(actor.user_id):
        return
    uow.audit.record(actor, f"{action}:refused", None, WHAT, team_id)
    uow.commit()  # the refusal stays in the audit log though the request fails
    if actor.role in (Role.ADMIN, Role.CLINICIAN):
        raise NotFound("No such team")
    raise AccessDenied("A team's settings are kept by its clinicians and the administrators")


def team_settings(uow, actor: Actor, team_id: UUID, defaults: AlertThresholds) -> TeamSettingsPage:
    _may_keep(uow, actor, team_id, "read")
    settings = uow.teams.settings(team_id)
    uow.audit.record(actor, "read:granted", None, WHAT, team_id)
    return TeamSettingsPage(settings, [ThresholdChoice(rule, default_of(defaults, rule.name),
                                                       settings.thresholds.get(rule.name)) for rule in TEAM_ADJUSTABLE],
                            uow.audit.about(WHAT, team_id))


def as_change(settings: TeamSettings) -> dict:
    """The settings as a TeamSettingsChange's fields (the secret left out: it is never sent back)."""
    values = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name in TeamSettingsChange.model_fields}
    values.pop(SECRET, None)
    return values | {name: settings.thresholds.get(name) for name in THRESHOLD_NAMES}


def change_team_settings(uow, actor: Actor, team_id: UUID, values: dict, defaults: AlertThresholds,
                         check_webhook_url: Callable[[str], object]) -> TeamSettings:
    """Change the settings named in `values` (a field left out is kept; None clears it; a blank
    secret keeps the one stored). `check_webhook_url` refuses a URL the server must not post to
    (notify.webhook_targets)."""
    _may_keep(uow, actor, team_id, "write")
    current = uow.teams.settings(team_id)
    if not values.get(SECRET):
        values = {k: v for k, v in values.items() if k != SECRET}
    merged = validate(TeamSettingsChange, as_change(current) | {SECRET: current.webhook_secret} | values)
    if problems := [{"field": name, "message": problem} for name in THRESHOLD_NAMES
                    if (value := getattr(merged, name)) is not None
                    and (problem := out_of_bounds(defaults, name, value))]:
        raise InvalidInput(problems[0]["message"], field=problems[0]["field"], errors=problems)
    if not merged.notify_email and not merged.webhook_url:
        raise InvalidInput(NO_ONE, field="notify_email")
    if merged.webhook_url and merged.webhook_url != current.webhook_url:
        check_webhook_url(merged.webhook_url)
    chosen = merged.model_dump()
    updated = replace(current, **{k: v for k, v in chosen.items() if k not in THRESHOLD_NAMES},
                      thresholds={name: chosen[name] for name in THRESHOLD_NAMES if chosen[name] is not None})
    uow.teams.update_settings(updated)
    for name, before, after in _changes(current, updated):
        uow.audit.record(actor, "change", None, WHAT, team_id, detail=f"{name}: {before} -> {after}")
    return updated


def _changes(before: TeamSettings, after: TeamSettings) -> list[tuple[str, str, str]]:
    old, new = as_change(before), as_change(after)
    changed = [(name, _shown(old[name]), _shown(new[name])) for name in old if old[name] != new[name]]
    if before.webhook_secret != after.webhook_secret:
        changed.append((SECRET, "set" if before.webhook_secret else "none", "changed" if after.webhook_secret else "none"))
    return changed


def _shown(value) -> str:
    if value is None:
        return "none"
    return str(getattr(value, "value", value))


def masked(secret: str | None) -> str | None:
    """A webhook secret as it may be shown back: that one is set, and its last four characters."""
    return f"set, ending {secret[-4:]}" if secret else None
