"""Issue 12's journey in real Chromium: Helen answers only "very severe" for pain and skips the
rest; she is told to call, shown what she left blank, and the nurse sees the alert at once. Then
she ticks an urgent question but mistypes her temperature: the page asks her to correct it and,
above that, tells her to call now; the nurse already has that alert."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import LOGIN, SHOTS, serious_axe_violations, sign_in

pytestmark = pytest.mark.browser


def test_only_very_severe_pain_reaches_the_nurse_and_a_mistyped_temperature_does_not_hide_call_now(server, browser):
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    sign_in(page, server, LOGIN["patient"])
    form = f"{server}/patients/{DEMO_PATIENT_ID}/check-in?all=1"  # the one-page form
    page.goto(form)
    expect(page.get_by_role("heading", name="Your check-in")).to_be_visible()
    page.locator("#f-symptom\\.pain\\.severity").get_by_label("Very severe").check()
    page.get_by_role("button", name="Send to my team").click()
    # Saturday night (the server's clock): her team's line is closed, so the 24-hour line, now.
    expect(page.locator(".result-kicker")).to_have_text("Call now")
    expect(page.locator(".result h1")).to_contain_text("Call 24-hour acute oncology line now")
    expect(page.locator("main")).not_to_contain_text("Nothing you told us needs a call")
    expect(page.locator(".unanswered")).to_contain_text("Pain: not answered how often")
    assert serious_axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "check-in-very-severe-pain-phone.png"), full_page=True)

    page.goto(form)
    page.locator("#f-flag\\.bleeding").get_by_label("Yes").check()
    page.fill("#f-temperature_c", "382")
    page.get_by_role("button", name="Send to my team").click()
    expect(page.locator(".error-summary")).to_contain_text("not a body temperature")
    expect(page.locator(".urgent-notice .result-kicker")).to_have_text("Call now")
    expect(page.locator(".urgent-notice")).to_contain_text("bleeding that will not stop")
    assert serious_axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "check-in-urgent-despite-error-phone.png"))  # the top: what she sees first
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    sign_in(page, server, LOGIN["clinician"])
    page.goto(server + "/triage")
    inbox = page.locator("main")
    expect(inbox).to_contain_text("Severe: pain, grade 3 (frequency and interference not answered)")
    expect(inbox).to_contain_text("bleeding that will not stop")
    desk.close()
    _resolve_what_this_journey_raised(server)


def _resolve_what_this_journey_raised(server: str) -> None:
    """The demo record is shared by the browser journeys: leave the inbox as it was found."""
    nurse = httpx.Client(base_url=server)
    nurse.headers["X-CSRF-Token"] = nurse.post("/api/v1/session", json={
        "email": LOGIN["clinician"].email, "password": LOGIN["clinician"].password}).json()["csrf_token"]
    for alert in nurse.get(f"/api/v1/patients/{DEMO_PATIENT_ID}/alerts").json():
        ours = alert["item"] == "bleeding" or (alert["item"] == "pain" and "missing" in alert["values"])
        if alert["state"] != "resolved" and ours:
            done = nurse.post(f"/api/v1/alerts/{alert['id']}/resolve", json={
                "version": alert["version"], "outcome": "called_back", "notes": "Browser journey: called back."})
            assert done.status_code == 200, done.text
