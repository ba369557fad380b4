"""Security headers on every response, and a cap on request bodies before they are read."""

from __future__ import annotations

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


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, hsts: bool):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge()
            return message

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = dict(HEADERS, **({} if scope["path"].startswith("/static/") else NO_STORE))
                if self.hsts:
                    extra["strict-transport-security"] = "max-age=31536000"
                headers += [(k.encode(), v.encode()) for k, v in extra.items()]
                message = dict(message, headers=headers)
            await send(message)

        try:
            await self.app(scope, counted_receive, secured_send)
        except BodyTooLarge:
            await self._too_large(scope, receive, secured_send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(413, "Request too large",
                                    f"The request body is larger than {self.max_body_bytes // 1000} kB.", "body")
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    pass
