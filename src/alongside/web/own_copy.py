"""Her own copy of her record: a page with three downloads (a PDF summary, the record as JSON,
a FHIR bundle), each read through its audited use case. Held results are left out of hers until
they are shown to her, as everywhere else (domain/result_sharing.py)."""

from __future__ import annotations

import json
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..domain import reading, transfer
from ..domain.people import Relationship
from ..domain.result_sharing import SEES_EVERYTHING
from ..fhir.export import export_bundle
from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work
from .fhir_api import FHIR_JSON
from .pages import render
from .planning import _ascii

router = APIRouter(include_in_schema=False)


@router.get("/patients/{patient_id}/copy", response_class=HTMLResponse)
@with_unit_of_work
def copy_page(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    record = reading.open_record(uow, current.actor, patient_id)
    uow.commit()
    return render(request, "own_copy.html", patient=record.patient, own=record.relationship is Relationship.SELF,
                  sees_all=record.relationship in SEES_EVERYTHING)


@router.get("/patients/{patient_id}/copy/record.json")
@with_unit_of_work
def record_json(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    document = transfer.export_record(uow, current.actor, patient_id)
    uow.commit()
    return _download(request, json.dumps(document, ensure_ascii=False, indent=1), "application/json",
                     document["patient"]["details"]["family_name"], "record.json")


@router.get("/patients/{patient_id}/copy/fhir.json")
@with_unit_of_work
def fhir_bundle(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    bundle = export_bundle(uow, current.actor, patient_id)
    uow.commit()
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    return _download(request, json.dumps(bundle, ensure_ascii=False, indent=1), FHIR_JSON,
                     patient["name"][0].get("family", "record"), "fhir.json")


def _download(request: Request, body: str, media_type: str, family_name: str, what: str) -> Response:
    day = request.app.state.settings.clock().date()
    name = _ascii(f"alongside-{family_name.lower()}-{day:%Y-%m-%d}-{what}")
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'})
