"""A team's nurse changes the team's check-in day and alert email on a 390 px phone, sees the
change saved and both in the history of changes; the page has no serious axe-core problem and
does not scroll sideways. The check-in day is put back after, for the journeys that follow."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .support import PHONE, axe_violations, no_sideways_scroll


def test_a_nurse_changes_the_check_in_day_and_the_alert_email_and_sees_the_history(open_page, shots):
    page = open_page(PHONE, role="clinician")
    page.goto("/triage")
    page.get_by_role("link", name="Settings of").first.click()
    expect(page.locator("h1")).to_contain_text("Team settings")
    expect(page.get_by_text("Default 7 points")).to_be_visible()
    page.get_by_label("Alert emails go to").fill("sbc-nurses@demo.example")
    page.get_by_label("Check-in day").select_option("wednesday")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Your changes are saved")
    expect(page.get_by_label("Check-in day")).to_have_value("wednesday")
    expect(page.get_by_label("Alert emails go to")).to_have_value("sbc-nurses@demo.example")
    history = page.locator(".history")
    expect(history).to_contain_text("Jo Pearce: Check-in day: none \u2192 wednesday")
    # From whatever an earlier journey left there (the demo team is shared by the browser tests).
    expect(history).to_contain_text(re.compile(r"Jo Pearce: Alert emails go to: [^\u2192]+ \u2192 sbc-nurses@demo\.example"))
    assert no_sideways_scroll(page)
    problems = axe_violations(page, ("serious", "critical"))
    assert problems == [], "axe-core on team settings:\n" + "\n".join(problems)
    page.screenshot(path=str(shots / "team-settings-phone.png"), full_page=True)
    page.get_by_label("Check-in day").select_option("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".history")).to_contain_text("Check-in day: wednesday \u2192 none")
