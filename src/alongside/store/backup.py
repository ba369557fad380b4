"""Back up and restore a whole service: the database and the uploaded documents in one archive.

The archive is a .tar.gz holding the database (`database.sqlite3`, a copy made with SQLite's
online backup API, or `database.sql`, PostgreSQL's `pg_dump` of the service's schema), the
documents folder as `documents/...`, and `manifest.json`: what was backed up, when, from which
version and migration, how many rows each table held, and the SHA-256 of every file.

A restore checks every file against the manifest, and every name, before it changes anything,
and then replaces the database and the documents folder whole (a new SQLite file renamed over
the old one; one PostgreSQL transaction; a new documents folder renamed into place).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL, make_url

from .. import __version__
from ..domain.people import SYSTEM
from .database import make_engine, normalise_url, session_factory
from .documents import fsync_folder
from .migrate import alembic_config
from .unit_of_work import UnitOfWork

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_DUMP = "database.sqlite3"
POSTGRES_DUMP = "database.sql"
DOCUMENTS = "documents"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    database: str  # "sqlite" or "postgresql"
    alembic_revision: str | None
    counts: dict[str, int]  # rows per table at the moment of the backup
    files: dict[str, dict]  # archive name -> {"sha256": ..., "bytes": ...}
    schema: str | None = None  # PostgreSQL: the schema dumped (its name is in the dump)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    app_version: str = __version__
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format_version") != FORMAT_VERSION:
                raise BackupError(f"{MANIFEST}: format version {data.get('format_version')} is not one this "
                                  f"version of Alongside reads ({FORMAT_VERSION})")
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{MANIFEST} is not a backup manifest ({exc})") from None

    @property
    def documents(self) -> int:
        return sum(1 for name in self.files if name.startswith(DOCUMENTS + "/"))


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    code_revision: str

    @property
    def advice(self) -> str:
        """What to do next, from the restored migration and the code's."""
        if self.manifest.alembic_revision == self.code_revision:
            return "The database is at this version's migration; nothing more to do."
        known = {script.revision for script in _scripts().walk_revisions()}
        if self.manifest.alembic_revision in known:
            return (f"The backup is at migration {self.manifest.alembic_revision}, older than this version's "
                    f"{self.code_revision}: run `alongside db upgrade` before serving.")
        return (f"The backup is at migration {self.manifest.alembic_revision}, which this version of Alongside "
                f"does not know (it was made by a newer one, {self.manifest.app_version}): install that version "
                f"or newer before serving.")


# --- Backing up -----------------------------------------------------------------------------------

def backup(database_url: str, data_dir: Path, destination: Path) -> Manifest:
    """Write one archive of the database and the documents under `data_dir` to `destination`.
    Safe while the service runs: SQLite is copied by its online backup API, PostgreSQL dumped
    from one snapshot, whose row counts the manifest records."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".alongside-backup-") as work:
        work = Path(work)
        url = make_url(normalise_url(database_url))
        if url.get_backend_name() == "sqlite":
            dump, manifest = _dump_sqlite(url, work)
        else:
            dump, manifest = _dump_postgres(url, work)
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            files = {dump.name: _add(archive, dump.name, dump)}
            for path in _document_files(Path(data_dir) / DOCUMENTS):
                name = f"{DOCUMENTS}/{path.relative_to(Path(data_dir) / DOCUMENTS).as_posix()}"
                files[name] = _add(archive, name, path)
            manifest = Manifest(manifest.database, manifest.alembic_revision, manifest.counts, files, manifest.schema)
            _add_bytes(archive, MANIFEST, manifest.to_json())
        _fsync(partial)
        os.replace(partial, destination)
        fsync_folder(destination.parent)
    _audit(url, "backup")
    return manifest


def _document_files(folder: Path) -> list[Path]:
    # A ".partial" file is an upload still being written: not yet a document.
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and p.suffix != ".partial")


def _dump_sqlite(url: URL, work: Path) -> tuple[Path, Manifest]:
    source_path = url.database
    if not source_path or source_path == ":memory:" or not Path(source_path).is_file():
        raise BackupError(f"There is no SQLite database at {source_path}")
    dump = work / SQLITE_DUMP
    source = sqlite3.connect(source_path, timeout=15)
    copy = sqlite3.connect(dump)
    try:
        source.backup(copy)  # page by page, consistent, while others read and write
        counts, revision = _sqlite_counts(copy)
    finally:
        copy.close()
        source.close()
    return dump, Manifest("sqlite", revision, counts, {})


def _sqlite_counts(connection: sqlite3.Connection) -> tuple[dict[str, int], str | None]:
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
    revision = None
    if "alembic_version" in counts:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return counts, revision


def _dump_postgres(url: URL, work: Path) -> tuple[Path, Manifest]:
    pg_dump = _tool("pg_dump")
    dump = work / POSTGRES_DUMP
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # pg_dump reads the snapshot this transaction holds, so the counts are of the same moment.
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            schema = connection.scalar(text("SELECT current_schema()"))
            counts, revision = _postgres_counts(connection, schema)
            _run([pg_dump, "--format=plain", "--no-owner", "--no-privileges", f"--schema={schema}",
                  f"--snapshot={snapshot}", f"--file={dump}"], url)
            connection.rollback()
    finally:
        engine.dispose()
    return dump, Manifest("postgresql", revision, counts, {}, schema)


def _postgres_counts_at(url: URL, schema: str) -> dict[str, int]:
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            return _postgres_counts(connection, schema)[0]
    finally:
        engine.dispose()


def _postgres_counts(connection: Connection, schema: str) -> tuple[dict[str, int], str | None]:
    tables = sorted(inspect(connection).get_table_names(schema=schema))
    counts = {name: connection.scalar(text(f'SELECT count(*) FROM "{schema}"."{name}"')) for name in tables}
    revision = None
    if "alembic_version" in counts:
        revision = connection.scalar(text(f'SELECT version_num FROM "{schema}".alembic_version'))
    return counts, revision


def _add(archive: tarfile.TarFile, name: str, path: Path) -> dict:
    with path.open("rb") as source:
        hashing = _Hashing(source)
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = path.stat().st_size, 0o600, int(path.stat().st_mtime)
        archive.addfile(info, hashing)
    return {"sha256": hashing.digest.hexdigest(), "bytes": info.size}


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(content), 0o600, int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(content))


class _Hashing:
    """A file read through, its SHA-256 taken on the way (tarfile reads it exactly once)."""

    def __init__(self, source: BinaryIO):
        self._source, self.digest = source, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self.digest.update(chunk)
        return chunk


# --- Checking an archive ----------------------------------------------------------------------------

def verify(archive: Path) -> Manifest:
    """The archive's manifest, once every file in it has been checked against it; changes nothing."""
    with tempfile.TemporaryDirectory(prefix=".alongside-verify-") as work:
        return _unpack(Path(archive), Path(work))


def _unpack(archive: Path, work: Path) -> Manifest:
    """Unpack into `work` (nowhere else), refusing unsafe names, and check every file's SHA-256."""
    if not archive.is_file():
        raise BackupError(f"There is no archive at {archive}")
    found: dict[str, str] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = _safe_name(member)
                if member.isdir():
                    continue
                if name in found:
                    raise BackupError(f"{name} is in the archive twice; nothing was restored")
                target = work / "unpacked" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, target.open("wb") as out:
                    hashing = _Hashing(source)
                    while chunk := hashing.read(CHUNK):
                        out.write(chunk)
                found[name] = hashing.digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{archive} is not a readable backup archive ({exc}); nothing was restored") from None
    if MANIFEST not in found:
        raise BackupError(f"{archive} has no {MANIFEST}: it is not an Alongside backup; nothing was restored")
    manifest = Manifest.from_json((work / "unpacked" / MANIFEST).read_bytes())
    del found[MANIFEST]
    for name, expected in manifest.files.items():
        if name not in found:
            raise BackupError(f"{name} is in the manifest but missing from the archive; nothing was restored")
        if found[name] != expected["sha256"]:
            raise BackupError(f"{name} does not match its SHA-256 in the manifest: the archive is damaged or "
                              f"was changed; nothing was restored")
    if extra := sorted(set(found) - set(manifest.files)):
        raise BackupError(f"{extra[0]} is in the archive but not in its manifest; nothing was restored")
    return manifest


def _safe_name(member: tarfile.TarInfo) -> str:
    """The member's name if it stays inside the archive's folder and is a plain file or folder."""
    name = member.name
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not path.parts or name.startswith("~"):
        raise BackupError(f"The archive entry {name!r} points outside the restore folder; nothing was restored")
    if not (member.isfile() or member.isdir()):
        raise BackupError(f"The archive entry {name!r} is a link or a device, not a file; nothing was restored")
    return path.as_posix()


# --- Restoring --------------------------------------------------------------------------------------

def restore(archive: Path, database_url: str, data_dir: Path, force: bool = False) -> Restored:
    """Put back the database and the documents from `archive`, after checking all of it.

    Refuses a database (or documents folder) that already holds something unless `force`.
    Stop the service first: a restore replaces what it is using."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = make_url(normalise_url(database_url))
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".alongside-restore-") as work:
        work = Path(work)
        manifest = _unpack(Path(archive), work)
        unpacked = work / "unpacked"
        kind = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
        if manifest.database != kind:
            raise BackupError(f"This is a backup of a {manifest.database} database; it cannot be restored into "
                              f"{kind}. Nothing was restored")
        documents = data_dir / DOCUMENTS
        if not force:
            _refuse_if_in_use(url, manifest, documents)
        if kind == "sqlite":
            _restore_sqlite(unpacked / SQLITE_DUMP, url, manifest)
        else:
            _restore_postgres(unpacked / POSTGRES_DUMP, url, manifest, force)
        _swap_documents(unpacked / DOCUMENTS, documents, work)
    _audit(url, "restore")
    return Restored(manifest, _scripts().get_current_head())


def _refuse_if_in_use(url: URL, manifest: Manifest, documents: Path) -> None:
    held = _rows_held(url, manifest)
    if held:
        raise BackupError(f"The database already holds {held} rows; restoring would replace them. "
                          f"Give --force to replace them. Nothing was restored")
    if _document_files(documents):
        raise BackupError(f"{documents} already holds documents; restoring would replace them. "
                          f"Give --force to replace them. Nothing was restored")


def _rows_held(url: URL, manifest: Manifest) -> int:
    """Rows in the target's tables, other than the migration marker (a freshly migrated database is empty)."""
    if url.get_backend_name() == "sqlite":
        if not url.database or not Path(url.database).is_file():
            return 0
        with _sqlite(url.database) as connection:
            counts, _ = _sqlite_counts(connection)
    else:
        counts = _postgres_counts_at(url, manifest.schema)
    return sum(count for name, count in counts.items() if name != "alembic_version")


def _restore_sqlite(dump: Path, url: URL, manifest: Manifest) -> None:
    target = Path(url.database)
    with _sqlite(dump) as connection:
        if (problem := connection.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            raise BackupError(f"{SQLITE_DUMP} fails SQLite's integrity check ({problem}); nothing was restored")
        counts, _ = _sqlite_counts(connection)
    _check_counts(counts, manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(dump, partial)
    os.chmod(partial, 0o600)
    _fsync(partial)
    # The old database's write-ahead log belongs to the old file: left beside the new one, SQLite
    # would replay it into it.
    for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(partial, target)
    fsync_folder(target.parent)


def _restore_postgres(dump: Path, url: URL, manifest: Manifest, force: bool) -> None:
    psql = _tool("psql")
    _check_search_path(url, manifest.schema)
    # One transaction: the old schema dropped (a new database's empty one too: the dump creates it)
    # and the dump read, or, on any error, neither.
    _run([psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
          f'--command=DROP SCHEMA IF EXISTS "{manifest.schema}" CASCADE', f"--file={dump}"], url)
    _check_counts(_postgres_counts_at(url, manifest.schema), manifest, restored=True)


def _check_search_path(url: URL, schema: str) -> None:
    """The service must find the restored schema: it has to be on the target URL's search path."""
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            user = connection.scalar(text("SELECT current_user"))
            path = connection.scalar(text("SHOW search_path"))
    finally:
        engine.dispose()
    schemas = [part.strip().strip('"').replace("$user", user) for part in path.split(",")]
    if schema not in schemas:
        raise BackupError(f"The backup is of the schema {schema!r}, which is not on the target's search path "
                          f"({path}); add options=-csearch_path={schema} to the database URL. Nothing was restored")


def _check_counts(counts: dict[str, int], manifest: Manifest, restored: bool = False) -> None:
    for name, expected in manifest.counts.items():
        if counts.get(name) != expected:
            where = "the restored database" if restored else SQLITE_DUMP
            raise BackupError(f"{where} holds {counts.get(name)} rows in {name}, the manifest {expected}"
                              + ("" if restored else "; nothing was restored"))


def _swap_documents(restored: Path, documents: Path, work: Path) -> None:
    """The restored documents folder renamed into place; the old one set aside, then deleted."""
    if not restored.exists():
        restored.mkdir(mode=0o700)
    for path in [restored, *restored.rglob("*")]:
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
        if path.is_file():
            _fsync(path)
    old = work / "documents-replaced"
    if documents.exists():
        os.replace(documents, old)
    os.replace(restored, documents)
    fsync_folder(documents.parent)


# --- Helpers ----------------------------------------------------------------------------------------

def _audit(url: URL, action: str) -> None:
    """Every record was read out (or put back) by the command line: the trail says when."""
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with UnitOfWork(session_factory(engine)) as uow:
            uow.audit.record(SYSTEM, action, None, "all-records")
            uow.commit()
    finally:
        engine.dispose()


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client tools (the same major "
                          f"version as the server or newer, e.g. the postgresql-client package)")
    return found


def _run(command: list[str], url: URL) -> None:
    """Run a PostgreSQL client tool against `url`; the password goes in the environment, not the arguments."""
    env = {**os.environ}
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[variable] = str(value)
    if options := url.query.get("options"):
        env["PGOPTIONS"] = options if isinstance(options, str) else " ".join(options)
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {finished.stderr.strip() or finished.stdout.strip()}")


@contextmanager
def _sqlite(path: Path | str) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=15)  # only read; a plain connection reads a WAL database
    try:
        yield connection
    finally:
        connection.close()


def _fsync(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


