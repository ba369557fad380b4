"""Issue 16's journey in real Chromium: Helen chooses to hear scan results from her team first. A
new scan showing progression arrives the same Saturday night as she reports bleeding that will not
stop: she is told to call now, but the scan is not on her phone until her nurse marks it discussed.
Then she sees it. The demo record is left as it was found."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import LOGIN, PHONE, SHOTS, no_sideways_scroll, serious_axe_violations, sign_in

pytestmark = pytest.mark.browser

HELD_AREA = "Journey spine region"
SCANS = f"/patients/{DEMO_PATIENT_ID}/record/scans"


def api_client(server: str, role: str) -> httpx.Client:
    client = httpx.Client(base_url=server)
    client.headers["X-CSRF-Token"] = client.post("/api/v1/session", json={
        "email": LOGIN[role].email, "password": LOGIN[role].password}).json()["csrf_token"]
    return client


def choose_for_scans(page, server: str, words: str) -> None:
    page.goto(f"{server}/patients/{DEMO_PATIENT_ID}/result-sharing")
    page.locator("#f-scans").select_option(label=words)
    page.get_by_role("button", name="Save my choice").click()
    expect(page.get_by_role("status")).to_have_text("Your choice is saved.")


def test_a_held_scan_waits_for_her_nurse_while_a_red_alert_the_same_day_is_shown(server, browser):
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    sign_in(page, server, LOGIN["patient"])
    page.goto(f"{server}/patients/{DEMO_PATIENT_ID}")
    expect(page.locator("#week-h")).to_have_text("Your week")
    assert serious_axe_violations(page) == [] and no_sideways_scroll(page)
    page.get_by_role("link", name="When results are shown").first.click()
    expect(page.get_by_role("heading", name="When results are shown")).to_be_visible()
    assert serious_axe_violations(page) == [] and no_sideways_scroll(page)
    choose_for_scans(page, server, "Only after my team has talked it through with me")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "result-sharing-phone.png"), full_page=True)

    nurse_api = api_client(server, "clinician")
    scan = nurse_api.post(f"/api/v1/patients/{DEMO_PATIENT_ID}/scans", json={
        "performed_on": "2026-11-21", "modality": "mri", "body_area": HELD_AREA, "impression": "progressing"})
    assert scan.status_code == 201, scan.text
    scan = scan.json()
    try:
        # The same night she reports bleeding that will not stop: the call-now answer is never held.
        page.goto(f"{server}/patients/{DEMO_PATIENT_ID}/check-in?all=1")  # every question on one page
        page.locator("#f-flag\\.bleeding").get_by_label("Yes").check()
        page.get_by_role("button", name="Send to my team").click()
        expect(page.locator(".result-kicker")).to_have_text("Call now")
        for url in (SCANS, f"/patients/{DEMO_PATIENT_ID}/timeline?span=3m", f"/patients/{DEMO_PATIENT_ID}"):
            page.goto(server + url)
            expect(page.locator("main")).not_to_contain_text(HELD_AREA, ignore_case=True)

        desk = browser.new_context(viewport={"width": 1280, "height": 900})
        nurse = desk.new_page()
        sign_in(nurse, server, LOGIN["clinician"])
        nurse.goto(f"{server}/patients/{DEMO_PATIENT_ID}")
        expect(nurse.locator("#held-h")).to_have_text("Results not yet shown to Helen")
        nurse.goto(server + SCANS)
        card = nurse.locator(f"#entry-{scan['id']}")
        expect(card).to_contain_text("Not yet shown to Helen: until it is marked discussed")
        assert serious_axe_violations(nurse) == []
        card.get_by_role("button", name="Mark discussed with Helen").click()
        expect(nurse.locator(f"#entry-{scan['id']}")).to_contain_text("Discussed with Helen")
        desk.close()

        page.goto(server + SCANS)
        expect(page.locator("main")).to_contain_text(HELD_AREA)
        choose_for_scans(page, server, "As soon as it is in my record")
    finally:
        phone.close()
        _leave_the_demo_as_found(nurse_api, scan)


def _leave_the_demo_as_found(nurse: httpx.Client, scan: dict) -> None:
    """The demo record is shared by the browser journeys: take the scan away and close the alert."""
    nurse.delete(f"/api/v1/patients/{DEMO_PATIENT_ID}/scans/{scan['id']}", params={"version": scan["version"]})
    for alert in nurse.get(f"/api/v1/patients/{DEMO_PATIENT_ID}/alerts").json():
        if alert["item"] == "bleeding" and alert["state"] != "resolved":
            done = nurse.post(f"/api/v1/alerts/{alert['id']}/resolve", json={
                "version": alert["version"], "outcome": "called_back", "notes": "Browser journey: called back."})
            assert done.status_code == 200, done.text
