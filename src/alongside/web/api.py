"""JSON API under /api/v1. Each route parses, calls one use case, commits, and answers."""


from typing import Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, Field, create_model

from ..domain import accounts, services, transfer
from ..domain.entries import Entry, Patient
from ..domain.people import CarerInvitation, NewTeam, NewUser, PatientSignIn, User
from ..domain.records import RECORD_KINDS, CancerProfile, PatientDetails, RecordKind
from .context import SESSION_COOKIE, Visit, api_visit, client_address, unit_of_work

router = APIRouter(prefix="/api/v1")


class Credentials(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class UserActive(BaseModel):
    active: bool


def entry_json(entry: Entry) -> dict[str, Any]:
    # The kind is in the URL; record fields may themselves be called "kind" (appointments, goals).
    return {"id": str(entry.id), "patient_id": str(entry.patient_id), "version": entry.version,
            "created_at": entry.created_at.isoformat(), "updated_at": entry.updated_at.isoformat(),
            **entry.data.model_dump(mode="json")}


def patient_json(patient: Patient) -> dict[str, Any]:
    return {"id": str(patient.id), "version": patient.version, **patient.details.model_dump(mode="json"),
            "cancer_profile": {"version": patient.profile_version, **patient.profile.model_dump(mode="json")}}


def user_json(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "email": user.email, "display_name": user.display_name, "role": user.role.value,
            "patient_id": str(user.patient_id) if user.patient_id else None, "active": user.active}


# --- Session -----------------------------------------------------------------------------------

@router.post("/session", tags=["session"])
def sign_in(request: Request, response: Response, credentials: Credentials, uow=Depends(unit_of_work)):
    signed_in = accounts.sign_in(uow, credentials.email, credentials.password, client_address(request),
                                 request.app.state.settings.policy)
    uow.commit()
    set_session_cookie(request, response, signed_in.token)
    return {"user": user_json(signed_in.user), "csrf_token": signed_in.session.csrf_token}


@router.delete("/session", status_code=204, tags=["session"])
def sign_out(request: Request, response: Response, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    accounts.sign_out(uow, request.cookies.get(SESSION_COOKIE))
    uow.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", tags=["session"])
def me(current: Visit = Depends(api_visit)):
    return {"user": user_json(current.user), "csrf_token": current.csrf_token}


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=settings.cookie_secure, samesite="lax",
                        path="/", max_age=int(settings.policy.absolute.total_seconds()))


# --- Patients ----------------------------------------------------------------------------------

class NewPatient(PatientDetails):
    team_id: UUID | None = Field(None, title="Team")


class PatientUpdate(PatientDetails):
    version: int


class CancerProfileUpdate(CancerProfile):
    version: int


@router.get("/patients", tags=["patients"])
def list_caseload(q: str = Query("", max_length=100), offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=200),
                  current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    page = services.caseload(uow, current.actor, q, offset, limit)
    uow.commit()
    return {"total": page.total, "offset": page.offset, "limit": page.limit,
            "patients": [{"id": str(r.patient_id), "name": r.name, "date_of_birth": r.date_of_birth.isoformat(),
                          "nhs_number": r.nhs_number, "current_treatment": r.current_treatment,
                          "last_check_in": r.last_check_in.isoformat() if r.last_check_in else None,
                          "next_appointment": r.next_appointment.isoformat() if r.next_appointment else None}
                         for r in page.rows]}


@router.post("/patients", status_code=201, tags=["patients"])
def register_patient(body: NewPatient, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    details = PatientDetails.model_validate(body.model_dump(exclude={"team_id"}))
    patient = services.register_patient(uow, current.actor, details, body.team_id)
    uow.commit()
    return patient_json(patient)


@router.get("/patients/{patient_id}", tags=["patients"])
def read_patient(patient_id: UUID, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return patient_json(patient)


@router.put("/patients/{patient_id}", tags=["patients"])
def update_patient(patient_id: UUID, body: PatientUpdate, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    details = PatientDetails.model_validate(body.model_dump(exclude={"version"}))
    patient = services.update_patient(uow, current.actor, patient_id, details, body.version)
    uow.commit()
    return patient_json(patient)


@router.put("/patients/{patient_id}/cancer-profile", tags=["patients"])
def update_cancer_profile(patient_id: UUID, body: CancerProfileUpdate, current: Visit = Depends(api_visit),
                          uow=Depends(unit_of_work)):
    profile = CancerProfile.model_validate(body.model_dump(exclude={"version"}))
    patient = services.update_cancer_profile(uow, current.actor, patient_id, profile, body.version)
    uow.commit()
    return patient_json(patient)


@router.get("/patients/{patient_id}/export", tags=["patients"])
def export_record(patient_id: UUID, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    document = transfer.export_record(uow, current.actor, patient_id)
    uow.commit()
    return document


@router.get("/patients/{patient_id}/access-log", tags=["patients"])
def access_log(patient_id: UUID, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    events = services.access_log(uow, current.actor, patient_id)
    uow.commit()
    return [{"at": e.at.isoformat(), "actor": e.actor_name, "role": e.actor_role, "action": e.action, "what": e.what,
             "record_id": str(e.record_id) if e.record_id else None} for e in events]


@router.post("/patients/{patient_id}/account", status_code=201, tags=["patients"])
def open_patient_account(patient_id: UUID, body: PatientSignIn, current: Visit = Depends(api_visit),
                         uow=Depends(unit_of_work)):
    user = accounts.open_patient_account(uow, current.actor, patient_id, body)
    uow.commit()
    return user_json(user)


@router.get("/patients/{patient_id}/carers", tags=["carers"])
def list_carers(patient_id: UUID, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    links = accounts.list_carers(uow, current.actor, patient_id)
    uow.commit()
    return [{"user": user_json(link.carer), "access": link.access.value} for link in links]


@router.post("/patients/{patient_id}/carer-invitations", status_code=201, tags=["carers"])
def invite_carer(request: Request, patient_id: UUID, body: CarerInvitation, current: Visit = Depends(api_visit),
                 uow=Depends(unit_of_work)):
    token = accounts.invite_carer(uow, current.actor, patient_id, body, request.app.state.settings.policy)
    uow.commit()
    return {"link": str(request.url_for("invitation_page", token=token))}


# --- Entries of every kind, one set of routes per kind so OpenAPI shows each model -------------

def _entry_routes(record_kind: RecordKind) -> None:
    slug, model = record_kind.slug, record_kind.model
    create_body = create_model(f"New{model.__name__}", __base__=model,
                               id=(UUID | None, Field(None, description="Give an id of your own to make retries safe")))
    update_body = create_model(f"{model.__name__}Update", __base__=model, version=(int, ...))
    path = f"/patients/{{patient_id}}/{slug}"
    tags = [record_kind.plural]

    def list_entries(patient_id: UUID, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
        entries = services.list_entries(uow, current.actor, patient_id, slug)
        uow.commit()
        return [entry_json(e) for e in entries]

    def add_entry(patient_id: UUID, body: create_body = Body(), current: Visit = Depends(api_visit),
                  uow=Depends(unit_of_work)):
        entry = services.add_entry(uow, current.actor, patient_id, slug, body.model_dump(exclude={"id"}), body.id)
        uow.commit()
        return entry_json(entry)

    def read_entry(patient_id: UUID, entry_id: UUID, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
        entry = services.read_entry(uow, current.actor, patient_id, slug, entry_id)
        uow.commit()
        return entry_json(entry)

    def update_entry(patient_id: UUID, entry_id: UUID, body: update_body = Body(), current: Visit = Depends(api_visit),
                     uow=Depends(unit_of_work)):
        entry = services.update_entry(uow, current.actor, patient_id, slug, entry_id,
                                      body.model_dump(exclude={"version"}), body.version)
        uow.commit()
        return entry_json(entry)

    def delete_entry(patient_id: UUID, entry_id: UUID, version: int = Query(), current: Visit = Depends(api_visit),
                     uow=Depends(unit_of_work)):
        services.delete_entry(uow, current.actor, patient_id, slug, entry_id, version)
        uow.commit()
        return Response(status_code=204)

    router.add_api_route(path, list_entries, methods=["GET"], tags=tags, name=f"list-{slug}")
    router.add_api_route(path, add_entry, methods=["POST"], tags=tags, name=f"add-{slug}", status_code=201)
    router.add_api_route(path + "/{entry_id}", read_entry, methods=["GET"], tags=tags, name=f"read-{slug}")
    router.add_api_route(path + "/{entry_id}", update_entry, methods=["PUT"], tags=tags, name=f"update-{slug}")
    router.add_api_route(path + "/{entry_id}", delete_entry, methods=["DELETE"], tags=tags, name=f"delete-{slug}",
                         status_code=204)


for _kind in RECORD_KINDS.values():
    _entry_routes(_kind)


# --- Administration ----------------------------------------------------------------------------

@router.get("/users", tags=["administration"])
def list_users(current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    return [user_json(u) for u in accounts.list_users(uow, current.actor)]


@router.post("/users", status_code=201, tags=["administration"])
def create_user(body: NewUser, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    user = accounts.create_user(uow, current.actor, body)
    uow.commit()
    return user_json(user)


@router.patch("/users/{user_id}", tags=["administration"])
def set_user_active(user_id: UUID, body: UserActive, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    user = accounts.set_user_active(uow, current.actor, user_id, body.active)
    uow.commit()
    return user_json(user)


@router.post("/teams", status_code=201, tags=["administration"])
def create_team(body: NewTeam, current: Visit = Depends(api_visit), uow=Depends(unit_of_work)):
    team = accounts.create_team(uow, current.actor, body)
    uow.commit()
    return {"id": str(team.id), "name": team.name}
