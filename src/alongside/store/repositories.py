"""Repositories: translate between domain objects and rows. No rules live here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

from pydantic import TypeAdapter
from sqlalchemy import Executable, Table, bindparam, delete, exists, func, insert, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.exc import StaleDataError

from ..clinical.contacts import Level
from ..domain.accounts import Session
from ..domain.monitoring import Alert, AlertState, CheckInDraft
from ..domain.entries import AuditEvent, Entry, Patient
from ..domain.errors import NotFound, VersionConflict
from ..domain.people import SYSTEM, Actor, CarerLink, Relationship, Team, TeamSettings, User
from ..domain.response_times import AlertTimes
from ..domain.result_sharing import Discussion, ResultSharing, SharingChoice
from ..domain.records import (RECORD_KINDS, CancerProfile, CheckIn, IdInUse, PatientDetails, RecordKind, RecordModel,
                              SymptomAnswer)
from ..domain.vocab import AlertOutcome, CarerAccess, CheckInBy, CheckInDay, Role, TextSize
from . import outbox
from . import tables as t


def _now() -> datetime:
    return datetime.now(UTC)


def _fields(model: RecordModel) -> dict[str, Any]:
    return model.model_dump(mode="python")


def _from_row(model: type[RecordModel], row: Any) -> RecordModel:
    # "stored": what was valid when saved stays readable (rules about "now" are not re-applied).
    return model.model_validate({name: getattr(row, name) for name in model.model_fields}, context={"stored": True})


# --- Statements built once ------------------------------------------------------------------------
# The requests that every check-in makes run statements built at import, with named parameters,
# on the unit of work's connection. Built per call and sent through the ORM session, each cost
# about 120 microseconds more (building, its cache key, the session's bookkeeping): half the
# database time of a check-in (docs/benchmarks.md).

class _Repository:
    def __init__(self, db: OrmSession):
        self.db = db

    def _run(self, statement: Executable, params: dict[str, Any] | list[dict[str, Any]] | None = None):
        return self.db.connection().execute(statement, params)

    def _dialect(self) -> str:
        return self.db.get_bind().dialect.name


@cache
def _insert_unless_present(table: Table, dialect: str, *columns: str):
    """INSERT ... ON CONFLICT (columns) DO NOTHING RETURNING the key, in the dialect's own
    spelling: a row comes back only if this insert wrote it (rowcount is not told reliably)."""
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(columns)).returning(*table.primary_key)


def _check_version(row: Any, expected: int, what: str) -> None:
    if row.version != expected:
        raise VersionConflict(f"This {what} was changed by someone else (now version {row.version}, "
                              f"you edited version {expected}). Reload it and make your change again.",
                              field="version")


class PatientRepository(_Repository):
    def add(self, patient_id: UUID, details: PatientDetails, profile: CancerProfile) -> None:
        now = _now()
        self.db.add(t.PatientRow(id=patient_id, created_at=now, updated_at=now, **_fields(details)))
        self.db.flush()  # the profile refers to the patient; no ORM relationship orders them for us
        self.db.add(t.CancerProfileRow(patient_id=patient_id, **_fields(profile)))
        self.db.flush()

    def exists(self, patient_id: UUID) -> bool:
        return self.db.get(t.PatientRow, patient_id) is not None

    def any(self) -> bool:
        return self.db.scalar(select(t.PatientRow.id).limit(1)) is not None

    def get(self, patient_id: UUID) -> Patient:
        row = self.db.get(t.PatientRow, patient_id)
        profile = self.db.get(t.CancerProfileRow, patient_id)
        if row is None or profile is None:
            raise NotFound("No such patient")
        return Patient(id=row.id, version=row.version, details=_from_row(PatientDetails, row),
                       profile=_from_row(CancerProfile, profile), profile_version=profile.version)

    def id_by_nhs_number(self, nhs_number: str) -> UUID | None:
        return self.db.scalar(select(t.PatientRow.id).where(t.PatientRow.nhs_number == nhs_number))

    def update(self, patient_id: UUID, details: PatientDetails, version: int) -> None:
        row = self.db.get(t.PatientRow, patient_id)
        if row is None:
            raise NotFound("No such patient")
        _check_version(row, version, "patient's details")
        _assign(row, _fields(details))
        row.updated_at = _now()
        _flush(self.db, "patient's details")

    def update_profile(self, patient_id: UUID, profile: CancerProfile, version: int) -> None:
        row = self.db.get(t.CancerProfileRow, patient_id)
        if row is None:
            raise NotFound("No such patient")
        _check_version(row, version, "cancer profile")
        _assign(row, _fields(profile))
        _flush(self.db, "cancer profile")

    def all_ids(self) -> list[UUID]:
        return list(self.db.scalars(select(t.PatientRow.id)))


def _aware(value: datetime | None) -> datetime | None:
    # Aggregates bypass the column type, so SQLite hands back naive (UTC) values.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _assign(row: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def _flush(db: OrmSession, what: str) -> None:
    try:
        db.flush()
    except StaleDataError:
        raise VersionConflict(f"This {what} was changed by someone else at the same moment. Reload it and try again.",
                              field="version") from None


@cache
def _entries_of_patient(slug: str, order_by: str):
    table = t.ROW_FOR_KIND[slug].__table__
    order = table.c[order_by]
    # Newest first for dated kinds; alphabetical for people and contact points.
    order = order.asc() if order_by == "name" else order.desc()
    # Every column but the patient's id, which the caller gave: not turned into a UUID per row.
    columns = [c for c in table.c if c.name != "patient_id"]
    return select(*columns).where(table.c.patient_id == bindparam("patient_id")).order_by(order, table.c.id)


@cache
def _entry_by_id(slug: str):
    table = t.ROW_FOR_KIND[slug].__table__
    return select(table).where(table.c.id == bindparam("id"), table.c.patient_id == bindparam("patient_id"))


def _check_ins_around():
    """In one query, the rows a check-in is compared with, each labelled: the last before it
    ('previous'), the first since its treatment began ('baseline'), the first ever ('first')."""
    row = t.CheckInRow.__table__
    before = (row.c.patient_id == bindparam("patient_id"), row.c.submitted_at < bindparam("before"))

    def one(label: str, order, *where):
        found = select(row).where(*before, *where).order_by(order).limit(1).subquery()
        return select(literal(label).label("which"), found)

    return union_all(one("previous", row.c.submitted_at.desc()),
                     one("baseline", row.c.submitted_at, row.c.submitted_at >= bindparam("since")),
                     one("first", row.c.submitted_at))


_CHECK_INS_AROUND = _check_ins_around()
_STORED = {"stored": True}  # the validation context of a model read back (never changed by a validator)
_SYMPTOMS = TypeAdapter(CheckIn.model_fields["symptoms"].annotation)


@cache
def _row_reader(record_kind: RecordKind, columns: tuple[str, ...]) -> Callable[..., Entry]:
    """Turns one plain row of `columns` into an Entry, reading each field by its place in the row,
    looked up once per kind and statement. Reading fields by name (getattr on the row) took a
    quarter of the time a long record's entries took to build (the five-year timeline of
    bench/results.py reads 1,300 of them; docs/benchmarks.md)."""
    place = {column: index for index, column in enumerate(columns)}
    fields = [(name, place[name]) for name in record_kind.model.model_fields]
    at_id, at_version, at_created, at_updated = (place[c] for c in ("id", "version", "created_at", "updated_at"))
    at_patient = place.get("patient_id")
    validate, slug = record_kind.model.model_validate, record_kind.slug

    def read(row: Any, patient_id: UUID | None = None) -> Entry:
        data = validate({name: row[index] for name, index in fields}, context=_STORED)
        return Entry(id=row[at_id], patient_id=row[at_patient] if at_patient is not None else patient_id, kind=slug,
                     version=row[at_version], data=data, created_at=row[at_created], updated_at=row[at_updated])
    return read


class RecordRepository(_Repository):
    """All list kinds of a patient's record, through the kind registry."""

    def _row(self, patient_id: UUID, record_kind: RecordKind, entry_id: UUID):
        row = self.db.get(t.ROW_FOR_KIND[record_kind.slug], entry_id)
        return row if row is not None and row.patient_id == patient_id else None

    def _entry(self, record_kind: RecordKind, row: Any) -> Entry:
        return Entry(id=row.id, patient_id=row.patient_id, kind=record_kind.slug, version=row.version,
                     data=_from_row(record_kind.model, row), created_at=row.created_at, updated_at=row.updated_at)

    def list(self, patient_id: UUID, record_kind: RecordKind) -> list[Entry]:
        return self._entries(record_kind, _entries_of_patient(record_kind.slug, record_kind.order_by),
                             {"patient_id": patient_id}, patient_id)

    def symptoms_since(self, patient_id: UUID, since: datetime | None) -> list[tuple[datetime, dict[str, SymptomAnswer]]]:
        """When each of a patient's check-ins from a moment on (all when `since` is None) was sent
        and its symptom answers, oldest first: only the two columns a chart of symptoms needs,
        not the whole check-in (its burden, urgent answers and free text)."""
        row = t.CheckInRow
        query = select(row.submitted_at, row.symptoms).where(row.patient_id == patient_id)
        if since is not None:
            query = query.where(row.submitted_at >= since)
        validate = _SYMPTOMS.validate_python
        return [(at, validate(symptoms, context=_STORED)) for at, symptoms in self._run(query.order_by(row.submitted_at))]

    def _entries(self, record_kind: RecordKind, query, params: dict[str, Any] | None = None,
                 patient_id: UUID | None = None) -> list[Entry]:
        # Plain rows, not ORM objects: a long record reads several times faster, and nothing here
        # is changed through them (writes go through _row, which loads the ORM object).
        # `patient_id`: whose entries these all are, when the query does not read it.
        result = self._run(query, params)
        read = _row_reader(record_kind, tuple(result.keys()))
        return [read(row, patient_id) for row in result]

    def revision(self, patient_id: UUID, slugs: list[str]) -> bytes:
        """A digest of which entries of these kinds the patient has, each with its version. Every
        write through this repository adds, removes or re-versions a row (the ORM bumps `version`
        on each change), and a read sees only committed rows, so the digest is the same exactly
        when what was committed is the same: only ids and versions are read, not the rows."""
        parts = [select(literal(number).label("kind"), row.id, row.version).where(row.patient_id == patient_id)
                 for number, row in enumerate(t.ROW_FOR_KIND[slug] for slug in slugs)]
        digest = hashlib.blake2b(str(self.db.get_bind().engine.url).encode(), digest_size=16)  # which database, too
        for number, entry_id, version in self._run(union_all(*parts).order_by("kind", "id")):
            digest.update(b"%d %s %d;" % (number, entry_id.bytes, version))
        return digest.digest()

    def everything(self, patient_id: UUID, slugs: list[str] | None = None) -> dict[str, list[Entry]]:
        return {slug: self.list(patient_id, RECORD_KINDS[slug]) for slug in (slugs or RECORD_KINDS)}

    def find(self, patient_id: UUID, record_kind: RecordKind, entry_id: UUID) -> Entry | None:
        row = self._run(_entry_by_id(record_kind.slug), {"id": entry_id, "patient_id": patient_id}).first()
        return self._entry(record_kind, row) if row is not None else None

    def get(self, patient_id: UUID, record_kind: RecordKind, entry_id: UUID) -> Entry:
        if (entry := self.find(patient_id, record_kind, entry_id)) is None:
            raise NotFound(f"No such {record_kind.title.lower()} in this record")
        return entry

    def add(self, patient_id: UUID, record_kind: RecordKind, model: RecordModel, entry_id: UUID,
            created_at: datetime | None = None) -> Entry:
        now = created_at or _now()
        values = {"id": entry_id, "version": 1, "patient_id": patient_id, "created_at": now, "updated_at": now,
                  **_fields(model)}
        # Core, not the ORM: nothing later in the unit of work changes the new row through an object.
        # An id already stored (a client's own id, another patient's entry's) was an IntegrityError
        # and a 500; on PostgreSQL it also spoilt the transaction holding the audit events.
        table = t.ROW_FOR_KIND[record_kind.slug].__table__
        if self._run(_insert_unless_present(table, self._dialect(), "id"), values).first() is None:
            raise IdInUse()
        return self._entry(record_kind, SimpleNamespace(**values))

    def add_if_absent(self, patient_id: UUID, record_kind: RecordKind, model: RecordModel, entry_id: UUID) -> Entry | None:
        """Insert unless an entry with this id is already stored (None then). Two copies of one
        submission sent at once both get past a read-first check; the database settles which
        one is kept, the second waiting for the first to commit."""
        now = _now()
        values = {"id": entry_id, "version": 1, "patient_id": patient_id, "created_at": now, "updated_at": now,
                  **_fields(model)}
        table = t.ROW_FOR_KIND[record_kind.slug].__table__
        written = self._run(_insert_unless_present(table, self._dialect(), "id"), values).first()
        return self._entry(record_kind, SimpleNamespace(**values)) if written is not None else None

    def add_many(self, patient_id: UUID, record_kind: RecordKind, models: list[RecordModel]) -> int:
        """Insert a batch in one statement (imports); the caller's transaction keeps it all or nothing."""
        if not models:
            return 0
        now = _now()
        self.db.execute(insert(t.ROW_FOR_KIND[record_kind.slug].__table__), [  # Core: no per-row ORM work
            {"id": uuid4(), "version": 1, "patient_id": patient_id, "created_at": now, "updated_at": now, **_fields(m)}
            for m in models])
        return len(models)

    def update(self, patient_id: UUID, record_kind: RecordKind, entry_id: UUID, model: RecordModel, version: int) -> Entry:
        row = self._row(patient_id, record_kind, entry_id)
        if row is None:
            raise NotFound(f"No such {record_kind.title.lower()} in this record")
        _check_version(row, version, record_kind.title.lower())
        _assign(row, _fields(model))
        row.updated_at = _now()
        _flush(self.db, record_kind.title.lower())
        return self._entry(record_kind, row)

    def delete(self, patient_id: UUID, record_kind: RecordKind, entry_id: UUID, version: int) -> None:
        row = self._row(patient_id, record_kind, entry_id)
        if row is None:
            raise NotFound(f"No such {record_kind.title.lower()} in this record")
        _check_version(row, version, record_kind.title.lower())
        self.db.delete(row)
        _flush(self.db, record_kind.title.lower())

    def check_ins_around(self, patient_id: UUID, before: datetime, since: datetime | None) -> tuple[Entry | None, Entry | None]:
        """The last check-in before `before`, and the first at or after `since` (or the first ever)."""
        kind = RECORD_KINDS["check-ins"]
        found = {row.which: row for row in self._run(_CHECK_INS_AROUND,
                                                      {"patient_id": patient_id, "before": before, "since": since})}
        if "previous" not in found:
            return None, None
        return self._entry(kind, found["previous"]), self._entry(kind, found.get("baseline", found["first"]))

    def children_of(self, patient_id: UUID, course_id: UUID) -> bool:
        return any(self.db.scalar(select(exists().where(row.patient_id == patient_id, row.course_id == course_id)))
                   for row in (t.DoseChangeRow, t.TreatmentBreakRow, t.MedicationRow))


_CARER_ACCESS = select(t.CarerLinkRow.__table__.c.access).where(
    t.CarerLinkRow.__table__.c.carer_id == bindparam("user_id"),
    t.CarerLinkRow.__table__.c.patient_id == bindparam("patient_id"))
_ON_CASELOAD_OF = select(exists().where(
    t.CaseloadRow.__table__.c.patient_id == bindparam("patient_id"),
    t.CaseloadRow.__table__.c.team_id == t.TeamMemberRow.__table__.c.team_id,
    t.TeamMemberRow.__table__.c.user_id == bindparam("user_id")))


class AccessRepository(_Repository):
    """Answers the one question the authorisation rule needs: how is this actor related to this patient?"""

    def relationship(self, actor: Actor, patient_id: UUID) -> Relationship:
        if actor == SYSTEM:
            return Relationship.OPERATOR
        if actor.role is Role.PATIENT:
            return Relationship.SELF if actor.patient_id == patient_id else Relationship.NONE
        who = {"user_id": actor.user_id, "patient_id": patient_id}
        if actor.role is Role.CARER:
            access = self._run(_CARER_ACCESS, who).scalar()
            if access is None:
                return Relationship.NONE
            return Relationship.CARER_CHECK_IN if access == CarerAccess.READ_CHECK_IN else Relationship.CARER_READ
        if actor.role is Role.CLINICIAN:
            return Relationship.CARE_TEAM if self._run(_ON_CASELOAD_OF, who).scalar() else Relationship.NONE
        return Relationship.NONE  # administrators manage accounts, not clinical records


_ADD_AUDIT_EVENT = insert(t.AuditEventRow.__table__)


class AuditRepository(_Repository):
    """Events are written with the unit of work's commit, in its transaction, so a request's
    reads come before its first write: on SQLite the queue of writers is joined only then."""

    def __init__(self, db: OrmSession):
        super().__init__(db)
        self._pending: list[dict[str, Any]] = []

    def record(self, actor: Actor, action: str, patient_id: UUID | None, what: str, record_id: UUID | None = None,
               detail: str | None = None) -> None:
        self._pending.append({
            "at": _now(), "actor_id": actor.user_id, "actor_role": actor.role.value, "actor_name": actor.display_name[:100],
            "action": action, "patient_id": patient_id, "what": what, "record_id": record_id,
            "detail": detail[:200] if detail else None})

    def flush(self) -> None:
        if self._pending:
            events, self._pending = self._pending, []
            self._run(_ADD_AUDIT_EVENT, events)

    def discard(self) -> None:
        self._pending = []

    def last_look(self, actor_id: UUID, patient_id: UUID, before: datetime) -> datetime | None:
        """The last time this person used this record before a moment (her last visit)."""
        row = t.AuditEventRow
        return _aware(self.db.scalar(select(func.max(row.at)).where(
            row.actor_id == actor_id, row.patient_id == patient_id, row.at < before)))

    def about(self, what: str, record_id: UUID, limit: int = 50) -> list[AuditEvent]:
        """The newest events about one thing that is not a patient's record (a team's settings)."""
        self.flush()
        rows = self.db.scalars(select(t.AuditEventRow).where(t.AuditEventRow.what == what,
                                                             t.AuditEventRow.record_id == record_id,
                                                             t.AuditEventRow.detail.is_not(None))
                               .order_by(t.AuditEventRow.id.desc()).limit(limit))
        return [AuditEvent(r.at, r.actor_name, r.actor_role, r.action, r.what, r.record_id, r.detail) for r in rows]

    def for_patient(self, patient_id: UUID, limit: int = 200) -> list[AuditEvent]:
        self.flush()  # this request's own look is part of the log it reads
        rows = self.db.scalars(select(t.AuditEventRow).where(t.AuditEventRow.patient_id == patient_id)
                               .order_by(t.AuditEventRow.id.desc()).limit(limit))
        return [AuditEvent(r.at, r.actor_name, r.actor_role, r.action, r.what, r.record_id) for r in rows]


def _user(row: t.UserRow) -> User:
    return User(id=row.id, email=row.email, display_name=row.display_name, role=Role(row.role),
                patient_id=row.patient_id, active=row.active, created_at=row.created_at,
                second_factor_on=row.totp_confirmed_at is not None, text_size=TextSize(row.text_size or "normal"))


_USER_BY_ID = select(t.UserRow.__table__).where(t.UserRow.__table__.c.id == bindparam("id"))


class UserRepository(_Repository):
    def add(self, user: User, password_hash: str) -> None:
        self.db.add(t.UserRow(id=user.id, email=user.email, display_name=user.display_name, role=user.role.value,
                              patient_id=user.patient_id, active=user.active, password_hash=password_hash,
                              created_at=user.created_at))
        self.db.flush()

    def get(self, user_id: UUID) -> User:
        row = self._run(_USER_BY_ID, {"id": user_id}).first()
        if row is None:
            raise NotFound("No such account")
        return _user(row)

    def by_email(self, email: str) -> User | None:
        row = self.db.scalar(select(t.UserRow).where(t.UserRow.email == email.lower()))
        return _user(row) if row else None

    def credentials(self, email: str) -> tuple[User, str] | None:
        row = self.db.scalar(select(t.UserRow).where(t.UserRow.email == email.lower()))
        return (_user(row), row.password_hash) if row else None

    def credentials_by_id(self, user_id: UUID) -> tuple[User, str] | None:
        row = self.db.get(t.UserRow, user_id)
        return (_user(row), row.password_hash) if row else None

    def set_password_hash(self, user_id: UUID, password_hash: str) -> None:
        self.db.execute(update(t.UserRow).where(t.UserRow.id == user_id).values(password_hash=password_hash))

    def set_active(self, user_id: UUID, active: bool) -> None:
        if self.db.execute(update(t.UserRow).where(t.UserRow.id == user_id).values(active=active)).rowcount == 0:
            raise NotFound("No such account")

    def set_text_size(self, user_id: UUID, size: TextSize) -> None:
        self.db.execute(update(t.UserRow).where(t.UserRow.id == user_id).values(text_size=size.value))

    def set_role(self, user_id: UUID, role: Role) -> None:
        if self.db.execute(update(t.UserRow).where(t.UserRow.id == user_id).values(role=role.value)).rowcount == 0:
            raise NotFound("No such account")

    def pending_totp_secret(self, user_id: UUID) -> str | None:
        """The secret being enrolled (not yet confirmed by a code), if any."""
        return self.db.scalar(select(t.UserRow.totp_secret).where(t.UserRow.id == user_id,
                                                                 t.UserRow.totp_confirmed_at.is_(None)))

    def totp_secret(self, user_id: UUID) -> str | None:
        """The confirmed secret, the only one asked for at sign-in."""
        return self.db.scalar(select(t.UserRow.totp_secret).where(t.UserRow.id == user_id,
                                                                 t.UserRow.totp_confirmed_at.is_not(None)))

    def set_totp_secret(self, user_id: UUID, secret: str) -> None:
        self.db.execute(update(t.UserRow).where(t.UserRow.id == user_id)
                        .values(totp_secret=secret, totp_confirmed_at=None, totp_last_step=None))

    def confirm_totp(self, user_id: UUID, now: datetime, step: int) -> None:
        self.db.execute(update(t.UserRow).where(t.UserRow.id == user_id)
                        .values(totp_confirmed_at=now, totp_last_step=step))

    def use_totp_step(self, user_id: UUID, step: int) -> bool:
        """Accept a code's time step once: only one later than the last accepted (a conditional
        update, so two requests with the same code cannot both win)."""
        row = t.UserRow
        return self.db.execute(update(row).where(
            row.id == user_id, or_(row.totp_last_step.is_(None), row.totp_last_step < step))
            .values(totp_last_step=step)).rowcount == 1

    def clear_totp(self, user_id: UUID) -> None:
        self.db.execute(update(t.UserRow).where(t.UserRow.id == user_id)
                        .values(totp_secret=None, totp_confirmed_at=None, totp_last_step=None))

    def count_active(self, role: Role) -> int:
        """Counted under a lock on those rows on PostgreSQL, so two administrators switching each
        other off at once cannot both see the other as the one left."""
        query = select(t.UserRow.id).where(t.UserRow.role == role.value, t.UserRow.active.is_(True))
        if self.db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return len(self.db.scalars(query).all())

    def list(self) -> list[User]:
        return [_user(r) for r in self.db.scalars(select(t.UserRow).order_by(t.UserRow.role, t.UserRow.display_name))]

    def of_patient(self, patient_id: UUID) -> list[User]:
        return [_user(r) for r in self.db.scalars(select(t.UserRow).where(t.UserRow.patient_id == patient_id))]


_TEAMS_CARING_FOR = (select(t.TeamRow.__table__)
                     .join(t.CaseloadRow.__table__, t.CaseloadRow.__table__.c.team_id == t.TeamRow.__table__.c.id)
                     .where(t.CaseloadRow.__table__.c.patient_id == bindparam("patient_id")))


class TeamRepository(_Repository):
    def add(self, team: Team) -> None:
        self.db.add(t.TeamRow(id=team.id, name=team.name))
        self.db.flush()

    def exists(self, team_id: UUID) -> bool:
        return self.db.get(t.TeamRow, team_id) is not None

    def by_name(self, name: str) -> Team | None:
        row = self.db.scalar(select(t.TeamRow).where(t.TeamRow.name == name))
        return Team(row.id, row.name) if row else None

    def list(self) -> list[Team]:
        return [Team(r.id, r.name) for r in self.db.scalars(select(t.TeamRow).order_by(t.TeamRow.name))]

    def add_member(self, team_id: UUID, user_id: UUID) -> None:
        self.db.merge(t.TeamMemberRow(team_id=team_id, user_id=user_id))
        self.db.flush()

    def remove_member(self, team_id: UUID, user_id: UUID) -> None:
        self.db.execute(delete(t.TeamMemberRow).where(t.TeamMemberRow.team_id == team_id,
                                                      t.TeamMemberRow.user_id == user_id))

    def set_memberships(self, user_id: UUID, team_ids: list[UUID]) -> None:
        self.db.execute(delete(t.TeamMemberRow).where(t.TeamMemberRow.user_id == user_id))
        for team_id in team_ids:
            self.db.add(t.TeamMemberRow(team_id=team_id, user_id=user_id))
        self.db.flush()

    def ids_of(self, user_id: UUID) -> list[UUID]:
        return list(self.db.scalars(select(t.TeamMemberRow.team_id).where(t.TeamMemberRow.user_id == user_id)))

    def names_of(self, user_id: UUID) -> list[str]:
        return list(self.db.scalars(select(t.TeamRow.name).join(t.TeamMemberRow, t.TeamMemberRow.team_id == t.TeamRow.id)
                                    .where(t.TeamMemberRow.user_id == user_id)))

    def add_to_caseload(self, team_id: UUID, patient_id: UUID) -> None:
        self.db.merge(t.CaseloadRow(team_id=team_id, patient_id=patient_id))
        self.db.flush()

    def of_patient(self, patient_id: UUID) -> list[UUID]:
        return list(self.db.scalars(select(t.CaseloadRow.team_id).where(t.CaseloadRow.patient_id == patient_id)))

    def caring_for(self, patient_id: UUID) -> list[TeamSettings]:
        return [_team_settings(r) for r in self._run(_TEAMS_CARING_FOR, {"patient_id": patient_id})]

    def all_settings(self) -> list[TeamSettings]:
        return [_team_settings(r) for r in self.db.scalars(select(t.TeamRow))]

    def settings(self, team_id: UUID) -> TeamSettings:
        row = self.db.get(t.TeamRow, team_id)
        if row is None:
            raise NotFound("No such team")
        return _team_settings(row)

    def update_settings(self, settings: TeamSettings) -> None:
        row = self.db.get(t.TeamRow, settings.id)
        if row is None:
            raise NotFound("No such team")
        for name in ("notify_email", "webhook_url", "webhook_secret", "escalation_email", "escalate_red_after_minutes",
                     "check_in_reminders", "reminder_hour"):
            setattr(row, name, getattr(settings, name))
        row.check_in_day = settings.check_in_day.value if settings.check_in_day else None
        row.alert_thresholds = dict(settings.thresholds) or None
        self.db.flush()

    def by_patient(self) -> dict[UUID, list[TeamSettings]]:
        """Every patient on a caseload, with the settings of each team caring for her (by team name)."""
        found: dict[UUID, list[TeamSettings]] = {}
        rows = self.db.execute(select(t.CaseloadRow.patient_id, t.TeamRow)
                               .join(t.TeamRow, t.TeamRow.id == t.CaseloadRow.team_id).order_by(t.TeamRow.name))
        for patient_id, row in rows:
            found.setdefault(patient_id, []).append(_team_settings(row))
        return found

    def named(self, team_ids: list[UUID]) -> list[tuple[UUID, str]]:
        return [(r.id, r.name) for r in self.db.scalars(select(t.TeamRow).where(t.TeamRow.id.in_(team_ids))
                                                        .order_by(t.TeamRow.name))]


def _team_settings(row) -> TeamSettings:
    return TeamSettings(row.id, row.name, row.notify_email, row.webhook_url, row.webhook_secret, row.escalation_email,
                        row.escalate_red_after_minutes if row.escalate_red_after_minutes is not None else 30,
                        CheckInDay(row.check_in_day) if row.check_in_day else None,
                        row.check_in_reminders is not False, row.reminder_hour, dict(row.alert_thresholds or {}))


class IdentityRepository(_Repository):
    """Staff accounts' identities at the OpenID provider (issuer and subject)."""

    def user_for(self, issuer: str, subject: str) -> User | None:
        row = self.db.scalar(select(t.UserRow).join(t.UserIdentityRow, t.UserIdentityRow.user_id == t.UserRow.id)
                             .where(t.UserIdentityRow.issuer == issuer, t.UserIdentityRow.subject == subject))
        return _user(row) if row else None

    def linked(self, user_id: UUID, issuer: str) -> bool:
        return self.db.scalar(select(exists().where(t.UserIdentityRow.user_id == user_id,
                                                    t.UserIdentityRow.issuer == issuer)))

    def link(self, user_id: UUID, issuer: str, subject: str, at: datetime) -> None:
        self.db.add(t.UserIdentityRow(issuer=issuer, subject=subject, user_id=user_id, linked_at=at))
        self.db.flush()


class CarerRepository(_Repository):
    def link(self, carer_id: UUID, patient_id: UUID, access: CarerAccess) -> None:
        self.db.merge(t.CarerLinkRow(carer_id=carer_id, patient_id=patient_id, access=access.value))
        self.db.flush()

    def unlink(self, carer_id: UUID, patient_id: UUID) -> None:
        self.db.execute(delete(t.CarerLinkRow).where(t.CarerLinkRow.carer_id == carer_id,
                                                     t.CarerLinkRow.patient_id == patient_id))

    def of_patient(self, patient_id: UUID) -> list[CarerLink]:
        rows = self.db.execute(select(t.UserRow, t.CarerLinkRow.access)
                               .join(t.CarerLinkRow, t.CarerLinkRow.carer_id == t.UserRow.id)
                               .where(t.CarerLinkRow.patient_id == patient_id)).all()
        return [CarerLink(_user(user), patient_id, CarerAccess(access)) for user, access in rows]

    def patients_of(self, carer_id: UUID) -> list[UUID]:
        return list(self.db.scalars(select(t.CarerLinkRow.patient_id).where(t.CarerLinkRow.carer_id == carer_id)))


class InvitationRepository(_Repository):
    def add(self, token_digest: str, patient_id: UUID, email: str, access: CarerAccess, expires_at: datetime) -> None:
        self.db.add(t.InvitationRow(token_digest=token_digest, patient_id=patient_id, email=email,
                                    access=access.value, expires_at=expires_at))
        self.db.flush()

    def take(self, token_digest: str, now: datetime) -> tuple[UUID, str, CarerAccess] | None:
        """Use an invitation once: the conditional update makes a second use find nothing."""
        taken = self.db.execute(update(t.InvitationRow).where(
            t.InvitationRow.token_digest == token_digest, t.InvitationRow.used_at.is_(None),
            t.InvitationRow.expires_at > now).values(used_at=now))
        if taken.rowcount != 1:
            return None
        row = self.db.get(t.InvitationRow, token_digest)
        return row.patient_id, row.email, CarerAccess(row.access)


_SESSION = t.SessionRow.__table__
_SESSION_AND_USER = (select(_SESSION.c.token_digest, _SESSION.c.csrf_token, _SESSION.c.created_at.label("session_created_at"),
                            _SESSION.c.last_seen_at, t.UserRow.__table__)
                     .join(t.UserRow.__table__, t.UserRow.__table__.c.id == _SESSION.c.user_id)
                     .where(_SESSION.c.token_digest == bindparam("digest")))


class SessionRepository(_Repository):
    def add(self, session: Session) -> None:
        self.db.add(t.SessionRow(token_digest=session.token_digest, user_id=session.user_id,
                                 csrf_token=session.csrf_token, created_at=session.created_at,
                                 last_seen_at=session.last_seen_at))
        self.db.flush()

    def get_with_user(self, token_digest: str) -> tuple[Session, User] | None:
        row = self._run(_SESSION_AND_USER, {"digest": token_digest}).first()
        if row is None:
            return None
        session = Session(row.token_digest, row.id, row.csrf_token, row.session_created_at, row.last_seen_at)
        return session, _user(row)

    def touch(self, token_digest: str, now: datetime) -> None:
        self.db.execute(update(t.SessionRow).where(t.SessionRow.token_digest == token_digest).values(last_seen_at=now))

    def end(self, token_digest: str) -> None:
        self.db.execute(delete(t.SessionRow).where(t.SessionRow.token_digest == token_digest))

    def end_all_for(self, user_id: UUID) -> None:
        self.db.execute(delete(t.SessionRow).where(t.SessionRow.user_id == user_id))


class AccountTokenRepository(_Repository):
    """One-time tokens of an account (password reset links, second sign-in steps), by purpose."""

    def add(self, token_digest: str, purpose: str, user_id: UUID, now: datetime, expires_at: datetime) -> None:
        self.db.add(t.AccountTokenRow(token_digest=token_digest, purpose=purpose, user_id=user_id,
                                      created_at=now, expires_at=expires_at))
        self.db.flush()

    def take(self, token_digest: str, purpose: str, now: datetime) -> UUID | None:
        """Use a token once: the conditional update makes a second use (or a late one) find nothing."""
        row = t.AccountTokenRow
        taken = self.db.execute(update(row).where(
            row.token_digest == token_digest, row.purpose == purpose, row.used_at.is_(None),
            row.expires_at > now).values(used_at=now))
        return self.db.scalar(select(row.user_id).where(row.token_digest == token_digest)) if taken.rowcount == 1 else None

    def holder(self, token_digest: str, purpose: str, now: datetime) -> UUID | None:
        """Whose unused, unexpired token this is, without using it."""
        row = t.AccountTokenRow
        return self.db.scalar(select(row.user_id).where(row.token_digest == token_digest, row.purpose == purpose,
                                                        row.used_at.is_(None), row.expires_at > now))

    def end_all_for(self, user_id: UUID, purpose: str, now: datetime) -> None:
        row = t.AccountTokenRow
        self.db.execute(update(row).where(row.user_id == user_id, row.purpose == purpose, row.used_at.is_(None))
                        .values(used_at=now))

    def issued_since(self, user_id: UUID, purpose: str, since: datetime) -> int:
        row = t.AccountTokenRow
        return self.db.scalar(select(func.count()).where(row.user_id == user_id, row.purpose == purpose,
                                                         row.created_at >= since)) or 0


class RecoveryCodeRepository(_Repository):
    def replace(self, user_id: UUID, code_hashes: list[str]) -> None:
        self.remove_all(user_id)
        self.db.add_all([t.RecoveryCodeRow(user_id=user_id, code_hash=h) for h in code_hashes])
        self.db.flush()

    def remove_all(self, user_id: UUID) -> None:
        self.db.execute(delete(t.RecoveryCodeRow).where(t.RecoveryCodeRow.user_id == user_id))

    def unused(self, user_id: UUID) -> int:
        r = t.RecoveryCodeRow
        return self.db.scalar(select(func.count()).where(r.user_id == user_id, r.used_at.is_(None))) or 0

    def use(self, user_id: UUID, code: str, matches: Callable[[str, str], bool], now: datetime) -> bool:
        """Use the unused code that `matches` (hash, code) finds, once (a conditional update)."""
        r = t.RecoveryCodeRow
        for code_id, code_hash in self.db.execute(select(r.id, r.code_hash).where(r.user_id == user_id,
                                                                                   r.used_at.is_(None))).all():
            if matches(code_hash, code):
                return self.db.execute(update(r).where(r.id == code_id, r.used_at.is_(None))
                                       .values(used_at=now)).rowcount == 1
        return False


class SignInRepository(_Repository):
    def clear_failures(self, email: str) -> int:
        """Forget an email's failed sign-ins (an administrator's unlock); returns how many."""
        a = t.SignInAttemptRow
        return self.db.execute(delete(a).where(a.email == email.lower(), a.succeeded.is_(False))).rowcount

    def record(self, *, email: str, client: str, at: datetime, succeeded: bool) -> None:
        self.db.add(t.SignInAttemptRow(email=email[:254], client=client[:100], at=at, succeeded=succeeded))

    def failures(self, *, since: datetime, email: str | None = None, client: str | None = None) -> int:
        return self._failures(since, email, client).count

    def record_failure(self, *, email: str, client: str, at: datetime, since: datetime) -> tuple[Failures, Failures]:
        """Count a failed sign-in and return the failures since `since`, for its email and for its
        client address, this one included. Atomic: concurrent failures for the same email or
        address are counted one after another, so no two see the same count. On PostgreSQL a
        transaction-scoped advisory lock per email and per address (taken in that order, so two
        attempts cannot deadlock) is held until commit; on SQLite the insert takes the database's
        single writer lock, and the counts after it in the same transaction see every earlier one."""
        email, client = email[:254], client[:100]
        if self.db.get_bind().dialect.name == "postgresql":
            for kind, key in ((1, email), (2, client)):
                self.db.execute(select(func.pg_advisory_xact_lock(kind, func.hashtext(key))))
        self.db.add(t.SignInAttemptRow(email=email, client=client, at=at, succeeded=False))
        self.db.flush()
        return self._failures(since, email, None), self._failures(since, None, client)

    def _failures(self, since: datetime, email: str | None, client: str | None) -> Failures:
        a = t.SignInAttemptRow
        who = a.email == email if email is not None else a.client == client
        count, earliest = self.db.execute(select(func.count(), func.min(a.at)).where(
            who, a.at >= since, a.succeeded.is_(False))).one()
        return Failures(count or 0, earliest)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins for one email or one client address within the window, and the earliest."""

    count: int
    earliest: datetime | None


def _alert(row: t.AlertRow, patient_name: str | None = None) -> Alert:
    return Alert(id=row.id, version=row.version, patient_id=row.patient_id, check_in_id=row.check_in_id, rule=row.rule,
                 level=Level(row.level), item=row.item, detail=row.detail, state=AlertState(row.state),
                 created_at=row.created_at, acknowledged_at=row.acknowledged_at, acknowledged_by=row.acknowledged_by,
                 resolved_at=row.resolved_at, resolved_by=row.resolved_by, notes=row.notes,
                 escalated_at=row.escalated_at, patient_name=patient_name,
                 outcome=AlertOutcome(row.outcome) if row.outcome else None,
                 claimed_by_id=row.claimed_by_id, claimed_by=row.claimed_by, claimed_at=row.claimed_at)


_ADD_ALERT = insert(t.AlertRow.__table__)


class AlertRepository(_Repository):
    def add(self, alerts: list[Alert]) -> None:
        if alerts:
            self._run(_ADD_ALERT, [{
                "id": a.id, "version": a.version, "patient_id": a.patient_id, "check_in_id": a.check_in_id,
                "rule": a.rule, "level": a.level.value, "item": a.item, "detail": a.detail, "state": a.state.value,
                "created_at": a.created_at} for a in alerts])

    def get(self, alert_id: UUID) -> Alert | None:
        row = self.db.get(t.AlertRow, alert_id)
        return _alert(row) if row else None

    def update(self, alert_id: UUID, version: int, **changes) -> Alert:
        row = self.db.get(t.AlertRow, alert_id)
        if row is None:
            raise NotFound("No such alert")
        _check_version(row, version, "alert")
        for name, value in changes.items():
            setattr(row, name, value.value if hasattr(value, "value") else value)
        _flush(self.db, "alert")
        return _alert(row)

    def for_check_in(self, check_in_id: UUID) -> list[Alert]:
        return [_alert(r) for r in self.db.scalars(select(t.AlertRow).where(t.AlertRow.check_in_id == check_in_id)
                                                   .order_by(t.AlertRow.created_at))]

    def for_patient(self, patient_id: UUID, limit: int = 200) -> list[Alert]:
        return [_alert(r) for r in self.db.scalars(select(t.AlertRow).where(t.AlertRow.patient_id == patient_id)
                                                   .order_by(t.AlertRow.created_at.desc()).limit(limit))]

    def for_teams(self, team_ids: list[UUID], states: list) -> list[Alert]:
        p = t.PatientRow
        rows = self.db.execute(
            select(t.AlertRow, p.given_name, p.family_name).join(p, p.id == t.AlertRow.patient_id)
            .where(t.AlertRow.state.in_([s.value for s in states]),
                   t.AlertRow.patient_id.in_(select(t.CaseloadRow.patient_id).where(t.CaseloadRow.team_id.in_(team_ids))))
            .order_by(t.AlertRow.created_at).limit(1000))
        return [_alert(row, f"{family}, {given}") for row, given, family in rows]

    def unacknowledged_red(self, team_id: UUID, created_before: datetime) -> list[Alert]:
        rows = self.db.scalars(select(t.AlertRow).where(
            t.AlertRow.level == Level.RED.value, t.AlertRow.state == AlertState.NEW.value,
            t.AlertRow.escalated_at.is_(None), t.AlertRow.created_at <= created_before,
            t.AlertRow.patient_id.in_(select(t.CaseloadRow.patient_id).where(t.CaseloadRow.team_id == team_id))))
        return [_alert(r) for r in rows]

    def mark_escalated(self, alert_id: UUID, at: datetime) -> None:
        self.db.execute(update(t.AlertRow).where(t.AlertRow.id == alert_id).values(escalated_at=at))

    def monitored_patients_without_open_missed(self) -> list[tuple[UUID, datetime | None, datetime]]:
        """Patients with their own sign-in (so check-ins are expected) and no open 'missed' alert:
        (patient, last check-in, monitored since)."""
        open_missed = select(t.AlertRow.patient_id).where(t.AlertRow.rule == "missed",
                                                          t.AlertRow.state != AlertState.RESOLVED.value)
        last = (select(t.CheckInRow.patient_id, func.max(t.CheckInRow.submitted_at).label("last"))
                .group_by(t.CheckInRow.patient_id).subquery())
        rows = self.db.execute(
            select(t.UserRow.patient_id, last.c.last, t.UserRow.created_at)
            .outerjoin(last, last.c.patient_id == t.UserRow.patient_id)
            .where(t.UserRow.role == Role.PATIENT.value, t.UserRow.active.is_(True),
                   t.UserRow.patient_id.is_not(None), t.UserRow.patient_id.not_in(open_missed)))
        return [(pid, _aware(last_at), _aware(since)) for pid, last_at, since in rows]

    def reminder_candidates(self) -> list[tuple[UUID, str, datetime, date | None]]:
        """Patients with an active sign-in: (patient, email, her last check-in or else when her
        sign-in was made, the day of the last check-in reminder she was sent)."""
        last = (select(t.CheckInRow.patient_id, func.max(t.CheckInRow.submitted_at).label("last"))
                .group_by(t.CheckInRow.patient_id).subquery())
        reminded = (select(t.ReminderRow.patient_id, func.max(t.ReminderRow.week_of).label("week_of"))
                    .group_by(t.ReminderRow.patient_id).subquery())
        rows = self.db.execute(
            select(t.UserRow.patient_id, t.UserRow.email, last.c.last, t.UserRow.created_at, reminded.c.week_of)
            .outerjoin(last, last.c.patient_id == t.UserRow.patient_id)
            .outerjoin(reminded, reminded.c.patient_id == t.UserRow.patient_id)
            .where(t.UserRow.role == Role.PATIENT.value, t.UserRow.active.is_(True), t.UserRow.patient_id.is_not(None)))
        return [(pid, email, _aware(last_at or created), week_of) for pid, email, last_at, created, week_of in rows]

    def record_reminder(self, patient_id: UUID, week_of: date, at: datetime, target: str) -> None:
        self.db.add(t.ReminderRow(patient_id=patient_id, week_of=week_of, sent_at=at, target=target))
        self.db.flush()

    def due_appointment_reminders(self, after: datetime, until: datetime) -> list[tuple[UUID, UUID, datetime, str]]:
        """Appointments starting in (after, until] of patients with an active sign-in that have had
        no reminder for that start time: (appointment, patient, starts at, email)."""
        appointment, reminder = t.AppointmentRow, t.AppointmentReminderRow
        reminded = (select(reminder.appointment_id)
                    .where(reminder.appointment_id == appointment.id, reminder.starts_at == appointment.starts_at))
        rows = self.db.execute(
            select(appointment.id, appointment.patient_id, appointment.starts_at, t.UserRow.email)
            .join(t.UserRow, t.UserRow.patient_id == appointment.patient_id)
            .where(t.UserRow.role == Role.PATIENT.value, t.UserRow.active.is_(True),
                   appointment.starts_at > after, appointment.starts_at <= until, ~reminded.exists())
            .order_by(appointment.starts_at))
        return [(entry_id, patient_id, _aware(starts_at), email) for entry_id, patient_id, starts_at, email in rows]

    def record_appointment_reminder(self, appointment_id: UUID, starts_at: datetime, at: datetime, target: str) -> None:
        self.db.add(t.AppointmentReminderRow(appointment_id=appointment_id, starts_at=starts_at, sent_at=at,
                                             target=target))
        self.db.flush()

    def acknowledgement_pairs(self, team_id: UUID, since: datetime) -> list[tuple[datetime, datetime | None]]:
        rows = self.db.execute(select(t.AlertRow.created_at, t.AlertRow.acknowledged_at).where(
            t.AlertRow.created_at >= since,
            t.AlertRow.patient_id.in_(select(t.CaseloadRow.patient_id).where(t.CaseloadRow.team_id == team_id))))
        return [(created, acknowledged) for created, acknowledged in rows]

    def response_rows(self, team_id: UUID, since: datetime) -> list[AlertTimes]:
        """Every alert raised on the team's caseload since then: its level and when it was raised,
        acknowledged and resolved, in one statement."""
        a = t.AlertRow
        rows = self.db.execute(select(a.level, a.created_at, a.acknowledged_at, a.resolved_at).where(
            a.created_at >= since,
            a.patient_id.in_(select(t.CaseloadRow.patient_id).where(t.CaseloadRow.team_id == team_id))))
        return [AlertTimes(Level(level), created, acknowledged, resolved) for level, created, acknowledged, resolved in rows]


_DELETE_DRAFT = delete(t.CheckInDraftRow.__table__).where(
    t.CheckInDraftRow.__table__.c.patient_id == bindparam("patient_id"))


class CheckInDraftRepository(_Repository):
    """One saved, unsent check-in per patient."""

    def get(self, patient_id: UUID) -> CheckInDraft | None:
        row = self.db.get(t.CheckInDraftRow, patient_id)
        if row is None:
            return None
        return CheckInDraft(row.patient_id, row.answers, row.saved_at, CheckInBy(row.saved_by), row.saved_by_id,
                            row.saved_by_name)

    def put(self, draft: CheckInDraft) -> None:
        row = self.db.get(t.CheckInDraftRow, draft.patient_id)
        if row is None:
            row = t.CheckInDraftRow(patient_id=draft.patient_id)
            self.db.add(row)
        _assign(row, {"answers": draft.answers, "saved_at": draft.saved_at, "saved_by": draft.saved_by.value,
                      "saved_by_id": draft.saved_by_id, "saved_by_name": draft.saved_by_name[:100]})
        self.db.flush()

    def delete(self, patient_id: UUID) -> bool:
        return self._run(_DELETE_DRAFT, {"patient_id": patient_id}).rowcount > 0


@dataclass(frozen=True)
class PendingNotification:
    id: UUID
    alert: Alert | None  # None for a message past its target: then the thread and whose it is
    purpose: str
    channel: str
    target: str
    attempts: int
    thread_id: UUID | None = None
    patient_id: UUID | None = None


_NOTIFICATION_KEY = ("alert_id", "purpose", "channel", "target")
_THREAD_NOTIFICATION_KEY = ("thread_id", "purpose", "channel", "target")
_NOTIFICATION = t.NotificationRow.__table__
_CLAIM_NOTIFICATION = (update(_NOTIFICATION).where(
    _NOTIFICATION.c.id == bindparam("notification_id"), _NOTIFICATION.c.status != "sent",
    _NOTIFICATION.c.attempts < bindparam("max_attempts"),
    or_(_NOTIFICATION.c.claimed_until.is_(None), _NOTIFICATION.c.claimed_until <= bindparam("now", type_=t.UtcDateTime())))
    .values(claimed_until=bindparam("until", type_=t.UtcDateTime())))


class NotificationRepository(_Repository):
    def __init__(self, db: OrmSession):
        super().__init__(db)
        self.queued = False  # since the last commit: the unit of work rings the outbox's bell if so

    def enqueue(self, alert_id: UUID, purpose: str, channel: str, target: str, now: datetime) -> bool:
        """Once per alert, purpose, channel and target: the outbox's unique key keeps out a second.
        True if this call queued it. On PostgreSQL the same transaction notifies the other
        workers' senders, delivered when it commits (store.outbox)."""
        return self._enqueue(_NOTIFICATION_KEY, {"alert_id": alert_id}, purpose, channel, target, now)

    def enqueue_for_thread(self, thread_id: UUID, purpose: str, channel: str, target: str, now: datetime) -> bool:
        """Once per message thread, purpose, channel and target, as `enqueue` is per alert."""
        return self._enqueue(_THREAD_NOTIFICATION_KEY, {"thread_id": thread_id}, purpose, channel, target, now)

    def _enqueue(self, key: tuple[str, ...], about: dict[str, UUID], purpose: str, channel: str, target: str,
                 now: datetime) -> bool:
        once = _insert_unless_present(t.NotificationRow.__table__, self._dialect(), *key)
        queued = self._run(once, {"id": uuid4(), "alert_id": None, "thread_id": None, **about, "purpose": purpose,
                                  "channel": channel, "target": target, "status": "pending", "attempts": 0,
                                  "created_at": now}).first() is not None
        if queued and not self.queued and self._dialect() == "postgresql":
            self._run(outbox.NOTIFY)
        self.queued = self.queued or queued
        return queued

    def due(self, max_attempts: int, limit: int = 100, never_tried: bool = False) -> list[PendingNotification]:
        """Messages to send that no sender holds a live claim on; `never_tried`: only those not
        yet attempted (the sender at commit leaves retries to the periodic pass, so a mail
        server that is down for a minute does not use up a message's attempts in seconds)."""
        notification = t.NotificationRow
        unclaimed = or_(notification.claimed_until.is_(None), notification.claimed_until <= _now())
        tried = notification.attempts == 0 if never_tried else notification.attempts < max_attempts
        thread = t.MessageThreadRow
        rows = self.db.execute(select(notification, t.AlertRow, thread.patient_id)
                               .outerjoin(t.AlertRow, t.AlertRow.id == notification.alert_id)
                               .outerjoin(thread, thread.id == notification.thread_id)
                               .where(notification.status != "sent", tried, unclaimed)
                               .order_by(notification.created_at).limit(limit))
        return [PendingNotification(n.id, _alert(a) if a is not None else None, n.purpose, n.channel, n.target,
                                    n.attempts, n.thread_id, a.patient_id if a is not None else thread_patient)
                for n, a, thread_patient in rows]

    def claim(self, notification_id: UUID, max_attempts: int, lease: timedelta) -> bool:
        """Take a message for `lease` (wall-clock time), if no other sender holds it and it is
        still to send. One UPDATE: the database lets exactly one of two racing senders change
        the row (PostgreSQL re-checks the WHERE once the first commits; SQLite has one writer).
        A sender that dies holding a claim loses it when the lease runs out."""
        now = _now()
        return self._run(_CLAIM_NOTIFICATION, {"notification_id": notification_id, "max_attempts": max_attempts,
                                               "now": now, "until": now + lease}).rowcount == 1

    def record_attempt(self, notification_id: UUID, now: datetime, error: str | None) -> None:
        row = self.db.get(t.NotificationRow, notification_id)
        row.attempts += 1
        row.status = "failed" if error else "sent"
        row.sent_at = None if error else now
        row.last_error = error[:500] if error else None
        row.claimed_until = None
        self.db.flush()

    def all(self) -> list[t.NotificationRow]:
        return list(self.db.scalars(select(t.NotificationRow).order_by(t.NotificationRow.created_at)))


class ResultSharingRepository(_Repository):
    """Her choice of when she sees results, and the results her team has discussed with her."""

    def choice(self, patient_id: UUID) -> SharingChoice | None:
        row = self.db.get(t.ResultSharingRow, patient_id)
        if row is None:
            return None
        since = {slug: datetime.fromisoformat(at) for slug, at in row.since.items()}
        return SharingChoice(ResultSharing.model_validate(row.settings), since, row.version,
                             _aware(row.changed_at), row.changed_by_name)

    def put(self, patient_id: UUID, settings: ResultSharing, since: dict[str, datetime], now: datetime,
            actor: Actor, version: int) -> None:
        row = self.db.get(t.ResultSharingRow, patient_id)
        if row is None:
            row = t.ResultSharingRow(patient_id=patient_id)
            self.db.add(row)
        else:
            _check_version(row, version, "choice of when to see results")
        _assign(row, {"settings": settings.model_dump(mode="json"),
                      "since": {slug: at.astimezone(UTC).isoformat() for slug, at in since.items()},
                      "changed_at": now, "changed_by_id": actor.user_id, "changed_by_name": actor.display_name[:100]})
        _flush(self.db, "choice of when to see results")

    def discussions(self, patient_id: UUID) -> dict[UUID, Discussion]:
        rows = self.db.scalars(select(t.ResultDiscussionRow).where(t.ResultDiscussionRow.patient_id == patient_id))
        return {r.entry_id: Discussion(r.entry_id, r.kind, _aware(r.discussed_at), r.discussed_by_name) for r in rows}

    def discussed_at(self, patient_id: UUID) -> dict[UUID, datetime]:
        row = t.ResultDiscussionRow
        found = self.db.execute(select(row.entry_id, row.discussed_at).where(row.patient_id == patient_id))
        return {entry_id: _aware(at) for entry_id, at in found}

    def mark_discussed(self, patient_id: UUID, kind: str, entry_id: UUID, now: datetime, actor: Actor) -> Discussion:
        once = _insert_unless_present(t.ResultDiscussionRow.__table__, self._dialect(), "entry_id")
        self._run(once, {"entry_id": entry_id, "patient_id": patient_id, "kind": kind, "discussed_at": now,
                         "discussed_by_id": actor.user_id, "discussed_by_name": actor.display_name[:100]})
        return self.discussions(patient_id)[entry_id]
