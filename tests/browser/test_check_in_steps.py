"""The stepped check-in on a 390 px phone in real Chromium (issue 16 item 1): a quiet week in
under 25 taps, and a bad week where pain "often" opens how bad and how much, and an urgent
answer ends in "Call now" with whom to call. Each test counts the taps it makes and prints the
count and the seconds taken (docs/benchmarks.md, "Check-in effort"); only the tap budget is
asserted."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import LOGIN, PHONE, SHOTS, serious_axe_violations

pytestmark = pytest.mark.browser
HELEN = f"/patients/{DEMO_PATIENT_ID}"
TAP_BUDGET = 25


class Taps:
    def __init__(self, page) -> None:
        self.page, self.count, self.started = page, 0, time.perf_counter()

    def tap(self, locator) -> None:
        self.count += 1
        locator.click()

    def button(self, name: str) -> None:
        self.tap(self.page.get_by_role("button", name=name, exact=True))

    def answer(self, name: str, label: str) -> None:
        self.tap(self.page.locator("#f-" + name.replace(".", "\\.")).get_by_label(label, exact=True))

    def report(self, what: str) -> None:
        print(f"\n{what}: {self.count} taps, {time.perf_counter() - self.started:.1f} s")


def start(page) -> Taps:
    page.goto(HELEN + "/check-in")
    if page.locator(".draft-note").count():  # another test's draft: start clean, untimed
        page.get_by_role("button", name="Clear the answers and start again").click()
    page.goto(HELEN)
    taps = Taps(page)
    taps.tap(page.get_by_role("link", name="Check in", exact=True).first)
    expect(page.locator(".progress")).to_contain_text("Step 1 of 6")
    return taps


def test_a_quiet_week_takes_fewer_than_25_taps_on_a_phone(open_page):
    page = open_page(PHONE, "patient")
    taps = start(page)
    assert serious_axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "check-in-step-1-phone.png"), full_page=True)
    taps.button("None of these")
    for step in (2, 3, 4):
        expect(page.locator(".progress")).to_contain_text(f"Step {step} of 6")
        taps.button("None of these")
    expect(page.locator(".progress")).to_contain_text("Step 5 of 6")
    assert serious_axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "check-in-step-5-phone.png"), full_page=True)
    for name in ("pain", "tiredness", "drowsiness", "nausea", "appetite", "breathlessness", "depression",
                 "anxiety", "wellbeing"):
        taps.answer(f"burden.{name}", "1" if name == "tiredness" else "0")
    taps.button("Next")
    expect(page.locator(".review")).to_contain_text("you said no to each")
    expect(page.locator(".review")).to_contain_text("Symptoms you had: none")
    page.screenshot(path=str(SHOTS / "check-in-step-6-phone.png"), full_page=True)
    taps.button("Send to my team")
    expect(page.locator(".result-kicker")).to_have_text("Thank you")
    taps.report("Quiet week")
    assert taps.count < TAP_BUDGET


def test_a_bad_week_asks_more_about_pain_and_an_urgent_answer_says_call_now(open_page, server):
    page = open_page(PHONE, "patient")
    taps = start(page)
    taps.answer("flag.limb_weakness", "Yes")
    taps.button("Next")
    expect(page.locator(".urgent-notice")).to_contain_text("Call")  # whom to call, before she sends
    expect(page.locator(".urgent-notice a.tel").first).to_be_visible()
    expect(page.locator("#f-symptom\\.pain\\.severity")).to_have_count(0)
    taps.answer("symptom.pain.frequency", "Often")
    taps.button("Next")
    expect(page.locator(".progress")).to_contain_text("Step 2 of 6")  # same screen, asking more
    taps.answer("symptom.pain.severity", "Severe")
    taps.answer("symptom.pain.interference", "Quite a lot")
    page.screenshot(path=str(SHOTS / "check-in-pain-follow-ups-phone.png"), full_page=True)
    taps.button("None of these")  # the rest of this screen
    taps.button("None of these")
    taps.button("None of these")
    taps.button("Next")  # how things are now: skipped
    expect(page.locator(".review")).to_contain_text("you said yes to")
    expect(page.locator(".review")).to_contain_text("Pain")
    taps.button("Send to my team")
    expect(page.locator(".result-kicker")).to_have_text("Call now")
    expect(page.locator(".call-now a.tel").first).to_be_visible()
    taps.report("Bad week")
    assert taps.count < TAP_BUDGET
    resolve_alerts_of(server, page.url.rsplit("/", 1)[-1])


def resolve_alerts_of(server: str, check_in_id: str) -> None:
    """The nurse closes this test's alerts, so later journeys find Helen's inbox as they left it."""
    nurse = httpx.Client(base_url=server)
    nurse.headers["X-CSRF-Token"] = nurse.post("/api/v1/session", json={
        "email": LOGIN["clinician"].email, "password": LOGIN["clinician"].password}).json()["csrf_token"]
    alerts = [a for a in nurse.get(f"/api/v1/patients/{DEMO_PATIENT_ID}/alerts").json() if a["check_in_id"] == check_in_id]
    assert alerts
    for alert in alerts:
        body = nurse.post(f"/api/v1/alerts/{alert['id']}/acknowledge", json={"version": alert["version"]}).json()
        assert nurse.post(f"/api/v1/alerts/{alert['id']}/resolve", json={
            "version": body["version"], "outcome": "called_back", "notes": "Test clean-up"}).status_code == 200
