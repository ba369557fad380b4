"""Helen's tumour markers and scans as tables on a phone (issue 16 item 2): at 390 px, at the normal
text size and at 225 %, in the light and the dark theme, the page never scrolls sideways (a table
may scroll inside its own labelled frame), a result above its range, a confirmed rise and a scan
read as progressing say so in words, and axe-core finds no serious or critical problem."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import PHONE, axe_violations, no_sideways_scroll

pytestmark = pytest.mark.browser
HELEN = f"/patients/{DEMO_PATIENT_ID}/record"
LARGE_TEXT = "document.documentElement.style.fontSize = '225%'"  # the root is 112.5 %: see test_large_text.py


@pytest.mark.parametrize("path, heading, region, words", [
    ("/tumour-markers?test=ca15_3", "Tumour markers", "CA 15-3 results", "A rise confirmed by this repeat test"),
    ("/scans", "Scans", "Scans", "New lesions seen"),
])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_helen_reads_her_result_tables_on_a_phone(open_page, shots, path, heading, region, words, theme):
    page = open_page(PHONE, "patient")
    page.emulate_media(color_scheme=theme)
    page.goto(HELEN + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    table = page.get_by_role("region", name=region, exact=True)
    expect(table.locator("caption")).to_have_text(f"{region}, newest first")
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(table.locator(".mark").first).to_be_visible()
    expect(table).to_contain_text(words)
    if path.startswith("/tumour-markers"):
        expect(table).to_contain_text("Above the normal range")
        expect(page.locator("main")).to_contain_text("never used on their own to change treatment")
    assert no_sideways_scroll(page), f"{path} scrolls sideways on a 390 px phone"
    assert axe_violations(page) == []
    page.evaluate(LARGE_TEXT)
    assert no_sideways_scroll(page), f"{path} scrolls sideways on a phone at 225 % text"
    page.screenshot(path=str(shots / f"result-table-{heading.split()[-1].lower()}-{theme}-phone.png"), full_page=True)
    assert axe_violations(page) == []
