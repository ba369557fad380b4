"""Issue 3's journey in real Chromium: on a Saturday night the demo patient reports new back
pain with weak legs and is told to call the 24-hour line; the nurse sees a red alert at the
top of her inbox, acknowledges and resolves it; the alert email reaches a local SMTP server."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import LOGIN, SHOTS, serious_axe_violations as _serious_axe_violations, sign_in as _sign_in

pytestmark = pytest.mark.browser


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
    page.get_by_role("link", name="Check in", exact=True).click()  # the menu's: home says "done" once one is sent
    page.get_by_role("link", name="Show every question on one page").click()  # the one-page form
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
    # Her check-in's alerts are one row, under its worst level (escalated rows of the caseload may sit above it).
    hers = page.locator(".alert").filter(has_text="Marsh, Helen").filter(has_text="weak or numb arms or legs").first
    expect(hers.locator(".badge")).to_have_text("RED")
    assert _serious_axe_violations(page) == []
    hers.get_by_role("button", name="Acknowledge alert for Marsh, Helen: Possible spinal cord compression").click()
    hers = page.locator(".alert").filter(has_text="Marsh, Helen").filter(has_text="weak or numb arms or legs").first
    expect(hers).to_contain_text("Acknowledged by Jo Pearce")
    hers.get_by_role("link", name="Open and resolve alert for Marsh, Helen: Possible spinal cord compression").click()
    page.fill("#f-notes", "Spoke to Helen; admitted via the acute oncology unit for an MRI of the spine. "
                          "MRI-ref:" + "X" * 400)  # one very long word, as a pasted reference would be
    page.get_by_label("Admitted to hospital").check()
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("main")).to_contain_text("What was done")
    expect(page.locator("main")).to_contain_text("Admitted to hospital")
    expect(page.locator("main")).not_to_contain_text("Acknowledged, acknowledged by")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # the long word wraps
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
