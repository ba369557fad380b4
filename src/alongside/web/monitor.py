"""The monitor pass: escalations, missed check-ins, then the outbox. Run by `alongside monitor`
(cron) or by the server's background task every ALONGSIDE_MONITOR_INTERVAL seconds."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import sessionmaker

from ..domain import monitoring
from ..notify import send_appointment_reminders, send_due, send_reminders
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
        missed = monitoring.raise_missed_check_ins(uow, settings.monitoring.thresholds, now)
        uow.commit()
    with UnitOfWork(sessions) as uow:
        sent, failed = send_due(uow, settings.notify, now)
    reminded = 0
    if settings.notify.smtp_host:
        with UnitOfWork(sessions) as uow:
            reminded = send_reminders(uow, settings.notify, now, settings.monitoring.thresholds.check_in_every)
            reminded += send_appointment_reminders(uow, settings.notify, now)
    return (f"escalated {len(escalated)}, missed check-ins {len(missed)}, sent {sent}, failed {failed}, "
            f"reminders {reminded}")


async def run_forever(sessions: sessionmaker, settings: Settings) -> None:
    while True:
        try:
            summary = await asyncio.to_thread(run_once, sessions, settings)
            log.info("monitor: %s", summary)
        except Exception:  # the loop must outlive one bad pass; the error is logged with its trace
            log.exception("monitor pass failed")
        await asyncio.sleep(settings.monitor_interval)
