"""The cycle diary's rows: day marks (one per medicine and day), the team's instructions as she
recorded them, the choice of dose day reminders and the reminders sent."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..clinical.dose_cycles import DoseMark
from ..domain.dose_diary import DoseDiaryMark, InstructionKind, StoredInstruction, StoredMark, TeamInstruction
from ..domain.vocab import CheckInBy, Role
from . import tables as t
from .repositories import _insert_unless_present, _Repository


class DoseDiaryRepository(_Repository):
    def marks(self, patient_id: UUID, medication_id: UUID) -> list[StoredMark]:
        row = t.DoseDiaryMarkRow
        rows = self.db.scalars(select(row).where(row.patient_id == patient_id, row.medication_id == medication_id)
                               .order_by(row.day))
        return [_mark(r) for r in rows]

    def put_mark(self, patient_id: UUID, mark: DoseDiaryMark, marked_by: CheckInBy, now: datetime) -> StoredMark:
        """Insert, or replace the day's mark: one statement, so two posts of the same day at
        once still leave one row (the database's unique key settles it)."""
        table = t.DoseDiaryMarkRow.__table__
        values = {"id": uuid4(), "patient_id": patient_id, "medication_id": mark.medication_id, "day": mark.day,
                  "mark": mark.mark.value, "note": mark.note, "marked_by": marked_by.value, "marked_at": now}
        dialect_insert = postgresql_insert if self._dialect() == "postgresql" else sqlite_insert
        statement = dialect_insert(table).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["patient_id", "medication_id", "day"],
            set_={name: statement.excluded[name] for name in ("mark", "note", "marked_by", "marked_at")})
        self._run(statement)
        stored = self.db.scalars(select(t.DoseDiaryMarkRow).where(
            t.DoseDiaryMarkRow.patient_id == patient_id, t.DoseDiaryMarkRow.medication_id == mark.medication_id,
            t.DoseDiaryMarkRow.day == mark.day).execution_options(populate_existing=True)).one()
        return _mark(stored)

    def instructions(self, patient_id: UUID, medication_id: UUID) -> list[StoredInstruction]:
        row = t.TeamInstructionRow
        rows = self.db.scalars(select(row).where(row.patient_id == patient_id, row.medication_id == medication_id)
                               .order_by(row.starting, row.told_on, row.id))
        return [_instruction(r) for r in rows]

    def add_instruction(self, patient_id: UUID, medication_id: UUID, instruction: TeamInstruction,
                        instruction_id: UUID, recorded_by: CheckInBy, now: datetime) -> StoredInstruction:
        """Kept once per id: the same form posted twice stores one instruction."""
        table = t.TeamInstructionRow.__table__
        self._run(_insert_unless_present(table, self._dialect(), "id"), {
            "id": instruction_id, "patient_id": patient_id, "medication_id": medication_id,
            "recorded_by": recorded_by.value, "recorded_at": now, **instruction.model_dump(mode="python")})
        return _instruction(self.db.get(t.TeamInstructionRow, instruction_id))

    def reminders_chosen(self, patient_id: UUID) -> bool:
        return self.db.get(t.DoseReminderChoiceRow, patient_id) is not None

    def choose_reminders(self, patient_id: UUID, wanted: bool, now: datetime) -> None:
        table = t.DoseReminderChoiceRow.__table__
        if wanted:
            self._run(_insert_unless_present(table, self._dialect(), "patient_id"),
                      {"patient_id": patient_id, "chosen_at": now})
        else:
            self._run(delete(table).where(table.c.patient_id == patient_id))

    def reminder_candidates(self) -> list[tuple[UUID, str]]:
        """Patients who chose reminders and have an active sign-in: (patient, the sign-in's email)."""
        rows = self.db.execute(
            select(t.DoseReminderChoiceRow.patient_id, t.UserRow.email)
            .join(t.UserRow, t.UserRow.patient_id == t.DoseReminderChoiceRow.patient_id)
            .where(t.UserRow.role == Role.PATIENT.value, t.UserRow.active.is_(True)))
        return [(patient_id, email) for patient_id, email in rows]

    def reminded(self, patient_id: UUID, day: date) -> bool:
        return self.db.get(t.DoseReminderRow, (patient_id, day)) is not None

    def record_reminder(self, patient_id: UUID, day: date, at: datetime, target: str) -> None:
        self.db.add(t.DoseReminderRow(patient_id=patient_id, day=day, sent_at=at, target=target))
        self.db.flush()


def _mark(row: t.DoseDiaryMarkRow) -> StoredMark:
    data = DoseDiaryMark.model_validate({"medication_id": row.medication_id, "day": row.day,
                                         "mark": DoseMark(row.mark), "note": row.note}, context={"stored": True})
    return StoredMark(row.id, data, CheckInBy(row.marked_by), row.marked_at)


def _instruction(row: t.TeamInstructionRow) -> StoredInstruction:
    data = TeamInstruction.model_validate(
        {"told_on": row.told_on, "kind": InstructionKind(row.kind), "starting": row.starting, "until": row.until,
         "in_their_words": row.in_their_words}, context={"stored": True})
    return StoredInstruction(row.id, row.medication_id, data, CheckInBy(row.recorded_by), row.recorded_at)
