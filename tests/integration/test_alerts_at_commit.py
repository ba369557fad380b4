"""A red alert reaches the team at commit, not at the next monitor pass, and still only once:
the sender woken by the unit of work (and by PostgreSQL's NOTIFY from another worker), messages
claimed atomically by senders racing for them, a dead sender's claim running out."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from alongside.notify import MAX_ATTEMPTS, NotifySettings, send_due
from alongside.store.database import make_engine, session_factory
from alongside.store.unit_of_work import UnitOfWork
from alongside.web.app import create_app
from alongside.web.monitor import start_sender
from alongside.web.settings import Settings

from .conftest import sign_in
from .test_monitoring import _free_port, _Inbox, check_ins

TEAM_ADDRESS = "team@example.org"


@pytest.fixture
def smtp():
    """A real SMTP server on a port of its own; its inbox and its settings."""
    inbox, port = _Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, NotifySettings(smtp_host="127.0.0.1", smtp_port=port)
    controller.stop()


@pytest.fixture
def team_email(world, as_user):
    response = as_user(world.admin).put(f"/api/v1/teams/{world.team_id}/settings", json={"notify_email": TEAM_ADDRESS})
    assert response.status_code == 200, response.text


def _arrived(inbox, count: int = 1, within: float = 30.0) -> list:
    """The messages once `count` have arrived (or whatever has, after `within` seconds)."""
    deadline = time.monotonic() + within
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(inbox.messages)


def red_check_in_emailed(database_url, world, smtp) -> tuple[list[str], str]:
    """Alice sends a red check-in to an app whose only sender is the one at commit (no monitor:
    nothing else sends); the one email that arrives, as (recipients, text)."""
    inbox, notify = smtp
    app = create_app(Settings(database_url=database_url, cookie_secure=False, notify=notify,
                              send_at_commit=True, monitor_interval=0))
    try:
        with TestClient(app, base_url="http://testserver") as client:  # `with`: the app's start-up runs
            client.headers.update(sign_in(client, world.alice))
            assert client.post(check_ins(world), json={"red_flags": {"limb_weakness": True}}).status_code == 201
            ((recipients, text),) = _arrived(inbox)
        # Leaving the block shut the app down, which waits for the sender to record what it sent.
    finally:
        app.state.engine.dispose()
    return recipients, text


def test_a_red_check_in_emails_the_team_with_no_monitor_pass(database_url, world, team_email, smtp, new_uow):
    recipients, text = red_check_in_emailed(database_url, world, smtp)
    assert recipients == [TEAM_ADDRESS] and "RED alert waiting" in text
    with new_uow() as uow:
        (row,) = uow.notifications.all()
        assert row.status == "sent" and row.attempts == 1 and row.claimed_until is None


def test_a_commit_in_another_worker_wakes_this_sender_on_postgresql(database_url, backend, world, team_email, smtp, as_user):
    """The check-in is stored by one app (a worker with no sender); the sender of another engine
    (another worker) hears PostgreSQL's NOTIFY. SQLite has no NOTIFY: there the periodic pass
    sends what another process queued (test_monitoring)."""
    if backend != "postgresql":
        pytest.skip("NOTIFY/LISTEN is PostgreSQL's")
    inbox, notify = smtp
    other_worker = make_engine(database_url)
    sender = start_sender(session_factory(other_worker), Settings(database_url=database_url, notify=notify))
    try:
        time.sleep(0.5)  # the listener is listening
        assert as_user(world.alice).post(check_ins(world), json={"red_flags": {"bleeding": True}}).status_code == 201
        ((recipients, _),) = _arrived(inbox)
    finally:
        sender.stop()
        time.sleep(1.2)  # the listener leaves too (it looks every second)
        other_worker.dispose()
    assert recipients == [TEAM_ADDRESS]


class _SlowInbox(_Inbox):
    """A tenth of a second over each message: long enough for two senders to overlap."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.1)
        return await super().handle_DATA(server, session, envelope)


def _queue_messages(new_uow, world, as_user, how_many: int) -> list[str]:
    """One red alert queued for `how_many` addresses."""
    assert as_user(world.alice).post(check_ins(world), json={"red_flags": {"bleeding": True}}).status_code == 201
    targets = [f"nurse{i}@example.org" for i in range(how_many)]
    with new_uow() as uow:
        (alert,) = uow.alerts.for_patient(world.patient_a)
        for target in targets:
            assert uow.notifications.enqueue(alert.id, "new", "email", target, datetime.now(UTC))
        uow.commit()
    return targets


def test_two_senders_racing_send_each_message_once(database_url, world, as_user, new_uow):
    """Two workers' senders wake together over the same twelve messages; each is sent once.
    Without the claim both would read all twelve as due and send them all."""
    targets = _queue_messages(new_uow, world, as_user, 12)
    inbox, port = _SlowInbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    notify = NotifySettings(smtp_host="127.0.0.1", smtp_port=port)
    engines = [make_engine(database_url) for _ in range(2)]  # one each, as two processes have
    start, results = threading.Barrier(2), []

    def sender(engine):
        start.wait()
        with UnitOfWork(session_factory(engine)) as uow:
            results.append(send_due(uow, notify))

    threads = [threading.Thread(target=sender, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        controller.stop()
        for engine in engines:
            engine.dispose()
    received = sorted(recipient for recipients, _ in inbox.messages for recipient in recipients if recipient in targets)
    assert received == sorted(targets)  # every one, none twice
    assert sum(sent for sent, _ in results) == 12 and all(failed == 0 for _, failed in results)
    with new_uow() as uow:
        rows = [(row.status, row.attempts) for row in uow.notifications.all() if row.target in targets]
    assert set(rows) == {("sent", 1)}


def test_a_claimed_message_waits_for_its_sender_until_the_claim_runs_out(world, team_email, as_user, new_uow, smtp):
    inbox, notify = smtp
    assert as_user(world.alice).post(check_ins(world), json={"red_flags": {"bleeding": True}}).status_code == 201
    with new_uow() as uow:
        (row,) = uow.notifications.all()
        assert uow.notifications.claim(row.id, MAX_ATTEMPTS, timedelta(minutes=5))
        uow.commit()
        assert not uow.notifications.claim(row.id, MAX_ATTEMPTS, timedelta(minutes=5))  # held: no second claim
        uow.commit()
    with new_uow() as uow:
        assert send_due(uow, notify) == (0, 0)  # another sender holds it
    with new_uow() as uow:
        uow.db.get(type(row), row.id).claimed_until = datetime.now(UTC) - timedelta(seconds=1)  # its sender died
        uow.commit()
    with new_uow() as uow:
        assert send_due(uow, notify) == (1, 0)
    assert [recipients for recipients, _ in inbox.messages] == [[TEAM_ADDRESS]]


def test_the_sender_at_commit_leaves_retries_to_the_monitor_pass(world, team_email, as_user, new_uow):
    """A mail server down for a minute must not use up a message's attempts in a burst of check-ins."""
    assert as_user(world.alice).post(check_ins(world), json={"red_flags": {"bleeding": True}}).status_code == 201
    unreachable = NotifySettings(smtp_host="127.0.0.1", smtp_port=1, timeout_seconds=2)
    with new_uow() as uow:
        assert send_due(uow, unreachable, never_tried=True) == (0, 1)
    with new_uow() as uow:
        assert send_due(uow, unreachable, never_tried=True) == (0, 0)  # tried once: not at commit again
        assert send_due(uow, unreachable) == (0, 1)  # the periodic pass retries it
        (row,) = uow.notifications.all()
        assert row.attempts == 2 and row.status == "failed"
