"""JSON API under /api/v1. Each route parses, calls one use case, commits, and answers."""

import io
import math
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, create_model
from starlette.concurrency import run_in_threadpool

from ..clinical.contacts import Level
from ..domain import account_admin, accounts, monitoring, password_reset, second_factor, results, services, transfer, triage
from ..domain import response_times, team_settings
from ..domain import caseload as caseload_use_case
from ..domain.caseload import CaseloadQuery
from ..domain.errors import AccessDenied, InvalidInput, NotSignedIn
from ..domain.entries import Entry, Patient
from ..domain.people import AccountChange, CarerInvitation, NewTeam, NewUser, PatientSignIn, TeamSettings, TeamSettingsChange, User
from ..domain.records import RECORD_KINDS, CancerProfile, IdInUse, PatientDetails, RecordKind
from ..domain.vocab import AlertOutcome
from ..fhir.importer import import_results
from ..notify.webhook_targets import check_webhook_url
from ..store.unit_of_work import UnitOfWork
from .context import SESSION_COOKIE, Visit, client_address, email_after_answer, invitation_link, with_unit_of_work
from .problems import from_domain_error


async def refuse_strangers(request: Request) -> None:
    """Run before FastAPI reads a route's body and query: someone with no part in the record
    named in the path (a patient's, or an alert's) is refused as for an unknown one (404,
    audited) whatever she sent. Checked after, a bad body was answered 422, unaudited, and
    only for records that exist (issue 13, item 5). A path id that is no UUID is FastAPI's 422."""
    if "patient_id" in request.path_params or "alert_id" in request.path_params:
        await run_in_threadpool(_refuse_strangers, request)


def _refuse_strangers(request: Request) -> None:
    try:
        patient_id, alert_id = (UUID(request.path_params[name]) if name in request.path_params else None
                                for name in ("patient_id", "alert_id"))
    except ValueError:
        return
    with UnitOfWork(request.app.state.sessions, serialise=True) as uow:
        _, user = accounts.resume_session(uow, request.cookies.get(SESSION_COOKIE), request.app.state.settings.policy)
        actor = accounts.actor_for(user)
        if patient_id:
            parts = request.url.path.split("/")  # /api/v1/patients/{id}/{what}
            services.refuse_strangers(uow, actor, patient_id, parts[5] if len(parts) > 5 else "patient")
        else:
            monitoring.refuse_alert_strangers(uow, actor, alert_id)


router = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_strangers)])


class Credentials(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    code: str | None = Field(None, max_length=20, description="The second factor's code (or a recovery code), "
                                                              "for an account that has one")


def entry_json(entry: Entry) -> dict[str, Any]:
    # The kind is in the URL; record fields may themselves be called "kind" (appointments, goals).
    return {"id": str(entry.id), "patient_id": str(entry.patient_id), "version": entry.version,
            "created_at": entry.created_at.isoformat(), "updated_at": entry.updated_at.isoformat(),
            **finite_json(entry.data.model_dump(mode="json"))}


def finite_json(value: Any) -> Any:
    """JSON has no infinity: a result stored as one before results had plausible ranges reads as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_json(v) for v in value]
    return value


def patient_json(patient: Patient) -> dict[str, Any]:
    return {"id": str(patient.id), "version": patient.version, **patient.details.model_dump(mode="json"),
            "cancer_profile": {"version": patient.profile_version, **patient.profile.model_dump(mode="json")}}


def user_json(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "email": user.email, "display_name": user.display_name, "role": user.role.value,
            "patient_id": str(user.patient_id) if user.patient_id else None, "active": user.active,
            "second_factor": user.second_factor_on}


# --- Session -----------------------------------------------------------------------------------

@router.post("/session", tags=["session"])
@with_unit_of_work
def sign_in(request: Request, response: Response, credentials: Credentials, uow: UnitOfWork):
    signed_in = accounts.sign_in(uow, credentials.email, credentials.password, client_address(request),
                                 request.app.state.settings.policy, device=request.cookies.get(DEVICE_COOKIE),
                                 code=credentials.code)
    if isinstance(signed_in, accounts.SecondStep):
        uow.rollback()  # a program sends the code with the password; the browser's second step is not needed
        raise (AccessDenied("Set up your second factor first: sign in on the sign-in page", field="code")
               if signed_in.enrol else NotSignedIn("This account needs the code from its authenticator app", field="code"))
    uow.commit()
    set_session_cookie(request, response, signed_in.token, signed_in.device)
    return {"user": user_json(signed_in.user), "csrf_token": signed_in.session.csrf_token}


@router.delete("/session", status_code=204, tags=["session"])
@with_unit_of_work
def sign_out(request: Request, response: Response, current: Visit, uow: UnitOfWork):
    accounts.sign_out(uow, request.cookies.get(SESSION_COOKIE))
    uow.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", tags=["session"])
@with_unit_of_work
def me(current: Visit):
    return {"user": user_json(current.user), "csrf_token": current.csrf_token}


DEVICE_COOKIE = "alongside_device"


def set_session_cookie(request: Request, response: Response, token: str, device: str = "") -> None:
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=settings.cookie_secure, samesite="lax",
                        path="/", max_age=int(settings.policy.absolute.total_seconds()))
    if device:  # lets this browser in with the right password while its account is being guessed at
        response.set_cookie(DEVICE_COOKIE, device, httponly=True, secure=settings.cookie_secure, samesite="lax",
                            path="/", max_age=accounts.DEVICE_COOKIE_DAYS * 86400)


# --- Patients ----------------------------------------------------------------------------------

# Beyond any caseload, and well inside the 64-bit integer SQLite and PostgreSQL take for OFFSET
# (?offset=10**20 overflowed the driver and answered 500).
MAX_OFFSET = 1_000_000_000


class NewPatient(PatientDetails):
    team_id: UUID | None = Field(None, title="Team")


class PatientUpdate(PatientDetails):
    version: int


class CancerProfileUpdate(CancerProfile):
    version: int


@router.get("/patients", tags=["patients"])
@with_unit_of_work
def list_caseload(request: Request, current: Visit, uow: UnitOfWork, q: str = Query("", max_length=100),
                  alerts: str = Query("", max_length=10, description="any, red, amber, green or none: by the worst open alert"),
                  weeks: str = Query("", max_length=10, description="only those not checked in for at least this many weeks"),
                  line: str = Query("", max_length=10, description="1, 2, 3, 4+ or none: the line of treatment in force"),
                  sort: str = Query("", max_length=20, description="name, alerts, last_check_in, line or next_appointment"),
                  order: str = Query("", max_length=10, description="usual (what needs attention first) or reverse"),
                  offset: int = Query(0, ge=0, le=MAX_OFFSET),
                  limit: int = Query(50, ge=1, le=200)):
    query = CaseloadQuery.from_form(q, alerts, weeks, line, sort, order)
    page = caseload_use_case.caseload(uow, current.actor, query, request.app.state.settings.clock(), offset, limit)
    uow.commit()
    return {"total": page.total, "offset": page.offset, "limit": page.limit,
            "patients": [_caseload_json(r) for r in page.rows]}


def _caseload_json(r) -> dict:
    def when(value):
        return value.isoformat() if value else None
    return {"id": str(r.patient_id), "name": r.name, "date_of_birth": r.date_of_birth.isoformat(),
            "nhs_number": r.nhs_number, "current_treatment": r.current_treatment, "current_line": r.current_line,
            "worst_open_alert": r.worst_alert.value if r.worst_alert else None, "open_alerts": r.open_alerts,
            "last_check_in": when(r.last_check_in), "weeks_without_check_in": r.weeks_without_check_in,
            "next_appointment": when(r.next_appointment)}


@router.post("/patients", status_code=201, tags=["patients"])
@with_unit_of_work
def register_patient(body: NewPatient, current: Visit, uow: UnitOfWork):
    details = PatientDetails.model_validate(body.model_dump(exclude={"team_id"}))
    patient = services.register_patient(uow, current.actor, details, body.team_id)
    uow.commit()
    return patient_json(patient)


@router.get("/patients/{patient_id}", tags=["patients"])
@with_unit_of_work
def read_patient(patient_id: UUID, current: Visit, uow: UnitOfWork):
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return patient_json(patient)


@router.put("/patients/{patient_id}", tags=["patients"])
@with_unit_of_work
def update_patient(patient_id: UUID, body: PatientUpdate, current: Visit, uow: UnitOfWork):
    details = PatientDetails.model_validate(body.model_dump(exclude={"version"}))
    patient = services.update_patient(uow, current.actor, patient_id, details, body.version)
    uow.commit()
    return patient_json(patient)


@router.put("/patients/{patient_id}/cancer-profile", tags=["patients"])
@with_unit_of_work
def update_cancer_profile(patient_id: UUID, body: CancerProfileUpdate, current: Visit, uow: UnitOfWork):
    profile = CancerProfile.model_validate(body.model_dump(exclude={"version"}))
    patient = services.update_cancer_profile(uow, current.actor, patient_id, profile, body.version)
    uow.commit()
    return patient_json(patient)


@router.get("/patients/{patient_id}/export", tags=["patients"])
@with_unit_of_work
def export_record(patient_id: UUID, current: Visit, uow: UnitOfWork):
    document = transfer.export_record(uow, current.actor, patient_id)
    uow.commit()
    return document


@router.post("/patients/{patient_id}/lab-results/import", tags=["Results"],
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}},
                                                         "application/fhir+json": {"schema": {"type": "object"}}},
                                             "required": True}})
@with_unit_of_work
def import_lab_results(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, raw_body: bytes,
                       confirm_early_dates: bool = Query(False)):
    """Blood results as CSV (columns: taken_on,test,value,unit,reference_low,reference_high,loinc,laboratory),
    or as FHIR JSON (`application/fhir+json`: one Observation or a Bundle of them), answered with an
    OperationOutcome. All or nothing: a bad row or resource is named and nothing is imported.
    Results dated more than the service's margin before the first diagnosis need `confirm_early_dates=true`."""
    try:
        text = raw_body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The body is not UTF-8 text", field="body") from None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in FHIR_MEDIA_TYPES and not media_type.startswith("text/"):
        # A form (an HTML form posted here, or curl -d) is not a file of results: say what is.
        raise InvalidInput(f"Send the results as text/csv or application/fhir+json, not {media_type}", field="body")
    if media_type in FHIR_MEDIA_TYPES:
        return _import_fhir_results(uow, current, patient_id, text, confirm_early_dates,
                                    request.app.state.settings.early_date_margin)
    settings = request.app.state.settings
    report = results.import_lab_results(uow, current.actor, patient_id, io.StringIO(text, newline=""),
                                        settings.monitoring.thresholds, settings.clock(),
                                        confirm_early_dates=confirm_early_dates,
                                        early_date_margin=settings.early_date_margin)
    uow.commit()
    return {"added": report.added, "already_there": report.already_there,
            "alerts": [alert_json(a) for a in report.alerts]}


FHIR_MEDIA_TYPES = ("application/fhir+json", "application/json")


def _import_fhir_results(uow, current: Visit, patient_id: UUID, text: str, confirm_early_dates: bool,
                         early_date_margin) -> JSONResponse:
    report = import_results(uow, current.actor, patient_id, text, confirm_early_dates=confirm_early_dates,
                            early_date_margin=early_date_margin)
    if report.written:
        uow.commit()
    return JSONResponse(report.outcome(), status_code=200 if report.written else 422,
                        media_type="application/fhir+json")


@router.get("/patients/{patient_id}/timeline", tags=["Results"])
@with_unit_of_work
def timeline(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork,
             span: str = Query("1y", pattern="^(3m|1y|all)$"), labs: list[str] = Query([])):
    """Treatments, symptoms, markers (with their trend), graded blood tests and scans (with RECIST)."""
    story = results.timeline(uow, current.actor, patient_id, request.app.state.settings.clock().date(), span,
                             labs or None)
    uow.commit()
    return finite_json(jsonable_encoder(story))


@router.get("/patients/{patient_id}/access-log", tags=["patients"])
@with_unit_of_work
def access_log(patient_id: UUID, current: Visit, uow: UnitOfWork):
    events = services.access_log(uow, current.actor, patient_id)
    uow.commit()
    return [{"at": e.at.isoformat(), "actor": e.actor_name, "role": e.actor_role, "action": e.action, "what": e.what,
             "record_id": str(e.record_id) if e.record_id else None} for e in events]


@router.post("/patients/{patient_id}/account", status_code=201, tags=["patients"])
@with_unit_of_work
def open_patient_account(patient_id: UUID, body: PatientSignIn, current: Visit, uow: UnitOfWork):
    user = accounts.open_patient_account(uow, current.actor, patient_id, body)
    uow.commit()
    return user_json(user)


@router.post("/patients/{patient_id}/account/password-reset", status_code=202, tags=["patients"])
@with_unit_of_work
def send_password_reset(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    """Email the patient a link to choose a new password; the team never sees or sets it."""
    settings = request.app.state.settings
    link = password_reset.send_patient_password_reset(uow, current.actor, patient_id, settings.policy, settings.clock())
    uow.commit()
    return email_after_answer(request, JSONResponse({"expires_in_minutes": link.minutes}, status_code=202), link)


@router.get("/patients/{patient_id}/carers", tags=["carers"])
@with_unit_of_work
def list_carers(patient_id: UUID, current: Visit, uow: UnitOfWork):
    links = accounts.list_carers(uow, current.actor, patient_id)
    uow.commit()
    return [{"user": user_json(link.carer), "access": link.access.value} for link in links]


@router.post("/patients/{patient_id}/carer-invitations", status_code=201, tags=["carers"])
@with_unit_of_work
def invite_carer(request: Request, patient_id: UUID, body: CarerInvitation, current: Visit, uow: UnitOfWork):
    token = accounts.invite_carer(uow, current.actor, patient_id, body, request.app.state.settings.policy)
    uow.commit()
    return {"link": invitation_link(request, token)}


# --- Entries of every kind, one set of routes per kind so OpenAPI shows each model -------------

def _entry_routes(record_kind: RecordKind) -> None:
    slug, model = record_kind.slug, record_kind.model
    confirm = (bool, Field(False, description="True to keep a date more than a year (the service's margin) before "
                                              "the first diagnosis, after a 422 naming it"))
    create_body = create_model(f"New{model.__name__}", __base__=model,
                               id=(UUID | None, Field(None, description="Give an id of your own to make retries safe")),
                               confirm_early_date=confirm)
    update_body = create_model(f"{model.__name__}Update", __base__=model, version=(int, ...),
                               confirm_early_date=confirm)
    path = f"/patients/{{patient_id}}/{slug}"
    tags = [record_kind.plural]

    @with_unit_of_work
    def list_entries(patient_id: UUID, current: Visit, uow: UnitOfWork):
        entries = services.list_entries(uow, current.actor, patient_id, slug)
        uow.commit()
        return [entry_json(e) for e in entries]

    @with_unit_of_work
    def add_entry(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, body: create_body = Body()):
        settings = request.app.state.settings
        entry = services.add_entry(uow, current.actor, patient_id, slug,
                                   body.model_dump(exclude={"id", "confirm_early_date"}), body.id,
                                   settings.monitoring.thresholds, settings.clock(),
                                   confirm_early_date=body.confirm_early_date,
                                   early_date_margin=settings.early_date_margin)
        uow.commit()
        return entry_json(entry)

    @with_unit_of_work
    def read_entry(patient_id: UUID, entry_id: UUID, current: Visit, uow: UnitOfWork):
        entry = services.read_entry(uow, current.actor, patient_id, slug, entry_id)
        uow.commit()
        return entry_json(entry)

    @with_unit_of_work
    def update_entry(request: Request, patient_id: UUID, entry_id: UUID, current: Visit, uow: UnitOfWork,
                     body: update_body = Body()):
        entry = services.update_entry(uow, current.actor, patient_id, slug, entry_id,
                                      body.model_dump(exclude={"version", "confirm_early_date"}), body.version,
                                      confirm_early_date=body.confirm_early_date,
                                      early_date_margin=request.app.state.settings.early_date_margin)
        uow.commit()
        return entry_json(entry)

    @with_unit_of_work
    def delete_entry(patient_id: UUID, entry_id: UUID, current: Visit, uow: UnitOfWork, version: int = Query()):
        services.delete_entry(uow, current.actor, patient_id, slug, entry_id, version)
        uow.commit()
        return Response(status_code=204)

    router.add_api_route(path, list_entries, methods=["GET"], tags=tags, name=f"list-{slug}")
    router.add_api_route(path + "/{entry_id}", read_entry, methods=["GET"], tags=tags, name=f"read-{slug}")
    if record_kind.submitted_only:
        return
    router.add_api_route(path, add_entry, methods=["POST"], tags=tags, name=f"add-{slug}", status_code=201)
    router.add_api_route(path + "/{entry_id}", update_entry, methods=["PUT"], tags=tags, name=f"update-{slug}")
    router.add_api_route(path + "/{entry_id}", delete_entry, methods=["DELETE"], tags=tags, name=f"delete-{slug}",
                         status_code=204)


# --- Check-ins, alerts and whom to call ---------------------------------------------------------

class CheckInSubmission(BaseModel):
    """A check-in as sent by a client: the server stamps who submitted it and, unless given, when."""

    model_config = {"extra": "forbid"}
    id: UUID | None = Field(None, description="Or send an Idempotency-Key header: a retry creates nothing new")
    submitted_at: str | None = None
    symptoms: dict[str, dict[str, int | None]] = {}
    burden: dict[str, int] = {}
    red_flags: dict[str, bool] = {}
    temperature_c: float | None = None
    wellbeing: int | None = Field(None, deprecated=True,
                                  description="The old overall score, 0 worst - 10 best: kept as burden.wellbeing "
                                              "(how unwell, 10 worst) = 10 minus it. Send burden.wellbeing instead.")
    free_text: str | None = None


def routing_json(routing) -> dict[str, Any]:
    return {"level": routing.level.value, "call": {"name": routing.call.name, "phone": routing.call.phone},
            "now": routing.now, "opens_at": routing.opens_at.isoformat() if routing.opens_at else None,
            "also": [{"name": line.name, "phone": line.phone} for line in routing.also]}


def alert_json(alert) -> dict[str, Any]:
    return {"id": str(alert.id), "version": alert.version, "patient_id": str(alert.patient_id),
            "patient_name": alert.patient_name, "check_in_id": str(alert.check_in_id) if alert.check_in_id else None,
            "rule": alert.rule, "level": alert.level.value, "item": alert.item, "values": alert.detail,
            "summary": alert.summary, "state": alert.state.value, "created_at": alert.created_at.isoformat(),
            "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
            "acknowledged_by": alert.acknowledged_by,
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
            "resolved_by": alert.resolved_by, "notes": alert.notes,
            "outcome": alert.outcome.value if alert.outcome else None,
            "outcome_label": alert.outcome.label if alert.outcome else None,
            "escalated_at": alert.escalated_at.isoformat() if alert.escalated_at else None,
            "claimed_by": alert.claimed_by, "claimed_at": alert.claimed_at.isoformat() if alert.claimed_at else None}


def urgent_json(notice) -> dict[str, Any]:
    return {"advice": notice.advice, "whom_to_call": routing_json(notice.routing),
            "red_flags": [{"code": f.code, "level": f.level.value, "concern": f.concern} for f in notice.flags],
            "alerts": [alert_json(a) for a in notice.alerts]}


def unanswered_json(unanswered) -> dict[str, Any] | None:
    if unanswered is None:
        return None
    return {"urgent": unanswered.urgent, "symptoms": unanswered.symptoms,
            "parts": [{"symptom": label, "parts": parts} for label, parts in unanswered.parts],
            "right_now": unanswered.right_now}


def outcome_json(outcome) -> dict[str, Any]:
    return {"check_in": entry_json(outcome.check_in), "grades": outcome.grades,
            "alerts": [alert_json(a) for a in outcome.alerts], "whom_to_call": routing_json(outcome.routing),
            "advice": outcome.advice,
            "self_care": [{"code": a.code, "symptom": a.symptom, "level": a.level.value, "advice": a.text}
                          for a in outcome.self_care],
            "unanswered": unanswered_json(outcome.unanswered)}


@router.post("/patients/{patient_id}/check-ins", status_code=201, tags=["Check-ins"])
@with_unit_of_work
def submit_check_in(request: Request, patient_id: UUID, body: CheckInSubmission, current: Visit, uow: UnitOfWork,
                    idempotency_key: UUID | None = Header(None)):
    settings = request.app.state.settings
    data = body.model_dump(exclude={"id"}, exclude_none=True)
    try:
        outcome = monitoring.submit_check_in(uow, current.actor, patient_id, data, body.id or idempotency_key,
                                             settings.monitoring, settings.clock())
    except (InvalidInput, IdInUse) as exc:
        if exc.field == "id" and body.id is None:  # the id came as the header: name the header
            exc.field, exc.errors = "Idempotency-Key", [{"field": "Idempotency-Key", "message": exc.detail}]
        if not isinstance(exc, monitoring.UrgentAnswersNotSent):
            raise
        uow.commit()  # the urgent answers were acted on: keep those alerts
        return from_domain_error(exc, extensions={"urgent": urgent_json(exc.notice)})
    uow.commit()
    # The outcome is plain JSON already: answering directly skips FastAPI's generic encoder,
    # which walked every value again and was a sixth of the server's time per check-in.
    return JSONResponse(outcome_json(outcome), status_code=200 if outcome.repeated else 201)


@router.get("/patients/{patient_id}/whom-to-call", tags=["Check-ins"])
@with_unit_of_work
def whom_to_call(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork,
                 level: Level = Query(Level.AMBER)):
    settings = request.app.state.settings
    routing = monitoring.whom_to_call(uow, current.actor, patient_id, level, settings.monitoring, settings.clock())
    uow.commit()
    return routing_json(routing)


@router.get("/patients/{patient_id}/alerts", tags=["Alerts"])
@with_unit_of_work
def patient_alerts(patient_id: UUID, current: Visit, uow: UnitOfWork):
    alerts = monitoring.patient_alerts(uow, current.actor, patient_id)
    uow.commit()
    return [alert_json(a) for a in alerts]


class AlertAction(BaseModel):
    version: int
    notes: str | None = Field(None, max_length=monitoring.NOTES_MAX_CHARS)
    outcome: AlertOutcome | None = Field(None, description="What was done; required to resolve a red or amber alert")


@router.get("/alerts", tags=["Alerts"])
@with_unit_of_work
def triage_inbox(current: Visit, uow: UnitOfWork, include_resolved: bool = False):
    alerts = monitoring.triage_inbox(uow, current.actor, include_resolved)
    uow.commit()
    return [alert_json(a) for a in alerts]


@router.get("/triage", tags=["Alerts"])
@with_unit_of_work
def triage_groups(request: Request, current: Visit, uow: UnitOfWork,
                  level: str | None = Query(None, max_length=20, description="red, amber or green: the row's worst level"),
                  waiting: str | None = Query(None, max_length=20, description="waiting longer than: " + ", ".join(triage.AGES)),
                  rule: str | None = Query(None, max_length=40, description="the kind: " + ", ".join(triage.RULES)),
                  claimed: str | None = Query(None, max_length=20, description="mine or unclaimed"),
                  escalated: bool = False):
    """The inbox as the triage page shows it: one row per check-in with its open alerts, worst first."""
    filters = triage.TriageFilters.from_query({"level": level, "waiting": waiting, "rule": rule, "claimed": claimed,
                                               "escalated": "1" if escalated else ""})
    groups = triage.triage_groups(uow, current.actor, filters, request.app.state.settings.clock())
    uow.commit()
    return [{"check_in_id": str(g.check_in_id) if g.check_in_id else None, "patient_id": str(g.patient_id),
             "patient_name": g.patient_name, "worst_level": g.worst.value, "escalated": g.escalated,
             "raised_at": g.raised_at.isoformat(), "claimed_by": g.claimed_by,
             "alerts": [alert_json(a) for a in g.alerts]} for g in groups]


class AlertVersion(BaseModel):
    id: UUID
    version: int


class AlertsToAcknowledge(BaseModel):
    alerts: list[AlertVersion] = Field(min_length=1, max_length=200, description="Green and amber alerts only")


@router.post("/alerts/acknowledge", tags=["Alerts"])
@with_unit_of_work
def acknowledge_together(request: Request, body: AlertsToAcknowledge, current: Visit, uow: UnitOfWork):
    """Acknowledge green and amber alerts together, all or none; a red one is refused (422, `alerts`)."""
    done = triage.acknowledge_together(uow, current.actor, {a.id: a.version for a in body.alerts},
                                       request.app.state.settings.clock())
    uow.commit()
    return [alert_json(a) for a in done]


@router.post("/alerts/{alert_id}/claim", tags=["Alerts"])
@with_unit_of_work
def claim_alert(request: Request, alert_id: UUID, current: Visit, uow: UnitOfWork):
    """Claim the alert and the other open alerts of its check-in; 409 if a colleague holds them."""
    claimed = triage.claim_alert(uow, current.actor, alert_id, request.app.state.settings.clock())
    uow.commit()
    return [alert_json(a) for a in claimed]


@router.post("/alerts/{alert_id}/release", tags=["Alerts"])
@with_unit_of_work
def release_alert(alert_id: UUID, current: Visit, uow: UnitOfWork):
    released = triage.release_alert(uow, current.actor, alert_id)
    uow.commit()
    return [alert_json(a) for a in released]


@router.post("/alerts/{alert_id}/acknowledge", tags=["Alerts"])
@with_unit_of_work
def acknowledge_alert(request: Request, alert_id: UUID, body: AlertAction, current: Visit, uow: UnitOfWork):
    alert = monitoring.acknowledge_alert(uow, current.actor, alert_id, body.version, request.app.state.settings.clock())
    uow.commit()
    return alert_json(alert)


@router.post("/alerts/{alert_id}/resolve", tags=["Alerts"])
@with_unit_of_work
def resolve_alert(request: Request, alert_id: UUID, body: AlertAction, current: Visit, uow: UnitOfWork):
    alert = monitoring.resolve_alert(uow, current.actor, alert_id, body.version, body.notes,
                                     request.app.state.settings.clock(), body.outcome)
    uow.commit()
    return alert_json(alert)


@router.get("/reports/acknowledgement-times", tags=["Alerts"])
@with_unit_of_work
def acknowledgement_times(request: Request, current: Visit, uow: UnitOfWork, days: int = Query(30, ge=1, le=366)):
    report = monitoring.acknowledgement_times(uow, current.actor, days, request.app.state.settings.clock())
    uow.commit()
    return [vars(row) for row in report]


# --- Administration ----------------------------------------------------------------------------

@router.get("/users", tags=["administration"])
@with_unit_of_work
def list_users(current: Visit, uow: UnitOfWork):
    # Which record a patient's sign-in opens is not the administrator's to know.
    return [{k: v for k, v in user_json(u).items() if k != "patient_id"} for u in accounts.list_users(uow, current.actor)]


@router.post("/users", status_code=201, tags=["administration"])
@with_unit_of_work
def create_user(body: NewUser, current: Visit, uow: UnitOfWork):
    user = accounts.create_user(uow, current.actor, body)
    uow.commit()
    return user_json(user)


@router.patch("/users/{user_id}", tags=["administration"])
@with_unit_of_work
def change_account(user_id: UUID, body: AccountChange, current: Visit, uow: UnitOfWork):
    """Switch an account off or on, or change a staff account's role or teams (each audited).
    Switching off ends the account's sessions at once."""
    user = account_admin.change_account(uow, current.actor, user_id, body)
    uow.commit()
    return user_json(user)


@router.post("/users/{user_id}/unlock", tags=["administration"])
@with_unit_of_work
def unlock_account(user_id: UUID, current: Visit, uow: UnitOfWork):
    """Forget the account's failed sign-ins, so that no browser is made to wait."""
    forgotten = account_admin.unlock_account(uow, current.actor, user_id)
    uow.commit()
    return {"failed_sign_ins_forgotten": forgotten}


@router.post("/users/{user_id}/second-factor/reset", tags=["administration"])
@with_unit_of_work
def reset_second_factor(user_id: UUID, current: Visit, uow: UnitOfWork):
    """For a lost phone: the account's authenticator and recovery codes stop working."""
    user = second_factor.reset_second_factor(uow, current.actor, user_id)
    uow.commit()
    return {"id": str(user.id), "second_factor": user.second_factor_on}


def team_settings_json(team: TeamSettings) -> dict:
    """A team's settings as the API gives them: the webhook secret only as set or not, masked."""
    return (team_settings.as_change(team) | {"id": str(team.id), "name": team.name,
                                             "webhook_secret": team_settings.masked(team.webhook_secret)})


@router.get("/teams/{team_id}/settings", tags=["administration"])
@with_unit_of_work
def get_team_settings(team_id: UUID, request: Request, current: Visit, uow: UnitOfWork):
    """Where the team's alerts go, its check-in day and reminders, and each alert threshold it may
    change with the service's default, the most sensitive value allowed and the source."""
    page = team_settings.team_settings(uow, current.actor, team_id, request.app.state.settings.monitoring.thresholds)
    uow.commit()
    return team_settings_json(page.settings) | {"thresholds": [
        {"name": c.rule.name, "label": c.rule.label, "chosen": c.chosen, "default": c.default,
         "most_sensitive": c.rule.most_sensitive, "unit": c.rule.unit, "source": c.rule.source} for c in page.thresholds]}


@router.put("/teams/{team_id}/settings", tags=["administration"])
@with_unit_of_work
def update_team_settings(team_id: UUID, body: TeamSettingsChange, request: Request, current: Visit, uow: UnitOfWork):
    """Change the settings sent (a field left out is kept, null clears it), each change audited
    with its old and new values. Refused naming the field if alerts would reach no one, if a
    threshold would alert less than the service's default, or if the webhook is not allowed."""
    settings = request.app.state.settings
    allowed = settings.notify.webhook_allowed_hosts
    team = team_settings.change_team_settings(uow, current.actor, team_id, body.model_dump(exclude_unset=True),
                                              settings.monitoring.thresholds,
                                              check_webhook_url=lambda url: check_webhook_url(url, allowed))
    uow.commit()
    return team_settings_json(team)


@router.get("/teams/{team_id}/response-times", tags=["alerts"])
@with_unit_of_work
def team_response_times(team_id: UUID, request: Request, current: Visit, uow: UnitOfWork):
    """The team's time to acknowledge and to close alerts over the last 12 weeks, per level and
    per week (Monday, service time zone), against its targets; for the team's clinicians."""
    settings = request.app.state.settings
    report = response_times.team_response_times(uow, current.actor, team_id, settings.clock(), settings.service_time_zone)
    uow.commit()
    return jsonable_encoder(report)


@router.get("/teams", tags=["administration"])
@with_unit_of_work
def list_teams(current: Visit, uow: UnitOfWork):
    return [team_settings_json(team) for team in accounts.list_team_settings(uow, current.actor)]


@router.post("/teams", status_code=201, tags=["administration"])
@with_unit_of_work
def create_team(body: NewTeam, current: Visit, uow: UnitOfWork):
    team = accounts.create_team(uow, current.actor, body)
    uow.commit()
    return {"id": str(team.id), "name": team.name}


# Registered last: the router tries routes in order, twice a request, and these hundred generic
# routes came before every route above them (a third of the server's time on a check-in).
for _kind in RECORD_KINDS.values():
    _entry_routes(_kind)
