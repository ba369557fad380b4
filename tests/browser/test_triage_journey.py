"""The triage inbox in Chromium (issue 17, item 2): a nurse filters the inbox to red, claims a
check-in, reads its answers and the call-back number, and records what was done; a colleague
sees it claimed meanwhile. On a 390 px phone, at 200 % text, with axe-core on each page."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID
from alongside.domain import accounts
from alongside.domain.people import SYSTEM, NewUser
from alongside.domain.vocab import Role
from alongside.store.database import make_engine, session_factory
from alongside.store.unit_of_work import UnitOfWork

from .support import DESKTOP, LOGIN, PHONE, axe_violations, no_sideways_scroll, sign_in

DOUBLE_TEXT = "document.documentElement.style.fontSize = '225%'"
CHECK_IN = {"red_flags": {"seizure_or_confusion": True, "severe_headache": True}, "free_text": "Hard to wake this morning"}


def _colleague(database_url: str):
    """A second nurse on Jo Pearce's team, made for this test."""
    engine = make_engine(database_url)
    try:
        with UnitOfWork(session_factory(engine)) as uow:
            jo = uow.users.by_email(LOGIN["clinician"].email)
            (team_id, *_) = uow.teams.ids_of(jo.id)
            email = f"nell.{uuid.uuid4().hex[:8]}@example.org"
            accounts.create_user(uow, SYSTEM, NewUser(email=email, display_name="Nell Nightshift", role=Role.CLINICIAN,
                                                      password="night-shift-2026", team_id=team_id))
            uow.commit()
    finally:
        engine.dispose()
    return type(LOGIN["clinician"])("clinician", email, "night-shift-2026")


def _raise_red_check_in(server: str) -> str:
    nurse = httpx.Client(base_url=server)
    nurse.headers["X-CSRF-Token"] = nurse.post("/api/v1/session", json={
        "email": LOGIN["clinician"].email, "password": LOGIN["clinician"].password}).json()["csrf_token"]
    response = nurse.post(f"/api/v1/patients/{DEMO_PATIENT_ID}/check-ins", json=CHECK_IN)
    assert response.status_code == 201, response.text
    return response.json()["check_in"]["id"]


def _fits(page, name: str) -> None:
    assert axe_violations(page) == [], f"axe-core on {name}"
    assert no_sideways_scroll(page), f"{name} scrolls sideways"
    page.evaluate(DOUBLE_TEXT)
    assert no_sideways_scroll(page), f"{name} scrolls sideways at 200 % text"
    page.evaluate("document.documentElement.style.fontSize = ''")


def test_a_nurse_claims_a_red_check_in_reads_it_calls_back_and_records_the_outcome(browser, server, demo_database):
    colleague = _colleague(demo_database[1])
    check_in_id = _raise_red_check_in(server)
    phone = browser.new_context(viewport=PHONE, base_url=server)
    page = phone.new_page()
    sign_in(page, server, LOGIN["clinician"])
    page.goto("/triage")
    page.get_by_label("Level").select_option("red")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/triage\?level=red(&|$)"))
    row = page.locator(f'[data-group="{check_in_id}"]')
    expect(row.locator(".badge")).to_have_text("RED")
    expect(row).to_contain_text("fit, sudden confusion or hard to wake")
    expect(row).to_contain_text("new severe headache")  # the amber alert of the same check-in, inside its row
    expect(page.locator(".alert .badge", has_text="AMBER")).to_have_count(0)  # no amber row under "red"
    _fits(page, "the inbox filtered to red")
    row.get_by_role("button", name="Claim").click()
    expect(page.locator(f'[data-group="{check_in_id}"]')).to_contain_text("Claimed by you")

    night = browser.new_context(viewport=DESKTOP, base_url=server)
    other = night.new_page()
    sign_in(other, server, colleague)
    other.goto("/triage")
    expect(other.locator(f'[data-group="{check_in_id}"]')).to_contain_text("Claimed by Jo Pearce")
    other.goto("/triage?claimed=unclaimed")
    expect(other.locator(f'[data-group="{check_in_id}"]')).to_have_count(0)
    night.close()

    row = page.locator(f'[data-group="{check_in_id}"]')
    row.get_by_role("link", name="Open and resolve alert for Marsh, Helen: Possible").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("hard to wake")
    expect(page.locator(".claim")).to_contain_text("Claimed by you")
    call_back = page.get_by_role("link", name="01632 960111")
    assert call_back.get_attribute("href") == "tel:01632960111"
    answers = page.get_by_role("region", name="The check-in's answers")
    expect(answers).to_contain_text("Fit, sudden confusion or hard to wake")
    expect(answers).to_contain_text("Hard to wake this morning")
    expect(page.locator("#treatment-now")).to_be_visible()
    _fits(page, "the alert page")
    page.get_by_label("Sent to acute oncology").check()
    page.fill("#f-notes", "Rang Helen back; sent to the acute oncology unit for assessment.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("main")).to_contain_text("Sent to acute oncology")
    phone.close()
    _resolve_the_rest(server, check_in_id)


def _resolve_the_rest(server: str, check_in_id: str) -> None:
    """The demo record is shared by the browser journeys: leave the inbox as it was found."""
    nurse = httpx.Client(base_url=server)
    nurse.headers["X-CSRF-Token"] = nurse.post("/api/v1/session", json={
        "email": LOGIN["clinician"].email, "password": LOGIN["clinician"].password}).json()["csrf_token"]
    for alert in nurse.get(f"/api/v1/patients/{DEMO_PATIENT_ID}/alerts").json():
        if alert["check_in_id"] == check_in_id and alert["state"] != "resolved":
            done = nurse.post(f"/api/v1/alerts/{alert['id']}/resolve", json={
                "version": alert["version"], "outcome": "called_back", "notes": "Browser journey: called back."})
            assert done.status_code == 200, done.text
