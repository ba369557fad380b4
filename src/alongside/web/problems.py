"""RFC 9457 problem details: every API error is one of these, naming the offending field."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from ..domain.errors import DomainError, InvalidInput, NeedsConfirming, TooManyAttempts
from ..domain.records import problem_of

PROBLEM_TYPE = "https://alongside.invalid/problems/"


def problem_response(status: int, title: str, detail: str, field: str | None = None,
                     errors: list[dict] | None = None, instance: str | None = None,
                     confirm_with: str | None = None, extensions: dict | None = None) -> JSONResponse:
    """`extensions` are RFC 9457 extension members, added beside the standard ones."""
    body = (extensions or {}) | {"type": PROBLEM_TYPE + title.lower().replace(" ", "-"), "title": title, "status": status, "detail": detail}
    if confirm_with:  # send the same request again with this member true to accept it as it is
        body["confirm_with"] = confirm_with
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
        body.setdefault("field", errors[0]["field"])
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def from_domain_error(exc: DomainError, instance: str | None = None, extensions: dict | None = None) -> JSONResponse:
    errors = exc.errors if isinstance(exc, InvalidInput) else None
    confirm_with = exc.confirm_with if isinstance(exc, NeedsConfirming) else None
    response = problem_response(exc.status, exc.title, exc.detail, exc.field, errors, instance, confirm_with, extensions)
    if isinstance(exc, TooManyAttempts) and exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def from_validation_errors(errors: list[dict], instance: str | None = None) -> JSONResponse:
    """FastAPI's request validation (path, query, malformed JSON) in the same shape as ours."""
    return problem_response(422, "Invalid input", "Some values need correcting",
                            errors=[problem_of(_without_source(e)) for e in errors], instance=instance)


def _without_source(error: dict) -> dict:
    """A query parameter is named as itself (`offset`), as a body field is, not `query.offset`."""
    loc = tuple(error.get("loc") or ())
    if len(loc) > 1 and loc[0] in ("query", "path", "header", "cookie"):
        return {**error, "loc": loc[1:]}
    return error
