"""The OpenAPI document says what the service really answers: every error a route can give, in
the media type it is given in (problem+json under /api, OperationOutcome under /fhir).

FastAPI documents only the success and its own validation error (as application/json, in a
shape we never send). A client generated from that document, or a contract test such as
Schemathesis, would treat our refusals as surprises; here they are declared once, for every
route, so a new route is covered without remembering to."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_JSON = "application/problem+json"
FHIR_JSON = "application/fhir+json"

# What any signed-in route can answer besides its success. 400: a Host or header the service
# refuses; 401: not signed in or the session ended; 403: signed in but not allowed; 404: no
# such record, or one the caller may not know exists; 409: an edit from an older version, or an
# id already used; 413: a body over the size limit; 415: a body in a media type the route does
# not read; 422: invalid input, each error naming its field; 429: too many attempts.
ERROR_STATUSES = {
    "400": "The request could not be read",
    "401": "Not signed in, or the session has ended",
    "403": "Signed in, but not allowed to do this",
    "404": "Not found, or not yours to see",
    "409": "In conflict with the record as it is now",
    "413": "The request body is too large",
    "415": "The body is not in a media type this route reads",
    "422": "Invalid input: each error names its field",
    "429": "Too many attempts: wait and try again",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, with `field` naming the input at fault and `errors` listing each.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {
            "type": "object", "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
    },
    "additionalProperties": True,  # RFC 9457 extension members, such as `urgent` on a check-in
}

OPERATION_OUTCOME_SCHEMA: dict[str, Any] = {
    "title": "OperationOutcome",
    "description": "A FHIR R4 OperationOutcome saying what went wrong.",
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
}


def install(app: FastAPI) -> None:
    """Replace the app's OpenAPI document with the completed one (built once, on first use)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = completed(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
        return app.openapi_schema
    app.openapi = openapi


def completed(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["OperationOutcome"] = OPERATION_OUTCOME_SCHEMA
    for schema in ("HTTPValidationError", "ValidationError"):  # FastAPI's shape, never sent
        schemas.pop(schema, None)
    for path, operations in document.get("paths", {}).items():
        fhir = path.startswith("/fhir/")
        for operation in operations.values():
            _declare_errors(operation["responses"], fhir)
    return document


def _declare_errors(responses: dict[str, Any], fhir: bool) -> None:
    if fhir:  # FHIR answers its resources, and its errors, as application/fhir+json
        for response in responses.values():
            if "content" in response:
                response["content"] = {FHIR_JSON: {"schema": {"type": "object"}}}
    media, schema = (FHIR_JSON, "OperationOutcome") if fhir else (PROBLEM_JSON, "Problem")
    for status, description in ERROR_STATUSES.items():
        responses[status] = {"description": description,
                             "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
