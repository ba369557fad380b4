"""One exception hierarchy for the domain; `web/` maps each class to problem+json once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the care model raises on purpose."""

    status = 400
    title = "Request could not be completed"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(detail, field=field)
        self.errors = errors or ([{"field": field, "message": detail}] if field else [])


class NeedsConfirming(InvalidInput):
    """Input that is probably a slip but may be right: accepted when sent again with `confirm_with` true."""

    title = "Needs confirming"

    def __init__(self, detail: str, *, confirm_with: str, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(detail, field=field, errors=errors)
        self.confirm_with = confirm_with


class NotFound(DomainError):
    status = 404
    title = "Not found"


class AccessDenied(DomainError):
    """Raised by the authorisation check. Callers that must not reveal existence map it to 404."""

    status = 403
    title = "Not allowed"


class NotSignedIn(DomainError):
    status = 401
    title = "Sign-in required"


class Conflict(DomainError):
    """The request no longer fits the state of the thing (someone else got there first)."""

    status = 409
    title = "Conflict"


class NotAllowedHere(DomainError):
    """The thing exists, but this is not the way to change it (a check-in is submitted, not edited)."""

    status = 405
    title = "Not allowed here"


class VersionConflict(Conflict):
    title = "Edited by someone else"


class AlreadyExists(DomainError):
    status = 409
    title = "Already exists"


class TooManyAttempts(DomainError):
    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, field: str | None = None, retry_after: int | None = None):
        super().__init__(detail, field=field)
        self.retry_after = retry_after  # seconds, sent as the Retry-After header
