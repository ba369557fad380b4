"""Engines for SQLite (the embedded default) and PostgreSQL, configured the same way."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "alongside"


def default_database_url() -> str:
    """ALONGSIDE_DATABASE_URL, else a SQLite file in ALONGSIDE_DATA_DIR (~/.local/share/alongside)."""
    if url := os.environ.get("ALONGSIDE_DATABASE_URL"):
        return url
    data_dir = Path(os.environ.get("ALONGSIDE_DATA_DIR", DEFAULT_DATA_DIR))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'alongside.db'}"


def normalise_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = normalise_url(url or default_database_url())
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite has one writer at a time, and every request writes (the audit log). Requests of
        # this process queue on a lock instead of in SQLite's busy handler, which sleeps in steps
        # of up to 100 ms and would turn a short queue into long waits. A plain Lock, because a
        # request may enter its unit of work on one worker thread and leave it on another.
        _WRITER_LOCKS[engine] = threading.Lock()
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)


_WRITER_LOCKS: WeakKeyDictionary = WeakKeyDictionary()


def writer_lock(engine: Engine) -> threading.Lock | None:
    """The lock a unit of work holds on SQLite (None on PostgreSQL, which has row locks)."""
    return _WRITER_LOCKS.get(engine)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets pages be read while a check-in is written; foreign keys are off in SQLite unless asked;
    # the busy timeout makes a second writer wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A larger page cache and memory-mapped reads: the caseload and record pages read indexes
    # of a few hundred MB at 5,000 patients (see docs/benchmarks.md).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
