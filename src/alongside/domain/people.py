"""Who uses Alongside and how they relate to a patient's record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from ..clinical.alert_rules import ADJUSTABLE
from .passwords import password_problem
from .records import Email, Name, RecordModel
from .vocab import CarerAccess, CheckInDay, Role, TextSize

# NCSC password guidance favours length over composition rules; 12 characters is our floor.
MIN_PASSWORD_LENGTH = 12
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=256)]


@dataclass(frozen=True)
class User:
    id: UUID
    email: str
    display_name: str
    role: Role
    patient_id: UUID | None
    active: bool
    created_at: datetime
    second_factor_on: bool = False  # a confirmed authenticator app is asked for at sign-in
    text_size: TextSize = TextSize.NORMAL  # scales every page they see


@dataclass(frozen=True)
class Actor:
    """The signed-in person on whose behalf a use case runs."""

    user_id: UUID
    role: Role
    display_name: str
    patient_id: UUID | None = None


# The command line and the demo act as the system; the audit log names them as such.
SYSTEM = Actor(user_id=UUID(int=0), role=Role.ADMIN, display_name="system (command line)")


class Relationship(StrEnum):
    SELF = "self"
    CARER_READ = "carer_read"
    CARER_CHECK_IN = "carer_check_in"
    CARE_TEAM = "care_team"
    # The command line on the server, whose operator already holds the whole database.
    OPERATOR = "operator"
    NONE = "none"


@dataclass(frozen=True)
class Team:
    id: UUID
    name: str


@dataclass(frozen=True)
class TeamSettings:
    """Where a team's alerts go, and how long a red alert may wait before it is escalated."""

    id: UUID
    name: str
    notify_email: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    escalation_email: str | None = None
    escalate_red_after_minutes: int = 30
    # The team's usual check-in day (None: a week after her last one) and its check-in reminders.
    check_in_day: CheckInDay | None = None
    check_in_reminders: bool = True
    reminder_hour: int | None = None  # reminders go from this hour of the day (None: as soon as due)
    # Alert thresholds the team changed (clinical/alert_rules.py TEAM_ADJUSTABLE): name to value.
    thresholds: dict[str, int] = field(default_factory=dict)


# Bounds of the red escalation time: our choice. Below 5 minutes a nurse on the phone to someone
# else could not reach it; beyond 2 hours a red alert (act now, UKONS) would wait too long.
ESCALATION_MINUTES = (5, 120)


class TeamSettingsChange(RecordModel):
    """A team's settings as the page and the API send them. Blanks clear a setting; the alert
    thresholds are checked against the service's defaults by the use case (accounts.py)."""

    notify_email: Email | None = Field(None, title="Alert emails go to",
                                       description="The team's shared inbox: every new alert is emailed here. "
                                                   "Needed unless a webhook carries the alerts")
    escalation_email: Email | None = Field(None, title="Escalated alerts go to",
                                           description="A red alert no one has acknowledged in time; "
                                                       "the alert email address if left blank")
    escalate_red_after_minutes: int = Field(30, ge=ESCALATION_MINUTES[0], le=ESCALATION_MINUTES[1],
                                            title="Escalate a red alert not acknowledged after (minutes)",
                                            description=f"From {ESCALATION_MINUTES[0]} to {ESCALATION_MINUTES[1]} "
                                                        "minutes; also the red target on the response times page")
    webhook_url: str | None = Field(None, max_length=500, title="Webhook address",
                                    description="https:// to a public address; the server posts each alert to it")
    webhook_secret: str | None = Field(None, min_length=16, max_length=200, title="Webhook secret",
                                       description="At least 16 characters; signs each post. Never shown again")
    check_in_day: CheckInDay | None = Field(None, title="Check-in day",
                                            description="Blank: a week after each person's last check-in")
    check_in_reminders: bool = Field(True, title="Email a reminder when a check-in is due")
    reminder_hour: int | None = Field(None, ge=0, le=23, title="Send reminders from this hour (0 to 23)",
                                      description="In the service's time zone; blank: as soon as it is due")
    severe_burden: int | None = Field(None, title=ADJUSTABLE["severe_burden"].label)
    worsening_grade_points: int | None = Field(None, title=ADJUSTABLE["worsening_grade_points"].label)
    worsening_burden_points: int | None = Field(None, title=ADJUSTABLE["worsening_burden_points"].label)
    missed_grace_days: int | None = Field(None, title=ADJUSTABLE["missed_grace_days"].label)


class NewUser(RecordModel):
    email: Email = Field(title="Email")
    display_name: Name = Field(title="Name")
    role: Role = Field(title="Role")
    password: Password = Field(title="Password", description=f"At least {MIN_PASSWORD_LENGTH} characters, not easy to guess")
    patient_id: UUID | None = Field(None, title="Patient record", description="For a patient account: whose record it is")
    team_id: UUID | None = Field(None, title="Team", description="For a clinician: the team whose caseload they see")

    @model_validator(mode="after")
    def _links(self) -> NewUser:
        from .records import _FieldError

        if self.role == Role.PATIENT and not self.patient_id:
            raise _FieldError("patient_id", "A patient account must be linked to a patient record")
        if self.role != Role.PATIENT and self.patient_id:
            raise _FieldError("patient_id", "Only a patient account is linked to a patient record")
        if self.role == Role.CARER:
            raise _FieldError("role", "Carers join by the patient's invitation, from their home page")
        _refuse_guessable(self.password, email=self.email, name=self.display_name)
        return self


class CarerInvitation(RecordModel):
    email: Email = Field(title="Their email")
    access: CarerAccess = Field(CarerAccess.READ, title="What they can do")


class AcceptInvitation(RecordModel):
    display_name: Name = Field(title="Your name")
    password: Password = Field(title="Choose a password", description=f"At least {MIN_PASSWORD_LENGTH} characters, "
                                                                      "not easy to guess")

    # Checked against her name and the invitation's email when it is accepted (accounts.accept_invitation),
    # unless she already has a carer's account and this password is not used.


class PatientSignIn(RecordModel):
    email: Email = Field(title="The patient's email")
    password: Password = Field(title="First password", description=f"At least {MIN_PASSWORD_LENGTH} characters, "
                                                                   "not easy to guess; give it to the patient in person")

    @model_validator(mode="after")
    def _guessable(self) -> PatientSignIn:  # her name is checked against it when the sign-in is opened
        _refuse_guessable(self.password, email=self.email)
        return self


def _refuse_guessable(password: str, *, email: str | None = None, name: str | None = None) -> None:
    from .records import _FieldError

    if problem := password_problem(password, email=email, name=name):
        raise _FieldError("password", problem)


class ForgottenPassword(RecordModel):
    email: Email = Field(title="Email", description="The email you sign in with")


class NewPassword(RecordModel):
    password: Password = Field(title="New password", description=f"At least {MIN_PASSWORD_LENGTH} characters, "
                                                                 "not easy to guess")
    # Checked against the account's own name and email when it is set (password_reset.reset_password).


class AccountChange(RecordModel):
    """What an administrator changes on a staff account; a field left out is left as it is."""

    role: Role | None = Field(None, title="Role")
    team_ids: list[UUID] | None = Field(None, title="Teams", max_length=50)
    active: bool | None = Field(None, title="Switched on")


class NewTeam(RecordModel):
    name: Name = Field(title="Team name")


@dataclass(frozen=True)
class CarerLink:
    carer: User
    patient_id: UUID
    access: CarerAccess
