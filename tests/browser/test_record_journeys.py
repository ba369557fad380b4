"""Issue 2's journeys in real Chromium: the patient and the clinician sign in and see the right
pages; a form refuses a bad date and keeps what was typed; nobody sees what is not theirs;
axe-core finds no serious accessibility problem, on a phone and on a desktop."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from .conftest import LOGIN, SHOTS, serious_axe_violations, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_the_patient_sees_her_home_and_treatments_on_a_phone(server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, server, LOGIN["patient"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Helen")
    urgent = page.locator(".call-now-box a.tel").first
    expect(urgent).to_have_text("01632 960999")
    assert urgent.get_attribute("href") == "tel:01632960999"
    expect(page.locator("section", has_text="Treatment now")).to_contain_text("Capecitabine")
    assert no_sideways_scroll(page)
    assert serious_axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "patient-home-phone.png"), full_page=True)
    page.get_by_role("link", name="All treatments so far").click()
    expect(page.get_by_role("heading", name="Line 2")).to_be_visible()
    expect(page.get_by_role("heading", name="Line 1")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Palbociclib reduced from 125 mg to 100 mg")
    expect(page.locator("main")).to_contain_text("Special occasion or holiday (planned)")
    assert no_sideways_scroll(page)
    assert serious_axe_violations(page) == []
    context.close()


def test_the_clinician_finds_helen_reads_her_record_and_adds_a_blood_test(server, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, server, LOGIN["clinician"])
    page.get_by_role("link", name="Caseload").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()
    assert serious_axe_violations(page) == []
    page.fill("#q", "marsh")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Marsh, Helen").click()
    profile = page.locator("section", has_text="Cancer profile")
    expect(profile).to_contain_text("HER2-low")
    expect(profile).to_contain_text("Liver")
    expect(profile).to_contain_text("Bone")
    assert serious_axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "clinician-record-desktop.png"), full_page=True)

    page.get_by_role("link", name="Blood tests").click()
    page.get_by_role("link", name="Add blood test result").click()
    page.fill("#f-taken_on", "2099-01-01")
    page.fill("#f-test", "Platelets")
    page.fill("#f-value", "142")
    page.fill("#f-unit", "10*9/L")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary")).to_contain_text("This date is in the future")
    expect(page.locator("#f-test")).to_have_value("Platelets")
    assert serious_axe_violations(page) == []
    page.fill("#f-taken_on", "2026-11-20")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Blood tests")).to_be_visible()
    expect(page.locator(".entries")).to_contain_text("Platelets 142 10*9/L")
    context.close()


def test_the_patient_reaches_neither_the_caseload_nor_anyone_else(server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, server, LOGIN["patient"])
    response = page.goto(server + "/caseload")
    assert response.status == 403
    expect(page.locator("main")).not_to_contain_text("Marsh, Helen")
    response = page.goto(f"{server}/patients/{uuid.uuid4()}")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    context.close()


def test_signing_out_ends_access(server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, server, LOGIN["patient"])
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(server + "/")
    expect(page).to_have_url(server + "/sign-in?next=/")
    context.close()
