"""Messages to the team, its pages and its API: write, read a thread, reply, close, and the
team's answer to an appointment change request. Thin handlers: parse, call one use case, render.

Without JavaScript the urgent-word check happens when the message is sent: the page that
follows shows whom to call now above "your message has been sent".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.datastructures import UploadFile
from pydantic import BaseModel, Field

from ..domain import message_photos, messages, services
from ..domain.errors import InvalidInput, NotFound
from ..domain.monitoring import advice_for
from ..domain.vocab import AppointmentChange, MessageCategory
from ..store.unit_of_work import UnitOfWork
from .api import alert_json, entry_json, refuse_strangers, routing_json
from .context import Visit, with_unit_of_work
from .pages import _by_field, _form_id, _version, _zone, render, see_other
from .planning import _files
from .problems import from_domain_error

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_strangers)], tags=["Messages"])


# --- Pages -----------------------------------------------------------------------------------------

@router.get("/patients/{patient_id}/messages", response_class=HTMLResponse)
@with_unit_of_work
def messages_page(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork,
                  appointment: UUID | None = Query(None)):
    page = _messages_page(request, uow, current, patient_id, {"appointment_id": str(appointment or "")}, {})
    uow.commit()
    return page


def _messages_page(request, uow, current, patient_id, values, errors, status=200, urgent=None) -> HTMLResponse:
    settings = request.app.state.settings
    patient = services.read_patient(uow, current.actor, patient_id)
    threads = messages.patient_threads(uow, current.actor, patient_id)
    hours, call = messages.writing_help(uow, current.actor, patient_id, settings.monitoring, settings.clock())
    appointment_id = values.get("appointment_id")
    appointment = (services.read_entry(uow, current.actor, patient_id, "appointments", UUID(appointment_id))
                   if appointment_id else None)
    return render(request, "messages.html", status, patient=patient, threads=threads, hours=hours, call=call,
                  values=values, errors=errors, urgent=urgent, appointment=appointment,
                  categories=list(MessageCategory), changes=list(AppointmentChange),
                  limit_mb=settings.max_upload_bytes // (1024 * 1024),
                  form_id=values.get("form_id") or str(_fresh_id()))


def _fresh_id() -> UUID:
    from uuid import uuid4

    return uuid4()


@router.post("/patients/{patient_id}/messages", response_class=HTMLResponse)
@with_unit_of_work
def send_message(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str],
                 files: dict[str, UploadFile]):
    settings = request.app.state.settings
    data = {name: form[name] for name in ("category", "text", "appointment_id", "change", "preferred_times")
            if form.get(name)}
    photo = files.get("photo")  # a form sent without a photo has an empty file part, or none
    try:
        sent = messages.send_message(uow, current.actor, patient_id, data, _form_id(form), settings.monitoring,
                                     settings.clock(), photo.file if photo and photo.filename else None,
                                     _files(request), settings.max_upload_bytes)
    except InvalidInput as exc:
        urgent = exc.urgent if isinstance(exc, messages.MessageNotSent) else None
        uow.commit() if urgent else uow.rollback()  # urgent words were acted on: keep those alerts
        page = _messages_page(request, uow, current, patient_id, dict(form), _by_field(exc), 422, urgent)
        uow.commit()
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/messages/{sent.entry.id}?sent=1")


@router.get("/patients/{patient_id}/messages/{thread_id}", response_class=HTMLResponse)
@with_unit_of_work
def thread_page(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork,
                sent: bool = Query(False)):
    page = _thread_page(request, uow, current, patient_id, thread_id, {}, {}, sent=sent)
    uow.commit()
    return page


def _thread_page(request, uow, current, patient_id, thread_id, values, errors, status=200, sent=False, urgent=None):
    settings = request.app.state.settings
    view = messages.thread_view(uow, current.actor, patient_id, thread_id, settings.monitoring, settings.clock())
    patient = services.read_patient(uow, current.actor, patient_id)
    routing = urgent.routing if urgent else view.urgent_routing
    return render(request, "message_thread.html", status, patient=patient, view=view, sent=sent, values=values,
                  errors=errors, routing=routing, advice=advice_for(routing) if routing else None,
                  form_id=values.get("form_id") or str(_fresh_id()))


@router.get("/patients/{patient_id}/messages/{thread_id}/photos/{photo_id}")
@with_unit_of_work
def photo(request: Request, patient_id: UUID, thread_id: UUID, photo_id: UUID, current: Visit, uow: UnitOfWork):
    """A photo of the thread, shown in it: its type as its content was checked, never sniffed."""
    return _photo_response(request, uow, current, patient_id, thread_id, photo_id)


def _photo_response(request, uow, current, patient_id, thread_id, photo_id) -> StreamingResponse:
    try:
        kept, content = message_photos.open_message_photo(uow, current.actor, patient_id, thread_id, photo_id,
                                                          _files(request))
    except FileNotFoundError:
        raise NotFound("The file of this photo is missing. Tell the team.") from None
    uow.commit()
    return StreamingResponse(content, media_type=kept.media_type, headers={
        "content-disposition": f'inline; filename="{message_photos.photo_name(kept)}"',
        "content-length": str(kept.size_bytes)})  # nosniff, as on every response (web/security.py)


@router.post("/patients/{patient_id}/messages/{thread_id}/replies", response_class=HTMLResponse)
@with_unit_of_work
def reply(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    settings = request.app.state.settings
    try:
        messages.reply_to_thread(uow, current.actor, patient_id, thread_id, {"text": form.get("text", "")},
                                 _form_id(form), settings.monitoring, settings.clock())
    except InvalidInput as exc:
        urgent = exc.urgent if isinstance(exc, messages.MessageNotSent) else None
        uow.commit() if urgent else uow.rollback()
        page = _thread_page(request, uow, current, patient_id, thread_id, dict(form), _by_field(exc), 422,
                            urgent=urgent)
        uow.commit()
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/messages/{thread_id}?sent=1#latest")


@router.post("/patients/{patient_id}/messages/{thread_id}/close")
@with_unit_of_work
def close(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    messages.close_thread(uow, current.actor, patient_id, thread_id, _version(form), request.app.state.settings.clock())
    uow.commit()
    return see_other(f"/patients/{patient_id}/messages/{thread_id}")


@router.post("/patients/{patient_id}/messages/{thread_id}/decision", response_class=HTMLResponse)
@with_unit_of_work
def decide(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    data: dict[str, Any] = {"confirm": form.get("decision") == "confirm", "note": form.get("note") or None}
    try:
        if form.get("new_starts_at"):
            data["new_starts_at"] = _local_time(form["new_starts_at"], request)
        messages.decide_appointment_change(uow, current.actor, patient_id, thread_id, _version(form), data,
                                           request.app.state.settings.clock())
    except InvalidInput as exc:
        uow.rollback()
        page = _thread_page(request, uow, current, patient_id, thread_id, dict(form), _by_field(exc), 422)
        uow.commit()
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/messages/{thread_id}")


def _local_time(value: str, request: Request) -> str:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=_zone(request)).isoformat()
    except ValueError:
        raise InvalidInput("Give a date and time, for example 2026-03-01 14:30", field="new_starts_at") from None


# --- The API ---------------------------------------------------------------------------------------

class MessageBody(BaseModel):
    model_config = {"extra": "forbid"}
    id: UUID | None = Field(None, description="Or send an Idempotency-Key header: a retry creates nothing new")
    category: MessageCategory = MessageCategory.QUESTION
    text: str
    appointment_id: UUID | None = None
    change: AppointmentChange | None = None
    preferred_times: str | None = None


class ReplyBody(BaseModel):
    model_config = {"extra": "forbid"}
    id: UUID | None = None
    text: str


class CheckBody(BaseModel):
    model_config = {"extra": "forbid"}
    text: str = Field(max_length=5000)


class VersionBody(BaseModel):
    model_config = {"extra": "forbid"}
    version: int


class DecisionBody(BaseModel):
    model_config = {"extra": "forbid"}
    version: int
    confirm: bool
    new_starts_at: datetime | None = None
    note: str | None = None


def urgent_check_json(urgent: messages.UrgentCheck | None) -> dict[str, Any] | None:
    if urgent is None:
        return None
    return {"advice": urgent.advice, "whom_to_call": routing_json(urgent.routing),
            "found": [{"code": f.code, "level": f.level.value, "concern": f.concern, "words": f.value}
                      for f in urgent.flags],
            "alerts": [alert_json(a) for a in urgent.alerts]}


def _sent_json(sent: messages.Sent) -> JSONResponse:
    return JSONResponse({"message": entry_json(sent.entry), "urgent": urgent_check_json(sent.urgent)},
                        status_code=200 if sent.repeated else 201)


def _refused_but_alerted(exc: InvalidInput, uow) -> JSONResponse:
    """A message refused as written whose urgent words were acted on: keep those alerts, and say so."""
    if not isinstance(exc, messages.MessageNotSent) or exc.urgent is None:
        raise exc
    uow.commit()
    return from_domain_error(exc, extensions={"urgent": urgent_check_json(exc.urgent)})


@api_router.post("/patients/{patient_id}/messages", status_code=201)
@with_unit_of_work
def api_send_message(request: Request, patient_id: UUID, body: MessageBody, current: Visit, uow: UnitOfWork,
                     idempotency_key: UUID | None = Header(None)):
    settings = request.app.state.settings
    try:
        sent = messages.send_message(uow, current.actor, patient_id, body.model_dump(exclude={"id"}, exclude_none=True),
                                     body.id or idempotency_key, settings.monitoring, settings.clock())
    except InvalidInput as exc:
        return _refused_but_alerted(exc, uow)
    uow.commit()
    return _sent_json(sent)


@api_router.post("/patients/{patient_id}/messages/check")
@with_unit_of_work
def api_check_text(request: Request, patient_id: UUID, body: CheckBody, current: Visit, uow: UnitOfWork):
    """The urgent words in a message being written, and whom to call: nothing is sent or stored."""
    settings = request.app.state.settings
    urgent = messages.check_message_text(uow, current.actor, patient_id, body.text, settings.monitoring,
                                         settings.clock())
    uow.commit()
    return urgent_check_json(urgent) or {"found": []}


@api_router.get("/patients/{patient_id}/messages")
@with_unit_of_work
def api_list_messages(patient_id: UUID, current: Visit, uow: UnitOfWork):
    threads = messages.patient_threads(uow, current.actor, patient_id)
    uow.commit()
    return [entry_json(t) for t in threads]


@api_router.get("/patients/{patient_id}/messages/{thread_id}")
@with_unit_of_work
def api_read_thread(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork):
    settings = request.app.state.settings
    view = messages.thread_view(uow, current.actor, patient_id, thread_id, settings.monitoring, settings.clock())
    uow.commit()
    return {"message": entry_json(view.thread), "replies": [entry_json(r) for r in view.replies],
            "photos": [photo_json(patient_id, thread_id, p) for p in view.photos],
            "whom_to_call": routing_json(view.urgent_routing) if view.urgent_routing else None,
            "team_hours": [{"line": name, "open": hours} for name, hours in view.team_hours]}


def photo_json(patient_id: UUID, thread_id: UUID, kept) -> dict[str, Any]:
    return {"id": str(kept.id), "media_type": kept.media_type, "size_bytes": kept.size_bytes, "sha256": kept.sha256,
            "sent_at": kept.created_at.isoformat(),
            "url": f"/api/v1/patients/{patient_id}/messages/{thread_id}/photos/{kept.id}"}


@api_router.post("/patients/{patient_id}/messages/{thread_id}/photos", status_code=201)
@with_unit_of_work
def api_attach_photo(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork,
                     files: dict[str, UploadFile]):
    """Send a photo with a message already sent: multipart/form-data, the file in the field "photo"
    (JPEG or PNG, checked by its content; kept without its metadata)."""
    settings = request.app.state.settings
    upload = files.get("photo")
    if upload is None or not upload.filename:
        messages.authorise_photo(uow, current.actor, patient_id, thread_id)
        raise InvalidInput("Send the photo as multipart/form-data in the field 'photo'", field="photo")
    kept = messages.attach_photo(uow, current.actor, patient_id, thread_id, upload.file, _files(request),
                                 settings.max_upload_bytes, settings.clock())
    uow.commit()
    return JSONResponse(photo_json(patient_id, thread_id, kept), status_code=201)


@api_router.get("/patients/{patient_id}/messages/{thread_id}/photos/{photo_id}")
@with_unit_of_work
def api_photo(request: Request, patient_id: UUID, thread_id: UUID, photo_id: UUID, current: Visit, uow: UnitOfWork):
    return _photo_response(request, uow, current, patient_id, thread_id, photo_id)


@api_router.post("/patients/{patient_id}/messages/{thread_id}/replies", status_code=201)
@with_unit_of_work
def api_reply(request: Request, patient_id: UUID, thread_id: UUID, body: ReplyBody, current: Visit, uow: UnitOfWork,
              idempotency_key: UUID | None = Header(None)):
    settings = request.app.state.settings
    try:
        sent = messages.reply_to_thread(uow, current.actor, patient_id, thread_id, {"text": body.text},
                                        body.id or idempotency_key, settings.monitoring, settings.clock())
    except InvalidInput as exc:
        return _refused_but_alerted(exc, uow)
    uow.commit()
    return _sent_json(sent)


@api_router.post("/patients/{patient_id}/messages/{thread_id}/close")
@with_unit_of_work
def api_close(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork,
              body: VersionBody = Body()):
    closed = messages.close_thread(uow, current.actor, patient_id, thread_id, body.version,
                                   request.app.state.settings.clock())
    uow.commit()
    return entry_json(closed)


@api_router.post("/patients/{patient_id}/messages/{thread_id}/decision")
@with_unit_of_work
def api_decide(request: Request, patient_id: UUID, thread_id: UUID, current: Visit, uow: UnitOfWork,
               body: DecisionBody = Body()):
    answered = messages.decide_appointment_change(
        uow, current.actor, patient_id, thread_id, body.version,
        body.model_dump(exclude={"version"}, exclude_none=True, mode="json"), request.app.state.settings.clock())
    uow.commit()
    return entry_json(answered)


@api_router.get("/messages")
@with_unit_of_work
def api_inbox(request: Request, current: Visit, uow: UnitOfWork):
    inbox = messages.message_inbox(uow, current.actor, request.app.state.settings.clock())
    uow.commit()
    return [entry_json(i.thread) | {"patient_name": i.patient_name, "overdue": i.overdue,
                                    "last_from_team": i.last_from_team} for i in inbox]
