"""Staff sign-in through the hospital's identity provider (OpenID Connect).

The protocol (discovery, PKCE, the ID token's signature, issuer, audience, expiry and nonce) is
checked in `web/single_sign_on.py`; what reaches here is a `ProviderIdentity` whose claims the
provider has signed. This module decides who that is in Alongside: which account, which role and
which teams, by the hospital's own mapping of a claim (its groups, say) to teams and roles.

A claim never makes a patient or a carer: their sign-in opens a record, which only the patient's
team gives (accounts.open_patient_account). It makes an administrator only when the service lists
the values that mean one (`ClaimMapping.admin_values`, empty by default).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from .accounts import SignedIn, actor_for, hash_password, open_session
from .errors import AccessDenied
from .people import SYSTEM, Actor, Team, User
from .vocab import Role


@dataclass(frozen=True)
class ClaimMapping:
    """How the provider's claims name an Alongside team and role (docs/admin-guide.md)."""

    team_claim: str = "groups"
    # A team is named by this prefix and its name, compared as slugs (lower case, words joined by
    # "-"): "alongside-team-secondary-breast-care" names "Secondary Breast Care". "" for any value.
    team_prefix: str = "alongside-team-"
    role_claim: str = "groups"
    clinician_values: tuple[str, ...] = ("alongside-clinician",)
    # Empty: no claim makes anyone an administrator.
    admin_values: tuple[str, ...] = ()
    # Whether someone the claims map fully (a staff role and, for a clinician, a team) but who
    # has no account yet is given one; if not, an administrator makes the account first.
    create_accounts: bool = True


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in: its issuer and subject name one person for good."""

    issuer: str
    subject: str
    claims: Mapping[str, object]

    @property
    def email(self) -> str | None:
        email = self.claims.get("email")
        return email.strip().lower() if isinstance(email, str) and "@" in email else None

    @property
    def name(self) -> str:
        name = self.claims.get("name")
        return (name.strip() if isinstance(name, str) and name.strip() else self.email or self.subject)[:100]


class SignInRefused(AccessDenied):
    """The provider signed the person in, but Alongside will not. `reason` is for the audit log."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


NO_ROLE = ("Your organisation's account does not give you a role in Alongside. Ask your administrator to "
           "add you to the right group.")
NO_TEAM = ("Your organisation's account does not name a team in Alongside that you belong to. Ask your "
           "administrator to add you to your team's group.")


def team_slug(name: str) -> str:
    """"Secondary Breast Care, Demo Hospital" -> "secondary-breast-care-demo-hospital"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _values(claims: Mapping[str, object], claim: str) -> set[str]:
    """A claim's text values, whether the provider sends one string or a list of them. A dotted
    name reaches into objects and lists of them: "nhsid_nrbac_roles.role_code" is the role code of
    each of an NHS CIS2 user's roles."""
    found: list[object] = [claims]
    for part in claim.split("."):
        found = [node.get(part) for node in _flat(found) if isinstance(node, Mapping)]
    return {value for value in _flat(found) if isinstance(value, str)}


def _flat(values: list[object]) -> list[object]:
    return [item for value in values
            for item in (value if isinstance(value, Iterable) and not isinstance(value, (str, Mapping)) else [value])]


def mapped_role(claims: Mapping[str, object], mapping: ClaimMapping) -> Role:
    """Administrator only if the service says which values mean one; otherwise clinician or refused."""
    values = _values(claims, mapping.role_claim)
    if mapping.admin_values and values & set(mapping.admin_values):
        return Role.ADMIN
    if values & set(mapping.clinician_values):
        return Role.CLINICIAN
    raise SignInRefused(NO_ROLE, "no-role")


def mapped_teams(claims: Mapping[str, object], mapping: ClaimMapping, teams: list[Team]) -> list[Team]:
    """The existing teams the claims name; a value naming no team is ignored (a claim makes no team)."""
    named = {team_slug(value.removeprefix(mapping.team_prefix)) for value in _values(claims, mapping.team_claim)
             if value.startswith(mapping.team_prefix)}
    return [team for team in teams if team_slug(team.name) in named]


def sign_in_with_provider(uow, identity: ProviderIdentity, mapping: ClaimMapping,
                          now: datetime | None = None) -> SignedIn:
    """Open a session for the person the provider signed in, or refuse (audited either way).

    The account is found by the provider's issuer and subject; the first time, by a verified
    email (and linked), or made when the mapping allows. Every sign-in sets the clinician's teams
    to the ones the claims name, so someone moved off a team in the hospital's directory leaves
    its caseload at their next sign-in. A role is never changed by a claim: an account whose
    claims now say another role is refused, and an administrator decides."""
    now = now or datetime.now(UTC)
    try:
        role = mapped_role(identity.claims, mapping)
        teams = mapped_teams(identity.claims, mapping, uow.teams.list())
        if role is Role.CLINICIAN and not teams:
            raise SignInRefused(NO_TEAM, "no-team")
        user = _account_for(uow, identity, mapping, role, now)
    except SignInRefused as refusal:
        record_refusal(uow, identity, refusal.reason)
        raise
    if role is Role.CLINICIAN:
        _set_teams(uow, user, [team.id for team in teams])
    token, session = open_session(uow, user, now)
    uow.audit.record(actor_for(user), "sso-sign-in", None, "session", None)
    return SignedIn(token, session, user)


def record_refusal(uow, identity: ProviderIdentity | None, reason: str) -> None:
    """Audit a refused single sign-on, kept although the request fails (`reason` is a short code)."""
    who = (identity.email or identity.subject) if identity else "unknown"
    actor = Actor(user_id=SYSTEM.user_id, role=SYSTEM.role, display_name=f"single sign-on: {who}"[:100])
    uow.audit.record(actor, "sso-refused", None, reason[:60], None)
    uow.commit()


def _account_for(uow, identity: ProviderIdentity, mapping: ClaimMapping, role: Role, now: datetime) -> User:
    user = uow.identities.user_for(identity.issuer, identity.subject)
    if user is None:
        user = _first_sign_in(uow, identity, mapping, role, now)
    if not user.active:
        raise SignInRefused("This account is switched off. Ask your administrator.", "switched-off")
    if user.role is not role:
        raise SignInRefused(f"Your organisation's account now gives you another role than your Alongside account "
                            f"has ({user.role.label}). Ask your administrator.", "role-differs")
    return user


def _first_sign_in(uow, identity: ProviderIdentity, mapping: ClaimMapping, role: Role, now: datetime) -> User:
    """Link the account with this verified email, or make one; never take over another's account."""
    if not identity.email:
        raise SignInRefused("Your organisation's account did not give an email address, which Alongside needs "
                            "the first time. Ask your administrator.", "no-email")
    existing = uow.users.by_email(identity.email)
    if existing is not None:
        # Only a verified email, only to an account of the same role, and only once per provider:
        # a second person there given the same address (reused, or a typing slip) gets nothing.
        if (identity.claims.get("email_verified") is not True or existing.role is not role
                or uow.identities.linked(existing.id, identity.issuer)):
            raise SignInRefused("An Alongside account with your email already exists, but it cannot be joined to your "
                                "organisation's account automatically. Ask your administrator.", "email-not-linked")
        uow.identities.link(existing.id, identity.issuer, identity.subject, now)
        uow.audit.record(actor_for(existing), "sso-link", None, "user", existing.id)
        return existing
    if not mapping.create_accounts:
        raise SignInRefused("You do not have an Alongside account yet. Ask your administrator to make one.", "no-account")
    # No password: this account signs in through the provider. A random one nobody knows keeps
    # the column's meaning (every account has a hash) without opening the password form to it.
    user = User(id=uuid4(), email=identity.email, display_name=identity.name, role=role, patient_id=None,
                active=True, created_at=now)
    uow.users.add(user, hash_password(secrets.token_urlsafe(32)))
    uow.identities.link(user.id, identity.issuer, identity.subject, now)
    uow.audit.record(actor_for(user), "sso-create", None, "user", user.id)
    return user


def _set_teams(uow, user: User, team_ids: list[UUID]) -> None:
    current = set(uow.teams.ids_of(user.id))
    for team_id in set(team_ids) - current:
        uow.teams.add_member(team_id, user.id)
        uow.audit.record(actor_for(user), "sso-join-team", None, "team", team_id)
    for team_id in current - set(team_ids):
        uow.teams.remove_member(team_id, user.id)
        uow.audit.record(actor_for(user), "sso-leave-team", None, "team", team_id)
