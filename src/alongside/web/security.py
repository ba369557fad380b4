"""Security headers on every response, and a cap on request bodies before they are read."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem_response

HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}
# Pages and answers hold health data: no browser or proxy may keep a copy.
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


# File uploads may be larger than other bodies, up to the service's upload limit plus the form around them.
# A message may carry a photo: the message form, and the API's photo of a message.
UPLOAD_PATH_SUFFIX = ("/documents/upload", "/messages", "/photos")
FORM_ALLOWANCE = 64 * 1024


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, hsts: bool, max_upload_bytes: int = 0):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.hsts = hsts
        # Encoded once: every response carries them.
        secure = dict(HEADERS, **({"strict-transport-security": "max-age=31536000"} if hsts else {}))
        self._static_headers = [(k.encode(), v.encode()) for k, v in secure.items()]
        self._headers = self._static_headers + [(k.encode(), v.encode()) for k, v in NO_STORE.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        if self.max_upload_bytes and scope["path"].endswith(UPLOAD_PATH_SUFFIX):
            limit = max(limit, self.max_upload_bytes + FORM_ALLOWANCE)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:  # refused before a byte is read
            await self._too_large(scope, receive, send, limit)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge()
            return message

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = self._static_headers if scope["path"].startswith("/static/") else self._headers
                message = dict(message, headers=[*message.get("headers", []), *extra])
            await send(message)

        try:
            await self.app(scope, counted_receive, secured_send)
        except BodyTooLarge:
            await self._too_large(scope, receive, secured_send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        detail = f"The request body is larger than {limit // 1000} kB."
        if scope["path"].endswith(UPLOAD_PATH_SUFFIX) and not scope["path"].startswith("/api/"):
            # A page, not a program, sent it: say so in a page, with the way back.
            detail = f"This file is too large: the limit is {self.max_upload_bytes // (1024 * 1024)} MB. Nothing was saved."
            response = HTMLResponse(f"<!doctype html><html lang=\"en-GB\"><title>File too large</title><h1>File too large"
                                    f"</h1><p>{detail}</p><p><a href=\"{html.escape(scope['path'].removesuffix('/upload'))}\">"
                                    "Back to the documents</a></p></html>", status_code=413)
        else:
            response = problem_response(413, "Request too large", detail, "body")
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    pass
