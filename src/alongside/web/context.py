"""Per-request plumbing: one worker thread and one unit of work a request, who is signed in,
and the CSRF check."""

from __future__ import annotations

import functools
import inspect
import secrets
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..domain import accounts, carer_menu
from ..domain.accounts import Session
from ..domain.errors import AccessDenied
from ..domain.password_reset import ResetLink
from ..domain.people import Actor, Relationship, User
from ..notify import password_reset_email, send_quietly
from ..store.unit_of_work import UnitOfWork

SESSION_COOKIE = "alongside_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PROVIDED = ("current", "uow", "form", "files", "raw_body")  # the parameters `with_unit_of_work` fills in
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Visit:
    """The signed-in person for this request."""

    session: Session
    user: User
    # A carer's: whose records their account opens, and how (their menu is chosen from it).
    cares_for: dict[UUID, Relationship] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return accounts.actor_for(self.user)

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token


def with_unit_of_work(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Run a route's work in one worker thread, inside one unit of work.

    The route names what it needs among its parameters: `uow` (the unit of work), `current`
    (the signed-in visit), `form` (the posted fields), `files` (the posted files) and
    `raw_body` (the body's bytes). Every other parameter is FastAPI's as usual. A change made
    as `current` must carry the session's CSRF token: in the csrf_token field of a posted form,
    else in the X-CSRF-Token header.

    FastAPI would give each blocking dependency (opening the unit of work, resuming the session,
    closing it) and the route a thread switch of their own. With eight clients at once those
    four switches cost more than a check-in's own work; one switch a request halved the
    server's time per check-in (docs/benchmarks.md). Form posts, argon2 at sign-in among them,
    no longer run on the event loop either."""
    signature = inspect.signature(endpoint)
    hints = typing.get_type_hints(endpoint, include_extras=True)
    wants = {name for name in PROVIDED if name in signature.parameters}
    takes_request = "request" in signature.parameters
    outer = [p.replace(annotation=hints.get(p.name, p.annotation))
             for p in signature.parameters.values() if p.name not in PROVIDED]
    if not takes_request:
        outer.insert(0, inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request))

    async def route(**params: Any) -> Any:
        request: Request = params["request"] if takes_request else params.pop("request")
        form = await request.form() if wants & {"form", "files"} or _posts_form(request, wants) else None
        try:
            fields = {k: v for k, v in form.items() if isinstance(v, str)} if form is not None else None
            if "form" in wants:
                params["form"] = fields
            if "files" in wants:
                params["files"] = {k: v for k, v in form.items() if isinstance(v, UploadFile)}
            if "raw_body" in wants:
                params["raw_body"] = await request.body()
            return await run_in_threadpool(_in_unit_of_work, endpoint, request, wants, params, fields)
        finally:
            if form is not None:
                await form.close()  # uploaded files were spooled to disk until the work was done

    functools.update_wrapper(route, endpoint)
    route.__signature__ = signature.replace(parameters=outer)  # what FastAPI reads to parse the request
    return route


def _posts_form(request: Request, wants: set[str]) -> bool:
    """A change posted as a form, whose csrf_token field must be read to check it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # A route that reads its raw body checks the media type itself (and its token is a header).
    return "current" in wants and "raw_body" not in wants and request.method in UNSAFE and content_type in FORMS


def _in_unit_of_work(endpoint: Callable[..., Any], request: Request, wants: set[str], params: dict[str, Any],
                     form: dict[str, str] | None) -> Any:
    with UnitOfWork(request.app.state.sessions, serialise=True) as uow:
        if "current" in wants:
            params["current"] = resume_visit(uow, request, form)
        if "uow" in wants:
            params["uow"] = uow
        return endpoint(**params)


def _csrf_token(request: Request, form: dict[str, str] | None) -> str | None:
    """A page's form carries the token as a field, and only there; an API call carries it as the
    header, a multipart upload to the API (a message's photo) in either."""
    if form is not None and not request.url.path.startswith("/api/"):
        return form.get("csrf_token")
    return (form or {}).get("csrf_token") or request.headers.get(CSRF_HEADER)


def resume_visit(uow: UnitOfWork, request: Request, form: dict[str, str] | None = None) -> Visit:
    """The signed-in visit behind the session cookie; a change must carry its CSRF token."""
    session, user = accounts.resume_session(uow, request.cookies.get(SESSION_COOKIE), request.app.state.settings.policy)
    current = Visit(session, user, carer_menu.carer_links(uow, accounts.actor_for(user)))
    request.state.visit = current  # pages show who is signed in, error pages too
    if request.method in UNSAFE:
        check_csrf(current, _csrf_token(request, form))
    return current


def check_csrf(current: Visit, given: str | None) -> None:
    if not given or not secrets.compare_digest(given, current.csrf_token):
        raise AccessDenied("The form or request was missing its security token. Reload the page and try again.",
                           field="csrf_token")


PRE_SESSION_COOKIE = "alongside_signin_csrf"
# Holds the second step's token between the password and the code. Strict same-site, so another
# site's form cannot post with it: it also stands for the CSRF token of the second step's form.
SECOND_STEP_COOKIE = "alongside_second_step"
STEP_PATH = "/sign-in/second-factor"


def set_pre_session_cookie(request: Request, response, token: str) -> None:
    """The CSRF token of a form posted before anyone is signed in (sign-in, forgotten password),
    kept in a strict same-site cookie as well as in the form: the two must match."""
    response.set_cookie(PRE_SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.app.state.settings.cookie_secure, max_age=3600)


def pre_session_token_ok(request: Request, form: dict[str, str]) -> bool:
    expected = request.cookies.get(PRE_SESSION_COOKIE) or ""
    return bool(expected) and secrets.compare_digest(str(form.get("csrf_token") or ""), expected)


def client_address(request: Request) -> str:
    """The connection's address; a trusted proxy's X-Forwarded-For has already replaced it
    (Settings.forwarded_allow_ips), anyone else's is ignored."""
    return request.client.host if request.client else "unknown"


def invitation_link(request: Request, token: str) -> str:
    """The link a carer is given: from the configured public URL, never from the Host header,
    which whoever sends the request chooses."""
    return request.app.state.settings.public_url.rstrip("/") + request.app.url_path_for("invitation_page", token=token)


def reset_link(request: Request, token: str) -> str:
    """A password reset link, from the public URL like an invitation's."""
    return request.app.state.settings.public_url.rstrip("/") + request.app.url_path_for("reset_password_page", token=token)


def email_after_answer(request: Request, response, link: ResetLink | None):
    """Send the reset email once the answer has gone, so that neither the answer nor its time
    depends on there having been an account to email."""
    if link is not None:
        settings = request.app.state.settings.notify
        response.background = BackgroundTask(send_quietly, link.email,
                                             password_reset_email(reset_link(request, link.token), link.minutes, settings),
                                             settings)
    return response
