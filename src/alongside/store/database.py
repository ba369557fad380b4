"""Engines for SQLite (the embedded default) and PostgreSQL, configured the same way."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import sessionmaker

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "alongside"
SQLITE_SYNCHRONOUS = "FULL"  # see _sqlite_pragmas


def default_database_url() -> str:
    """ALONGSIDE_DATABASE_URL, else a SQLite file in ALONGSIDE_DATA_DIR (~/.local/share/alongside)."""
    if url := os.environ.get("ALONGSIDE_DATABASE_URL"):
        return url
    data_dir = default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'alongside.db'}"


def default_data_dir() -> Path:
    """ALONGSIDE_DATA_DIR, else ~/.local/share/alongside: the default database and the documents."""
    return Path(os.environ.get("ALONGSIDE_DATA_DIR", DEFAULT_DATA_DIR))


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
        event.listen(engine, "before_cursor_execute", _take_turn_before_writing)
        _WRITER_QUEUES[engine] = WriterQueue(_lock_file(engine, "writer"))
        return engine
    # JIT off: PostgreSQL compiles a statement to machine code when its estimated cost is high,
    # and the caseload's summary of 5,000 people crossed that line, spending about 70 ms compiling
    # for a statement that runs in 100. Our statements are short and repeated; JIT pays off only
    # in long analytic queries (docs/benchmarks.md).
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)
    event.listen(engine, "connect", _postgres_settings)
    return engine


def _postgres_settings(connection, _record) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    connection.commit()  # a SET inside a transaction rolled back would be undone


def _lock_file(engine: Engine, name: str) -> Path | None:
    """The file beside a SQLite database that its processes flock as `name`; None in memory."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(f"{database}.{name}-lock")


def _open_lock_file(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


class WriterQueue:
    """One writer at a time on a SQLite database, queued rather than left to SQLite.

    Every request writes (the audit log, at least), and SQLite takes one writer at a time. Its
    own busy handler sleeps in steps of up to 100 ms, which turns a short queue into long waits.

    - Within a process, the web app's units of work go one at a time, whole, on a plain Lock
      (`threads`; plain, because a request may enter its unit of work on one worker thread and
      leave it on another). Python runs one thread at a time anyway: letting requests' reads
      overlap only set more threads fighting over the interpreter, and check-ins got slower.
    - Across processes serving the same file (several workers), a unit of work queues on an
      flock of a file beside the database only from its first write to the end of its
      transaction (its `WriterTurn`), so one process reads while another writes. The kernel
      hands the flock on in turn, without sleeping."""

    def __init__(self, path: Path | None):
        self.threads = threading.Lock()
        self._path = path
        self._file: int | None = None
        self._opened_by: int | None = None

    def turn(self) -> WriterTurn | None:
        """A unit of work's place among the processes' writers (none for a database in memory)."""
        return WriterTurn(self) if self._path is not None else None

    def lock_file(self) -> None:
        if self._opened_by != os.getpid():  # a forked child needs its own open file to lock
            self._file, self._opened_by = _open_lock_file(self._path), os.getpid()
        fcntl.flock(self._file, fcntl.LOCK_EX)

    def unlock_file(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)


class WriterTurn:
    """A unit of work's place among the processes writing to one SQLite file: taken just before
    its first write, given back when its transaction ends. Reads before it need no turn: the
    SQLite driver starts the transaction at the first write, and until then each read stands
    alone."""

    def __init__(self, queue: WriterQueue):
        self._queue = queue
        self.taken = False

    def take(self) -> None:
        if not self.taken:
            self._queue.lock_file()
            self.taken = True

    def give_back(self) -> None:
        if self.taken:
            self.taken = False
            self._queue.unlock_file()


TURN = "alongside.writer_turn"  # where a connection's info holds the turn of the unit of work using it
READS = ("SELECT", "PRAGMA")


def _take_turn_before_writing(connection, cursor, statement: str, parameters, context, executemany) -> None:
    turn = connection.info.get(TURN)
    if turn is not None and not turn.taken and not statement.lstrip()[:6].upper().startswith(READS):
        turn.take()


_WRITER_QUEUES: WeakKeyDictionary = WeakKeyDictionary()


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The queue a serialised unit of work joins on SQLite (None on PostgreSQL, which has row locks)."""
    return _WRITER_QUEUES.get(engine)


@contextmanager
def held_alone(engine: Engine, name: str) -> Iterator[bool]:
    """Whether this caller, alone among every process using the database, holds the lock `name`
    for the block. It never waits: a caller that finds it taken gets False and should skip its turn.

    PostgreSQL: a session advisory lock. SQLite: an flock of a file beside the database. Both are
    let go if the holder dies, so a crashed monitor never blocks the next one."""
    if engine.dialect.name == "postgresql":
        # Keyed by schema too: databases that share a server by schema (the tests do) lock apart.
        key = text("SELECT hashtext('alongside:' || :name || ':' || current_schema())")
        with engine.connect() as connection:
            number = connection.scalar(key, {"name": name})
            held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:number)"), {"number": number}))
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:number)"), {"number": number})
                    connection.commit()
        return
    path = _lock_file(engine, name)
    if path is None:
        lock = _IN_MEMORY_LOCKS.setdefault((id(engine), name), threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    descriptor = _open_lock_file(path)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        yield held  # closing the file below lets the lock go
    finally:
        os.close(descriptor)


_IN_MEMORY_LOCKS: dict[tuple[int, str], threading.Lock] = {}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets pages be read while a check-in is written; foreign keys are off in SQLite unless asked;
    # the busy timeout makes a second writer wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # FULL: each commit is on the disk before it returns, so a check-in the person was told is
    # kept survives a power cut. NORMAL could lose the last commits; FULL costs little here
    # (measured in docs/admin-guide.md, "Backups and durability").
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    # A larger page cache and memory-mapped reads: the caseload and record pages read indexes
    # of a few hundred MB at 5,000 patients (see docs/benchmarks.md).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
