"""Messages to the team: she (or a carer allowed to do check-ins) writes, the team answers in
the same thread, and closes it. An appointment change request is a message about one
appointment, which changes only when the team confirms it.

Before a message is stored its text is read for urgent words (clinical/urgent_words.py). If any
is found the team is alerted at once through the alert machinery of the check-in, she is told
whom to call now, and the message is stored all the same: never held back, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, BinaryIO
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from pydantic import Field, StringConstraints, model_validator

from ..clinical.alert_rules import Finding
from ..clinical.contacts import Level, Purpose, Routing, route
from ..clinical.red_flags import RaisedFlag, highest_level
from ..clinical.urgent_words import read_message
from .access import Action, authorise
from .content import message_targets, urgent_words
from .documents import DEFAULT_MAX_UPLOAD_BYTES, FileStore, StoredDocument
from .message_photos import keep_photo, read_photo
from .entries import Entry
from .errors import AccessDenied, Conflict, InvalidInput, NotFound
from .monitoring import Alert, MonitoringSettings, advice_for, contact_lines, on_myelosuppressive_treatment, raise_alerts
from .people import Actor, Relationship
from .records import RECORD_KINDS, Moment, Name, RecordKind, RecordModel, IdInUse, _FieldError, validate
from .vocab import AppointmentChange, ChangeRequestState, MessageCategory, Role, ThreadState

MessageText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class NewMessage(RecordModel):
    """A message as she writes it; for an appointment change, which one and what she asks."""

    category: MessageCategory = Field(MessageCategory.QUESTION, title="What is it about?")
    text: MessageText = Field(title="Your message")
    appointment_id: UUID | None = Field(None, title="Appointment")
    change: AppointmentChange | None = Field(None, title="What would you like?")
    preferred_times: Note | None = Field(None, title="Times that suit you",
                                         description="For example 'Any morning next week, not Thursday'")

    @model_validator(mode="after")
    def _change_names_its_appointment(self) -> NewMessage:
        if self.appointment_id is not None and self.change is None:
            raise _FieldError("change", "Choose whether to move or cancel the appointment")
        if self.change is not None and self.appointment_id is None:
            raise _FieldError("appointment_id", "Choose the appointment to change")
        if self.change is not None:
            self.category = MessageCategory.APPOINTMENT_CHANGE
        return self


class MessageThread(RecordModel):
    """The first message of a thread, with its state; the replies hang off it."""

    category: MessageCategory
    text: MessageText
    sent_at: Moment
    sent_by: Name
    sent_by_role: Role
    urgent: dict[str, str] = Field(default_factory=dict)  # concern code -> level found in the text
    due_at: Moment | None = None
    answered_at: Moment | None = None  # the team's first reply
    state: ThreadState = ThreadState.OPEN
    closed_at: Moment | None = None
    closed_by: Name | None = None
    appointment_id: UUID | None = None
    change: AppointmentChange | None = None
    preferred_times: Note | None = None
    request_state: ChangeRequestState | None = None
    confirmed_starts_at: Moment | None = None
    team_note: Note | None = None


class MessageReply(RecordModel):
    thread_id: UUID
    text: MessageText
    sent_at: Moment
    sent_by: Name
    sent_by_role: Role
    urgent: dict[str, str] = Field(default_factory=dict)


class NewReply(RecordModel):
    text: MessageText = Field(title="Your reply")


class ChangeDecision(RecordModel):
    """The team's answer to an appointment change request."""

    confirm: bool
    new_starts_at: Moment | None = Field(None, title="New date and time")
    note: Note | None = Field(None, title="Note to the patient")

    @model_validator(mode="after")
    def _says_what_happens(self) -> ChangeDecision:
        if not self.confirm and not self.note:
            raise _FieldError("note", "Say why, so the patient knows what to do next")
        return self


# Kept apart from RECORD_KINDS: messages go in and change only through the use cases below, so
# the generic entry routes, forms and record pages are not offered for them.
MESSAGES = RecordKind("messages", MessageThread, "Message to the team", "Messages", "sent_at",
                      lambda m: m.text[:80], patient_writes=True, carer_check_in_writes=True, submitted_only=True)
MESSAGE_REPLIES = RecordKind("message-replies", MessageReply, "Reply", "Replies", "sent_at", lambda m: m.text[:80],
                             patient_writes=True, carer_check_in_writes=True, parent_field="thread_id",
                             submitted_only=True)


@dataclass(frozen=True)
class UrgentCheck:
    """Urgent words found in what she wrote: the team has been alerted; whom to call now."""

    flags: list[RaisedFlag]
    alerts: list[Alert]
    routing: Routing
    advice: str


@dataclass(frozen=True)
class Sent:
    entry: Entry  # the thread, or the reply
    urgent: UrgentCheck | None
    repeated: bool = False


class MessageNotSent(InvalidInput):
    """The message needs correcting before it can be stored; its urgent words were acted on
    (the alerts are in the unit of work: the handler commits them and shows `urgent`)."""

    def __init__(self, cause: InvalidInput, urgent: UrgentCheck | None) -> None:
        super().__init__(cause.detail, field=cause.field, errors=cause.errors)
        self.urgent = urgent


@dataclass(frozen=True)
class ThreadView:
    thread: Entry
    replies: list[Entry]
    appointment: Entry | None
    urgent_routing: Routing | None  # whom to call now, while the thread holds urgent words
    team_hours: list[tuple[str, str]]  # the team's lines and when they are open: when messages are read
    may_reply: bool
    may_decide: bool  # the team, on an appointment change request still waiting
    photos: list[StoredDocument] = ()  # sent with the thread, the first first


@dataclass(frozen=True)
class InboxMessage:
    thread: Entry
    patient_name: str
    overdue: bool
    last_from_team: bool


# --- Sending -------------------------------------------------------------------------------------

def send_message(uow, actor: Actor, patient_id: UUID, data: dict[str, Any], message_id: UUID | None,
                 settings: MonitoringSettings, now: datetime | None = None, photo: BinaryIO | None = None,
                 files: FileStore | None = None, max_photo_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> Sent:
    """Store a message to the team, after reading it for urgent words and alerting on them, with
    the photo sent with it if any (checked first: domain/message_photos.py).

    The same id twice returns the first message (a retry); a message that needs correcting (or
    whose photo is refused) is refused, but not before its urgent words are acted on."""
    relationship = authorise(uow, actor, patient_id, Action.WRITE, MESSAGES, message_id)
    now = now or datetime.now(UTC)
    try:
        asked = validate(NewMessage, data)
        checked_photo = read_photo(photo, max_photo_bytes) if photo is not None else None
    except InvalidInput as refused:
        raise MessageNotSent(refused, _act_on_urgent_words(uow, patient_id, str(data.get("text") or ""), None,
                                                           settings, now)) from None
    if message_id and (earlier := uow.records.find(patient_id, MESSAGES, message_id)):
        return _retried(uow, patient_id, earlier, asked.text, settings, now)
    if asked.appointment_id:
        _appointment_of(uow, patient_id, asked.appointment_id)
    message_id = message_id or uuid4()
    flags = _urgent_flags(uow, patient_id, asked.text, settings, now)
    thread = MessageThread(
        category=asked.category, text=asked.text, sent_at=now, sent_by=actor.display_name,
        sent_by_role=_role(relationship), urgent={f.code: f.level.value for f in flags},
        due_at=due_by(now, message_targets()[asked.category.value], settings.bank_holidays, settings.time_zone),
        appointment_id=asked.appointment_id, change=asked.change, preferred_times=asked.preferred_times,
        request_state=ChangeRequestState.ASKED if asked.change else None)
    entry = uow.records.add_if_absent(patient_id, MESSAGES, thread, message_id)
    if entry is None:  # sent twice at once, and the other copy was stored first
        return _retried(uow, patient_id, uow.records.get(patient_id, MESSAGES, message_id), asked.text, settings, now)
    if checked_photo is not None:
        keep_photo(uow, actor, patient_id, message_id, *checked_photo, files, now)
    return Sent(entry, _alerted(uow, patient_id, flags, message_id, None, settings, now))


def authorise_photo(uow, actor: Actor, patient_id: UUID, thread_id: UUID) -> None:
    """For a request sent without a photo: refuse an outsider as any photo would be refused."""
    authorise(uow, actor, patient_id, Action.WRITE, MESSAGES, thread_id)


def attach_photo(uow, actor: Actor, patient_id: UUID, thread_id: UUID, photo: BinaryIO, files: FileStore,
                 max_photo_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, now: datetime | None = None) -> StoredDocument:
    """Add a photo to a thread already sent (the API's way: a message, then its photo)."""
    authorise(uow, actor, patient_id, Action.WRITE, MESSAGES, thread_id)
    thread = uow.records.get(patient_id, MESSAGES, thread_id)
    checked = read_photo(photo, max_photo_bytes)
    return keep_photo(uow, actor, patient_id, thread.id, *checked, files, now or datetime.now(UTC))


def reply_to_thread(uow, actor: Actor, patient_id: UUID, thread_id: UUID, data: dict[str, Any], reply_id: UUID | None,
                    settings: MonitoringSettings, now: datetime | None = None) -> Sent:
    """Add a reply. Hers is read for urgent words as a first message is, and reopens a closed
    thread; the team's first reply marks the thread answered."""
    relationship = authorise(uow, actor, patient_id, Action.WRITE, MESSAGE_REPLIES, reply_id)
    now = now or datetime.now(UTC)
    from_team = relationship is Relationship.CARE_TEAM
    try:
        asked = validate(NewReply, data)
    except InvalidInput as refused:
        text = "" if from_team else str(data.get("text") or "")
        raise MessageNotSent(refused, _act_on_urgent_words(uow, patient_id, text, thread_id, settings, now)) from None
    thread = uow.records.get(patient_id, MESSAGES, thread_id)
    if reply_id and (earlier := uow.records.find(patient_id, MESSAGE_REPLIES, reply_id)):
        return _retried(uow, patient_id, earlier, asked.text, settings, now)
    flags = [] if from_team else _urgent_flags(uow, patient_id, asked.text, settings, now)
    reply_id = reply_id or uuid4()
    reply = MessageReply(thread_id=thread_id, text=asked.text, sent_at=now, sent_by=actor.display_name,
                         sent_by_role=_role(relationship), urgent={f.code: f.level.value for f in flags})
    entry = uow.records.add_if_absent(patient_id, MESSAGE_REPLIES, reply, reply_id)
    if entry is None:
        return _retried(uow, patient_id, uow.records.get(patient_id, MESSAGE_REPLIES, reply_id), asked.text,
                        settings, now)
    _after_reply(uow, patient_id, thread, from_team, now)
    return Sent(entry, _alerted(uow, patient_id, flags, thread_id, reply_id, settings, now))


def _after_reply(uow, patient_id: UUID, thread: Entry, from_team: bool, now: datetime) -> None:
    data: MessageThread = thread.data
    if from_team and data.answered_at is None:
        uow.records.update(patient_id, MESSAGES, thread.id, data.model_copy(update={"answered_at": now}), thread.version)
    elif not from_team and data.state is ThreadState.CLOSED:
        reopened = data.model_copy(update={"state": ThreadState.OPEN, "closed_at": None, "closed_by": None})
        uow.records.update(patient_id, MESSAGES, thread.id, reopened, thread.version)


def _retried(uow, patient_id: UUID, earlier: Entry, text: str, settings: MonitoringSettings, now: datetime) -> Sent:
    """A retry carries the same words; the same id with other words is refused as any id in use is."""
    if earlier.data.text != text:
        raise IdInUse()
    return Sent(earlier, _check_of(uow, patient_id, earlier.data.urgent, settings, now), repeated=True)


def _role(relationship: Relationship) -> Role:
    if relationship is Relationship.SELF:
        return Role.PATIENT
    if relationship is Relationship.CARER_CHECK_IN:
        return Role.CARER
    return Role.CLINICIAN


# --- The safety net ------------------------------------------------------------------------------

def _urgent_flags(uow, patient_id: UUID, text: str, settings: MonitoringSettings, now: datetime) -> list[RaisedFlag]:
    if not text.strip():
        return []
    on_treatment = on_myelosuppressive_treatment(uow, patient_id, now.date(), settings.fever_rule_days_after_treatment)
    return read_message(text, urgent_words(), on_treatment, settings.fever_at_or_above)


def _act_on_urgent_words(uow, patient_id: UUID, text: str, thread_id: UUID | None, settings: MonitoringSettings,
                         now: datetime) -> UrgentCheck | None:
    """For a message refused as written: its urgent words still alert the team, once."""
    flags = _urgent_flags(uow, patient_id, text, settings, now)
    return _alerted(uow, patient_id, flags, thread_id, None, settings, now, unsent=True)


def _alerted(uow, patient_id: UUID, flags: list[RaisedFlag], thread_id: UUID | None, reply_id: UUID | None,
             settings: MonitoringSettings, now: datetime, unsent: bool = False) -> UrgentCheck | None:
    if not flags:
        return None
    findings = [Finding("message", f.level, f.code,
                        {"concern": f.concern, "words": f.value, "thread_id": str(thread_id) if thread_id else None,
                         "reply_id": str(reply_id) if reply_id else None} | ({"unsent": True} if unsent else {}))
                for f in flags]
    alerts = raise_alerts(uow, patient_id, None, findings, now)
    routing = _call_now(uow, patient_id, highest_level(flags), settings, now)
    return UrgentCheck(flags, alerts, routing, advice_for(routing))


def _check_of(uow, patient_id: UUID, urgent: dict[str, str], settings: MonitoringSettings,
              now: datetime) -> UrgentCheck | None:
    """What a stored message's urgent words mean now: whom to call at this moment (no new alert)."""
    if not urgent:
        return None
    routing = _call_now(uow, patient_id, _highest(urgent), settings, now)
    return UrgentCheck([], [], routing, advice_for(routing))


def _highest(urgent: dict[str, str]) -> Level:
    return Level.RED if Level.RED.value in urgent.values() else Level.AMBER


def _call_now(uow, patient_id: UUID, level: Level, settings: MonitoringSettings, now: datetime) -> Routing:
    return route(level, now, contact_lines(uow, patient_id), settings.bank_holidays, settings.time_zone)


def check_message_text(uow, actor: Actor, patient_id: UUID, text: str, settings: MonitoringSettings,
                       now: datetime | None = None) -> UrgentCheck | None:
    """While she types (the page's script): the urgent words in the text so far and whom to call.
    Nothing is stored and no one is alerted: that happens when she sends it, and sending is what
    counts (a page without JavaScript gets the same answer then)."""
    authorise(uow, actor, patient_id, Action.READ, what="message-check")
    now = now or datetime.now(UTC)
    flags = _urgent_flags(uow, patient_id, text, settings, now)
    if not flags:
        return None
    routing = _call_now(uow, patient_id, highest_level(flags), settings, now)
    return UrgentCheck(flags, [], routing, advice_for(routing))


# --- Reading -------------------------------------------------------------------------------------

def patient_threads(uow, actor: Actor, patient_id: UUID) -> list[Entry]:
    """Her threads, the newest first."""
    authorise(uow, actor, patient_id, Action.READ, MESSAGES)
    return sorted(uow.records.list(patient_id, MESSAGES), key=lambda e: e.data.sent_at, reverse=True)


def thread_view(uow, actor: Actor, patient_id: UUID, thread_id: UUID, settings: MonitoringSettings,
                now: datetime | None = None) -> ThreadView:
    relationship = authorise(uow, actor, patient_id, Action.READ, MESSAGES, thread_id)
    now = now or datetime.now(UTC)
    thread = uow.records.get(patient_id, MESSAGES, thread_id)
    replies = sorted((r for r in uow.records.list(patient_id, MESSAGE_REPLIES) if r.data.thread_id == thread_id),
                     key=lambda e: (e.data.sent_at, e.created_at))
    urgent = {code: level for e in [thread, *replies] for code, level in e.data.urgent.items()}
    appointment = (uow.records.find(patient_id, RECORD_KINDS["appointments"], thread.data.appointment_id)
                   if thread.data.appointment_id else None)
    team = relationship is Relationship.CARE_TEAM
    return ThreadView(thread, replies, appointment,
                      _check_of(uow, patient_id, urgent, settings, now).routing if urgent and not team else None,
                      team_hours(uow, patient_id), relationship in _WRITERS,
                      team and thread.data.request_state is ChangeRequestState.ASKED,
                      uow.documents.photos_of_thread(patient_id, thread_id))


_WRITERS = {Relationship.SELF, Relationship.CARER_CHECK_IN, Relationship.CARE_TEAM}


def threads_with_replies(uow, patient_id: UUID) -> list[tuple[Entry, list[Entry]]]:
    """Every thread of hers with its replies, oldest first: for a copy of the whole record, by a
    use case that has already authorised reading it (domain/transfer.py, fhir/export.py)."""
    replies: dict[UUID, list[Entry]] = {}
    for reply in sorted(uow.records.list(patient_id, MESSAGE_REPLIES), key=lambda e: (e.data.sent_at, e.created_at)):
        replies.setdefault(reply.data.thread_id, []).append(reply)
    threads = sorted(uow.records.list(patient_id, MESSAGES), key=lambda e: (e.data.sent_at, str(e.id)))
    return [(thread, replies.get(thread.id, [])) for thread in threads]


def writing_help(uow, actor: Actor, patient_id: UUID, settings: MonitoringSettings,
                 now: datetime | None = None) -> tuple[list[tuple[str, str]], Routing]:
    """For the page she writes on: when the team reads messages, and whom to call if it cannot wait."""
    authorise(uow, actor, patient_id, Action.READ, what="whom-to-call")
    return team_hours(uow, patient_id), _call_now(uow, patient_id, Level.RED, settings, now or datetime.now(UTC))


def team_hours(uow, patient_id: UUID) -> list[tuple[str, str]]:
    """The team's own lines and their opening hours: messages are read while they are open."""
    return [(line.name, str(line.hours)) for line in contact_lines(uow, patient_id)
            if line.purpose in (Purpose.ROUTINE, Purpose.BOTH)]


def message_inbox(uow, actor: Actor, now: datetime | None = None) -> list[InboxMessage]:
    """Open threads on the clinician's caseloads: urgent ones first, then by when each is due."""
    if actor.role is not Role.CLINICIAN:
        raise AccessDenied("The inbox is for clinicians")
    now = now or datetime.now(UTC)
    found = uow.messages.open_threads(uow.teams.ids_of(actor.user_id))
    uow.audit.record(actor, "read:granted", None, "message-inbox", None)
    items = [InboxMessage(thread, name, _overdue(thread.data, now), last_from_team)
             for thread, name, last_from_team in found]
    return sorted(items, key=lambda i: (not i.thread.data.urgent, i.thread.data.due_at or i.thread.data.sent_at))


OVERDUE = "overdue"  # the outbox's purpose for "a message is overdue"


def notice_overdue_messages(uow, now: datetime | None = None) -> list[UUID]:
    """For the monitor pass: queue one email to each of her teams' notify addresses for every
    message past its response-time target with no answer from the team, once only (the outbox's
    key and the query's "not yet queued" both hold it to one). The email says only that a message
    is overdue, with a link. Returns the threads noticed now."""
    now = now or datetime.now(UTC)
    noticed = []
    for thread_id, email in uow.messages.overdue_unnoticed(now):
        if uow.notifications.enqueue_for_thread(thread_id, OVERDUE, "email", email, now):
            noticed.append(thread_id)
    return noticed


def _overdue(thread: MessageThread, now: datetime) -> bool:
    return thread.answered_at is None and thread.due_at is not None and now > thread.due_at


# --- The team's side -----------------------------------------------------------------------------

def close_thread(uow, actor: Actor, patient_id: UUID, thread_id: UUID, version: int,
                 now: datetime | None = None) -> Entry:
    thread = _thread_for_team(uow, actor, patient_id, thread_id)
    if thread.data.state is ThreadState.CLOSED:
        raise Conflict(f"This thread was already closed by {thread.data.closed_by}", field="state")
    closed = thread.data.model_copy(update={"state": ThreadState.CLOSED, "closed_at": now or datetime.now(UTC),
                                            "closed_by": actor.display_name})
    return uow.records.update(patient_id, MESSAGES, thread_id, closed, version)


def decide_appointment_change(uow, actor: Actor, patient_id: UUID, thread_id: UUID, version: int,
                              data: dict[str, Any], now: datetime | None = None) -> Entry:
    """Confirm (with the new time, for a move) or decline (with a note) a change request. Only a
    confirmation changes the appointment, in the same transaction as the answer."""
    thread = _thread_for_team(uow, actor, patient_id, thread_id)
    request: MessageThread = thread.data
    if request.request_state is not ChangeRequestState.ASKED:
        raise Conflict("This request was already answered" if request.request_state else
                       "This message is not an appointment change request", field="state")
    decision = validate(ChangeDecision, data)
    now = now or datetime.now(UTC)
    if decision.confirm:
        _change_appointment(uow, patient_id, request, decision)
    answered = request.model_copy(update={
        "request_state": ChangeRequestState.CONFIRMED if decision.confirm else ChangeRequestState.DECLINED,
        "confirmed_starts_at": decision.new_starts_at if decision.confirm else None,
        "team_note": decision.note, "answered_at": request.answered_at or now})
    return uow.records.update(patient_id, MESSAGES, thread_id, answered, version)


def _change_appointment(uow, patient_id: UUID, request: MessageThread, decision: ChangeDecision) -> None:
    appointments = RECORD_KINDS["appointments"]
    appointment = _appointment_of(uow, patient_id, request.appointment_id)
    if request.change is AppointmentChange.CANCEL:
        uow.records.delete(patient_id, appointments, appointment.id, appointment.version)
        return
    if decision.new_starts_at is None:
        raise InvalidInput("Give the new date and time", field="new_starts_at")
    moved = appointment.data.model_copy(update={"starts_at": decision.new_starts_at})
    uow.records.update(patient_id, appointments, appointment.id, moved, appointment.version)


def _appointment_of(uow, patient_id: UUID, appointment_id: UUID) -> Entry:
    appointment = uow.records.find(patient_id, RECORD_KINDS["appointments"], appointment_id)
    if appointment is None:
        raise InvalidInput("No such appointment in this record", field="appointment_id")
    return appointment


def _thread_for_team(uow, actor: Actor, patient_id: UUID, thread_id: UUID) -> Entry:
    relationship = authorise(uow, actor, patient_id, Action.WRITE, MESSAGES, thread_id)
    if relationship is not Relationship.CARE_TEAM:
        raise AccessDenied("Only the patient's team can close a thread or answer a request")
    return uow.records.get(patient_id, MESSAGES, thread_id)


# --- Response-time targets -------------------------------------------------------------------------

def due_by(sent_at: datetime, working_days: int, holidays: frozenset[date], zone: str = "Europe/London") -> datetime:
    """The same time of day, `working_days` working days (Monday to Friday, not a bank holiday)
    after the day it was sent, in the service's time zone."""
    local = sent_at.astimezone(ZoneInfo(zone))
    day, counted = local.date(), 0
    while counted < working_days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), ZoneInfo(zone)).astimezone(UTC)
