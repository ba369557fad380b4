"""What a carer's menu offers for the person they look after: exactly the pages that the one
authorisation rule (access.permits) lets their relationship see or use, so the menu never offers
a page that would be refused. The pages themselves still authorise and audit every read."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from .access import Action, permits
from .dose_diary import DOSE_DIARY
from .messages import MESSAGES
from .people import Actor, Relationship
from .records import RECORD_KINDS, RecordKind
from .vocab import Role

CARER_RELATIONSHIPS = (Relationship.CARER_READ, Relationship.CARER_CHECK_IN)


@dataclass(frozen=True)
class MenuEntry:
    label: str
    path: str


# (label, the page under /patients/{id}, what it does, the part of the record it shows or changes).
# {name} is the given name of the person cared for.
_ENTRIES: tuple[tuple[str, str, Action, RecordKind | None], ...] = (
    ("{name}'s home", "", Action.READ, None),
    ("Check in for {name}", "/check-in", Action.WRITE, RECORD_KINDS["check-ins"]),
    ("Messages", "/messages", Action.READ, MESSAGES),
    ("Dose diary", "#now", Action.READ, DOSE_DIARY),  # each current diary is opened from "Treatment now"
    ("Results", "/record/lab-results", Action.READ, RECORD_KINDS["lab-results"]),
    ("Whom to call", "#whom-to-call", Action.READ, RECORD_KINDS["contact-points"]),
)


def carer_menu(patient_id: UUID, given_name: str, relationship: Relationship) -> list[MenuEntry]:
    """The menu for a carer with this relationship to the patient; none for anyone else."""
    if relationship not in CARER_RELATIONSHIPS:
        return []
    return [MenuEntry(label.format(name=given_name), f"/patients/{patient_id}{path}")
            for label, path, action, record_kind in _ENTRIES if permits(relationship, action, record_kind)]


def carer_links(uow, actor: Actor) -> dict[UUID, Relationship]:
    """Whose records this carer's account opens, and how: read from the carer's own links, not from
    anyone's record, so it is not an access to patient data (each page authorises and audits its own)."""
    if actor.role is not Role.CARER:
        return {}
    return {patient_id: uow.access.relationship(actor, patient_id) for patient_id in uow.carers.patients_of(actor.user_id)}
