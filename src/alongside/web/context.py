"""Per-request plumbing: the unit of work, who is signed in, and the CSRF check."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, Request

from ..domain import accounts
from ..domain.accounts import Session
from ..domain.errors import AccessDenied
from ..domain.people import Actor, User
from ..store.unit_of_work import UnitOfWork

SESSION_COOKIE = "alongside_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Visit:
    """The signed-in person for this request."""

    session: Session
    user: User

    @property
    def actor(self) -> Actor:
        return accounts.actor_for(self.user)

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token


def unit_of_work(request: Request) -> Iterator[UnitOfWork]:
    with UnitOfWork(request.app.state.sessions, serialise=True) as uow:
        yield uow


def visit(request: Request, uow: UnitOfWork = Depends(unit_of_work)) -> Visit:
    session, user = accounts.resume_session(uow, request.cookies.get(SESSION_COOKIE), request.app.state.settings.policy)
    uow.commit()
    current = Visit(session, user)
    request.state.visit = current
    return current


def api_visit(request: Request, current: Visit = Depends(visit)) -> Visit:
    """API calls that change something must echo the session's CSRF token in a header."""
    if request.method in UNSAFE:
        check_csrf(current, request.headers.get(CSRF_HEADER))
    return current


def check_csrf(current: Visit, given: str | None) -> None:
    if not given or not secrets.compare_digest(given, current.csrf_token):
        raise AccessDenied("The form or request was missing its security token. Reload the page and try again.",
                           field="csrf_token")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
