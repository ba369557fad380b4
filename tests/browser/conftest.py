"""Browser fixtures: the demo record served by a real uvicorn process, and Debian's Chromium
driven by Playwright. Each browser test runs against SQLite, and PostgreSQL when configured."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright
from sqlalchemy import text

from alongside.demo import LOGINS, create_demo
from alongside.store.database import make_engine, normalise_url, session_factory
from alongside.store.migrate import upgrade
from alongside.store.unit_of_work import UnitOfWork

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
SATURDAY_NIGHT = "2026-11-21T23:30:00+00:00"
LOGIN = {login.role: login for login in LOGINS}
SHOTS = Path("test-results/screenshots")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture(scope="module", params=["sqlite"] + (["postgresql"] if os.environ.get("ALONGSIDE_TEST_DATABASE_URL") else []))
def demo_database(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('journey') / 'demo.db'}"
        cleanup = None
    else:
        schema = f"alongside_journey_{uuid.uuid4().hex[:8]}"
        base = normalise_url(os.environ["ALONGSIDE_TEST_DATABASE_URL"])
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"

        def cleanup():
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    with UnitOfWork(session_factory(engine)) as uow:
        create_demo(uow)
        uow.commit()
    engine.dispose()
    yield url
    if cleanup:
        cleanup()


@pytest.fixture(scope="module")
def smtp_inbox():
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def server(demo_database, smtp_inbox):
    _, smtp_port = smtp_inbox
    port = _free_port()
    env = {**os.environ, "ALONGSIDE_DATABASE_URL": demo_database, "ALONGSIDE_COOKIE_SECURE": "false",
           "ALONGSIDE_FIXED_TIME": SATURDAY_NIGHT, "ALONGSIDE_MONITOR_INTERVAL": "1",
           "ALONGSIDE_SMTP_HOST": "127.0.0.1", "ALONGSIDE_SMTP_PORT": str(smtp_port),
           "ALONGSIDE_BASE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "alongside.web.app:app", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start: " + process.stdout.read1().decode())
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install Debian's 'chromium' package (make test does this as root)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def sign_in(page, base, login):
    page.goto(base + "/sign-in")
    page.fill("#email", login.email)
    page.fill("#password", login.password)
    page.click("button[type=submit]")


def serious_axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


