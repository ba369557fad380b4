"""Appointments in real Chromium: Helen, on a phone, finds her last blood test with its results
(the low neutrophils flagged) and her last scan with its reading; axe-core finds no serious or
critical problem."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import PHONE, axe_violations, no_sideways_scroll

pytestmark = pytest.mark.browser


def test_helen_sees_what_came_of_her_last_blood_test_and_scan(open_page, shots):
    page = open_page(PHONE, "patient")
    page.goto(f"/patients/{DEMO_PATIENT_ID}")
    page.get_by_role("link", name="Appointments", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appointments")
    past = page.get_by_role("region", name="Past")
    bloods = past.locator(".card", has=page.get_by_role("heading", name="Blood test")).first
    expect(bloods.get_by_role("heading", name="Results from this appointment")).to_be_visible()
    expect(bloods.get_by_role("listitem").filter(has_text="Neutrophils 0.8")).to_contain_text("below the normal range")
    scan = past.locator(".card", has=page.get_by_role("heading", name="Scan", exact=True))
    expect(scan).to_contain_text("CT scan")
    upcoming = page.get_by_role("region", name="Coming up")
    expect(upcoming.get_by_role("heading", name="Results from this appointment")).to_have_count(0)
    assert no_sideways_scroll(page), "the appointments page scrolls sideways on a 390 px phone"
    page.screenshot(path=str(shots / "appointments-phone.png"), full_page=True)
    assert axe_violations(page) == []
