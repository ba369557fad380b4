"""/api/docs in real Chromium: Swagger UI starts from this origin's files under the service's CSP,
with no script, style or image refused, and shows the API."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import DESKTOP

pytestmark = pytest.mark.browser


def test_the_api_docs_render_under_the_services_csp(open_page, server):
    page = open_page(DESKTOP)
    refused, elsewhere = [], []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("request", lambda request: elsewhere.append(request.url)
            if not request.url.startswith(server) and not request.url.startswith("data:") else None)
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Alongside")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert refused == [] and elsewhere == []
