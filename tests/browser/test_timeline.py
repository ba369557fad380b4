"""The timeline in real Chromium: Helen's nurse reads her whole story on one screen (two lines of
treatment with the break, CA 15-3 rising before the scan read as progressing) and finds the grade 3
neutropenia alert in the inbox; Helen reads her timeline on a phone. Screenshots of both widths,
and axe-core finds no serious or critical problem."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import DESKTOP, PHONE, axe_violations, no_sideways_scroll

pytestmark = pytest.mark.browser
TIMELINE = f"/patients/{DEMO_PATIENT_ID}/timeline"


def test_the_nurse_reads_helens_whole_story_on_one_screen(open_page, shots):
    page = open_page(DESKTOP, "clinician")
    page.goto(TIMELINE + "?span=all")
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline")
    treatment = page.get_by_role("region", name="Treatment, scans and decisions")
    expect(treatment.locator("svg[role=img]:visible")).to_have_count(1)  # the wide drawing; the phone's is hidden
    expect(treatment.locator("svg.chart-wide")).to_be_visible()
    treatment.get_by_text("The same as a list").click()
    expect(treatment.locator("tbody").first).to_contain_text("Line 1: Fulvestrant and palbociclib")
    expect(treatment.locator("tbody").first).to_contain_text("Line 2: Capecitabine")
    expect(treatment.locator("tbody").first).to_contain_text("Break from Fulvestrant and palbociclib")
    expect(treatment.locator("tbody").nth(1)).to_contain_text("CT scan: progressing")

    markers = page.get_by_role("region", name="Tumour markers")
    expect(markers).to_contain_text("can rise for reasons other than cancer")
    expect(markers).to_contain_text("During Line 1: Fulvestrant and palbociclib, a rise was confirmed")
    expect(markers).to_contain_text("Read against the current treatment (Line 2: Capecitabine)")
    expect(page.get_by_role("region", name="Scans", exact=True)).to_contain_text("PR")
    blood = page.get_by_role("region", name="Blood tests")
    expect(blood.get_by_role("heading", name="Neutrophils (10*9/L)")).to_be_visible()
    page.screenshot(path=str(shots / "timeline-desktop.png"), full_page=True)
    assert axe_violations(page) == []

    blood.get_by_label("Adjusted calcium").check()
    blood.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Adjusted calcium (mmol/L)")).to_be_visible()

    page.goto("/triage")
    expect(page.locator("main")).to_contain_text("Neutrophil count decreased, grade 3")


def test_helen_reads_her_timeline_on_a_phone(open_page, shots):
    page = open_page(PHONE, "patient")
    page.goto(TIMELINE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline")
    expect(page.locator("main")).to_contain_text("never used on their own to change treatment")
    assert no_sideways_scroll(page), "the timeline scrolls sideways on a 390 px phone"
    # Each chart is the phone drawing, whole in its frame (newest results in view, no scrolling
    # inside it) and its smallest text at 14 px or more as drawn on the screen.
    drawn = page.evaluate("""[...document.querySelectorAll('svg.chart')].filter(s => s.checkVisibility()).map(s => ({
        phone: s.classList.contains('chart-phone'),
        fits: s.parentElement.scrollWidth <= s.parentElement.clientWidth + 1,
        smallest: Math.min(...[...s.querySelectorAll('text')].map(t =>
            parseFloat(t.getAttribute('font-size')) * s.clientWidth / s.viewBox.baseVal.width))}))""")
    assert drawn and all(c["phone"] and c["fits"] for c in drawn), drawn
    assert min(c["smallest"] for c in drawn) >= 14, drawn
    page.screenshot(path=str(shots / "timeline-phone.png"), full_page=True)
    assert axe_violations(page) == []
