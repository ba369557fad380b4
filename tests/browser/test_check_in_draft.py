"""A check-in finished later, in real Chromium: Helen answers part of it on her phone, saves it,
goes to her treatments, comes back to find her answers waiting (from the server, not the
browser), adds one more and sends it; the draft is gone and she reads advice for her tiredness."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID
from alongside.domain.instrument import instrument

from .support import PHONE, serious_axe_violations

pytestmark = pytest.mark.browser
HELEN = f"/patients/{DEMO_PATIENT_ID}"


def question(page, name: str):
    return page.locator("#f-" + name.replace(".", "\\."))


def test_helen_saves_a_half_done_check_in_comes_back_to_it_and_sends_it(open_page, server):
    page = open_page(PHONE, "patient")
    page.goto(HELEN)
    page.get_by_role("link", name="Check in", exact=True).click()  # the menu's: home says "done" once one is sent
    page.get_by_role("link", name="Show every question on one page").click()  # the one-page form
    expect(page.get_by_role("heading", name="Your check-in")).to_be_visible()
    question(page, "flag.bleeding").get_by_label("No").check()
    question(page, "symptom.fatigue.severity").get_by_label("Mild").check()
    question(page, "symptom.fatigue.interference").get_by_label("A little").check()
    page.fill("#f-free_text", "Tired after the school run")
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.locator(".notice")).to_contain_text("Saved.")
    expect(page.locator(".notice")).to_contain_text("has not been sent to your team")
    assert serious_axe_violations(page) == []

    page.get_by_role("link", name="My treatments").click()
    expect(page).to_have_url(server + HELEN + "/treatments")
    page.evaluate("window.sessionStorage.clear()")  # whatever comes back comes from the server
    page.get_by_role("link", name="Check in", exact=True).click()
    page.get_by_role("link", name="Show every question on one page").click()  # the one-page form
    expect(page.locator(".draft-note")).to_contain_text("You started this check-in earlier")
    expect(question(page, "flag.bleeding").get_by_label("No")).to_be_checked()
    expect(question(page, "symptom.fatigue.severity").get_by_label("Mild")).to_be_checked()
    expect(question(page, "symptom.fatigue.interference").get_by_label("A little")).to_be_checked()
    expect(page.locator("#f-free_text")).to_have_value("Tired after the school run")
    expect(question(page, "symptom.pain.frequency").locator("input:checked")).to_have_count(0)

    question(page, "symptom.insomnia.severity").get_by_label("None").check()
    page.get_by_role("button", name="Send to my team").click()
    expect(page.locator(".result-kicker")).to_have_text("Thank you")
    fatigue = page.locator('[data-symptom="fatigue"]')
    expect(fatigue).to_contain_text(instrument().self_care["fatigue"].green)
    expect(fatigue.locator(".badge")).to_have_text("Things that may help")

    page.goto(HELEN + "/check-in?all=1")  # the one-page form
    expect(page.get_by_role("heading", name="Your check-in")).to_be_visible()
    expect(page.locator(".draft-note")).to_have_count(0)
    expect(page.locator("#f-free_text")).to_have_value("")
