"""Issue 3's journey in real Chromium: on a Saturday night the demo patient reports new back
pain with weak legs and is told to call the 24-hour line; the nurse sees a red alert at the
top of her inbox, acknowledges and resolves it; the alert email reaches a local SMTP server."""

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
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import text

from alongside.demo import DEMO_PATIENT_ID, LOGINS, create_demo
from alongside.store.database import make_engine, normalise_url, session_factory
from alongside.store.migrate import upgrade
from alongside.store.unit_of_work import UnitOfWork

pytestmark = pytest.mark.browser

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


def _sign_in(page, base, login):
    page.goto(base + "/sign-in")
    page.fill("#email", login.email)
    page.fill("#password", login.password)
    page.click("button[type=submit]")


def _serious_axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def test_saturday_night_back_pain_with_weak_legs_reaches_the_24_hour_line_and_the_nurse(server, browser, smtp_inbox):
    inbox, _ = smtp_inbox
    admin = httpx.Client(base_url=server)
    admin.headers["X-CSRF-Token"] = admin.post("/api/v1/session", json={
        "email": LOGIN["admin"].email, "password": LOGIN["admin"].password}).json()["csrf_token"]
    (team,) = admin.get("/api/v1/teams").json()
    assert admin.put(f"/api/v1/teams/{team['id']}/settings", json={"notify_email": "breastcare@demo.example"}).status_code == 200

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    _sign_in(page, server, LOGIN["patient"])
    page.get_by_role("link", name="Do this week's check-in").click()
    expect(page.get_by_role("heading", name="Your check-in")).to_be_visible()
    assert _serious_axe_violations(page) == []
    page.locator("#f-flag\\.new_back_pain").get_by_label("Yes").check()
    page.locator("#f-flag\\.limb_weakness").get_by_label("Yes").check()
    page.get_by_role("button", name="Send to my team").click()
    expect(page.locator(".result-kicker")).to_have_text("Call now")
    call = page.locator(".call-now a.tel")
    expect(call).to_have_text("01632 960999")
    assert call.get_attribute("href") == "tel:01632960999"
    expect(page.locator(".call-now")).to_contain_text("24-hour acute oncology line")
    assert _serious_axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "check-in-result-phone.png"), full_page=True)
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    _sign_in(page, server, LOGIN["clinician"])
    page.get_by_role("link", name="Triage").click()
    first = page.locator(".alert").first
    expect(first.locator(".badge")).to_have_text("RED")
    expect(first).to_contain_text("weak or numb arms or legs")
    expect(first).to_contain_text("Marsh, Helen")
    assert _serious_axe_violations(page) == []
    first.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".alert").first).to_contain_text("Acknowledged by Jo Pearce")
    page.locator(".alert").first.get_by_role("link", name="Open and resolve").click()
    page.fill("#notes", "Spoke to Helen; admitted via the acute oncology unit for an MRI of the spine.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("main")).to_contain_text("resolved by Jo Pearce")
    page.goto(server + "/triage")
    expect(page.locator("main")).not_to_contain_text("weak or numb arms or legs")
    desk.close()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any("RED alert" in m for _, m in inbox.messages):
        time.sleep(0.25)
    red = [(to, m) for to, m in inbox.messages if "RED alert" in m]
    assert red, f"no red alert email arrived; got {inbox.messages!r}"
    assert red[0][0] == ["breastcare@demo.example"]
    assert "Helen" not in red[0][1] and str(DEMO_PATIENT_ID) not in red[0][1]
