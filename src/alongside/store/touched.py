"""Which people a unit of work's writes touched, so their caseload summary rows are recomputed
before it commits (store/caseload.py refresh; hazard H50)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy.orm import Session

from . import tables as t

KEY = "caseload_touched"
# The rows whose writes change a caseload column, and how each names its person.
_PERSON_OF = {t.AlertRow: "patient_id", t.CheckInRow: "patient_id", t.AppointmentRow: "patient_id",
              t.TreatmentCourseRow: "patient_id", t.PatientRow: "id", t.CaseloadRow: "patient_id"}


def touch(session: Session, patient_ids: Iterable[UUID]) -> None:
    """For writes the session cannot see (Core inserts)."""
    session.info.setdefault(KEY, set()).update(patient_ids)


def touch_kind(session: Session, slug: str, patient_id: UUID) -> None:
    """For a record written in Core: its person, if its kind is one the caseload summarises."""
    if t.ROW_FOR_KIND.get(slug) in _PERSON_OF:
        touch(session, [patient_id])


def note_flushed(session: Session, _context) -> None:
    """after_flush: every new, changed or deleted row of the kinds above names its person."""
    for row in (*session.new, *session.dirty, *session.deleted):
        name = _PERSON_OF.get(type(row))
        if name and getattr(row, name, None) is not None:
            touch(session, [getattr(row, name)])


def take(session: Session) -> set[UUID]:
    return session.info.pop(KEY, set())
