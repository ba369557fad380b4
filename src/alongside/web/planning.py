"""Pages for planning care: the decision summary, treatment breaks, and a decision to stop
anticancer treatment. Thin handlers: parse, call one use case, render.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import Field
from starlette.datastructures import UploadFile

from ..domain.dates import long_date
from ..domain import content, documents, planning, reading, services
from ..domain.errors import InvalidInput, NotFound
from ..domain.records import RECORD_KINDS, RecordModel, TreatmentBreak, validate
from ..reports.clinic_summary import render_clinic_summary
from ..store.documents import LocalFileStore
from ..store.unit_of_work import UnitOfWork
from .api import entry_json, refuse_strangers
from .context import Visit, with_unit_of_work
from .forms import build_form, parse_form, submitted_values
from .pages import _by_field, _form_id, _new_id, _version, _zone, render, see_other

router = APIRouter(include_in_schema=False)


# --- The decision summary ----------------------------------------------------------------------

@router.get("/patients/{patient_id}/decision-summary", response_class=HTMLResponse)
@with_unit_of_work
def decision_summary(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    summary = planning.decision_summary(uow, current.actor, patient_id, request.app.state.settings.clock().date())
    uow.commit()
    return render(request, "decision_summary.html", summary=summary, patient=summary.patient,
                  support=planning.support_services(uow, summary.patient, _support(request)))


# --- Breaks ------------------------------------------------------------------------------------

def _break_form(request, uow, actor, patient, values, errors, status=200):
    courses = [c for c in services.list_entries(uow, actor, patient.id, "treatment-courses") if c.data.is_current]
    references = {"course_id": [("", "Choose...")] + [(str(c.id), f"{c.data.name} (from {long_date(c.data.start_date)})")
                                                      for c in courses]}
    return render(request, "form.html", status, heading="Start a treatment break", patient=patient, errors=errors,
                  fields=build_form(TreatmentBreak, values, errors, _zone(request), references),
                  form_id=str(_new_id(values)), version=None, cancel=f"/patients/{patient.id}/treatments")


@router.get("/patients/{patient_id}/treatment-breaks/new", response_class=HTMLResponse)
@with_unit_of_work
def new_break_form(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    patient = reading.open_form(uow, current.actor, patient_id, planning.BREAKS)
    page = _break_form(request, uow, current.actor, patient, {}, {})
    uow.commit()
    return page


@router.post("/patients/{patient_id}/treatment-breaks/new", response_class=HTMLResponse)
@with_unit_of_work
def start_break(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        planning.start_treatment_break(uow, current.actor, patient_id,
                                       parse_form(TreatmentBreak, form, _zone(request)), _form_id(form))
    except InvalidInput as exc:
        uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        page = _break_form(request, uow, current.actor, patient, submitted_values(form), _by_field(exc), 422)
        uow.commit()  # the reads that showed the form again are audited; nothing of the refused write is kept
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/treatments")


class BreakEnd(RecordModel):
    end_date: date = Field(title="Break ended on")


def _end_form(request, patient, entry, values, errors, status=200):
    return render(request, "form.html", status, heading=f"End the break that started {long_date(entry.data.start_date)}",
                  patient=patient, errors=errors, fields=build_form(BreakEnd, values, errors, _zone(request)),
                  version=entry.version, form_id=None, cancel=f"/patients/{patient.id}/treatments")


@router.get("/patients/{patient_id}/treatment-breaks/{entry_id}/end", response_class=HTMLResponse)
@with_unit_of_work
def end_break_form(request: Request, patient_id: UUID, entry_id: UUID, current: Visit, uow: UnitOfWork):
    entry = services.read_entry(uow, current.actor, patient_id, "treatment-breaks", entry_id)
    patient = reading.open_form(uow, current.actor, patient_id, planning.BREAKS)
    uow.commit()
    return _end_form(request, patient, entry, {}, {})


@router.post("/patients/{patient_id}/treatment-breaks/{entry_id}/end", response_class=HTMLResponse)
@with_unit_of_work
def end_break(request: Request, patient_id: UUID, entry_id: UUID, current: Visit, uow: UnitOfWork,
              form: dict[str, str]):
    try:
        end = validate(BreakEnd, parse_form(BreakEnd, form, _zone(request)))
        planning.end_treatment_break(uow, current.actor, patient_id, entry_id, end.end_date, _version(form))
    except InvalidInput as exc:
        uow.rollback()
        entry = services.read_entry(uow, current.actor, patient_id, "treatment-breaks", entry_id)
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        return _end_form(request, patient, entry, submitted_values(form), _by_field(exc), 422)
    uow.commit()
    return see_other(f"/patients/{patient_id}/treatments")


# --- Stopping anticancer treatment --------------------------------------------------------------

def _stop_form(request, patient, values, errors, status=200):
    return render(request, "form.html", status, heading="Record a decision to stop anticancer treatment",
                  patient=patient, errors=errors, version=None, form_id=str(_new_id(values)),
                  fields=build_form(planning.StopAnticancerTreatment, values, errors, _zone(request)),
                  cancel=f"/patients/{patient.id}")


@router.get("/patients/{patient_id}/stop-treatment", response_class=HTMLResponse)
@with_unit_of_work
def stop_treatment_form(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    patient = reading.open_form(uow, current.actor, patient_id, planning.DECISIONS)
    uow.commit()
    return _stop_form(request, patient, {}, {})


@router.post("/patients/{patient_id}/stop-treatment", response_class=HTMLResponse)
@with_unit_of_work
def stop_treatment(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        planning.stop_anticancer_treatment(uow, current.actor, patient_id,
                                           parse_form(planning.StopAnticancerTreatment, form, _zone(request)),
                                           _form_id(form))
    except InvalidInput as exc:
        uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        return _stop_form(request, patient, submitted_values(form), _by_field(exc), 422)
    uow.commit()
    return see_other(f"/patients/{patient_id}/decision-summary")


# --- Advance care plan documents --------------------------------------------------------------

def _files(request: Request) -> LocalFileStore:
    return LocalFileStore(request.app.state.settings.data_dir)


def _documents_page(request, uow, current, patient_id, values, errors, status=200):
    listed = documents.list_care_documents(uow, current.actor, patient_id)
    record = reading.open_record(uow, current.actor, patient_id)
    limit_mb = request.app.state.settings.max_upload_bytes // (1024 * 1024)
    return render(request, "documents.html", status, patient=record.patient, documents=listed, errors=errors,
                  may_upload=record.may_write(documents.CARE_DOCUMENTS), limit_mb=limit_mb,
                  fields=build_form(documents.CareDocument, values, errors, _zone(request)))


@router.get("/patients/{patient_id}/documents", response_class=HTMLResponse)
@with_unit_of_work
def care_documents(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    page = _documents_page(request, uow, current, patient_id, {}, {})
    uow.commit()
    return page


@router.post("/patients/{patient_id}/documents/upload", response_class=HTMLResponse)
@with_unit_of_work
def upload_document(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str],
                    files: dict[str, UploadFile]):
    upload = files.get("file")  # python-multipart spools a large file to disk, not to memory
    settings = request.app.state.settings
    try:
        if upload is None or not upload.filename:
            documents.authorise_upload(uow, current.actor, patient_id)
            raise InvalidInput("Choose a file to upload", field="file")
        documents.upload_care_document(uow, current.actor, patient_id,
                                       parse_form(documents.CareDocument, form, _zone(request)), upload.file,
                                       _files(request), settings.max_upload_bytes, settings.clock())
    except InvalidInput as exc:
        uow.rollback()
        page = _documents_page(request, uow, current, patient_id, submitted_values(form), _by_field(exc), 422)
        uow.commit()
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/documents")


@router.get("/patients/{patient_id}/documents/{document_id}")
@with_unit_of_work
def download_document(request: Request, patient_id: UUID, document_id: UUID, current: Visit, uow: UnitOfWork):
    try:
        document, content = documents.open_care_document(uow, current.actor, patient_id, document_id, _files(request))
    except FileNotFoundError:
        raise NotFound("The file of this document is missing. Tell the team.") from None
    uow.commit()
    return StreamingResponse(content, media_type=document.media_type, headers={
        "content-disposition": f'attachment; filename="{document.download_name}"',
        "content-length": str(document.size_bytes)})


@router.post("/patients/{patient_id}/documents/{document_id}/delete")
@with_unit_of_work
def delete_document(request: Request, patient_id: UUID, document_id: UUID, current: Visit, uow: UnitOfWork,
                    form: dict[str, str]):
    documents.remove_care_document(uow, current.actor, patient_id, document_id, _version(form), _files(request))
    uow.commit()
    return see_other(f"/patients/{patient_id}/documents")


# --- The clinic summary as a PDF ----------------------------------------------------------------

@router.get("/patients/{patient_id}/clinic-summary.pdf")
@with_unit_of_work
def clinic_summary_pdf(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    settings = request.app.state.settings
    now = settings.clock()
    summary = planning.clinic_summary(uow, current.actor, patient_id, now.date())
    uow.commit()
    pdf = render_clinic_summary(summary, now, settings.service_time_zone)
    name = f"clinic-summary-{summary.decision.patient.details.family_name.lower()}-{now:%Y-%m-%d}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{_ascii(name)}"'})


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-._") else "-" for c in name)


# --- Preparing for an appointment ----------------------------------------------------------------

def _preparation_page(request, uow, current, patient_id, values, errors, status=200):
    preparation = planning.appointment_preparation(uow, current.actor, patient_id, request.app.state.settings.clock())
    may_write = reading.open_record(uow, current.actor, patient_id).may_write(RECORD_KINDS["questions"])
    return render(request, "appointment_preparation.html", status, prep=preparation, patient=preparation.patient,
                  may_write=may_write, values=values, errors=errors, form_id=str(_new_id(values)),
                  support=planning.support_services(uow, preparation.patient, _support(request)))


@router.get("/patients/{patient_id}/appointment-preparation", response_class=HTMLResponse)
@with_unit_of_work
def appointment_preparation(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    page = _preparation_page(request, uow, current, patient_id, {}, {})
    uow.commit()
    return page


@router.post("/patients/{patient_id}/questions/new", response_class=HTMLResponse)
@with_unit_of_work
def add_question(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    data = {k: form[k] for k in ("text", "kind") if form.get(k, "").strip()}
    try:
        planning.add_question(uow, current.actor, patient_id, data, request.app.state.settings.clock().date(),
                              _form_id(form))
    except InvalidInput as exc:
        uow.rollback()
        page = _preparation_page(request, uow, current, patient_id, submitted_values(form), _by_field(exc), 422)
        uow.commit()
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/appointment-preparation#questions")


@router.post("/patients/{patient_id}/questions/{entry_id}/remove")
@with_unit_of_work
def remove_question(request: Request, patient_id: UUID, entry_id: UUID, current: Visit, uow: UnitOfWork,
                    form: dict[str, str]):
    planning.remove_question(uow, current.actor, patient_id, entry_id, _version(form))
    uow.commit()
    return see_other(f"/patients/{patient_id}/appointment-preparation#questions")


# --- Access to treatments, explained -------------------------------------------------------------

def _support(request: Request):
    return content.support(request.app.state.settings.support_file)


@router.get("/patients/{patient_id}/access-to-treatments", response_class=HTMLResponse)
@with_unit_of_work
def access_to_treatments(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    view = planning.access_to_treatments(uow, current.actor, patient_id, _support(request))
    may_write = reading.open_record(uow, current.actor, patient_id).may_write(RECORD_KINDS["access-requests"])
    uow.commit()
    return render(request, "access_to_treatments.html", view=view, patient=view.patient, may_write=may_write)


# --- The same verbs for programs (JSON, problem+json errors) ---------------------------------------

api_router = APIRouter(prefix="/api/v1", tags=["Planning"], dependencies=[Depends(refuse_strangers)])


@api_router.post("/patients/{patient_id}/treatment-breaks/{entry_id}/end")
@with_unit_of_work
def api_end_break(patient_id: UUID, entry_id: UUID, current: Visit, uow: UnitOfWork,
                  body: dict = Body(..., examples=[{"end_date": "2026-11-20",
                                                                                          "version": 1}])):
    """End a treatment break on a date (`end_date`), naming the version you read (`version`)."""
    entry = planning.end_treatment_break(uow, current.actor, patient_id, entry_id, body.get("end_date"),
                                         body.get("version"))
    uow.commit()
    return entry_json(entry)


@api_router.post("/patients/{patient_id}/stop-anticancer-treatment", status_code=201)
@with_unit_of_work
def api_stop_treatment(patient_id: UUID, current: Visit, uow: UnitOfWork,
                       body: dict = Body(..., examples=[{
        "stops_on": "2026-11-20", "decided_on": "2026-11-20", "participants": "The patient, their son and Dr Rao",
        "options_discussed": "Another line of treatment, or supportive care only"}])):
    """Record a decision to stop anticancer treatment; current anticancer courses end on `stops_on`."""
    fields = {k: v for k, v in body.items() if k != "id"}
    outcome = planning.stop_anticancer_treatment(uow, current.actor, patient_id, fields, _uuid_or_none(body.get("id")))
    uow.commit()
    return {"decision": entry_json(outcome.decision), "stopped_courses": [entry_json(c) for c in outcome.stopped_courses],
            "ended_breaks": [entry_json(b) for b in outcome.ended_breaks]}


def _uuid_or_none(value) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        raise InvalidInput("Give an id as a UUID", field="id") from None
