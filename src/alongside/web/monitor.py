"""The monitor pass: escalations, missed check-ins, then the outbox. Run by `alongside monitor`
(cron) or by the server's background task every ALONGSIDE_MONITOR_INTERVAL seconds.

And the sender at commit: in each server process, a thread that sends an alert's messages as
soon as the transaction that queued them commits (store.outbox), so a red alert reaches the team
in seconds. The monitor pass stays as the backstop: for retries, and on SQLite for messages
queued by another process."""

from __future__ import annotations

import asyncio
import logging
import threading

from sqlalchemy.orm import sessionmaker

from ..domain import messages, monitoring
from ..notify import send_appointment_reminders, send_dose_reminders, send_due, send_reminders
from ..store import outbox
from ..store.database import held_alone
from ..store.unit_of_work import UnitOfWork
from .settings import Settings

log = logging.getLogger("alongside.monitor")


def run_once(sessions: sessionmaker, settings: Settings) -> str:
    """One pass, unless another monitor (a second server, cron) is in the middle of one: two
    passes at once could both send the same queued email."""
    with held_alone(sessions.kw["bind"], "monitor") as alone:
        return _pass(sessions, settings) if alone else "skipped: another monitor is running a pass"


def _pass(sessions: sessionmaker, settings: Settings) -> str:
    now = settings.clock()
    with UnitOfWork(sessions) as uow:
        escalated = monitoring.escalate_overdue(uow, now)
        missed = monitoring.raise_missed_check_ins(uow, settings.monitoring.thresholds, now,
                                                   settings.monitoring.time_zone)
        overdue = messages.notice_overdue_messages(uow, now)
        uow.commit()
    with UnitOfWork(sessions) as uow:
        sent, failed = send_due(uow, settings.notify, now)
    reminded = 0
    if settings.notify.smtp_host:
        with UnitOfWork(sessions) as uow:
            reminded = send_reminders(uow, settings.notify, now, settings.monitoring.thresholds.check_in_every)
            reminded += send_appointment_reminders(uow, settings.notify, now)
            reminded += send_dose_reminders(uow, settings.notify, now)
    return (f"escalated {len(escalated)}, missed check-ins {len(missed)}, overdue messages {len(overdue)}, "
            f"sent {sent}, failed {failed}, "
            f"reminders {reminded}")


async def run_forever(sessions: sessionmaker, settings: Settings) -> None:
    while True:
        try:
            summary = await asyncio.to_thread(run_once, sessions, settings)
            log.info("monitor: %s", summary)
        except Exception:  # the loop must outlive one bad pass; the error is logged with its trace
            log.exception("monitor pass failed")
        await asyncio.sleep(settings.monitor_interval)


def send_at_commit(sessions: sessionmaker, settings: Settings, stop: threading.Event) -> None:
    """Until `stop`: whenever a commit in this process (or, on PostgreSQL, in any process) queues
    a message, send the messages not yet tried. Claims keep this once-only beside other senders."""
    engine = sessions.kw["bind"]
    rung = outbox.bell(engine)
    if engine.dialect.name == "postgresql":
        threading.Thread(target=outbox.listen, args=(engine, rung, stop), daemon=True, name="outbox-listener").start()
    while not stop.is_set():
        if not rung.wait(timeout=1.0):
            continue
        try:
            with UnitOfWork(sessions) as uow:
                sent, failed = send_due(uow, settings.notify, settings.clock(), never_tried=True)
            log.info("sent at commit: sent %d, failed %d", sent, failed)
        except Exception:  # e.g. the database restarting; the monitor pass sends it instead
            log.exception("sending at commit failed")


class Sender:
    """The sender at commit, running in a thread of its own until stopped."""

    def __init__(self, sessions: sessionmaker, settings: Settings):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=send_at_commit, args=(sessions, settings, self._stop), daemon=True,
                                        name="outbox-sender")
        self._thread.start()

    def stop(self, wait_seconds: float = 30.0) -> None:
        """Stop, letting a message being sent finish and be recorded (else it would go again later)."""
        self._stop.set()
        self._thread.join(wait_seconds)


def start_sender(sessions: sessionmaker, settings: Settings) -> Sender:
    return Sender(sessions, settings)
