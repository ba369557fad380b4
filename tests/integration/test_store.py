"""Storage on both databases: migrations, the mapping of every kind, versions, time zones."""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from alongside.domain import accounts, monitoring, services
from alongside.domain.errors import NotFound, VersionConflict
from alongside.domain.records import RECORD_KINDS
from alongside.store.database import held_alone, session_factory
from alongside.store.unit_of_work import UnitOfWork
from alongside.store.tables import ROW_FOR_KIND, Base

from ..factories import sample

STORE_COLUMNS = {"id", "patient_id", "version", "created_at", "updated_at"}


def test_migrations_build_exactly_the_mapped_schema(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata)
    assert differences == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)


@pytest.mark.parametrize("slug", list(RECORD_KINDS))
def test_every_model_field_has_a_column_of_the_same_name(slug):
    columns = {c.name for c in ROW_FOR_KIND[slug].__table__.columns} - STORE_COLUMNS
    assert columns == set(RECORD_KINDS[slug].model.model_fields)


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(engine, backend):
    if backend != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000


@pytest.mark.parametrize("slug", list(RECORD_KINDS))
def test_each_kind_comes_back_as_it_was_saved(new_uow, world, slug):
    nurse = _actor(new_uow, world.nurse)
    with new_uow() as uow:
        if RECORD_KINDS[slug].submitted_only:  # a check-in goes in through its own use case
            added = monitoring.submit_check_in(uow, nurse, world.patient_a, sample(slug), None,
                                               monitoring.MonitoringSettings()).check_in
        else:
            added = services.add_entry(uow, nurse, world.patient_a, slug, sample(slug, world.course_a))
        uow.commit()
    with new_uow() as uow:
        read = services.read_entry(uow, nurse, world.patient_a, slug, added.id)
    assert read.data == added.data
    assert read.version == 1


@pytest.mark.parametrize("slug", list(RECORD_KINDS))
def test_a_list_gives_each_entry_as_reading_it_alone_does(new_uow, world, slug):
    """A list is read by each column's place in the row and without the patient id column; an
    entry read by its id is read by name: both give the same entry, field for field."""
    nurse = _actor(new_uow, world.nurse)
    with new_uow() as uow:
        if RECORD_KINDS[slug].submitted_only:
            monitoring.submit_check_in(uow, nurse, world.patient_a, sample(slug), None, monitoring.MonitoringSettings())
        else:
            services.add_entry(uow, nurse, world.patient_a, slug, sample(slug, world.course_a))
        uow.commit()
    with new_uow() as uow:
        listed = uow.records.list(world.patient_a, RECORD_KINDS[slug])
        assert listed
        for entry in listed:
            assert entry == uow.records.find(world.patient_a, RECORD_KINDS[slug], entry.id)
            assert entry.patient_id == world.patient_a


def test_the_symptoms_of_check_ins_from_a_moment_come_back_oldest_first(new_uow, world):
    nurse = _actor(new_uow, world.nurse)
    day = lambda n: datetime(2026, 3, n, 9, 0, tzinfo=UTC)  # noqa: E731
    with new_uow() as uow:
        for n, severity in ((15, 2), (1, 0), (8, 3)):
            monitoring.submit_check_in(uow, nurse, world.patient_a, {
                "submitted_at": day(n).isoformat(), "symptoms": {"fatigue": {"severity": severity, "interference": 1}},
                "burden": {"pain": 1}}, None, monitoring.MonitoringSettings(), now=day(30))
        uow.commit()
    with new_uow() as uow:
        since = uow.records.symptoms_since(world.patient_a, day(8))
        every = uow.records.symptoms_since(world.patient_a, None)
        whole = {e.data.submitted_at: e.data for e in uow.records.list(world.patient_a, RECORD_KINDS["check-ins"])}
    assert [at for at, _ in since] == [day(8), day(15)]
    assert [at for at, _ in every] == [day(1), day(8), day(15)]
    assert since[0][1]["fatigue"].severity == 3
    for at, symptoms in every:  # the same answers, graded as the whole check-in is
        assert symptoms == whole[at].symptoms
        assert monitoring.worst_symptom_grade(symptoms) == max(monitoring.grade_symptoms(whole[at]).values())
    assert monitoring.worst_symptom_grade({}) == 0


def test_times_are_stored_in_utc_and_come_back_aware(new_uow, world):
    nurse = _actor(new_uow, world.nurse)
    with new_uow() as uow:
        added = services.add_entry(uow, nurse, world.patient_a, "appointments",
                                   {"starts_at": "2030-07-01T09:30:00+01:00", "kind": "oncology_clinic"})
        uow.commit()
    with new_uow() as uow:
        read = services.read_entry(uow, nurse, world.patient_a, "appointments", added.id)
    assert read.data.starts_at == datetime(2030, 7, 1, 8, 30, tzinfo=UTC)
    assert read.data.starts_at.utcoffset().total_seconds() == 0


def test_an_edit_of_an_old_version_is_refused_and_changes_nothing(new_uow, world):
    nurse = _actor(new_uow, world.nurse)
    slug, entry_id = "scans", world.entries_b["scans"]
    with new_uow() as uow:
        services.update_entry(uow, nurse, world.patient_b, slug, entry_id, {**sample(slug), "impression": "responding"}, 1)
        uow.commit()
    with new_uow() as uow, pytest.raises(VersionConflict):
        services.update_entry(uow, nurse, world.patient_b, slug, entry_id, {**sample(slug), "impression": "progressing"}, 1)
    with new_uow() as uow:
        entry = services.read_entry(uow, nurse, world.patient_b, slug, entry_id)
    assert (entry.version, entry.data.impression.value) == (2, "responding")


def test_two_sessions_racing_on_one_version_leave_one_winner(new_uow, world):
    nurse = _actor(new_uow, world.nurse)
    slug, entry_id = "goals", world.entries_b["goals"]
    first, second = new_uow(), new_uow()
    with first, second:
        services.update_entry(first, nurse, world.patient_b, slug, entry_id, {**sample(slug), "in_own_words": "first"}, 1)
        first.commit()
        with pytest.raises(VersionConflict):
            services.update_entry(second, nurse, world.patient_b, slug, entry_id, {**sample(slug), "in_own_words": "second"}, 1)
    with new_uow() as uow:
        assert services.read_entry(uow, nurse, world.patient_b, slug, entry_id).data.in_own_words == "first"


def test_an_entry_of_another_patient_is_not_found_through_this_one(new_uow, world):
    nurse = _actor(new_uow, world.nurse)
    with new_uow() as uow, pytest.raises(NotFound):
        services.read_entry(uow, nurse, world.patient_a, "scans", world.entries_b["scans"])


def test_a_dose_change_must_point_at_a_treatment_of_the_same_patient(new_uow, world):
    nurse = _actor(new_uow, world.nurse)
    with new_uow() as uow:
        with pytest.raises(Exception) as caught:
            services.add_entry(uow, nurse, world.patient_a, "dose-changes", sample("dose-changes", world.course_b))
    assert caught.value.errors[0]["field"] == "course_id"


def test_a_retried_create_with_the_same_id_adds_one_entry(new_uow, world):
    nurse = _actor(new_uow, world.nurse)
    entry_id = uuid4()
    for _ in range(2):
        with new_uow() as uow:
            services.add_entry(uow, nurse, world.patient_a, "goals", sample("goals"), entry_id)
            uow.commit()
    with new_uow() as uow:
        assert [e.id for e in services.list_entries(uow, nurse, world.patient_a, "goals")] == [entry_id]


def _actor(new_uow, person):
    with new_uow() as uow:
        return accounts.actor_for(uow.users.get(person.user_id))


def test_a_lock_held_alone_is_refused_to_a_second_holder_until_let_go(engine):
    with held_alone(engine, "monitor") as first:
        with held_alone(engine, "monitor") as second, held_alone(engine, "another") as other:
            assert (first, second, other) == (True, False, True)
    with held_alone(engine, "monitor") as again:
        assert again


@pytest.mark.parametrize("since_day, baseline_day", [
    (None, 1),  # no current treatment: the first check-in ever
    (10, 15),  # the first check-in since the current treatment began
    (25, 1),  # none since it began (before this one): the first ever again
])
def test_a_check_in_is_compared_with_the_last_before_it_and_its_baseline(new_uow, world, since_day, baseline_day):
    nurse = _actor(new_uow, world.nurse)
    day = lambda n: datetime(2026, 3, n, 9, 0, tzinfo=UTC)  # noqa: E731
    with new_uow() as uow:
        for n in (1, 8, 15, 22, 29):
            answers = {"submitted_at": day(n).isoformat(), "burden": {"pain": 1}}  # a blank one is refused
            monitoring.submit_check_in(uow, nurse, world.patient_a, answers, None, monitoring.MonitoringSettings(),
                                       now=day(30))
        uow.commit()
    with new_uow() as uow:
        previous, baseline = uow.records.check_ins_around(world.patient_a, day(23),
                                                          day(since_day) if since_day else None)
        assert (previous.data.submitted_at, baseline.data.submitted_at) == (day(22), day(baseline_day))
        assert uow.records.check_ins_around(world.patient_a, day(1), day(1)) == (None, None)  # nothing before


def _another_worker_could_write(database: str) -> bool:
    """Whether another process could take the writer's flock now (it opens the file as we do)."""
    descriptor = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


def test_sqlite_writers_of_other_workers_wait_from_the_first_write_to_the_commit(engine, backend, world):
    if backend != "sqlite":
        pytest.skip("PostgreSQL has row locks")
    nurse = _actor(lambda: UnitOfWork(session_factory(engine)), world.nurse)
    with UnitOfWork(session_factory(engine), serialise=True) as uow:
        services.list_entries(uow, nurse, world.patient_a, "treatment-courses")  # reads, and an audit event
        assert _another_worker_could_write(engine.url.database)
        services.add_entry(uow, nurse, world.patient_a, "goals", sample("goals"))
        assert not _another_worker_could_write(engine.url.database)
        uow.commit()
        assert _another_worker_could_write(engine.url.database)
    with UnitOfWork(session_factory(engine)) as uow:
        assert [e.what for e in uow.audit.for_patient(world.patient_a)[:2]] == ["goals", "treatment-courses"]
