"""`alongside backup` and `alongside restore` on both databases: a populated service backed up,
destroyed and restored finds every row (records, documents, check-ins, alerts, the audit trail)
and every document byte for byte; a damaged, altered or escaping archive, or a database already
in use, is refused and changes nothing."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from alongside.domain import accounts, documents, monitoring
from alongside.domain.monitoring import MonitoringSettings
from alongside.store import tables as t
from alongside.store.backup import BackupError, backup, restore, verify
from alongside.store.database import make_engine, normalise_url, session_factory
from alongside.store.documents import LocalFileStore
from alongside.store.unit_of_work import UnitOfWork

from ..conftest import POSTGRES_URL

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def run_cli(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ALONGSIDE_DATABASE_URL": database_url, "ALONGSIDE_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "alongside.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def service(new_uow, world, data_dir):
    """The world, with documents for both patients, a red check-in with its alerts, and the audit they left."""
    files = LocalFileStore(data_dir)
    with new_uow() as uow:
        alice = accounts.actor_for(uow.users.get(world.alice.user_id))
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        for patient, actor, content in ((world.patient_a, alice, PDF), (world.patient_b, nurse, PNG)):
            documents.upload_care_document(uow, actor, patient, {"kind": "advance_care_plan", "title": "My plan",
                                                                 "dated": "2026-10-01"}, io.BytesIO(content), files)
        outcome = monitoring.submit_check_in(uow, alice, world.patient_a,
                                             {"red_flags": {"new_back_pain": True}}, None, MonitoringSettings())
        assert outcome.alerts  # the backup must carry alerts, not only records
        uow.commit()
    return world


def every_row(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: what a restore must give back exactly."""
    with engine.connect() as connection:
        return {table.name: [tuple(row) for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in t.Base.metadata.sorted_tables}


def document_bytes(engine: Engine, data_dir: Path) -> dict[str, bytes]:
    files = LocalFileStore(data_dir)
    with engine.connect() as connection:
        rows = connection.execute(select(t.CareDocumentRow.id, t.CareDocumentRow.patient_id,
                                         t.CareDocumentRow.sha256)).all()
    found = {}
    for document_id, patient_id, sha256 in rows:
        content = b"".join(files.read(patient_id, document_id))
        assert hashlib.sha256(content).hexdigest() == sha256
        found[str(document_id)] = content
    return found


@pytest.fixture
def empty_target(backend, database_url, tmp_path):
    """Where a restore may go: a new SQLite path, or a new PostgreSQL database (dropped afterwards)
    reached with the same search path as the database under test, so no other test's schema is touched."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'alongside.db'}"
        return
    name = f"alongside_restore_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(normalise_url(database_url)).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.engine.dispose()


def destroy(backend: str, database_url: str, engine: Engine, data_dir: Path, empty_target: str) -> str:
    """Lose the database and the documents; the URL to restore into. SQLite: the very file,
    deleted. PostgreSQL: a new, empty database (the schema under test is shared by the session)."""
    shutil.rmtree(data_dir)
    if backend != "sqlite":
        return empty_target
    engine.dispose()
    database = Path(make_url(database_url).database)
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        path.unlink(missing_ok=True)
    return database_url


def test_backup_destroy_restore_finds_every_record_document_and_audit_row(backend, database_url, engine, service,
                                                                         data_dir, empty_target, tmp_path):
    before, files_before = every_row(engine), document_bytes(engine, data_dir)
    assert before["audit_event"] and before["alert"] and before["check_in"] and len(files_before) == 2
    archive = tmp_path / "backups" / "alongside.tar.gz"
    made = run_cli(database_url, data_dir, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert "2 documents" in made.stdout
    with engine.connect() as connection:  # the copy is in the trail of the database copied
        assert connection.execute(select(t.AuditEventRow.action, t.AuditEventRow.what)
                                  .order_by(t.AuditEventRow.id.desc()).limit(1)).one() == ("backup", "all-records")

    target = destroy(backend, database_url, engine, data_dir, empty_target)
    restored = run_cli(target, data_dir, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "nothing more to do" in restored.stdout

    restored_engine = make_engine(target)
    try:
        restored_rows = every_row(restored_engine)
        audit = restored_rows.pop("audit_event")
        assert restored_rows == {name: rows for name, rows in before.items() if name != "audit_event"}
        assert audit[:-1] == before["audit_event"]
        assert (audit[-1][5], audit[-1][7]) == ("restore", "all-records")  # the trail says it was put back
        assert document_bytes(restored_engine, data_dir) == files_before
        # The restored service takes new writes: its audit ids (a sequence on PostgreSQL) go on.
        with UnitOfWork(session_factory(restored_engine)) as uow:
            alice = accounts.actor_for(uow.users.get(service.alice.user_id))
            monitoring.submit_check_in(uow, alice, service.patient_a, {"burden": {"pain": 1}}, None,
                                       MonitoringSettings())
            uow.commit()
        after = every_row(restored_engine)
        assert len(after["audit_event"]) > len(before["audit_event"])
        assert after["audit_event"][:len(before["audit_event"])] == before["audit_event"]
    finally:
        restored_engine.dispose()


def test_the_manifest_names_every_file_with_its_checksum_and_counts_every_table(database_url, engine, service,
                                                                               data_dir, tmp_path, backend):
    manifest = backup(database_url, data_dir, tmp_path / "b.tar.gz")
    with tarfile.open(tmp_path / "b.tar.gz") as archive:
        names = sorted(archive.getnames())
        contents = {name: archive.extractfile(name).read() for name in names}
    assert names == sorted([*manifest.files, "manifest.json"])
    assert all(hashlib.sha256(contents[name]).hexdigest() == entry["sha256"] for name, entry in manifest.files.items())
    assert manifest.database == backend and manifest.documents == 2
    with engine.connect() as connection:
        # the backup's own audit row is written once the copy is made, so it is not in the copy
        assert manifest.counts["audit_event"] == connection.scalar(text("SELECT count(*) FROM audit_event")) - 1
        assert manifest.alembic_revision == connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert verify(tmp_path / "b.tar.gz") == manifest


def repack(source: Path, out: Path, change=None, extra: tuple[str, bytes] | None = None) -> None:
    """A copy of the archive with one member changed by `change(name, bytes)`, or one more member."""
    with tarfile.open(source) as old, tarfile.open(out, "w:gz") as new:
        for member in old:
            content = old.extractfile(member).read()
            content = change(member.name, content) if change else content
            member.size = len(content)
            new.addfile(member, io.BytesIO(content))
        if extra:
            info = tarfile.TarInfo(extra[0])
            info.size = len(extra[1])
            new.addfile(info, io.BytesIO(extra[1]))


def one_byte_changed(name: str, content: bytes) -> bytes:
    if not name.startswith("documents/") or not content.startswith(b"%PDF"):
        return content
    return content[:20] + bytes([content[20] ^ 1]) + content[21:]


def test_an_archive_with_one_byte_changed_is_refused_naming_the_file(database_url, service, data_dir, tmp_path,
                                                                     empty_target):
    backup(database_url, data_dir, tmp_path / "good.tar.gz")
    repack(tmp_path / "good.tar.gz", tmp_path / "altered.tar.gz", change=one_byte_changed)
    pdf = next(p for p in (data_dir / "documents").rglob("*") if p.is_file() and p.read_bytes() == PDF)
    restored_docs = tmp_path / "restored-data"
    with pytest.raises(BackupError, match=rf"documents/{pdf.parent.name}/{pdf.name} does not match its SHA-256"):
        restore(tmp_path / "altered.tar.gz", empty_target, restored_docs)
    assert_nothing_restored(empty_target, restored_docs)
    result = run_cli(empty_target, restored_docs, "restore", "--verify-only", str(tmp_path / "altered.tar.gz"))
    assert result.returncode == 2 and "does not match" in result.stderr


def test_a_damaged_archive_is_refused_and_restores_nothing(database_url, service, data_dir, tmp_path, empty_target):
    backup(database_url, data_dir, tmp_path / "good.tar.gz")
    raw = bytearray((tmp_path / "good.tar.gz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # a byte in the middle of the compressed stream, as a failing disk might
    (tmp_path / "damaged.tar.gz").write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="nothing was restored"):
        restore(tmp_path / "damaged.tar.gz", empty_target, tmp_path / "restored-data")
    assert_nothing_restored(empty_target, tmp_path / "restored-data")


@pytest.mark.parametrize("escaping", ["../outside.txt", "documents/../../outside.txt", "/tmp/alongside-outside.txt"])
def test_an_entry_that_escapes_the_restore_folder_is_refused(database_url, service, data_dir, tmp_path,
                                                             empty_target, escaping):
    backup(database_url, data_dir, tmp_path / "good.tar.gz")
    repack(tmp_path / "good.tar.gz", tmp_path / "escaping.tar.gz", extra=(escaping, b"written outside"))
    restored_docs = tmp_path / "deep" / "restored-data"
    with pytest.raises(BackupError, match="points outside the restore folder"):
        restore(tmp_path / "escaping.tar.gz", empty_target, restored_docs)
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "deep" / "outside.txt").exists()
    assert not Path("/tmp/alongside-outside.txt").exists()
    assert_nothing_restored(empty_target, restored_docs)


def test_a_database_in_use_is_not_replaced_without_force(database_url, service, data_dir, tmp_path, empty_target):
    backup(database_url, data_dir, tmp_path / "first.tar.gz")
    target_docs = tmp_path / "target-data"
    restore(tmp_path / "first.tar.gz", empty_target, target_docs)  # now the target holds the service
    target = make_engine(empty_target)
    try:
        with target.begin() as connection:  # and something written since
            connection.execute(text("DELETE FROM audit_event WHERE id IN (SELECT id FROM audit_event LIMIT 1)"))
        held = every_row(target)
        result = run_cli(empty_target, target_docs, "restore", str(tmp_path / "first.tar.gz"))
        assert result.returncode == 2 and "--force" in result.stderr
        assert every_row(target) == held
        target.dispose()
        forced = run_cli(empty_target, target_docs, "restore", "--force", str(tmp_path / "first.tar.gz"))
        assert forced.returncode == 0, forced.stderr
        assert len(every_row(target)["audit_event"]) == len(held["audit_event"]) + 1
    finally:
        target.dispose()


def assert_nothing_restored(target_url: str, data_dir: Path) -> None:
    assert not (data_dir / "documents").exists()
    url = make_url(normalise_url(target_url))
    if url.get_backend_name() == "sqlite":
        assert not Path(url.database).exists()
        return
    engine = make_engine(target_url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM information_schema.tables "
                                          "WHERE table_schema = current_schema()")) in (0, None)
    finally:
        engine.dispose()
