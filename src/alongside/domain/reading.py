"""The reads a page makes beside its main use case: whose record it shows and what the reader may
change there, the people a carer looks after, the teams of a user, a scan's baseline.

The web layer reads nothing from the store itself (tests/unit/test_architecture.py): each read here
authorises by role and relationship and lands in the audit log like every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from . import services
from .access import Action, authorise, permits
from .entries import Entry, Patient
from .errors import AccessDenied
from .people import Actor, Relationship, Team
from .records import RecordKind, TreatmentCourse
from .results import baseline_during
from .vocab import Role


@dataclass(frozen=True)
class RecordAccess:
    """The patient whose record a page shows, and how the reader is related to her."""

    patient: Patient
    relationship: Relationship

    def may_write(self, record_kind: RecordKind | None = None) -> bool:
        """Whether to offer the forms that change this part of the record (the write itself is
        authorised again when it is sent)."""
        return permits(self.relationship, Action.WRITE, record_kind)


def open_record(uow, actor: Actor, patient_id: UUID) -> RecordAccess:
    relationship = authorise(uow, actor, patient_id, Action.READ)
    return RecordAccess(uow.patients.get(patient_id), relationship)


def open_form(uow, actor: Actor, patient_id: UUID, record_kind: RecordKind | None = None) -> Patient:
    """The patient whose record a form would change, for someone who may send it. Anyone else is
    refused before the form is drawn, so no one fills in a form only to be told it was not theirs
    to send (the read stays audited; the write is authorised again when it is sent)."""
    record = open_record(uow, actor, patient_id)
    if not record.may_write(record_kind):
        uow.commit()
        raise AccessDenied("Your care team keeps this part of the record. If something here needs "
                           "changing, tell them or send them a message.")
    return record.patient


def patients_cared_for(uow, actor: Actor) -> list[UUID]:
    """The people whose carer this actor is; each link read is audited on her record."""
    if actor.role is not Role.CARER:
        raise AccessDenied("Only a carer looks after people here")
    patient_ids = uow.carers.patients_of(actor.user_id)
    for patient_id in patient_ids:
        authorise(uow, actor, patient_id, Action.READ, what="carer-link")
    return patient_ids


def own_team_names(uow, actor: Actor) -> list[str]:
    """The names of the teams the actor belongs to (her own account, no patient's data)."""
    return uow.teams.names_of(actor.user_id)


def all_teams(uow, actor: Actor) -> list[Team]:
    """Every team, for the administrator who adds accounts to them."""
    if actor.role is not Role.ADMIN:
        raise AccessDenied("Only an administrator can list teams")
    return uow.teams.list()


def scan_baseline(uow, actor: Actor, patient_id: UUID, day: date,
                  entry_id: UUID | None = None) -> tuple[TreatmentCourse | None, Entry | None]:
    """The line of treatment running on `day` and its baseline scan (results.baseline_during),
    read through the authorised listing of her scans and treatments."""
    scans = services.list_entries(uow, actor, patient_id, "scans")
    courses = services.list_entries(uow, actor, patient_id, "treatment-courses")
    return baseline_during(scans, courses, day, entry_id)
