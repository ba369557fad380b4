"""The caseload's records read in batches, for the reverse view of a trial (which patients may fit).

Reading 5,000 records one kind at a time is six queries a patient; this reads each kind for a
batch of patients in one query (docs/benchmarks.md, "The reverse view"). It only reads: the
domain's `caseload_profiles` authorises and audits what it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from sqlalchemy import select

from ..domain.entries import Entry, Patient
from ..domain.records import RECORD_KINDS, CancerProfile, PatientDetails
from . import tables as t
from .repositories import _from_row

BATCH = 500  # patients a query


class BatchedCaseloadRecords:
    def __init__(self, uow) -> None:
        self.db = uow.db

    def patient_ids(self, team_ids: list[UUID]) -> list[UUID]:
        c = t.CaseloadRow
        return list(self.db.scalars(select(c.patient_id).where(c.team_id.in_(team_ids)).distinct().order_by(c.patient_id)))

    def read(self, patient_ids: list[UUID], slugs: tuple[str, ...]) -> Iterator[tuple[Patient, dict[str, list[Entry]]]]:
        for start in range(0, len(patient_ids), BATCH):
            batch = patient_ids[start:start + BATCH]
            entries = {slug: self._entries(slug, batch) for slug in slugs}
            for patient in self._patients(batch):
                yield patient, {slug: entries[slug].get(patient.id, []) for slug in slugs}

    def _patients(self, ids: list[UUID]) -> list[Patient]:
        p, profile = t.PatientRow, t.CancerProfileRow
        rows = self.db.execute(select(p, profile).join(profile, profile.patient_id == p.id).where(p.id.in_(ids))).all()
        return [Patient(id=row.id, version=row.version, details=_from_row(PatientDetails, row),
                        profile=_from_row(CancerProfile, cancer), profile_version=cancer.version) for row, cancer in rows]

    def _entries(self, slug: str, ids: list[UUID]) -> dict[UUID, list[Entry]]:
        record_kind, table = RECORD_KINDS[slug], t.ROW_FOR_KIND[slug].__table__
        found: dict[UUID, list[Entry]] = {}
        for row in self.db.connection().execute(select(table).where(table.c.patient_id.in_(ids))):
            found.setdefault(row.patient_id, []).append(
                Entry(id=row.id, patient_id=row.patient_id, kind=slug, version=row.version,
                      data=_from_row(record_kind.model, row), created_at=row.created_at, updated_at=row.updated_at))
        return found
