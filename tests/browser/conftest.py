"""Browser fixtures: the demo record served by a real uvicorn process and Debian's Chromium driven
by Playwright. Every browser test runs against a demo database on SQLite, and on PostgreSQL
(in a schema of its own) when ALONGSIDE_TEST_DATABASE_URL is set. One server per database and
one Chromium serve the whole session; each test gets fresh browser contexts."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright

from .support import (
    CHROMIUM, LOGIN, NO_CHROMIUM, SHOTS, ServerDidNotStart, demo_database as _demo_database, free_port,
    launch_chromium, serve, sign_in,
)

POSTGRES_URL = os.environ.get("ALONGSIDE_TEST_DATABASE_URL")
SATURDAY_NIGHT = "2026-11-21T23:30:00+00:00"  # the server's clock, and the demo's "today"
TIMEOUT_MS = 10_000
SERVER_LOGS: dict[str, Path] = {}  # base URL -> where that server's output goes


class Inbox:
    """A local SMTP server's mailbox: the alert emails the monitor sends."""

    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture(scope="session", params=["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def demo_database(request):
    """(backend, URL) of a database holding the demo, written as of the server's fixed day."""
    today = datetime.fromisoformat(SATURDAY_NIGHT).date()
    with _demo_database(None if request.param == "sqlite" else POSTGRES_URL, today=today) as url:
        yield request.param, url


@pytest.fixture(scope="session")
def smtp_inbox():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="session")
def server(demo_database, smtp_inbox):
    """The app's base URL, e.g. http://127.0.0.1:41234, serving the demo database. What it prints
    goes to test-results/browser-server-<backend>.log."""
    (backend, url), (_, smtp_port) = demo_database, smtp_inbox
    log = SHOTS.parent / f"browser-server-{backend}.log"
    try:
        with serve(url, log, ALONGSIDE_FIXED_TIME=SATURDAY_NIGHT, ALONGSIDE_MONITOR_INTERVAL="1",
                   ALONGSIDE_SMTP_HOST="127.0.0.1", ALONGSIDE_SMTP_PORT=str(smtp_port)) as base:
            SERVER_LOGS[base] = log
            yield base
    except ServerDidNotStart as problem:
        pytest.fail(f"the server did not start: {problem}")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(NO_CHROMIUM, pytrace=False)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def signed_in(server, browser):
    """role -> the cookies of a session signed in through the form, made once per server."""
    states: dict[str, dict] = {}

    def state_of(role: str) -> dict:
        if role not in states:
            context = browser.new_context()
            try:
                page = context.new_page()
                sign_in(page, server, LOGIN[role])
                assert not page.url.endswith("/sign-in"), f"{role} could not sign in"
                states[role] = context.storage_state()
            finally:
                context.close()
        return states[role]

    return state_of


@pytest.fixture
def open_page(request, browser, server, signed_in):
    """open_page(viewport, role=None): a page in a fresh context, signed in as role if given.
    Relative URLs work (page.goto("/caseload")). On failure each open page is photographed."""
    contexts = []

    def open_(viewport: dict, role: str | None = None):
        context = browser.new_context(viewport=viewport, base_url=server,
                                      storage_state=signed_in(role) if role else None)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for number, context in enumerate(contexts):
        if failed:
            folder = SHOTS / "failures"
            folder.mkdir(parents=True, exist_ok=True)
            for page in context.pages:
                name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
                page.screenshot(path=str(folder / f"{name}-{number}.png"), full_page=True)
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    base = getattr(item, "funcargs", {}).get("server")
    if report.failed and base in SERVER_LOGS:  # show what the server said, too
        text = SERVER_LOGS[base].read_text(errors="replace")
        report.sections.append(("server log (last 3000 characters)", text[-3000:] or "(empty)"))
    return report


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
