"""The one authorisation rule for patient data: role and relationship decide, nothing else.

Every use case that touches a patient's record calls `authorise`; it writes the decision to the
audit log whether access is granted or refused, so refused attempts are visible too.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from .errors import AccessDenied, NotFound
from .people import Actor, Relationship
from .records import RecordKind


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


def permits(relationship: Relationship, action: Action, record_kind: RecordKind | None = None) -> bool:
    """May someone with this relationship do this to the patient's record (or one kind of entry)?"""
    if relationship is Relationship.NONE:
        return False
    if action is Action.READ or relationship in (Relationship.CARE_TEAM, Relationship.OPERATOR):
        return True
    if record_kind is None:  # the patient's details and cancer profile are kept by the team
        return False
    if relationship is Relationship.SELF:
        return record_kind.patient_writes
    if relationship is Relationship.CARER_CHECK_IN:
        return record_kind.carer_check_in_writes
    return False


def authorise(uow, actor: Actor, patient_id: UUID, action: Action, record_kind: RecordKind | None = None,
              record_id: UUID | None = None, what: str | None = None) -> Relationship:
    relationship = uow.access.relationship(actor, patient_id)
    allowed = permits(relationship, action, record_kind)
    uow.audit.record(actor, f"{action.value}:{'granted' if allowed else 'refused'}", patient_id,
                     what or (record_kind.slug if record_kind else "patient"), record_id)
    if allowed:
        return relationship
    uow.commit()  # the refusal stays in the audit log even though the request fails
    if relationship is Relationship.NONE:
        # To a stranger, someone else's record does not exist.
        raise NotFound("No such patient")
    raise AccessDenied("You can read this record but not change this part of it")
