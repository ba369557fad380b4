"""The dark theme in Chromium (issue 16 item 6, hazard H48): with the system set to dark, the pages
turn dark, axe-core finds no serious or critical problem (colour contrast included) on Helen's home,
her blood tests and the nurse's triage inbox, and a red alert's badge is still red."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import PHONE, axe_violations, no_sideways_scroll

pytestmark = pytest.mark.browser

HELEN = f"/patients/{DEMO_PATIENT_ID}"


def _background(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")


@pytest.mark.parametrize("role, path, name", [("patient", HELEN, "home"), ("patient", HELEN + "/record/lab-results", "blood-tests"),
                                              ("clinician", "/triage", "triage")])
def test_dark_pages_keep_aa_contrast(open_page, shots, role, path, name):
    page = open_page(PHONE, role)
    page.emulate_media(color_scheme="dark")
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert _background(page, "body") == "rgb(18, 18, 23)", "the page did not follow the system's dark setting"
    assert no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"dark-{name}-phone.png"), full_page=True)
    assert axe_violations(page) == []
    if name == "triage":
        red = page.locator(".badge.level-red, .pill.level-red").first
        expect(red).to_be_visible()
        r, g, b = (int(x) for x in red.evaluate("e => getComputedStyle(e).backgroundColor")[4:-1].split(","))
        assert r > 200 and r > g + 80 and r > b + 50, f"the red alert mark is not red in the dark: {(r, g, b)}"
