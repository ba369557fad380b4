"""A nurse signs in with a second factor, in real Chromium against the served demo (issue 17,
item 8): she sets up an authenticator from her account page (QR code and key, no JavaScript
needed), keeps her recovery codes, and in another browser signs in with her password and then a
code, landing on the triage inbox. axe-core finds no serious or critical problem on the new pages, and
none scrolls sideways on a phone. Her second factor is turned off again afterwards, so the other
journeys sign her in with the password alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from .support import LOGIN, PHONE, axe_violations, no_sideways_scroll

pytestmark = pytest.mark.browser
SLOW_MS = 60_000  # argon2 twice and the enrolment: generous, so a busy machine does not fail it


def _code(secret: str, ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * ahead))


def test_a_nurse_signs_in_with_her_second_factor_and_reaches_the_triage_inbox(open_page, shots):
    nurse = LOGIN["clinician"]
    page = open_page(PHONE, "clinician")
    page.set_default_timeout(SLOW_MS)
    page.goto("/account/second-factor")
    try:
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
        expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
        assert no_sideways_scroll(page), "the set-up page scrolls sideways on a 390 px phone"
        assert axe_violations(page) == []
        secret = page.locator(".link-box code").inner_text().replace(" ", "")
        page.get_by_label("Code").fill(_code(secret))
        page.get_by_role("button", name="Turn it on").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your second factor is on")
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        assert axe_violations(page) == []
        page.get_by_role("link", name=re.compile("continue")).click()

        # Another browser (this one's session is shared with the other journeys, so it stays).
        other = open_page(PHONE)
        other.set_default_timeout(SLOW_MS)
        other.goto("/sign-in?next=/triage")
        other.fill("#email", nurse.email)
        other.fill("#password", nurse.password)
        other.get_by_role("button", name="Sign in").click()
        expect(other.get_by_role("heading", level=1)).to_have_text("Type your code")
        assert no_sideways_scroll(other), "the code page scrolls sideways on a 390 px phone"
        assert axe_violations(other) == []
        other.get_by_label("Code").fill("000000")
        other.get_by_role("button", name="Sign in").click()
        expect(other.locator(".error-message")).to_contain_text("not right")
        other.get_by_label("Code").fill(_code(secret, ahead=1))
        other.get_by_role("button", name="Sign in").click()
        expect(other).to_have_url(re.compile(r"/triage"))
        expect(other.get_by_role("heading", level=1)).to_be_visible()
        other.screenshot(path=str(shots / "second-factor-triage.png"), full_page=True)
    finally:
        page.goto("/account/second-factor")
        if page.get_by_role("button", name="Turn it off").count():
            page.get_by_role("button", name="Turn it off").click()
