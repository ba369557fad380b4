"""Large text and reflow (WCAG 2.2, 1.4.4 and 1.4.10): at 200 % text on a desktop window and on a
390 px phone, and at 320 CSS pixels wide (a 1280 px window zoomed to 400 %), no page is wider than
the screen.
Tables and charts may scroll inside their own frames; the page itself must not."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import DESKTOP, no_sideways_scroll

HELEN = f"/patients/{DEMO_PATIENT_ID}"
NARROW = {"width": 320, "height": 640}
PHONE_390 = {"width": 390, "height": 844}
# The style sheet sets the root at 112.5 %; doubling it doubles every rem-sized text.
DOUBLE_TEXT = "document.documentElement.style.fontSize = '225%'"

PAGES = [
    ("patient", HELEN),
    ("patient", HELEN + "/whom-to-call"),
    ("patient", HELEN + "/record/check-ins/new"),
    ("patient", HELEN + "/timeline"),
    ("patient", HELEN + "/account"),
    ("patient", HELEN + "/trials"),
    ("patient", HELEN + "/messages"),
    ("patient", HELEN + "/record/lab-results"),
    ("clinician", HELEN),
    ("clinician", HELEN + "/decision-summary"),
    ("clinician", HELEN + "/symptoms"),
    ("clinician", HELEN + "/documents"),
    ("clinician", HELEN + "/lab-results/import"),
    ("clinician", HELEN + "/record/tumour-markers"),
    ("clinician", HELEN + "/record/appointments/new"),
    ("clinician", "/triage"),
    ("clinician", "/caseload?sort=alerts&alerts=any"),
]


@pytest.mark.parametrize("role, path", PAGES, ids=[f"{r}-{p.replace(HELEN, 'record')}" for r, p in PAGES])
@pytest.mark.parametrize("how", ["text-200", "phone-text-200", "width-320"])
def test_no_page_is_wider_than_the_screen(open_page, role, path, how):
    page = open_page({"text-200": DESKTOP, "phone-text-200": PHONE_390, "width-320": NARROW}[how], role=role)
    page.goto(path)
    expect(page.locator("h1")).to_be_visible()
    if how.endswith("text-200"):
        before = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
        page.evaluate(DOUBLE_TEXT)
        after = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
        assert after == pytest.approx(2 * before)  # the text really is twice the size
    assert no_sideways_scroll(page), f"{path} is wider than the screen ({how})"
