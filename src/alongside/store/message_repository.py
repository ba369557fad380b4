"""Messages across a team's caseload, for the inbox. A patient's own threads and replies are
entries (domain/messages.py MESSAGES, MESSAGE_REPLIES) read through the record repository."""

from __future__ import annotations

from uuid import UUID

from datetime import datetime

from sqlalchemy import exists, func, select

from ..domain.entries import Entry
from ..domain.messages import MESSAGES, OVERDUE
from ..domain.vocab import Role, ThreadState
from . import tables as t
from .repositories import _Repository, _from_row


class MessageRepository(_Repository):
    def open_threads(self, team_ids: list[UUID], limit: int = 500) -> list[tuple[Entry, str, bool]]:
        """Open threads of patients on these teams' caseloads, each with the patient's name and
        whether the last word in it was the team's."""
        thread, reply, p = t.MessageThreadRow, t.MessageReplyRow, t.PatientRow
        last_reply = (select(reply.sent_by_role).where(reply.thread_id == thread.id)
                      .order_by(reply.sent_at.desc()).limit(1).scalar_subquery())
        rows = self.db.execute(
            select(thread, p.given_name, p.family_name, func.coalesce(last_reply, thread.sent_by_role))
            .join(p, p.id == thread.patient_id)
            .where(thread.state == ThreadState.OPEN.value,
                   thread.patient_id.in_(select(t.CaseloadRow.patient_id).where(t.CaseloadRow.team_id.in_(team_ids))))
            .order_by(thread.sent_at).limit(limit))
        return [(self._entry(row), f"{family}, {given}", last == Role.CLINICIAN.value)
                for row, given, family, last in rows]

    def overdue_unnoticed(self, now: datetime, limit: int = 500) -> list[tuple[UUID, str]]:
        """Open threads past their target with no answer from the team and no "overdue" email
        queued yet, each with the notify address of every team whose caseload she is on."""
        thread, caseload, team, sent = t.MessageThreadRow, t.CaseloadRow, t.TeamRow, t.NotificationRow
        noticed = exists().where(sent.thread_id == thread.id, sent.purpose == OVERDUE)
        rows = self.db.execute(
            select(thread.id, team.notify_email)
            .join(caseload, caseload.patient_id == thread.patient_id).join(team, team.id == caseload.team_id)
            .where(thread.state == ThreadState.OPEN.value, thread.answered_at.is_(None), thread.due_at < now,
                   team.notify_email.is_not(None), ~noticed)
            .order_by(thread.due_at).limit(limit))
        return [(thread_id, email) for thread_id, email in rows]

    @staticmethod
    def _entry(row: t.MessageThreadRow) -> Entry:
        return Entry(id=row.id, patient_id=row.patient_id, kind=MESSAGES.slug, version=row.version,
                     data=_from_row(MESSAGES.model, row), created_at=row.created_at, updated_at=row.updated_at)
