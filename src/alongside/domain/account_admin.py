"""What an administrator does to accounts: switch one off or on, change a staff member's role or
teams, unlock one that failed sign-ins have slowed. Each change is audited with who made it and
what changed. The last active administrator cannot be switched off or made a clinician, or no
one could manage accounts again but from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from .accounts import SessionPolicy
from .errors import AccessDenied, InvalidInput
from .people import AccountChange, Actor, User
from .vocab import Role

STAFF = (Role.CLINICIAN, Role.ADMIN)


@dataclass(frozen=True)
class ManagedAccount:
    """One account as its administrator sees it: no record, only the account."""

    user: User
    team_ids: list[UUID]
    recent_failures: int  # failed sign-ins within the policy's window
    slowed: bool  # at the limit: sign-ins from a new browser wait until the window passes


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise AccessDenied("Only an administrator can manage accounts")


def managed_account(uow, actor: Actor, user_id: UUID, policy: SessionPolicy, now: datetime | None = None) -> ManagedAccount:
    _require_admin(actor)
    user = uow.users.get(user_id)
    now = now or datetime.now(UTC)
    failures = uow.sign_ins.failures(since=now - policy.failure_window, email=user.email)
    return ManagedAccount(user, uow.teams.ids_of(user_id), failures, failures >= policy.max_failures_per_email)


def change_account(uow, actor: Actor, user_id: UUID, change: AccountChange) -> User:
    """Apply what the change names, in one transaction (the caller commits)."""
    _require_admin(actor)
    user = uow.users.get(user_id)
    if change.role is not None and change.role is not user.role:
        _change_role(uow, actor, user, change.role)
    if change.team_ids is not None:
        _change_teams(uow, actor, uow.users.get(user_id), change.team_ids)
    if change.active is not None and change.active is not user.active:
        _set_active(uow, actor, user, change.active)
    return uow.users.get(user_id)


def set_user_active(uow, actor: Actor, user_id: UUID, active: bool) -> User:
    return change_account(uow, actor, user_id, AccountChange(active=active))


def _set_active(uow, actor: Actor, user: User, active: bool) -> None:
    if user.id == actor.user_id and not active:
        raise InvalidInput("You cannot switch off your own account", field="active")
    if not active:
        _keep_an_administrator(uow, user, "switch off")
    uow.users.set_active(user.id, active)
    if not active:
        uow.sessions.end_all_for(user.id)  # signed in elsewhere: out at the next request
    uow.audit.record(actor, "activate" if active else "deactivate", None, "user", user.id,
                     detail=f"{user.email}: {'switched on' if active else 'switched off'}")


def _change_role(uow, actor: Actor, user: User, role: Role) -> None:
    # A patient's or carer's account opens a record by its link to it; making it staff (or staff
    # into one) would open records by another road. Such an account is switched off instead.
    if user.role not in STAFF or role not in STAFF:
        raise InvalidInput("Only a clinician can become an administrator, and the other way round", field="role")
    if user.role is Role.ADMIN:
        _keep_an_administrator(uow, user, "make a clinician")
    uow.users.set_role(user.id, role)
    if role is Role.ADMIN:
        uow.teams.set_memberships(user.id, [])  # administrators do not read records, so belong to no caseload
    uow.sessions.end_all_for(user.id)  # pages open with the old role's links are closed with them
    uow.audit.record(actor, "change-role", None, "user", user.id,
                     detail=f"{user.email}: role {user.role.value} -> {role.value}")


def _change_teams(uow, actor: Actor, user: User, team_ids: list[UUID]) -> None:
    if team_ids and user.role is not Role.CLINICIAN:
        raise InvalidInput("Only a clinician belongs to a team", field="team_ids")
    known = {team.id: team.name for team in uow.teams.list()}
    if unknown := [team_id for team_id in team_ids if team_id not in known]:
        raise InvalidInput(f"No such team: {unknown[0]}", field="team_ids")
    before = set(uow.teams.ids_of(user.id))
    if before == set(team_ids):
        return
    uow.teams.set_memberships(user.id, list(dict.fromkeys(team_ids)))
    names = ", ".join(sorted(known[team_id] for team_id in set(team_ids))) or "none"
    uow.audit.record(actor, "change-teams", None, "user", user.id, detail=f"{user.email}: teams {names}")


def _keep_an_administrator(uow, user: User, doing: str) -> None:
    if user.role is Role.ADMIN and user.active and uow.users.count_active(Role.ADMIN) <= 1:
        raise InvalidInput(f"This is the only active administrator: make another one before you {doing} this one",
                           field="role" if doing.startswith("make") else "active")


def unlock_account(uow, actor: Actor, user_id: UUID) -> int:
    """Forget the account's failed sign-ins, so a new browser is not made to wait; returns how many."""
    _require_admin(actor)
    user = uow.users.get(user_id)
    forgotten = uow.sign_ins.clear_failures(user.email)
    uow.audit.record(actor, "unlock", None, "user", user.id, detail=f"{user.email}: {forgotten} failed sign-ins forgotten")
    return forgotten
