"""Setting a new password by an emailed link: asked for by the person, or sent by her team.

The link holds a random token; only its SHA-256 digest is stored, it works once, for
`SessionPolicy.reset_link_lifetime`, and a newer link, a sign-in or a password change ends it.
Asking answers alike whether or not the email has an account, and does the same work up to the
lookup either way; the email itself is sent after the answer (web/account_pages.py), so neither
the page nor its timing tells whether there was one to send.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from .access import Action, authorise
from .accounts import PASSWORD_RESET, SessionPolicy, actor_for, digest, hash_password, refuse_guessable
from .errors import InvalidInput, NotFound
from .people import Actor, User

EXPIRED = "This link has expired or has already been used. Ask for a new one from the sign-in page."


@dataclass(frozen=True)
class ResetLink:
    """Whom to email and the token for the link's path; the token is never stored."""

    email: str
    token: str
    minutes: int  # how long it works, said in the email


def request_password_reset(uow, email: str, policy: SessionPolicy, now: datetime | None = None) -> ResetLink | None:
    """A reset link for an active account with this email, or None; the caller answers alike."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    token_digest = digest(token)  # made whether or not there is an account: the same work either way
    user = uow.users.by_email(email.strip().lower())
    if user is None or not user.active:
        return None
    if uow.account_tokens.issued_since(user.id, PASSWORD_RESET, now - timedelta(hours=1)) >= policy.max_reset_emails_per_hour:
        uow.audit.record(actor_for(user), "password-reset:refused", user.patient_id, "user", user.id,
                         detail="too many asked for within the hour")
        return None
    link = _issue(uow, user, token, token_digest, policy, now)
    uow.audit.record(actor_for(user), "request-password-reset", user.patient_id, "user", user.id)
    return link


def send_patient_password_reset(uow, actor: Actor, patient_id: UUID, policy: SessionPolicy,
                                now: datetime | None = None) -> ResetLink:
    """Her team sends the patient a link to choose a new password; they never see or set it."""
    authorise(uow, actor, patient_id, Action.WRITE, what="patient-account", record_id=patient_id)
    users = uow.users.of_patient(patient_id)
    if not users:
        raise InvalidInput("This record has no sign-in yet: open one first", field="email")
    user = users[0]
    if not user.active:
        raise InvalidInput("This sign-in is switched off; an administrator can switch it on", field="email")
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    link = _issue(uow, user, token, digest(token), policy, now)
    uow.audit.record(actor, "send-password-reset", patient_id, "user", user.id)
    return link


def _issue(uow, user: User, token: str, token_digest: str, policy: SessionPolicy, now: datetime) -> ResetLink:
    uow.account_tokens.end_all_for(user.id, PASSWORD_RESET, now)  # a newer link ends the older ones
    uow.account_tokens.add(token_digest, PASSWORD_RESET, user.id, now, now + policy.reset_link_lifetime)
    return ResetLink(user.email, token, int(policy.reset_link_lifetime.total_seconds() // 60))


def reset_link_works(uow, token: str, now: datetime | None = None) -> bool:
    """Whether the link may still be used (the form is shown only then); nothing is used up."""
    return uow.account_tokens.holder(digest(token), PASSWORD_RESET, now or datetime.now(UTC)) is not None


def reset_password(uow, token: str, new_password: str, now: datetime | None = None) -> User:
    """Use the link once to set a new password. Every session of the account ends (and every
    device cookie, which the new hash no longer matches), and its failed sign-ins are forgotten.
    A refused password leaves the link usable: the caller rolls the transaction back."""
    now = now or datetime.now(UTC)
    user_id = uow.account_tokens.take(digest(token), PASSWORD_RESET, now)
    user = uow.users.get(user_id) if user_id else None
    if user is None or not user.active:
        raise NotFound(EXPIRED)
    refuse_guessable(new_password, "password", email=user.email, name=user.display_name)
    uow.users.set_password_hash(user.id, hash_password(new_password))
    uow.sessions.end_all_for(user.id)
    uow.sign_ins.clear_failures(user.email)
    uow.audit.record(actor_for(user), "reset-password", user.patient_id, "user", user.id)
    return user
