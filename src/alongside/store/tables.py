"""Typed SQLAlchemy mappings. One table per kind of entry; columns are named as the model fields,
so a row converts to its domain model by name. Coded values are stored as their text codes,
not as database enums, so a new code needs no migration."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text,
    TypeDecorator, UniqueConstraint, Uuid,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from .sealing import Sealed

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """Stores UTC and always gives back an aware UTC datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def code() -> Mapped[str]:
    return mapped_column(String(40))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, date: Date, str: String(200), uuid.UUID: Uuid}


# --- The patient --------------------------------------------------------------------------------

class PatientRow(Base):
    __tablename__ = "patient"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    sex: Mapped[str] = code()
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    hospital_number: Mapped[str | None] = mapped_column(String(30), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    town: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_patient_name", "family_name", "given_name"),)


class CancerProfileRow(Base):
    __tablename__ = "cancer_profile"
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    primary_diagnosis_date: Mapped[date | None]
    laterality: Mapped[str] = code()
    histology: Mapped[str] = code()
    er_status: Mapped[str] = code()
    pr_status: Mapped[str] = code()
    her2_status: Mapped[str] = code()
    menopausal_status: Mapped[str] = code()
    stage_at_diagnosis: Mapped[str | None] = mapped_column(String(200))
    metastatic_diagnosis_date: Mapped[date | None]
    de_novo: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    __mapper_args__ = {"version_id_col": version}


class EntryRow(Base):
    """Columns every entry of a patient's record has."""

    __abstract__ = True
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @declared_attr
    def patient_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


class MetastasisRow(EntryRow):
    __tablename__ = "metastasis"
    site: Mapped[str] = code()
    site_detail: Mapped[str | None]
    diagnosed_on: Mapped[date | None]
    confirmed_by_biopsy: Mapped[bool]
    notes: Mapped[str | None] = mapped_column(Text)


class PerformanceStatusRow(EntryRow):
    __tablename__ = "performance_status"
    assessed_on: Mapped[date]
    ecog: Mapped[int]
    assessed_by: Mapped[str | None] = mapped_column(String(100))


class GenomicResultRow(EntryRow):
    __tablename__ = "genomic_result"
    gene: Mapped[str] = code()
    origin: Mapped[str] = code()
    finding: Mapped[str] = code()
    variant: Mapped[str | None]
    test_name: Mapped[str | None]
    reported_on: Mapped[date | None]


class TreatmentCourseRow(EntryRow):
    __tablename__ = "treatment_course"
    modality: Mapped[str] = code()
    name: Mapped[str]
    line_of_treatment: Mapped[int | None]
    intent: Mapped[str] = code()
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    stop_reason: Mapped[str | None] = code()
    schedule: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)
    # The team's choice of check-in symptoms for this line (symptom codes; domain/check_in_items.py).
    check_in_added: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    check_in_removed: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")


class _CourseChild:
    @declared_attr
    def course_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("treatment_course.id", ondelete="RESTRICT"), index=True)


class DoseChangeRow(_CourseChild, EntryRow):
    __tablename__ = "dose_change"
    changed_on: Mapped[date]
    change: Mapped[str]
    reason: Mapped[str | None] = mapped_column(String(500))


class TreatmentBreakRow(_CourseChild, EntryRow):
    __tablename__ = "treatment_break"
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    planned: Mapped[bool]
    reason: Mapped[str] = code()
    notes: Mapped[str | None] = mapped_column(Text)


class MedicationRow(EntryRow):
    __tablename__ = "medication"
    # Coded values are String(40) as code() makes them; code() cannot be called here, where the
    # column named "code" hides it.
    name: Mapped[str]
    code_system: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(20))
    code_display: Mapped[str | None]
    purpose: Mapped[str] = mapped_column(String(40))
    dose_value: Mapped[float | None] = mapped_column(Float)
    dose_unit: Mapped[str | None] = mapped_column(String(30))
    route: Mapped[str] = mapped_column(String(40))
    schedule: Mapped[str] = mapped_column(String(40))
    every_n_days: Mapped[int | None]
    cycle_days_on: Mapped[int | None]
    cycle_days_off: Mapped[int | None]
    cycle_start_date: Mapped[date | None]
    start_date: Mapped[date | None]
    stop_date: Mapped[date | None]
    prescribed_by: Mapped[str | None]
    # A medicine may belong to a course; the course cannot be deleted while it does.
    course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("treatment_course.id", ondelete="RESTRICT"),
                                                        index=True)
    notes: Mapped[str | None] = mapped_column(Text)


class AllergyRow(EntryRow):
    __tablename__ = "allergy"
    # String(40) as in MedicationRow.
    substance: Mapped[str]
    code_system: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(20))
    code_display: Mapped[str | None]
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    reaction: Mapped[str | None] = mapped_column(String(500))
    severity: Mapped[str | None] = mapped_column(String(40))
    criticality: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    recorded_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)


class CareTeamMemberRow(EntryRow):
    __tablename__ = "care_team_member"
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = code()
    organisation: Mapped[str | None]
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))


class ContactPointRow(EntryRow):
    __tablename__ = "contact_point"
    name: Mapped[str]
    purpose: Mapped[str] = code()
    phone: Mapped[str] = mapped_column(String(30))
    hours: Mapped[str] = mapped_column(String(500))
    when_to_call: Mapped[str | None] = mapped_column(String(1000))


class AppointmentRow(EntryRow):
    __tablename__ = "appointment"
    starts_at: Mapped[datetime]
    kind: Mapped[str] = code()
    with_whom: Mapped[str | None]
    location: Mapped[str | None]
    notes: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_appointment_patient_starts", "patient_id", "starts_at"),)


class GoalRow(EntryRow):
    __tablename__ = "goal"
    kind: Mapped[str] = code()
    recorded_on: Mapped[date]
    in_own_words: Mapped[str] = mapped_column(Text)


class DecisionRow(EntryRow):
    __tablename__ = "decision"
    decided_on: Mapped[date]
    participants: Mapped[str]
    options_discussed: Mapped[str] = mapped_column(Text)
    chosen: Mapped[str]
    rationale: Mapped[str | None] = mapped_column(Text)
    revisit_when: Mapped[str | None] = mapped_column(String(500))
    stops_anticancer_treatment_on: Mapped[date | None]


class ReferralRow(EntryRow):
    __tablename__ = "referral"
    service: Mapped[str] = code()
    status: Mapped[str] = code()
    referred_on: Mapped[date | None]
    reason: Mapped[str | None] = mapped_column(String(1000))


class AccessRequestRow(EntryRow):
    __tablename__ = "access_request"
    drug: Mapped[str]
    route: Mapped[str] = code()
    status: Mapped[str] = code()
    requested_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)


class PatientQuestionRow(EntryRow):
    __tablename__ = "patient_question"
    kind: Mapped[str] = code()
    text: Mapped[str] = mapped_column(String(1000))
    added_on: Mapped[date]
    answered: Mapped[bool]


class CheckInRow(EntryRow):
    __tablename__ = "check_in"
    submitted_at: Mapped[datetime]
    submitted_by: Mapped[str] = code()
    symptoms: Mapped[dict] = mapped_column(JSON)
    burden: Mapped[dict] = mapped_column(JSON)
    red_flags: Mapped[dict] = mapped_column(JSON)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    wellbeing: Mapped[int | None]
    free_text: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_check_in_patient_submitted", "patient_id", "submitted_at"),)


class LabResultRow(EntryRow):
    __tablename__ = "lab_result"
    taken_on: Mapped[date]
    test: Mapped[str]
    loinc: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    reference_low: Mapped[float | None] = mapped_column(Float)
    reference_high: Mapped[float | None] = mapped_column(Float)
    laboratory: Mapped[str | None]
    __table_args__ = (Index("ix_lab_result_patient_taken", "patient_id", "taken_on"),)


class TumourMarkerResultRow(EntryRow):
    __tablename__ = "tumour_marker_result"
    taken_on: Mapped[date]
    marker: Mapped[str] = code()
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    laboratory: Mapped[str | None]
    assay: Mapped[str | None]
    reference_high: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (Index("ix_tumour_marker_result_patient_taken", "patient_id", "taken_on"),)


class ScanRow(EntryRow):
    __tablename__ = "scan"
    performed_on: Mapped[date]
    modality: Mapped[str] = code()
    body_area: Mapped[str | None]
    impression: Mapped[str | None] = code()
    report: Mapped[str | None] = mapped_column(Text)
    target_lesions: Mapped[str | None] = mapped_column(Text)
    non_target: Mapped[str | None] = code()
    new_lesions: Mapped[str | None] = code()


class BodyMeasurementRow(EntryRow):
    __tablename__ = "body_measurement"
    measured_on: Mapped[date]
    measure: Mapped[str] = code()
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(String(500))

class MessageThreadRow(EntryRow):
    """A message to the team and its thread's state (domain/messages.py); replies hang off it."""

    __tablename__ = "message_thread"
    category: Mapped[str] = code()
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    sent_by: Mapped[str]
    sent_by_role: Mapped[str] = code()
    urgent: Mapped[dict] = mapped_column(JSON)
    due_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    state: Mapped[str] = code()
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None]
    appointment_id: Mapped[uuid.UUID | None]
    change: Mapped[str | None] = code()
    preferred_times: Mapped[str | None] = mapped_column(String(1000))
    request_state: Mapped[str | None] = code()
    confirmed_starts_at: Mapped[datetime | None]
    team_note: Mapped[str | None] = mapped_column(String(1000))
    __table_args__ = (Index("ix_message_thread_state", "state"),)


class MessageReplyRow(EntryRow):
    __tablename__ = "message_reply"
    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message_thread.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    sent_by: Mapped[str]
    sent_by_role: Mapped[str] = code()
    urgent: Mapped[dict] = mapped_column(JSON)


ROW_FOR_KIND: dict[str, type[EntryRow]] = {
    "messages": MessageThreadRow, "message-replies": MessageReplyRow,
    "metastases": MetastasisRow, "performance-status": PerformanceStatusRow, "genomic-results": GenomicResultRow,
    "treatment-courses": TreatmentCourseRow, "dose-changes": DoseChangeRow, "treatment-breaks": TreatmentBreakRow,
    "medicines": MedicationRow, "allergies": AllergyRow,
    "care-team": CareTeamMemberRow, "contact-points": ContactPointRow, "appointments": AppointmentRow,
    "goals": GoalRow, "decisions": DecisionRow, "referrals": ReferralRow, "access-requests": AccessRequestRow,
    "questions": PatientQuestionRow, "check-ins": CheckInRow, "lab-results": LabResultRow, "tumour-markers": TumourMarkerResultRow, "scans": ScanRow,
    "body-measurements": BodyMeasurementRow,
}


# --- People, sessions, audit ------------------------------------------------------------------

class UserRow(Base):
    __tablename__ = "user_account"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = code()
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool]
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    # The second factor (RFC 6238 TOTP): the shared secret (base32, sealed: store/sealing.py),
    # when its first code was confirmed (until then it is not asked for), and the time step of
    # the last code accepted, so that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(Sealed(200))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    text_size: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")


class TeamRow(Base):
    __tablename__ = "team"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Where alerts go, and how long a red alert may wait for someone to acknowledge it.
    notify_email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(Sealed(400))  # sealed: store/sealing.py
    escalation_email: Mapped[str | None] = mapped_column(String(254))
    escalate_red_after_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The team's check-in day and reminders, and the alert thresholds it changed (domain TeamSettings).
    check_in_day: Mapped[str | None] = code()
    check_in_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    reminder_hour: Mapped[int | None] = mapped_column(Integer)
    alert_thresholds: Mapped[dict | None] = mapped_column(JSON)


class TeamMemberRow(Base):
    __tablename__ = "team_member"
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True)


class UserIdentityRow(Base):
    """A staff account's identity at the hospital's OpenID provider: its issuer and subject name one
    person for good, where an email may be reused or changed (domain/single_sign_on.py)."""

    __tablename__ = "user_identity"
    issuer: Mapped[str] = mapped_column(String(300), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    linked_at: Mapped[datetime]


class CaseloadRow(Base):
    __tablename__ = "caseload"
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True, index=True)


class CarerLinkRow(Base):
    __tablename__ = "carer_link"
    carer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True, index=True)
    access: Mapped[str] = code()


class InvitationRow(Base):
    __tablename__ = "carer_invitation"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    access: Mapped[str] = code()
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SessionRow(Base):
    __tablename__ = "web_session"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class AccountTokenRow(Base):
    """A one-time link or step for an account: a password reset, or the second step of a sign-in.
    Only the token's SHA-256 digest is kept, so a copy of the database opens nothing."""

    __tablename__ = "account_token"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = code()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RecoveryCodeRow(Base):
    """Single-use codes for signing in without the authenticator app; argon2 hashes only."""

    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[datetime | None]


class SignInAttemptRow(Base):
    __tablename__ = "sign_in_attempt"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    succeeded: Mapped[bool]
    __table_args__ = (Index("ix_sign_in_email_at", "email", "at"), Index("ix_sign_in_client_at", "client", "at"))


class AuditEventRow(Base):
    """Who did what to which record, when. No foreign keys: the trail outlives what it describes."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[uuid.UUID]
    actor_role: Mapped[str] = code()
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    what: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[uuid.UUID | None]
    # What changed, for an account change: "role: clinician -> admin", "teams: Team One".
    detail: Mapped[str | None] = mapped_column(String(200))


class AlertRow(Base):
    """An alert to the team: which rule fired, with the values, and what the team did about it."""

    __tablename__ = "alert"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    check_in_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("check_in.id", ondelete="SET NULL"), index=True)
    rule: Mapped[str] = code()
    level: Mapped[str] = code()
    item: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = code()
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = code()  # vocab.AlertOutcome: what was done, set when resolved
    # Who is working on it (triage: "claimed by Nurse X"), so two nurses do not ring her twice.
    claimed_by_id: Mapped[uuid.UUID | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_alert_state_level_created", "state", "level", "created_at"),)


class NotificationRow(Base):
    """The outbox: one row per message to send, so a retry never sends twice."""

    __tablename__ = "notification"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # What it is about: an alert, or a message to the team past its response-time target.
    alert_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("message_thread.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = code()  # new, escalation (an alert); overdue (a message)
    channel: Mapped[str] = code()  # email, webhook
    target: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = code()  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A sender's claim: until then no other sender (thread, worker, monitor) takes the message.
    # Set by one atomic UPDATE, so two senders racing for a message never both send it.
    claimed_until: Mapped[datetime | None]
    __table_args__ = (UniqueConstraint("alert_id", "purpose", "channel", "target", name="uq_notification_once"),
                      UniqueConstraint("thread_id", "purpose", "channel", "target", name="uq_notification_thread_once"))


class ReminderRow(Base):
    """A weekly check-in reminder sent to a patient; one per patient per week at most."""

    __tablename__ = "check_in_reminder"
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    # The Monday of the week it was sent; with a team check-in day, the check-in day it was for.
    week_of: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime]
    target: Mapped[str] = mapped_column(String(254))


class AppointmentReminderRow(Base):
    """A reminder sent to a patient before an appointment: one per appointment and start time,
    so a moved appointment is reminded again and a reminded one never twice."""

    __tablename__ = "appointment_reminder"
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime]
    target: Mapped[str] = mapped_column(String(254))


class CheckInDraftRow(Base):
    """A check-in begun and saved to finish later: one per patient, replaced on each save and
    deleted when a check-in is submitted. Never evaluated for alerts, never a check-in."""

    __tablename__ = "check_in_draft"
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    answers: Mapped[dict] = mapped_column(JSON)  # as a submission carries them, validated
    saved_at: Mapped[datetime]
    saved_by: Mapped[str] = code()  # patient, carer or clinician (vocab.CheckInBy)
    # Like the audit trail, no foreign key: who saved it stays known if the account goes.
    saved_by_id: Mapped[uuid.UUID]
    saved_by_name: Mapped[str] = mapped_column(String(100))


class CareDocumentRow(EntryRow):
    """An uploaded document's description; the file itself lies under the data directory."""

    __tablename__ = "care_document"
    kind: Mapped[str] = code()
    title: Mapped[str]
    dated: Mapped[date]
    notes: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))


class MessagePhotoRow(Base):
    """A photo sent with a message: a document of her record (care_document, its file under the
    data directory) tied to the thread it was sent with. Kept off the documents page."""

    __tablename__ = "message_photo"
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_document.id", ondelete="CASCADE"),
                                                   primary_key=True)
    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message_thread.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)


# --- Clinical trials (public registry records, not patient data; saved_trial is) -------------

class TrialStudyRow(Base):
    """One ClinicalTrials.gov study: the structured fields the pre-filter needs as indexed
    columns, the registry's whole API v2 document, and the criteria extracted from it (cached,
    with the extractor's version so a newer extractor re-reads old studies)."""

    __tablename__ = "trial_study"
    nct_id: Mapped[str] = mapped_column(String(11), primary_key=True)
    brief_title: Mapped[str] = mapped_column(Text)
    last_update: Mapped[date | None]
    overall_status: Mapped[str] = code()
    recruiting: Mapped[bool]
    # "|PHASE2|PHASE3|": one text column a LIKE can filter without a join.
    phases: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str | None] = code()
    minimum_age_years: Mapped[float | None] = mapped_column(Float)
    maximum_age_years: Mapped[float | None] = mapped_column(Float)
    breast: Mapped[bool]
    document: Mapped[dict] = mapped_column(JSON)  # as the registry gave it
    # The parsed Study without its sites (those are rows below): what matching reads, a few
    # kilobytes, where the registry's document runs to a hundred with all its locations.
    study: Mapped[dict] = mapped_column(JSON)
    criteria: Mapped[list | None] = mapped_column(JSON)
    extractor_version: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (Index("ix_trial_study_prefilter", "breast", "recruiting", "sex"),)


class TrialSiteRow(Base):
    """Where a study recruits; country and coordinates indexed for the distance filters."""

    __tablename__ = "trial_site"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    nct_id: Mapped[str] = mapped_column(String(11), ForeignKey("trial_study.nct_id", ondelete="CASCADE"), index=True)
    facility: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None]
    state: Mapped[str | None]
    country: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = code()
    __table_args__ = (Index("ix_trial_site_country_nct", "country", "nct_id"),
                      Index("ix_trial_site_position", "latitude", "longitude"))


class SavedTrialRow(Base):
    """A trial a patient (or her team) saved to her record, optionally shared with the team."""

    __tablename__ = "saved_trial"
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    nct_id: Mapped[str] = mapped_column(String(11), ForeignKey("trial_study.nct_id", ondelete="CASCADE"),
                                        primary_key=True, index=True)
    saved_at: Mapped[datetime]
    # Like the audit trail, no foreign key to the account: who saved it stays known if it goes.
    saved_by_id: Mapped[uuid.UUID | None]
    saved_by_name: Mapped[str] = mapped_column(String(100))
    shared_with_team: Mapped[bool]
    note: Mapped[str | None] = mapped_column(Text)


class ResultSharingRow(Base):
    """A patient's choice of when she sees new results of each kind (domain/result_sharing.py):
    one row per patient, none until she first chooses (everything shown at once)."""

    __tablename__ = "result_sharing"
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    settings: Mapped[dict] = mapped_column(JSON)  # ResultSharing, as its fields
    since: Mapped[dict] = mapped_column(JSON)  # kind -> when she began holding it (ISO 8601, UTC)
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[uuid.UUID]  # no foreign key, as in the audit trail
    changed_by_name: Mapped[str] = mapped_column(String(100))
    __mapper_args__ = {"version_id_col": version}


class ResultDiscussionRow(Base):
    """A result her team has marked as talked through with her, by whom and when. No foreign key
    to the result (each kind has its own table); a deleted result leaves a mark that matches nothing."""

    __tablename__ = "result_discussion"
    entry_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = code()
    discussed_at: Mapped[datetime]
    discussed_by_id: Mapped[uuid.UUID]
    discussed_by_name: Mapped[str] = mapped_column(String(100))


# --- The cycle diary of medicines taken at home (domain/dose_diary.py) ---------------------------

class DoseDiaryMarkRow(Base):
    """One day's mark for one medicine: the unique key keeps one, a second replaces it."""

    __tablename__ = "dose_diary_mark"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    medication_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medication.id", ondelete="CASCADE"))
    day: Mapped[date]
    mark: Mapped[str] = code()  # taken, missed, reduced (clinical.dose_cycles.DoseMark)
    note: Mapped[str | None] = mapped_column(String(500))
    marked_by: Mapped[str] = code()  # patient, carer or clinician (vocab.CheckInBy)
    marked_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("patient_id", "medication_id", "day", name="uq_dose_diary_mark_day"),)


class TeamInstructionRow(Base):
    """What her team told her to do about a medicine (a pause, a restart, a new dose), in her words."""

    __tablename__ = "team_instruction"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    medication_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("medication.id", ondelete="CASCADE"), index=True)
    told_on: Mapped[date]
    kind: Mapped[str] = code()
    starting: Mapped[date]
    until: Mapped[date | None]
    in_their_words: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = code()
    recorded_at: Mapped[datetime]


class DoseReminderChoiceRow(Base):
    """A patient who chose an email on each dose day (no row: no reminders, the default)."""

    __tablename__ = "dose_reminder_choice"
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    chosen_at: Mapped[datetime]


class DoseReminderRow(Base):
    """A dose day reminder sent: one per patient per day of hers, whatever her medicines."""

    __tablename__ = "dose_reminder"
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime]
    target: Mapped[str] = mapped_column(String(254))
