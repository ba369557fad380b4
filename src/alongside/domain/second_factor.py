"""A second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app, with
single-use recovery codes for when the phone is lost.

pyotp makes and checks the codes. A code is accepted for its own 30-second step or the one either
side (RFC 6238 section 5.2 allows for clock drift and typing time), and only for a step later than
the last one accepted, so a code seen over a shoulder or replayed from a log is refused. Recovery
codes are shown once and stored as argon2 hashes, like passwords. Wrong codes count as failed
sign-ins, towards the same limits as wrong passwords (accounts.sign_in).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp

from .errors import AccessDenied, InvalidInput
from .people import Actor, User
from .vocab import Role

ISSUER = "Alongside"
RECOVERY_CODES = 10
STAFF = (Role.CLINICIAN, Role.ADMIN)


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as text for typing, and as a provisioning URI for the QR code."""

    secret: str
    uri: str


def second_factor_required(user: User, policy) -> bool:
    return user.second_factor_on or (policy.require_second_factor_for_staff and user.role in STAFF)


def start_enrolment(uow, user: User) -> Enrolment:
    """A new secret for this account, not yet asked for at sign-in until a code confirms it.
    Asked again, the same pending secret is shown (a reload must not change the QR code)."""
    if user.second_factor_on:
        raise InvalidInput("Your second factor is already set up", field="code")
    secret = uow.users.pending_totp_secret(user.id)
    if secret is None:
        secret = pyotp.random_base32()
        uow.users.set_totp_secret(user.id, secret)
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER))


def confirm_enrolment(uow, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn the second factor on once a code from the app matches; returns the recovery codes,
    shown this once."""
    now = now or datetime.now(UTC)
    secret = uow.users.pending_totp_secret(user.id)
    step = _matching_step(secret, code, now) if secret else None
    if step is None:
        raise InvalidInput("That code does not match. Check the time on your phone is right and try the newest code",
                           field="code")
    uow.users.confirm_totp(user.id, now, step)
    codes = _new_recovery_codes(uow, user)
    uow.audit.record(_actor(user), "second-factor-on", user.patient_id, "user", user.id)
    return codes


def check_code(uow, user: User, code: str, now: datetime) -> bool:
    """Whether `code` is a fresh TOTP code or an unused recovery code of this account (used up if so)."""
    code = "".join(code.split()).replace("-", "").lower()
    if code.isdigit() and len(code) == 6:
        secret = uow.users.totp_secret(user.id)
        step = _matching_step(secret, code, now) if secret else None
        return step is not None and uow.users.use_totp_step(user.id, step)
    if len(code) == 10:
        used = uow.recovery_codes.use(user.id, code, _recovery_matches, now)
        if used:
            uow.audit.record(_actor(user), "recovery-code-used", user.patient_id, "user", user.id)
        return used
    return False


def recovery_codes_left(uow, user: User) -> int:
    """How many of one's own recovery codes are unused (none while the second factor is off)."""
    return uow.recovery_codes.unused(user.id) if user.second_factor_on else 0


def reset_second_factor(uow, actor: Actor, user_id) -> User:
    """An administrator's reset, for a lost phone: the account enrols afresh at its next sign-in
    (if the setting requires it) or from its account page."""
    if actor.role is not Role.ADMIN:
        raise AccessDenied("Only an administrator can reset a second factor")
    user = uow.users.get(user_id)
    uow.users.clear_totp(user.id)
    uow.recovery_codes.remove_all(user.id)
    uow.audit.record(actor, "second-factor-reset", None, "user", user.id, detail=f"{user.email}: second factor reset")
    return uow.users.get(user_id)


def turn_off(uow, user: User, policy) -> None:
    """Someone for whom it is optional turns it off for their own account."""
    if policy.require_second_factor_for_staff and user.role in STAFF:
        raise InvalidInput("Your service asks every clinician and administrator to use a second factor", field="code")
    uow.users.clear_totp(user.id)
    uow.recovery_codes.remove_all(user.id)
    uow.audit.record(_actor(user), "second-factor-off", user.patient_id, "user", user.id)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now's, the one before or the one after) whose code this is, if any."""
    code = "".join(code.split())
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(uow, user: User) -> list[str]:
    from .accounts import hash_password

    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]  # 40 bits each, single use
    uow.recovery_codes.replace(user.id, [hash_password(code) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _recovery_matches(stored_hash: str, code: str) -> bool:
    from .accounts import _password_matches

    return _password_matches(stored_hash, code)


def _actor(user: User) -> Actor:
    from .accounts import actor_for  # accounts imports this module for sign-in

    return actor_for(user)
