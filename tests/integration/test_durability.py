"""What survives a failed commit or a power cut: document files follow the database's decision,
and SQLite waits for the disk at every commit. Real database, real files, real failing commits
(a constraint broken in the same transaction), on both databases."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from alongside.domain import accounts, documents
from alongside.store import tables as t
from alongside.store.documents import LocalFileStore

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PLAN = {"kind": "advance_care_plan", "title": "My advance care plan", "dated": "2026-10-01"}


@pytest.fixture
def files(tmp_path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "data")


def kept_files(files: LocalFileStore) -> list:
    return sorted(p for p in files.root.rglob("*") if p.is_file()) if files.root.exists() else []


def document_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(t.CareDocumentRow))


def alice(uow, world):
    return accounts.actor_for(uow.users.get(world.alice.user_id))


def upload(uow, world, files):
    return documents.upload_care_document(uow, alice(uow, world), world.patient_a, dict(PLAN), io.BytesIO(PDF), files)


def break_the_commit(uow) -> None:
    """A second team named like the first: the commit's flush fails on the unique name."""
    uow.db.add(t.TeamRow(id=uuid.uuid4(), name="Team One"))


def uploaded(new_uow, world, files):
    with new_uow() as uow:
        stored = upload(uow, world, files)
        uow.commit()
    return stored


def test_a_committed_upload_is_kept_whole_with_no_temporary_file_left(new_uow, world, files, engine):
    stored = uploaded(new_uow, world, files)
    (path,) = kept_files(files)
    assert path.name == str(stored.id) and path.read_bytes() == PDF
    assert document_rows(engine) == 1


def test_an_upload_whose_commit_fails_leaves_no_file(new_uow, world, files, engine):
    with new_uow() as uow:
        upload(uow, world, files)
        assert len(kept_files(files)) == 1  # written and on the disk before the commit
        break_the_commit(uow)
        with pytest.raises(IntegrityError):
            uow.commit()
    assert document_rows(engine) == 0
    assert kept_files(files) == []


def test_an_upload_never_committed_leaves_no_file(new_uow, world, files, engine):
    with new_uow() as uow:
        upload(uow, world, files)
    assert document_rows(engine) == 0 and kept_files(files) == []


def test_a_deletion_whose_commit_fails_keeps_the_document_and_its_file(new_uow, world, files, engine):
    stored = uploaded(new_uow, world, files)
    with new_uow() as uow:
        documents.remove_care_document(uow, alice(uow, world), world.patient_a, stored.id, stored.version, files)
        break_the_commit(uow)
        with pytest.raises(IntegrityError):
            uow.commit()
    assert document_rows(engine) == 1
    (path,) = kept_files(files)
    assert path.read_bytes() == PDF


def test_a_deleted_document_loses_its_file_only_once_the_deletion_is_committed(new_uow, world, files, engine):
    stored = uploaded(new_uow, world, files)
    with new_uow() as uow:
        documents.remove_care_document(uow, alice(uow, world), world.patient_a, stored.id, stored.version, files)
        assert len(kept_files(files)) == 1  # still there while the deletion may yet fail
        uow.commit()
        assert kept_files(files) == []
    assert document_rows(engine) == 0


def test_a_later_transaction_in_the_same_unit_of_work_does_not_remove_a_committed_upload(new_uow, world, files,
                                                                                          engine):
    with new_uow() as uow:
        upload(uow, world, files)
        uow.commit()
        uow.patients.get(world.patient_a)  # a read after the commit begins a new transaction, rolled back at exit
    assert document_rows(engine) == 1 and len(kept_files(files)) == 1


def test_sqlite_waits_for_the_disk_at_every_commit(engine, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL's durability is its own setting (fsync, synchronous_commit), not ours")
    with engine.connect() as connection:
        # 2 is FULL: a commit returns only once it is on the disk, so an acknowledged check-in
        # survives a power cut (NORMAL, 1, could lose the last ones in WAL mode).
        assert connection.scalar(text("PRAGMA synchronous")) == 2
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
