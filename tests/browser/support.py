"""Plain helpers for the browser journeys and for take_screenshots.py: a database holding the demo
record, the app served by a real uvicorn process, Debian's Chromium, signing in and axe-core.
Nothing here depends on pytest, so the screenshot script can use it by hand."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import text

from alongside.demo import LOGINS, create_demo
from alongside.store.database import make_engine, normalise_url, session_factory
from alongside.store.migrate import upgrade
from alongside.store.unit_of_work import UnitOfWork

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
NO_CHROMIUM = (f"Chromium is missing at {CHROMIUM}: install Debian's 'chromium' package "
               "(apt-get install chromium; 'make test' does this when run as root)")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOGIN = {login.role: login for login in LOGINS}
SERVER_START_SECONDS = 90  # a machine shared with other work took 35 s to import the app and start it
SHOTS = Path("test-results/screenshots")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def demo_database(postgres_url: str | None = None, today: date | None = None) -> Iterator[str]:
    """A migrated database holding the demo: a temporary SQLite file, or, given a PostgreSQL URL,
    a schema of its own there (alongside_browser_<hex>), dropped afterwards. The demo is
    written as of today (the real date unless given)."""
    if postgres_url is None:
        with tempfile.TemporaryDirectory(prefix="alongside-browser-") as folder:
            url = f"sqlite:///{Path(folder) / 'demo.db'}"
            _migrate_and_fill(url, today)
            yield url
        return
    base = normalise_url(postgres_url)
    schema = f"alongside_browser_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
            _migrate_and_fill(url, today)
            yield url
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def _migrate_and_fill(url: str, today: date | None) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with UnitOfWork(session_factory(engine)) as uow:
            create_demo(uow, today=today)
            uow.commit()
    finally:
        engine.dispose()


class ServerDidNotStart(RuntimeError):
    pass


@contextmanager
def serve(database_url: str, log_path: Path | None = None, **extra_env: str) -> Iterator[str]:
    """Run the app with uvicorn on a free local port; yield its base URL; stop it afterwards.
    What the server prints goes to log_path if given (kept for reading after a failure)."""
    with serving(database_url, log_path, **extra_env) as (base, _):
        yield base


@contextmanager
def serving(database_url: str, log_path: Path | None = None, workers: int = 1, port: int | None = None,
            **extra_env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """As `serve`, yielding the process too. With several workers it runs `alongside serve
    --workers N`, as an operator would. `port`: one chosen before (an OpenID provider must know
    the address it sends people back to); a free one if not given."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ALONGSIDE_DATABASE_URL": database_url, "ALONGSIDE_COOKIE_SECURE": "false",
           "ALONGSIDE_BASE_URL": base, **extra_env}
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()
    command = [sys.executable, "-m", "uvicorn", "alongside.web.app:app", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command = [sys.executable, "-m", "alongside.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                   "--insecure-cookies", "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                raise ServerDidNotStart(f"the server exited with {process.returncode}:\n{_read(log)}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ServerDidNotStart(f"/healthz did not answer 200 within {SERVER_START_SECONDS} s:\n{_read(log)}")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _read(log) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(NO_CHROMIUM)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def sign_in(page, base: str, login) -> None:
    page.goto(base + "/sign-in")
    page.fill("#email", login.email)
    page.fill("#password", login.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's violations on the page at the given impacts, one readable line per element."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for violation in Axe().run(page).response["violations"]:
        if violation.get("impact") in impacts:
            for node in violation["nodes"]:
                found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at "
                             f"{', '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}")
    return found


def serious_axe_violations(page) -> list[str]:
    return axe_violations(page, ("serious", "critical"))
