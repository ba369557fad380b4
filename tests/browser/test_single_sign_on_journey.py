"""A clinician signs in through the hospital's OpenID provider in real Chromium (issue 17, item 9):
the local provider (tests/oidc: panva's oidc-provider) shows its own login and consent pages, and
she lands on her team's caseload. Signing out ends her Alongside session and offers the
provider's own sign-out, which brings her back to Alongside's sign-in page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider

from .conftest import SATURDAY_NIGHT, TIMEOUT_MS
from .support import DESKTOP, PHONE, SHOTS, axe_violations, free_port, no_sideways_scroll, serving
from .test_large_text import DOUBLE_TEXT

pytestmark = pytest.mark.browser
PROVIDER_NAME = "Hospital Login"


@pytest.fixture(scope="module")
def sso_server(demo_database):
    """The demo served with single sign-on through a local provider; (app URL, provider)."""
    backend, url = demo_database
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    SHOTS.parent.mkdir(parents=True, exist_ok=True)
    with running_provider(base, SHOTS.parent / f"oidc-provider-{backend}.log") as provider:
        with serving(url, SHOTS.parent / f"browser-sso-server-{backend}.log", port=port,
                     ALONGSIDE_FIXED_TIME=SATURDAY_NIGHT, ALONGSIDE_MONITOR_INTERVAL="0",
                     ALONGSIDE_OIDC_ISSUER=provider.issuer, ALONGSIDE_OIDC_CLIENT_ID=CLIENT_ID,
                     ALONGSIDE_OIDC_CLIENT_SECRET=CLIENT_SECRET, ALONGSIDE_OIDC_PROVIDER_NAME=PROVIDER_NAME,
                     ALONGSIDE_OIDC_SCOPES="openid email profile groups") as (served, _):
            yield served, provider


def test_a_clinician_signs_in_at_the_providers_own_page_and_reaches_the_caseload(browser, sso_server, shots):
    base, provider = sso_server
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(base + "/sign-in")
        assert not axe_violations(page), axe_violations(page)
        page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()

        expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/interaction/"))  # the provider's own page
        page.fill("input[name=login]", "nurse.sso")
        page.fill("input[name=password]", "whatever the provider asks")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()  # its consent page

        expect(page).to_have_url(base + "/caseload")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Caseload")
        expect(page.get_by_text("Robin Okafor")).to_be_visible()  # who is signed in, named by the provider
        expect(page.locator("table")).to_contain_text("Helen")
        page.screenshot(path=str(shots / "sso-caseload.png"))

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("You have signed out of Alongside")
        page.goto(base + "/caseload")
        expect(page).to_have_url(re.compile(re.escape(base) + "/sign-in"))  # the session has ended
        page.goto(base + "/sign-in?signed_out=true")
        page.get_by_role("link", name=f"sign out of {PROVIDER_NAME} too").click()
        page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own sign-out
        expect(page).to_have_url(base + "/sign-in")
    finally:
        context.close()


def test_the_sign_in_page_with_the_providers_button_fits_a_phone_at_double_text(browser, sso_server):
    base, _ = sso_server
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(base + "/sign-in")
        page.evaluate(DOUBLE_TEXT)
        expect(page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}")).to_be_visible()
        assert no_sideways_scroll(page), "the sign-in page scrolls sideways on a 390 px phone at 200 % text"
        assert not axe_violations(page), axe_violations(page)
    finally:
        context.close()
