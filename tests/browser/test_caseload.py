"""The demo's caseload of 60 in real Chromium: the nurse sorts by the worst open alert, filters
to red, to people not checked in for two weeks and to those with no line in force, keeps the sort
while paging, and goes from a row to that person's timeline in one click; on a 390 px phone at
200 % text the page does not scroll sideways; axe-core finds nothing serious."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from alongside.demo import CASELOAD_SIZE, DEMO_PATIENT_ID

from .support import DESKTOP, PHONE, axe_violations, no_sideways_scroll

pytestmark = pytest.mark.browser


def search(page) -> None:
    page.get_by_role("button", name="Search").click()


def rows(page):
    return page.locator("table.caseload tbody tr")


def test_the_nurse_sorts_and_filters_the_caseload_and_opens_a_timeline(open_page, server, shots):
    page = open_page(DESKTOP, "clinician")
    page.goto("/caseload")
    expect(page.locator(".lead")).to_contain_text(f"{CASELOAD_SIZE + 1} people")
    expect(rows(page)).to_have_count(50)  # the first page
    assert axe_violations(page) == []

    page.get_by_role("link", name="Open alerts", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=alerts"))
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Open alerts")
    expect(rows(page).first.locator(".badge")).to_have_text("RED")  # worst first
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"sort=alerts.*page=2"))
    expect(rows(page)).to_have_count(CASELOAD_SIZE + 1 - 50)
    expect(rows(page).locator(".badge")).to_have_count(0)  # those with open alerts all came first

    page.select_option("#alerts", "red")
    search(page)
    expect(page).to_have_url(re.compile(r"alerts=red"))
    badges = rows(page).locator(".badge").all_inner_texts()
    assert badges and set(badges) == {"RED"} and len(badges) == rows(page).count()
    page.screenshot(path=str(shots / "caseload-red-desktop.png"), full_page=True)

    page.select_option("#alerts", "")
    page.fill("#weeks", "2")
    search(page)
    overdue = rows(page).all_inner_texts()
    assert overdue and all("Not checked in for" in row or "Never" in row for row in overdue), overdue

    page.fill("#weeks", "")
    page.select_option("#line", "none")
    search(page)
    stopped = rows(page).all_inner_texts()
    assert stopped and all("None in force" in row for row in stopped), stopped

    page.get_by_role("link", name="Clear the filters").click()
    page.fill("#q", "Marsh")
    search(page)
    expect(rows(page)).to_have_count(1)
    rows(page).get_by_role("link", name=re.compile("^Timeline")).click()
    expect(page).to_have_url(f"{server}/patients/{DEMO_PATIENT_ID}/timeline")
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline")


def test_the_caseload_fits_a_phone_at_double_text_size(open_page, shots):
    page = open_page(PHONE, "clinician")
    page.goto("/caseload?sort=last_check_in")
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Last check-in")
    first = rows(page).first
    expect(first).to_contain_text(re.compile("Never|Not checked in for"))  # the longest gap first
    page.evaluate("document.documentElement.style.fontSize = '225%'")
    assert no_sideways_scroll(page), "the caseload scrolls sideways on a 390 px phone at 200 % text"
    page.screenshot(path=str(shots / "caseload-phone.png"), full_page=True)
    assert axe_violations(page) == []
