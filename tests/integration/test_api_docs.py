"""/api/docs works under the service's own CSP: every script and style it loads is served by
Alongside itself (from the installed Swagger UI package), none is inline, and the CSP is as strict
as on every other page."""

from __future__ import annotations

from html.parser import HTMLParser

from alongside.web.security import HEADERS


class Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.openapi_url = None
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.urls.append(attrs["src"])
            else:
                self._in_script_without_src = True
        if tag == "link":
            self.urls.append(attrs["href"])
        if "data-openapi-url" in attrs:
            self.openapi_url = attrs["data-openapi-url"]
        if any(name == "style" or name.startswith("on") for name in attrs):
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        self._in_script_without_src = False

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1


def test_the_api_docs_load_only_this_origins_scripts_and_styles_and_keep_the_csp(make_client):
    client = make_client()
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == HEADERS["content-security-policy"]
    assert "http" not in page.headers["content-security-policy"]  # no CDN host let in
    loads = Loads()
    loads.feed(page.text)
    assert loads.inline_scripts == 0
    assert any(url.endswith(".js") for url in loads.urls) and any(url.endswith(".css") for url in loads.urls)
    for url in loads.urls:
        assert url.startswith("/") and not url.startswith("//"), url  # same origin
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in {"text/javascript", "text/css"}, url
        assert asset.headers["content-security-policy"] == HEADERS["content-security-policy"]
    assert client.get(loads.openapi_url).json()["info"]["title"] == "Alongside"


def test_only_the_files_the_docs_page_uses_are_served_from_the_swagger_package(make_client):
    client = make_client()
    for name in ("index.html", "swagger-initializer.js", "index.j2", "..%2F__init__.py"):
        assert client.get(f"/static/swagger-ui/{name}").status_code == 404, name
