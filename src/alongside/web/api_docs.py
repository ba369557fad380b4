"""The browsable API at /api/docs: Swagger UI served from the installed swagger-ui-bundle-v2
package, with its start-up in a file of ours, so the page keeps the service's CSP (scripts and
styles from this origin only; no inline script, no CDN)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
PAGE = """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Alongside API</title>
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/api/docs")
def api_docs() -> HTMLResponse:
    return HTMLResponse(PAGE.format(openapi_url="/api/v1/openapi.json"))


# Before the /static mount: only the two files the page uses, not the package's demo page.
@router.get("/static/swagger-ui/{name}")
def swagger_ui_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, "Not found")
    return FileResponse(swagger_ui_path / name, media_type=ASSETS[name])
