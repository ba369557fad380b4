"""The cycle diary of a medicine taken at home: she (or a carer allowed to check in for her)
marks each day's dose taken, missed or reduced, and records what her team told her to do.

Alongside never says whether to take, hold or change a dose. A pause or a change of dose is
kept only as the team's instruction, in her words and with the day they told her; the diary
then shows the paused days as days with no dose due (clinical/dose_cycles.py). Every read and
write is authorised by role and relationship and audited, like every other entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from pydantic import Field, StringConstraints, model_validator

from .dates import long_date
from ..clinical.dose_cycles import (
    CycleAdherence, CycleDay, CycleSchedule, DoseMark, Pause, adherence_by_cycle, cycle_adherence, cycle_calendar,
    cycle_day,
    current_cycle, is_dose_day,
)
from . import services
from .access import Action, authorise
from .entries import Entry
from .errors import InvalidInput, NotFound
from .people import Actor, Relationship
from .records import PastDate, RecordKind, RecordModel, _check_order, kind, validate
from .vocab import CheckInBy, DoseSchedule, MedicinePurpose, MedicineRoute, Role, Vocab

MEDICINES = "medicines"  # the record kind of her medicines (records.Medication)
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class DoseDiaryMark(RecordModel):
    """One day's mark for one medicine; a second mark for the same day replaces the first."""

    medication_id: UUID = Field(title="Medicine")
    day: date = Field(title="Day")
    mark: DoseMark = Field(title="The dose that day")
    note: Note | None = Field(None, title="Note", description="Anything you want your team to know")


class InstructionKind(Vocab):
    PAUSE = "pause", "Stop taking it for a while"
    RESTART = "restart", "Start taking it again"
    DOSE_CHANGE = "dose_change", "Take a different dose"
    OTHER = "other", "Something else"


class TeamInstruction(RecordModel):
    """What her team told her to do about a medicine, as she records it: never Alongside's advice."""

    told_on: PastDate = Field(title="When your team told you")
    kind: InstructionKind = Field(title="My team told me to")
    starting: date = Field(title="Starting on")
    until: date | None = Field(None, title="Until", description="Only if your team gave an end date")
    in_their_words: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = Field(
        None, title="What they said", description="For example 'Take 100 mg instead of 125 mg until I see the doctor'")

    @model_validator(mode="after")
    def _in_order(self) -> TeamInstruction:
        _check_order(self.starting, self.until, "until", "The end date cannot be before the start date")
        return self


# Who may write: the team, the person herself, and a carer she allowed to check in for her.
DOSE_DIARY = RecordKind("dose-diary", DoseDiaryMark, "Dose diary mark", "Dose diary", "day",
                        lambda m: f"{long_date(m.day)}: {m.mark.value}", patient_writes=True,
                        carer_check_in_writes=True)
TEAM_INSTRUCTIONS = RecordKind("team-instructions", TeamInstruction, "What my team told me", "What my team told me",
                               "told_on", lambda i: i.kind.label, patient_writes=True, carer_check_in_writes=True)
DOSE_REMINDERS = RecordKind("dose-reminders", RecordModel, "Dose day reminders", "Dose day reminders", "day",
                            lambda _: "Dose day reminders", patient_writes=True)

_MARKED_BY = {Role.PATIENT: CheckInBy.PATIENT, Role.CARER: CheckInBy.CARER, Role.CLINICIAN: CheckInBy.CLINICIAN}


@dataclass(frozen=True)
class StoredMark:
    id: UUID
    data: DoseDiaryMark
    marked_by: CheckInBy
    marked_at: datetime


@dataclass(frozen=True)
class StoredInstruction:
    id: UUID
    medication_id: UUID
    data: TeamInstruction
    recorded_by: CheckInBy
    recorded_at: datetime


# --- Reading a medicine's schedule -------------------------------------------------------------

def schedule_of(medication: Any) -> CycleSchedule | None:
    """The cycle of an anticancer medicine taken by mouth at home, in cycles (days on, days off)
    or every day; None for any other (given in hospital, weekly, when needed, supportive)."""
    if medication.purpose is not MedicinePurpose.ANTICANCER or medication.route is not MedicineRoute.ORAL:
        return None
    if medication.schedule is DoseSchedule.CYCLE:
        return CycleSchedule(medication.cycle_days_on, medication.cycle_days_off, medication.cycle_start_date)
    if medication.schedule is DoseSchedule.DAILY and medication.start_date:
        return CycleSchedule.continuous(medication.start_date)
    return None


def stopped_on(medication: Any) -> date | None:
    return medication.stop_date


def pauses_from(instructions: list[StoredInstruction]) -> list[Pause]:
    """Each pause her team told her of, from its start to its end date or, with none, to the day
    before the first restart they told her of after it (or still going)."""
    restarts = sorted(i.data.starting for i in instructions if i.data.kind is InstructionKind.RESTART)
    pauses = []
    for instruction in instructions:
        if instruction.data.kind is not InstructionKind.PAUSE:
            continue
        end = instruction.data.until
        if end is None:
            later = [day for day in restarts if day > instruction.data.starting]
            end = date.fromordinal(later[0].toordinal() - 1) if later else None
        pauses.append(Pause(instruction.data.starting, end))
    return pauses


def today_for(patient_details: Any, now: datetime) -> date:
    """Her today, in her own time zone: a mark typed at 00:30 in London is for that day."""
    return now.astimezone(ZoneInfo(patient_details.time_zone)).date()


# --- Her diary ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiaryDay:
    place: CycleDay
    mark: StoredMark | None
    is_today: bool
    is_future: bool


@dataclass(frozen=True)
class CycleDiary:
    medication: Entry
    schedule: CycleSchedule
    cycle: int
    days: list[DiaryDay]
    adherence: CycleAdherence
    all_cycles: list[CycleAdherence]  # latest first
    instructions: list[StoredInstruction]
    today: date
    cycle_today: CycleDay | None  # where today falls; None before day 1
    today_is_dose_day: bool
    today_mark: StoredMark | None
    relationship: Relationship

    @property
    def previous_cycle(self) -> int | None:
        return self.cycle - 1 if self.cycle > 1 else None

    @property
    def next_cycle(self) -> int | None:
        latest = current_cycle(self.schedule, self.today) or 1
        return self.cycle + 1 if self.cycle < latest else None

    @property
    def may_mark(self) -> bool:
        return self.relationship in (Relationship.SELF, Relationship.CARER_CHECK_IN, Relationship.CARE_TEAM)


def _medication_with_schedule(uow, actor: Actor, patient_id: UUID, medication_id: UUID) -> tuple[Entry, CycleSchedule]:
    medication = services.read_entry(uow, actor, patient_id, MEDICINES, medication_id)
    schedule = schedule_of(medication.data)
    if schedule is None:
        raise NotFound("This medicine is not taken in cycles or every day, so it has no cycle diary")
    return medication, schedule


def cycle_diary(uow, actor: Actor, patient_id: UUID, medication_id: UUID, now: datetime,
                cycle: int | None = None, showing: date | None = None) -> CycleDiary:
    """One cycle of a medicine's diary with every cycle's adherence so far: cycle number `cycle`,
    or the one holding the day `showing`, or the current one; never one still to come."""
    relationship = authorise(uow, actor, patient_id, Action.READ, DOSE_DIARY, medication_id)
    medication, schedule = _medication_with_schedule(uow, actor, patient_id, medication_id)
    today = today_for(uow.patients.get(patient_id).details, now)
    latest = current_cycle(schedule, today) or 1
    shown = cycle_day(schedule, showing) if showing and not cycle else None
    cycle = min(max(cycle or (shown.cycle if shown else latest), 1), latest)
    marks = {m.data.day: m for m in uow.dose_diary.marks(patient_id, medication_id)}
    instructions = uow.dose_diary.instructions(patient_id, medication_id)
    pauses = pauses_from(instructions)
    if stopped := stopped_on(medication.data):
        pauses.append(Pause(date.fromordinal(stopped.toordinal() + 1)))
    kinds = {day: m.data.mark for day, m in marks.items()}
    days = [DiaryDay(d, marks.get(d.day), d.day == today, d.day > today) for d in cycle_calendar(schedule, cycle, pauses)]
    return CycleDiary(medication, schedule, cycle, days, cycle_adherence(schedule, cycle, kinds, today, pauses),
                      adherence_by_cycle(schedule, kinds, today, pauses), instructions, today,
                      cycle_day(schedule, today, pauses), is_dose_day(schedule, today, pauses), marks.get(today),
                      relationship)


def mark_dose(uow, actor: Actor, patient_id: UUID, data: Any, now: datetime) -> StoredMark:
    """Mark one day taken, missed or reduced. The same day marked again replaces its mark, so a
    retry or a change of mind leaves one mark. Not for a day still to come, nor before day 1."""
    authorise(uow, actor, patient_id, Action.WRITE, DOSE_DIARY)
    mark = validate(DoseDiaryMark, data)
    _, schedule = _medication_with_schedule(uow, actor, patient_id, mark.medication_id)
    if mark.day > today_for(uow.patients.get(patient_id).details, now):
        raise InvalidInput("You can only mark today or a day that has passed", field="day")
    if mark.day < schedule.first_day:
        raise InvalidInput(f"This medicine's diary starts on {long_date(schedule.first_day)}", field="day")
    return uow.dose_diary.put_mark(patient_id, mark, _MARKED_BY.get(actor.role, CheckInBy.CLINICIAN), now)


def record_team_instruction(uow, actor: Actor, patient_id: UUID, medication_id: UUID, data: Any, now: datetime,
                            instruction_id: UUID | None = None) -> StoredInstruction:
    """Keep what her team told her about a medicine. Sent twice with the same id (a form posted
    again), it is kept once."""
    authorise(uow, actor, patient_id, Action.WRITE, TEAM_INSTRUCTIONS, instruction_id)
    instruction = validate(TeamInstruction, data)
    _medication_with_schedule(uow, actor, patient_id, medication_id)
    return uow.dose_diary.add_instruction(patient_id, medication_id, instruction, instruction_id or uuid4(),
                                          _MARKED_BY.get(actor.role, CheckInBy.CLINICIAN), now)


# --- For the team ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MedicineAdherence:
    medication: Entry
    cycles: list[CycleAdherence]  # latest first
    current: bool  # not stopped before today


def cycle_diaries(uow, actor: Actor, patient_id: UUID, now: datetime) -> list[MedicineAdherence]:
    """Every medicine of hers with a cycle diary, each cycle's counts so far: for the team's view
    of the record and the links from her home page."""
    authorise(uow, actor, patient_id, Action.READ, DOSE_DIARY)
    medicines = services.list_entries(uow, actor, patient_id, MEDICINES)
    return diaries_of(uow, patient_id, medicines, today_for(uow.patients.get(patient_id).details, now))


def diary_of(uow, patient_id: UUID, medicines: list[Entry]) -> list[tuple[Entry, list[StoredMark],
                                                                        list[StoredInstruction]]]:
    """Each of `medicines` that has marks or instructions, with them, oldest first: for a copy of
    the whole record, by a use case that has already authorised reading it."""
    found = []
    for medication in sorted(medicines, key=lambda e: str(e.id)):
        marks = uow.dose_diary.marks(patient_id, medication.id)
        instructions = uow.dose_diary.instructions(patient_id, medication.id)
        if marks or instructions:
            found.append((medication, marks, instructions))
    return found


def diaries_of(uow, patient_id: UUID, medicines: list[Entry], today: date) -> list[MedicineAdherence]:
    """The adherence of those of `medicines` that have a diary. For a use case that has already
    authorised reading her record (the clinic summary)."""
    found = []
    for medication in medicines:
        schedule = schedule_of(medication.data)
        if schedule is None:
            continue
        marks = {m.data.day: m.data.mark for m in uow.dose_diary.marks(patient_id, medication.id)}
        pauses = pauses_from(uow.dose_diary.instructions(patient_id, medication.id))
        stopped = stopped_on(medication.data)
        found.append(MedicineAdherence(medication, adherence_by_cycle(schedule, marks, today, pauses, stopped),
                                       stopped is None or stopped >= today))
    return found


# --- Reminders on dose days --------------------------------------------------------------------

def dose_reminders_chosen(uow, actor: Actor, patient_id: UUID) -> bool:
    authorise(uow, actor, patient_id, Action.READ, DOSE_REMINDERS)
    return uow.dose_diary.reminders_chosen(patient_id)


def choose_dose_reminders(uow, actor: Actor, patient_id: UUID, wanted: bool, now: datetime) -> None:
    """Opt in or out of an email on each dose day. Off until she (or her team, at her request) turns it on."""
    authorise(uow, actor, patient_id, Action.WRITE, DOSE_REMINDERS)
    uow.dose_diary.choose_reminders(patient_id, wanted, now)


def due_dose_reminders(uow, now: datetime, from_hour: int = 8) -> list[tuple[UUID, date, str]]:
    """(patient, her today, email) for each patient who chose reminders and has a sign-in, whose
    clock has reached `from_hour`, who is not yet reminded today and has a dose due today of a
    medicine she is taking. The monitor's own reading, like the check-in reminders: no person's
    request, so nothing to authorise."""
    due = []
    for patient_id, email in uow.dose_diary.reminder_candidates():
        local = now.astimezone(ZoneInfo(uow.patients.get(patient_id).details.time_zone))
        today = local.date()
        if local.hour < from_hour or uow.dose_diary.reminded(patient_id, today):
            continue
        if any(_dose_due(uow, patient_id, entry, today) for entry in uow.records.list(patient_id, kind(MEDICINES))):
            due.append((patient_id, today, email))
    return due


def _dose_due(uow, patient_id: UUID, medication: Entry, today: date) -> bool:
    schedule = schedule_of(medication.data)
    stopped = stopped_on(medication.data)
    if schedule is None or (stopped and stopped < today):
        return False
    return is_dose_day(schedule, today, pauses_from(uow.dose_diary.instructions(patient_id, medication.id)))
