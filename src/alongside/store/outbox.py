"""Waking the outbox's senders when a transaction that queued a message commits.

A red alert should reach the team in seconds, not at the next monitor pass. So:
- in this process, the unit of work rings a bell (`bell(engine).ring()`) just after a commit
  that queued a message, and the sender thread waiting on it wakes;
- across processes on PostgreSQL, the transaction that queues a message also sends a NOTIFY on
  the outbox's channel. PostgreSQL delivers it when, and only if, that transaction commits, so
  every worker's listener (`listen`) rings its own bell at the moment the row can be read.
SQLite has no NOTIFY: another process finds the message at its next periodic pass, the safety net.

Waking is only a hint. Which sender sends a message is settled by its claim in the database
(`NotificationRepository.claim`), so a bell rung twice, or heard by every worker, sends once.
"""

from __future__ import annotations

import logging
import threading
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, text

log = logging.getLogger("alongside.outbox")

# Keyed by schema: databases sharing a server by schema (the tests do) wake their own senders only.
# A number, so the channel is a plain identifier that LISTEN takes unquoted.
_CHANNEL = "'alongside_outbox_' || abs(hashtext(current_schema()))"
NOTIFY = text(f"SELECT pg_notify({_CHANNEL}, '')")
_CHANNEL_NAME = text(f"SELECT {_CHANNEL}")


class Bell:
    """A wake-up call for the sender threads of one process (an Event: rings while nobody
    waits are kept until the next wait, never lost)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """True if rung (and ready for the next ring: cleared before the caller reads the outbox,
        so a commit during its sending rings again)."""
        rung = self._event.wait(timeout)
        if rung:
            self._event.clear()
        return rung


_BELLS: WeakKeyDictionary[Engine, Bell] = WeakKeyDictionary()
_BELLS_LOCK = threading.Lock()


def bell(engine: Engine) -> Bell:
    with _BELLS_LOCK:
        return _BELLS.setdefault(engine, Bell())


def listen(engine: Engine, rung: Bell, stop: threading.Event, poll_seconds: float = 1.0) -> None:
    """Until `stop`: ring `rung` at every NOTIFY on the outbox's channel (PostgreSQL only). A lost
    connection (the database restarting) is logged and listened on again; what was queued in
    between is sent by the periodic pass."""
    while not stop.is_set():
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                channel = connection.scalar(_CHANNEL_NAME)
                connection.exec_driver_sql(f"LISTEN {channel}")
                driver = connection.connection.driver_connection
                rung.ring()  # anything queued before listening began is looked for once
                try:
                    while not stop.is_set():
                        for _ in driver.notifies(timeout=poll_seconds, stop_after=1):
                            rung.ring()
                finally:
                    connection.exec_driver_sql("UNLISTEN *")  # the connection goes back to the pool deaf
        except Exception:  # the listener outlives a lost connection; the error is logged with its trace
            log.exception("outbox listener lost its connection; listening again")
            stop.wait(poll_seconds)
