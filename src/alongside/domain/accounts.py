"""Accounts, sign-in, sessions and carer invitations.

Passwords are hashed with argon2id (RFC 9106) through argon2-cffi. Session and invitation tokens
are random and only their SHA-256 digests are stored, so a copy of the database opens no session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .access import Action, authorise
from .errors import AccessDenied, AlreadyExists, InvalidInput, NotFound, NotSignedIn, TooManyAttempts
from . import second_factor
from .passwords import password_problem
from .people import (
    MIN_PASSWORD_LENGTH, SYSTEM, AcceptInvitation, Actor, CarerInvitation, NewTeam, NewUser, PatientSignIn, Relationship, Team, TeamSettings, User,
)
from .vocab import Role, TextSize

_hasher = PasswordHasher()
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=12)
    # Failed sign-ins allowed per email, and per client address, within the window.
    max_failures_per_email: int = 5
    max_failures_per_client: int = 20
    failure_window: timedelta = timedelta(minutes=15)
    invitation_lifetime: timedelta = timedelta(days=7)
    # Clinicians and administrators must use a second factor (TOTP); they are sent to set one up
    # at their next sign-in. Off by default so a new service can make its first accounts; a
    # hospital turns it on with ALONGSIDE_REQUIRE_SECOND_FACTOR (docs/admin-guide.md).
    require_second_factor_for_staff: bool = False
    # Between a right password and its code: long enough to open the app and type, no longer.
    second_step_lifetime: timedelta = timedelta(minutes=5)
    # A password reset link works once, for this long. Long enough for a slow hospital mail relay
    # and a person who reads it a little later; short enough that a link left in a shared or
    # forwarded mailbox soon opens nothing (OWASP Forgot Password Cheat Sheet: short-lived,
    # single-use tokens; docs/clinical-rules.md).
    reset_link_lifetime: timedelta = timedelta(minutes=30)
    # Reset emails sent for one account within an hour; more asks are answered alike and send none,
    # so whoever knows an email cannot fill its inbox.
    max_reset_emails_per_hour: int = 3


@dataclass(frozen=True)
class Session:
    token_digest: str
    user_id: UUID
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class SignedIn:
    token: str  # given to the browser once, never stored
    session: Session
    user: User
    device: str = ""  # the device cookie: this browser has signed in to this account before


DEVICE_COOKIE_DAYS = 180
PASSWORD_RESET = "password-reset"  # the purpose of an account token that resets a password


def device_token(user_id: UUID, stored_hash: str) -> str:
    """A browser's proof that it signed in to this account before (OWASP's device cookies). Keyed
    by the stored password hash, which only the server holds: a new password ends every one."""
    mac = hmac.new(stored_hash.encode(), f"device:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"{user_id}.{mac}"


def _known_device(token: str | None, user: User | None, stored_hash: str | None) -> bool:
    return bool(token and user and stored_hash and hmac.compare_digest(token, device_token(user.id, stored_hash)))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def create_user(uow, actor: Actor, new: NewUser) -> User:
    if actor.role is not Role.ADMIN:
        raise AccessDenied("Only an administrator can create accounts")
    # A patient's sign-in opens her record: only her own team gives one (open_patient_account),
    # or whoever runs the service from the command line. An administrator who could make one
    # could read any record through it.
    if (new.role is Role.PATIENT or new.patient_id) and actor != SYSTEM:
        raise InvalidInput("A patient's sign-in is opened by the patient's own team, from the record's "
                           "Sign-in page, not here", field="role")
    if uow.users.by_email(new.email):
        raise AlreadyExists("An account with this email already exists", field="email")
    if new.patient_id and not uow.patients.exists(new.patient_id):
        raise InvalidInput("No such patient record", field="patient_id")
    if new.team_id and not uow.teams.exists(new.team_id):
        raise InvalidInput("No such team", field="team_id")
    user = User(id=uuid4(), email=new.email, display_name=new.display_name, role=new.role,
                patient_id=new.patient_id, active=True, created_at=datetime.now(UTC))
    uow.users.add(user, hash_password(new.password))
    if new.team_id and new.role is Role.CLINICIAN:
        uow.teams.add_member(new.team_id, user.id)
    uow.audit.record(actor, "create", new.patient_id, "user", user.id)
    return user


def open_patient_account(uow, actor: Actor, patient_id: UUID, new: PatientSignIn) -> User:
    """The patient's team gives her a sign-in to her own record (one per record)."""
    authorise(uow, actor, patient_id, Action.WRITE, what="patient-account", record_id=patient_id)
    if uow.users.of_patient(patient_id):
        raise AlreadyExists("This patient already has a sign-in", field="email")
    if uow.users.by_email(new.email):
        raise AlreadyExists("An account with this email already exists", field="email")
    patient = uow.patients.get(patient_id)
    refuse_guessable(new.password, "password", email=new.email, name=patient.details.full_name)
    user = User(id=uuid4(), email=new.email, display_name=patient.details.full_name, role=Role.PATIENT,
                patient_id=patient_id, active=True, created_at=datetime.now(UTC))
    uow.users.add(user, hash_password(new.password))
    return user


def patient_accounts(uow, actor: Actor, patient_id: UUID) -> list[User]:
    authorise(uow, actor, patient_id, Action.READ, what="patient-account")
    return uow.users.of_patient(patient_id)


def list_users(uow, actor: Actor) -> list[User]:
    if actor.role is not Role.ADMIN:
        raise AccessDenied("Only an administrator can list accounts")
    return uow.users.list()


def create_team(uow, actor: Actor, new: NewTeam) -> Team:
    if actor.role is not Role.ADMIN:
        raise AccessDenied("Only an administrator can create teams")
    team = Team(id=uuid4(), name=new.name)
    uow.teams.add(team)
    uow.audit.record(actor, "create", None, "team", team.id)
    return team


def list_team_settings(uow, actor: Actor) -> list[TeamSettings]:
    if actor.role is not Role.ADMIN:
        raise AccessDenied("Only an administrator can see team settings")
    return uow.teams.all_settings()


def sign_in(uow, email: str, password: str, client: str, policy: SessionPolicy, now: datetime | None = None,
            device: str | None = None, code: str | None = None) -> SignedIn | SecondStep:
    """Check the password, throttling guesses without letting a guesser lock the owner out.

    Failures are counted per email and per client address. Beyond either limit a wrong password
    is answered "try again in N seconds", and so is the right one *from a browser that has never
    signed in to this account* (no device cookie): otherwise the limit would stop no guesser. A
    browser that has signed in before always gets in with the right password, so whoever knows an
    email cannot shut its owner out, nor one address everyone behind a hospital's proxy (OWASP
    Authentication Cheat Sheet: account lockout, device cookies; docs/clinical-rules.md).

    An account with a second factor (or one the service requires it of) is not signed in by the
    password alone: without `code` the answer is a `SecondStep` to complete (`finish_second_step`);
    with it (the API's way) the code is checked at once, wrong codes counting as failures too."""
    now = now or datetime.now(UTC)
    email = email.strip().lower()
    found = uow.users.credentials(email)
    user, stored_hash = found if found else (None, None)
    ok = _password_matches(stored_hash, password) and user is not None and user.active
    known_device = _known_device(device, user, stored_hash)
    if ok and not known_device:
        _refuse_while_throttled(uow, email, client, now, policy, "password")
    if not ok:
        _count_failure(uow, email, client, now, policy, "That email and password do not match an active account", "password")
    if second_factor.second_factor_required(user, policy):
        if code is None:
            return _second_step(uow, user, now, policy)
        if not user.second_factor_on:
            raise AccessDenied("Set up your second factor first: sign in on the sign-in page", field="code")
        _check_code(uow, user, code, client, now, policy, known_device)
    return _signed_in(uow, user, stored_hash, password, client, now)


def _signed_in(uow, user: User, stored_hash: str, password: str | None, client: str, now: datetime) -> SignedIn:
    uow.sign_ins.record(email=user.email, client=client, at=now, succeeded=True)
    uow.account_tokens.end_all_for(user.id, PASSWORD_RESET, now)  # she knows her password: a pending link is no longer needed
    if password is not None and _hasher.check_needs_rehash(stored_hash):
        stored_hash = hash_password(password)
        uow.users.set_password_hash(user.id, stored_hash)
    token, session = open_session(uow, user, now)
    uow.audit.record(actor_for(user), "sign-in", user.patient_id, "session", None)
    return SignedIn(token, session, user, device_token(user.id, stored_hash))


def _refuse_while_throttled(uow, email: str, client: str, now: datetime, policy: SessionPolicy, field: str) -> None:
    wait = _throttled_for(uow, email, client, now, policy)
    if wait:
        raise TooManyAttempts(f"Too many failed sign-ins. Try again in {wait} seconds, or sign in from a device "
                              "you have used before.", field=field, retry_after=wait)


def _count_failure(uow, email: str, client: str, now: datetime, policy: SessionPolicy, message: str, field: str) -> None:
    """Count a failed password or code, then refuse: "try again in N seconds" beyond a limit."""
    by_email, by_client = uow.sign_ins.record_failure(email=email, client=client, at=now,
                                                     since=now - policy.failure_window)
    uow.commit()  # the failure must count even though this request fails
    over = [f for f, limit in ((by_email, policy.max_failures_per_email), (by_client, policy.max_failures_per_client))
            if f.count > limit]
    if over:
        wait = max(1, max(int((f.earliest + policy.failure_window - now).total_seconds()) + 1 for f in over))
        raise TooManyAttempts(f"Too many failed sign-ins. Try again in {wait} seconds, or ask your team to "
                              "reset your password.", field=field, retry_after=wait)
    raise NotSignedIn(message, field=field)


# --- The second step of a sign-in --------------------------------------------------------------

SECOND_STEP = "sign-in-second-step"  # the purpose of an account token between password and code


@dataclass(frozen=True)
class SecondStep:
    """The password was right; the code comes next, or, if the account has none yet but must,
    setting one up (`enrol`). The token, for a cookie, stands for the checked password meanwhile."""

    token: str
    enrol: bool


def _second_step(uow, user: User, now: datetime, policy: SessionPolicy) -> SecondStep:
    token = secrets.token_urlsafe(32)
    uow.account_tokens.end_all_for(user.id, SECOND_STEP, now)
    uow.account_tokens.add(digest(token), SECOND_STEP, user.id, now, now + policy.second_step_lifetime)
    return SecondStep(token, enrol=not user.second_factor_on)


def second_step_user(uow, token: str | None, now: datetime | None = None) -> User:
    """Whose password was checked for this second step, while it lasts."""
    user_id = uow.account_tokens.holder(digest(token), SECOND_STEP, now or datetime.now(UTC)) if token else None
    user = uow.users.get(user_id) if user_id else None
    if user is None or not user.active:
        raise NotSignedIn("This sign-in took too long. Please sign in again")
    return user


def finish_second_step(uow, token: str | None, code: str, client: str, policy: SessionPolicy,
                       now: datetime | None = None, device: str | None = None) -> SignedIn:
    """Complete a sign-in with a code from the app or a recovery code."""
    now = now or datetime.now(UTC)
    user = second_step_user(uow, token, now)
    stored_hash = uow.users.credentials_by_id(user.id)[1]
    _check_code(uow, user, code, client, now, policy, _known_device(device, user, stored_hash))
    uow.account_tokens.take(digest(token), SECOND_STEP, now)
    return _signed_in(uow, user, stored_hash, None, client, now)


def enrol_at_sign_in(uow, token: str | None, code: str, client: str, now: datetime | None = None
                     ) -> tuple[SignedIn, list[str]]:
    """Someone required to have a second factor sets it up between password and session; returns
    the session and the recovery codes to show once."""
    now = now or datetime.now(UTC)
    user = second_step_user(uow, token, now)
    codes = second_factor.confirm_enrolment(uow, user, code, now)
    uow.account_tokens.take(digest(token), SECOND_STEP, now)
    stored_hash = uow.users.credentials_by_id(user.id)[1]
    return _signed_in(uow, uow.users.get(user.id), stored_hash, None, client, now), codes


def _check_code(uow, user: User, code: str, client: str, now: datetime, policy: SessionPolicy, known_device: bool) -> None:
    if not second_factor.check_code(uow, user, code, now):
        _count_failure(uow, user.email, client, now, policy,
                       "That code is not right, or has been used already. Type the newest code from your app", "code")
    if not known_device:
        _refuse_while_throttled(uow, user.email, client, now, policy, "code")


def open_session(uow, user: User, now: datetime) -> tuple[str, Session]:
    """A new session for someone whose sign-in was checked: its token (for the cookie) and the session."""
    token = secrets.token_urlsafe(32)
    session = Session(digest(token), user.id, secrets.token_urlsafe(32), now, now)
    uow.sessions.add(session)
    return token, session


def _throttled_for(uow, email: str, client: str, now: datetime, policy: SessionPolicy) -> int:
    """Seconds to wait while this email or this address is at its failure limit; 0 when neither is."""
    since = now - policy.failure_window
    if (uow.sign_ins.failures(since=since, email=email) < policy.max_failures_per_email
            and uow.sign_ins.failures(since=since, client=client) < policy.max_failures_per_client):
        return 0
    return int(policy.failure_window.total_seconds())


def resume_session(uow, token: str | None, policy: SessionPolicy, now: datetime | None = None) -> tuple[Session, User]:
    """The session behind a cookie, if it has neither idled out nor reached its absolute limit."""
    if not token:
        raise NotSignedIn("Please sign in")
    now = now or datetime.now(UTC)
    found = uow.sessions.get_with_user(digest(token))  # one query: every request asks it
    if found is None:
        raise NotSignedIn("Please sign in")
    session, user = found
    if now - session.last_seen_at > policy.idle or now - session.created_at > policy.absolute:
        uow.sessions.end(session.token_digest)
        uow.commit()
        raise NotSignedIn("Your session has ended. Please sign in again")
    if not user.active:
        raise NotSignedIn("This account is switched off")
    if now - session.last_seen_at > timedelta(minutes=1):  # avoid a write on every request
        uow.sessions.touch(session.token_digest, now)
        uow.commit()  # kept even if the request itself fails
    return session, user


def sign_out(uow, token: str | None) -> None:
    if token:
        uow.sessions.end(digest(token))


def change_password(uow, actor: Actor, current: str, new_password: str) -> None:
    found = uow.users.credentials_by_id(actor.user_id)
    if not found or not _password_matches(found[1], current):
        raise InvalidInput("Your current password is not right", field="current_password")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Use at least {MIN_PASSWORD_LENGTH} characters", field="new_password")
    refuse_guessable(new_password, "new_password", email=found[0].email, name=found[0].display_name)
    uow.users.set_password_hash(actor.user_id, hash_password(new_password))
    uow.sessions.end_all_for(actor.user_id)
    uow.account_tokens.end_all_for(actor.user_id, PASSWORD_RESET, datetime.now(UTC))
    uow.audit.record(actor, "change-password", None, "user", actor.user_id)


def choose_text_size(uow, actor: Actor, size: str) -> TextSize:
    """Keep how large someone wants the words on every page they see; their own choice, audited."""
    try:
        chosen = TextSize(size)
    except ValueError:
        raise InvalidInput("Choose normal, large or largest", field="text_size") from None
    uow.users.set_text_size(actor.user_id, chosen)
    uow.audit.record(actor, "text-size", None, "user", actor.user_id)
    return chosen


def refuse_guessable(password: str, field: str, *, email: str, name: str) -> None:
    if problem := password_problem(password, email=email, name=name):
        raise InvalidInput(problem, field=field)


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, display_name=user.display_name, patient_id=user.patient_id)


# --- Carers ------------------------------------------------------------------------------------

def invite_carer(uow, actor: Actor, patient_id: UUID, invitation: CarerInvitation, policy: SessionPolicy,
                 now: datetime | None = None) -> str:
    """Only the patient herself invites; returns the one-time token for the link she passes on."""
    relationship = uow.access.relationship(actor, patient_id)
    if relationship is not Relationship.SELF:
        _refuse(uow, actor, patient_id, relationship, "carer-invitation", "Only the patient can invite someone to their record")
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(24)
    uow.invitations.add(digest(token), patient_id, invitation.email, invitation.access, now + policy.invitation_lifetime)
    uow.audit.record(actor, "invite-carer", patient_id, "carer", None)
    return token


def accept_invitation(uow, token: str, answers: AcceptInvitation, now: datetime | None = None) -> User:
    now = now or datetime.now(UTC)
    invitation = uow.invitations.take(digest(token), now)
    if invitation is None:
        raise NotFound("This invitation link has expired or has already been used. Ask for a new one.")
    patient_id, email, access = invitation
    user = uow.users.by_email(email)
    if user is None:
        refuse_guessable(answers.password, "password", email=email, name=answers.display_name)
        user = User(id=uuid4(), email=email, display_name=answers.display_name, role=Role.CARER,
                    patient_id=None, active=True, created_at=now)
        uow.users.add(user, hash_password(answers.password))
    elif user.role is not Role.CARER:
        raise InvalidInput("This email belongs to another kind of account", field="email")
    uow.carers.link(user.id, patient_id, access)
    uow.audit.record(actor_for(user), "accept-invitation", patient_id, "carer", user.id)
    return user


def _refuse(uow, actor: Actor, patient_id: UUID, relationship: Relationship, what: str, reason: str) -> None:
    """Audit a refused attempt and refuse it; strangers are told the record does not exist."""
    uow.audit.record(actor, "write:refused", patient_id, what, None)
    uow.commit()
    if relationship is Relationship.NONE:
        raise NotFound("No such patient")
    raise AccessDenied(reason)


def list_carers(uow, actor: Actor, patient_id: UUID):
    authorise(uow, actor, patient_id, Action.READ, what="carers")
    return uow.carers.of_patient(patient_id)


def remove_carer(uow, actor: Actor, patient_id: UUID, carer_id: UUID) -> None:
    relationship = uow.access.relationship(actor, patient_id)
    if relationship not in (Relationship.SELF, Relationship.CARE_TEAM):
        _refuse(uow, actor, patient_id, relationship, "carers", "Only the patient or their team can remove a carer")
    uow.carers.unlink(carer_id, patient_id)
    uow.audit.record(actor, "remove-carer", patient_id, "carer", carer_id)
