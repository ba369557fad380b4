"""The team's response times page, reached from the triage inbox: axe-core finds nothing serious,
and nothing scrolls sideways on a 390 px phone, nor at 200 % text (the tables scroll in their frames)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import DESKTOP, PHONE, axe_violations, no_sideways_scroll

DOUBLE_TEXT = "document.documentElement.style.fontSize = '225%'"  # the root is 112.5 %


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_response_times_are_reached_from_triage_and_read_by_everyone(open_page, viewport):
    page = open_page(viewport, role="clinician")
    page.goto("/triage")
    page.get_by_role("link", name="response times by level and week").first.click()
    expect(page.locator("h1")).to_contain_text("Response times")
    expect(page.get_by_role("region", name="Table of red alerts by week")).to_be_visible()
    problems = axe_violations(page, ("serious", "critical"))
    assert problems == [], "axe-core on response times:\n" + "\n".join(problems)
    assert no_sideways_scroll(page)
    page.evaluate(DOUBLE_TEXT)
    assert no_sideways_scroll(page), "response times are wider than the screen at 200 % text"
