"""Read-only FHIR R4 under /fhir/r4: thin handlers over alongside.fhir.rest, answering
application/fhir+json, and every error as an OperationOutcome."""

from __future__ import annotations

import json
from typing import Any, Callable
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain.errors import DomainError, InvalidInput
from ..fhir import rest
from ..fhir.outcome import outcome_for
from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work

FHIR_JSON = "application/fhir+json"


def fhir_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=FHIR_JSON)


class OperationOutcomeRoute(APIRoute):
    """Errors raised anywhere in a FHIR route (sign-in, authorisation, parameters) as OperationOutcome."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                return fhir_response(outcome_for(exc), exc.status)
            except RequestValidationError as exc:
                errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
                return fhir_response(outcome_for(InvalidInput("Invalid request", errors=errors)), 400)
            except StarletteHTTPException as exc:
                return fhir_response(outcome_for(DomainError(str(exc.detail))), exc.status_code)
        return answer


router = APIRouter(prefix="/fhir/r4", route_class=OperationOutcomeRoute, tags=["fhir"])


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


@router.get("/metadata")
def metadata(request: Request):
    return fhir_response(rest.capability_statement(_base(request)))


@router.get("/Patient/{patient_id}/$everything")
@with_unit_of_work
def everything(patient_id: UUID, current: Visit, uow: UnitOfWork):
    bundle = rest.everything(uow, current.actor, patient_id)
    uow.commit()
    return fhir_response(bundle)


@router.get("/Patient/{patient_id}")
@with_unit_of_work
def read_patient(patient_id: UUID, current: Visit, uow: UnitOfWork):
    resource = rest.read_patient_resource(uow, current.actor, patient_id)
    uow.commit()
    return fhir_response(resource)


def _search_route(resource_type: str) -> None:
    @with_unit_of_work
    def search(request: Request, current: Visit, uow: UnitOfWork, patient: str | None = Query(None, max_length=80),
               subject: str | None = Query(None, max_length=80), date: list[str] = Query([], max_length=4)):
        bundle = rest.search(uow, current.actor, resource_type, patient or subject, date, _base(request))
        uow.commit()
        return fhir_response(bundle)

    router.add_api_route(f"/{resource_type}", search, methods=["GET"], name=f"search {resource_type}")


for _type in rest.SEARCHABLE:
    _search_route(_type)


@router.get("/{anything:path}", include_in_schema=False)
def not_supported(anything: str):
    """Anything else under /fhir/r4 (another resource type, a read by id): say so in FHIR's terms."""
    outcome = outcome_for(DomainError(f"/fhir/r4/{anything} is not supported here: see /fhir/r4/metadata"))
    outcome["issue"][0]["code"] = "not-supported"
    return fhir_response(outcome, 404)
