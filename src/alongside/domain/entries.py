"""Stored things: a record model with the identity and version the store gives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from .records import CancerProfile, PatientDetails, RecordModel

R = TypeVar("R", bound=RecordModel)


@dataclass(frozen=True)
class Entry(Generic[R]):
    """One entry of a patient's record. `version` guards against silent overwrites."""

    id: UUID
    patient_id: UUID
    kind: str
    version: int
    data: R
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Patient:
    id: UUID
    version: int
    details: PatientDetails
    profile: CancerProfile
    profile_version: int


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor_name: str
    actor_role: str
    action: str
    what: str
    record_id: UUID | None
    detail: str | None = None  # what changed: "notify_email: a@x.org -> b@x.org"
