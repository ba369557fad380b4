"""`alongside serve --workers 2`, as an operator runs it: two processes answer requests, and the
monitor runs once beside them, so each alert's email is sent once, not once per worker."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

from tests.browser.support import free_port, serving

from .test_monitoring import _Inbox

WORKERS = 2
MONITOR_SECONDS = 0.5


def _children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def _worker_processes(supervisor: int) -> int:
    """uvicorn's workers among the supervisor's children (multiprocessing also starts a helper)."""
    return sum("multiprocessing.spawn" in Path(f"/proc/{child}/cmdline").read_text()
               and "resource_tracker" not in Path(f"/proc/{child}/cmdline").read_text()
               for child in _children(supervisor))


def _signed_in(base: str, person) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    answer = client.post("/api/v1/session", json={"email": person.email, "password": person.password})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def test_two_workers_answer_and_the_one_monitor_emails_each_alert_once(database_url, engine, world):
    inbox, smtp_port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with serving(database_url, workers=WORKERS, ALONGSIDE_MONITOR_INTERVAL=str(MONITOR_SECONDS),
                     ALONGSIDE_SMTP_HOST="127.0.0.1", ALONGSIDE_SMTP_PORT=str(smtp_port)) as (base, process):
            assert _worker_processes(process.pid) == WORKERS
            admin = _signed_in(base, world.admin)
            assert admin.put(f"/api/v1/teams/{world.team_id}/settings",
                             json={"notify_email": "team@example.org"}).status_code == 200
            alice = _signed_in(base, world.alice)
            path = f"/api/v1/patients/{world.patient_a}/check-ins"

            def send(index: int) -> int:
                red = index == 0
                body = {"red_flags": {"limb_weakness": red}, "burden": {"tiredness": 2}}
                return alice.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}).status_code

            with ThreadPoolExecutor(8) as pool:  # at once, so both workers take some
                assert list(pool.map(send, range(24))) == [201] * 24
            deadline = time.monotonic() + 30
            while len(inbox.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(6 * MONITOR_SECONDS)  # further monitor passes: none may send it again
            assert len(alice.get(path).json()) == 24
    finally:
        controller.stop()
    # One email per alert, and one weekly reminder to Bella (who has not checked in): each once.
    to_team = [text for recipients, text in inbox.messages if recipients == ["team@example.org"]]
    assert len(to_team) == 1 and "RED alert waiting" in to_team[0]
    assert sorted(recipients for recipients, _ in inbox.messages) == [["bella@example.org"], ["team@example.org"]]
