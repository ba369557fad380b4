"""A carer's menu on a phone, without JavaScript (issue 16 item 6): Mark, who checks in for Helen,
finds each thing he may do for her in the menu, follows it, and no page is wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .conftest import TIMEOUT_MS
from .support import PHONE, no_sideways_scroll

pytestmark = pytest.mark.browser
HELEN = f"/patients/{DEMO_PATIENT_ID}"
MENU = [("Helen's home", HELEN), ("Check in for Helen", HELEN + "/check-in"), ("Messages", HELEN + "/messages"),
        ("Dose diary", HELEN + "#now"), ("Results", HELEN + "/record/lab-results"),
        ("Whom to call", HELEN + "#whom-to-call")]


def test_the_carer_menu_works_without_javascript_and_fits_a_phone(browser, server, signed_in):
    context = browser.new_context(viewport=PHONE, base_url=server, storage_state=signed_in("carer"),
                                  java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/")  # one person looked after: straight to her home
        nav = page.get_by_role("navigation", name="Main")
        for label, href in MENU:
            expect(nav.get_by_role("link", name=label, exact=True)).to_have_attribute("href", href)
        expect(nav.get_by_role("link", name="People I look after")).to_have_count(0)
        assert no_sideways_scroll(page), "Helen's home is wider than the phone"
        for label, href in MENU:
            page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()
            assert page.url.endswith(href), (label, page.url)
            expect(page.locator("main h1")).to_be_visible()
            assert no_sideways_scroll(page), f"{label} is wider than the phone"
    finally:
        context.close()
