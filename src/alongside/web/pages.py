"""Server-rendered pages. Each route parses, authorises through a use case, renders a template.

Pages work without JavaScript. Every form carries the session's CSRF token.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlparse
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..domain.dates import long_date
from ..domain import accounts, appointments, carer_menu, dose_diary, monitoring, planning, reading, result_sharing, results, services, week
from ..domain.errors import AlreadyExists, DomainError, InvalidInput, NeedsConfirming, NotFound
from ..domain.people import AcceptInvitation, CarerInvitation, NewTeam, NewUser, PatientSignIn
from ..domain.records import CONFIRM_EARLY_DATE, RECORD_KINDS, CancerProfile, PatientDetails, kind, validate
from ..clinical.contacts import Level
from ..domain.vocab import Role
from ..store.unit_of_work import UnitOfWork
from .api import DEVICE_COOKIE, set_session_cookie
from .context import (
    PRE_SESSION_COOKIE, SECOND_STEP_COOKIE, SESSION_COOKIE, STEP_PATH, Visit, client_address, invitation_link, pre_session_token_ok, set_pre_session_cookie,
    with_unit_of_work,
)
from . import check_in_form as check_in_form_view
from ..reports import charts
from .forms import build_form, check_in_items_field, parse_form, submitted_values
from .templating import templates

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    current = getattr(request.state, "visit", None)
    return templates.TemplateResponse(request, template, {"visit": current, "carer_menu": _carer_menu(current, context),
                                                          **context}, status_code=status)


def _carer_menu(current, context: dict[str, Any]) -> list:
    """A carer's menu for the record on the page, if it is the record of someone they look after:
    never an entry for anyone else's record."""
    patient = context.get("patient")
    if current is None or patient is None or getattr(patient, "id", None) not in current.cares_for:
        return []
    return carer_menu.carer_menu(patient.id, patient.details.given_name, current.cares_for[patient.id])


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.service_time_zone)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


# --- Signing in and out -----------------------------------------------------------------------

@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = Query("/", max_length=500), signed_out: bool = False):
    return sign_in_form(request, 200, None, safe_next(next), signed_out=signed_out)


def sign_in_form(request: Request, status: int, error: str | None, next: str = "/", *, signed_out: bool = False) -> HTMLResponse:
    """The sign-in page with a fresh pre-session CSRF token; with the provider's button when single
    sign-on is set up, and after signing out its own sign-out link (it may still have a session)."""
    token = secrets.token_urlsafe(24)
    provider = request.app.state.single_sign_on
    response = render(request, "sign_in.html", status, csrf_token=token, next=next, error=error, email="",
                      provider_name=provider.settings.provider_name if provider else None,
                      provider_sign_out=provider.end_session_url() if provider and signed_out else None)
    set_pre_session_cookie(request, response, token)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
@with_unit_of_work
def sign_in(request: Request, uow: UnitOfWork, form: dict[str, str]):
    expected = request.cookies.get(PRE_SESSION_COOKIE) or ""
    given = str(form.get("csrf_token") or "")
    email, target = str(form.get("email") or ""), safe_next(str(form.get("next") or "/"))
    if not expected or not secrets.compare_digest(given, expected):
        return render(request, "sign_in.html", 400, csrf_token=expected, next=target, email=email,
                      error="This page had expired. Please try again.")
    try:
        signed_in = accounts.sign_in(uow, email, str(form.get("password") or ""), client_address(request),
                                     request.app.state.settings.policy, device=request.cookies.get(DEVICE_COOKIE))
    except DomainError as exc:
        return render(request, "sign_in.html", exc.status if exc.status == 429 else 401, csrf_token=expected,
                      next=target, email=email, error=exc.detail)
    uow.commit()
    if isinstance(signed_in, accounts.SecondStep):
        return second_step_started(request, signed_in, target)
    response = see_other(target)
    set_session_cookie(request, response, signed_in.token, signed_in.device)
    response.delete_cookie(PRE_SESSION_COOKIE)
    return response


def second_step_started(request: Request, step: accounts.SecondStep, target: str) -> Response:
    response = see_other(f"{STEP_PATH}?next={quote(target)}")
    settings = request.app.state.settings
    response.set_cookie(SECOND_STEP_COOKIE, step.token, httponly=True, samesite="strict", path=STEP_PATH,
                        secure=settings.cookie_secure, max_age=int(settings.policy.second_step_lifetime.total_seconds()))
    return response


@router.post("/sign-out")
@with_unit_of_work
def sign_out(request: Request, current: Visit, uow: UnitOfWork):
    accounts.sign_out(uow, request.cookies.get(SESSION_COOKIE))
    uow.commit()
    response = see_other("/sign-in?signed_out=true")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
@with_unit_of_work
def start(current: Visit, uow: UnitOfWork):
    """Each role lands on its own first page."""
    user = current.user
    if user.role is Role.PATIENT and user.patient_id:
        return see_other(f"/patients/{user.patient_id}")
    if user.role is Role.CARER:
        patients = reading.patients_cared_for(uow, current.actor)
        uow.commit()
        return see_other(f"/patients/{patients[0]}" if len(patients) == 1 else "/carer")
    if user.role is Role.CLINICIAN:
        return see_other("/caseload")
    return see_other("/admin/users")


@router.get("/carer", response_class=HTMLResponse)
@with_unit_of_work
def carer_start(request: Request, current: Visit, uow: UnitOfWork):
    people = [services.read_patient(uow, current.actor, pid) for pid in reading.patients_cared_for(uow, current.actor)]
    uow.commit()
    return render(request, "carer_start.html", people=people)


@router.get("/patients/new", response_class=HTMLResponse)
@with_unit_of_work
def new_patient_form(request: Request, current: Visit):
    return _details_form(request, {}, {})


@router.post("/patients/new", response_class=HTMLResponse)
@with_unit_of_work
def new_patient(request: Request, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        details = validate(PatientDetails, parse_form(PatientDetails, form, _zone(request)))
        patient = services.register_patient(uow, current.actor, details)
    except InvalidInput as exc:
        return _details_form(request, submitted_values(form), _by_field(exc), status=422)
    uow.commit()
    return see_other(f"/patients/{patient.id}")


def _details_form(request: Request, values: dict, errors: dict, status: int = 200, patient=None) -> HTMLResponse:
    return render(request, "form.html", status, heading="Edit details" if patient else "Register a patient",
                  fields=build_form(PatientDetails, values, errors, _zone(request)), errors=errors,
                  version=patient.version if patient else None, patient=patient,
                  cancel=f"/patients/{patient.id}" if patient else "/caseload")


def _by_field(exc: InvalidInput) -> dict[str, str]:
    return {e["field"]: e["message"] for e in exc.errors} or {exc.field or "form": exc.detail}


# --- One patient's record ---------------------------------------------------------------------

@router.get("/patients/{patient_id}", response_class=HTMLResponse)
@with_unit_of_work
def patient_home(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    home = services.patient_home(uow, current.actor, patient_id, request.app.state.settings.clock())
    settings = request.app.state.settings
    now = settings.clock()
    if current.user.role is Role.CLINICIAN:
        alerts = monitoring.patient_alerts(uow, current.actor, patient_id)[:5]
        supportive = planning.supportive_care_prompt_for(uow, current.actor, patient_id, settings.supportive_care)
        held = result_sharing.results_held(uow, current.actor, patient_id)
        diaries = dose_diary.cycle_diaries(uow, current.actor, patient_id, now)
        uow.commit()
        return render(request, "record.html", home=home, patient=home.patient, kinds=RECORD_KINDS, alerts=alerts,
                      supportive=supportive, held=held, diaries=diaries)
    urgent = monitoring.whom_to_call(uow, current.actor, patient_id, Level.RED, settings.monitoring, now)
    today = monitoring.whom_to_call(uow, current.actor, patient_id, Level.AMBER, settings.monitoring, now)
    diaries = dose_diary.cycle_diaries(uow, current.actor, patient_id, now)
    this_week = week.her_week(uow, current.actor, patient_id, settings.monitoring, current.session.created_at, now)
    uow.commit()
    return render(request, "home.html", home=home, patient=home.patient, kinds=RECORD_KINDS, urgent=urgent, today=today,
                  week=this_week, diaries=diaries)


@router.get("/patients/{patient_id}/treatments", response_class=HTMLResponse)
@with_unit_of_work
def treatment_history(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    lines = services.treatment_history(uow, current.actor, patient_id, request.app.state.settings.clock())
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return render(request, "treatments.html", lines=lines, patient=patient)


@router.get("/patients/{patient_id}/details/edit", response_class=HTMLResponse)
@with_unit_of_work
def edit_details_form(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    patient = reading.open_form(uow, current.actor, patient_id)
    uow.commit()
    return _details_form(request, patient.details.model_dump(), {}, patient=patient)


@router.post("/patients/{patient_id}/details/edit", response_class=HTMLResponse)
@with_unit_of_work
def edit_details(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        details = validate(PatientDetails, parse_form(PatientDetails, form, _zone(request)))
        services.update_patient(uow, current.actor, patient_id, details, _version(form))
    except InvalidInput as exc:
        uow.rollback()
        # The form comes back through the same checked read as the page: an outsider's bad form is
        # refused (and audited) here, never answered with her details.
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()  # that read is audited too; nothing of the refused change is kept
        return _details_form(request, submitted_values(form), _by_field(exc), 422, patient)
    uow.commit()
    return see_other(f"/patients/{patient_id}")


@router.get("/patients/{patient_id}/cancer-profile/edit", response_class=HTMLResponse)
@with_unit_of_work
def edit_profile_form(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    patient = reading.open_form(uow, current.actor, patient_id)
    uow.commit()
    return _profile_form(request, patient, patient.profile.model_dump(), {})


@router.post("/patients/{patient_id}/cancer-profile/edit", response_class=HTMLResponse)
@with_unit_of_work
def edit_profile(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        profile = validate(CancerProfile, parse_form(CancerProfile, form, _zone(request)))
        services.update_cancer_profile(uow, current.actor, patient_id, profile, _version(form))
    except InvalidInput as exc:
        uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        return _profile_form(request, patient, submitted_values(form), _by_field(exc), 422)
    uow.commit()
    return see_other(f"/patients/{patient_id}")


def _profile_form(request: Request, patient, values: dict, errors: dict, status: int = 200) -> HTMLResponse:
    return render(request, "form.html", status, heading="Cancer profile", patient=patient, errors=errors,
                  fields=build_form(CancerProfile, values, errors, _zone(request)),
                  version=patient.profile_version, cancel=f"/patients/{patient.id}")


def _version(form: dict[str, str]) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise InvalidInput("The form lost its version number. Reload the page.", field="version") from None


# --- Entries of every kind --------------------------------------------------------------------

@router.get("/patients/{patient_id}/record/{slug}", response_class=HTMLResponse)
@with_unit_of_work
def entries(request: Request, patient_id: UUID, slug: str, current: Visit, uow: UnitOfWork):
    if slug == "appointments":
        return _appointments(request, patient_id, current, uow)
    items = services.list_entries(uow, current.actor, patient_id, slug)
    record = reading.open_record(uow, current.actor, patient_id)
    held = (result_sharing.results_held(uow, current.actor, patient_id, {slug: items})
            if slug in result_sharing.HELD_KINDS and record.relationship in result_sharing.SEES_EVERYTHING else None)
    uow.commit()
    record_kind = kind(slug)
    flags = services.date_flags(record.patient, items, request.app.state.settings.early_date_margin)
    return render(request, "entries.html", patient=record.patient, kind=record_kind, entries=items, held=held,
                  holdable=slug in result_sharing.HELD_KINDS, may_write=record.may_write(record_kind),
                  fields=build_form(record_kind.model, {}, {}, _zone(request)), zone=_zone(request), flags=flags)


def _appointments(request: Request, patient_id: UUID, current: Visit, uow) -> HTMLResponse:
    settings = request.app.state.settings
    found = appointments.appointments(uow, current.actor, patient_id, settings.clock(), settings.service_time_zone)
    record = reading.open_record(uow, current.actor, patient_id)
    uow.commit()
    record_kind = kind("appointments")
    return render(request, "appointments.html", patient=record.patient, kind=record_kind, found=found,
                  may_write=record.may_write(record_kind),
                  fields=build_form(record_kind.model, {}, {}, _zone(request)))


@router.get("/patients/{patient_id}/record/{slug}/new", response_class=HTMLResponse)
@with_unit_of_work
def new_entry_form(request: Request, patient_id: UUID, slug: str, current: Visit, uow: UnitOfWork):
    if kind(slug).submitted_only:
        services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        return see_other(f"/patients/{patient_id}/check-in")
    patient = reading.open_form(uow, current.actor, patient_id, kind(slug))
    page = _entry_form(request, uow, current.actor, patient, kind(slug), {}, {})
    uow.commit()
    return page


@router.post("/patients/{patient_id}/record/{slug}/new", response_class=HTMLResponse)
@with_unit_of_work
def new_entry(request: Request, patient_id: UUID, slug: str, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    record_kind = kind(slug)
    try:
        settings = request.app.state.settings
        services.add_entry(uow, current.actor, patient_id, slug, parse_form(record_kind.model, form, _zone(request)),
                           _form_id(form), settings.monitoring.thresholds, settings.clock(),
                           confirm_early_date=CONFIRM_EARLY_DATE in form, early_date_margin=settings.early_date_margin)
    except InvalidInput as exc:
        uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        page = _entry_form(request, uow, current.actor, patient, record_kind, submitted_values(form), _by_field(exc),
                           status=422, confirm=_confirmation(form, exc))
        uow.commit()  # the reads that showed the form again are audited; nothing of the refused write is kept
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/record/{slug}")


@router.get("/patients/{patient_id}/record/{slug}/{entry_id}/edit", response_class=HTMLResponse)
@with_unit_of_work
def edit_entry_form(request: Request, patient_id: UUID, slug: str, entry_id: UUID, current: Visit, uow: UnitOfWork):
    entry = services.read_entry(uow, current.actor, patient_id, slug, entry_id)
    patient = reading.open_form(uow, current.actor, patient_id, kind(slug))
    page = _entry_form(request, uow, current.actor, patient, kind(slug), entry.data.model_dump(), {}, entry=entry)
    uow.commit()
    return page


@router.post("/patients/{patient_id}/record/{slug}/{entry_id}/edit", response_class=HTMLResponse)
@with_unit_of_work
def edit_entry(request: Request, patient_id: UUID, slug: str, entry_id: UUID, current: Visit, uow: UnitOfWork,
               form: dict[str, str]):
    record_kind = kind(slug)
    try:
        services.update_entry(uow, current.actor, patient_id, slug, entry_id,
                              parse_form(record_kind.model, form, _zone(request)), _version(form),
                              confirm_early_date=CONFIRM_EARLY_DATE in form,
                              early_date_margin=request.app.state.settings.early_date_margin)
    except InvalidInput as exc:
        uow.rollback()
        entry = services.read_entry(uow, current.actor, patient_id, slug, entry_id)
        page = _entry_form(request, uow, current.actor, services.read_patient(uow, current.actor, patient_id),
                           record_kind, submitted_values(form), _by_field(exc), entry=entry, status=422,
                           confirm=_confirmation(form, exc))
        uow.commit()
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/record/{slug}")


@router.post("/patients/{patient_id}/record/{slug}/{entry_id}/delete")
@with_unit_of_work
def delete_entry(request: Request, patient_id: UUID, slug: str, entry_id: UUID, current: Visit, uow: UnitOfWork,
                 form: dict[str, str]):
    services.delete_entry(uow, current.actor, patient_id, slug, entry_id, _version(form))
    uow.commit()
    return see_other(f"/patients/{patient_id}/record/{slug}")


def _confirmation(form: dict[str, str], exc: InvalidInput) -> dict | None:
    """The "Yes, this date is right" box: offered once a date needs confirming, kept as ticked."""
    needed = isinstance(exc, NeedsConfirming)
    if not needed and CONFIRM_EARLY_DATE not in form:
        return None
    return {"name": CONFIRM_EARLY_DATE, "checked": CONFIRM_EARLY_DATE in form, "needed": needed}


def _entry_form(request: Request, uow, actor, patient, record_kind, values: dict, errors: dict, entry=None,
                status: int = 200, confirm: dict | None = None) -> HTMLResponse:
    references = {}
    if record_kind.parent_field:
        courses = services.list_entries(uow, actor, patient.id, "treatment-courses")
        references[record_kind.parent_field] = [("", "Choose...")] + [
            (str(c.id), f"{c.data.name} (from {long_date(c.data.start_date)})") for c in courses]
    verb = "Change" if entry else "Add"
    fields = build_form(record_kind.model, values, errors, _zone(request), references)
    if record_kind.slug == "treatment-courses":
        fields.append(check_in_items_field(values, errors))
    if record_kind.slug == "scans":
        from .results_pages import baseline_lesion_fields

        fields = baseline_lesion_fields(request, uow, actor, patient, fields, values, entry)
    return render(request, "form.html", status, heading=f"{verb}: {record_kind.title.lower()}", patient=patient,
                  fields=fields, errors=errors,
                  version=entry.version if entry else None, form_id=None if entry else str(_new_id(values)),
                  cancel=f"/patients/{patient.id}/record/{record_kind.slug}", confirm=confirm,
                  delete=f"/patients/{patient.id}/record/{record_kind.slug}/{entry.id}/delete" if entry else None)


def _new_id(values: dict) -> UUID:
    """A new form carries the id its entry will get, so a double submit adds it once."""
    from uuid import uuid4

    try:
        return UUID(values.get("form_id", ""))
    except ValueError:
        return uuid4()


def _form_id(form: dict[str, str]) -> UUID | None:
    try:
        return UUID(form.get("form_id", ""))
    except ValueError:
        return None


@router.get("/patients/{patient_id}/access-log", response_class=HTMLResponse)
@with_unit_of_work
def access_log(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    events = services.access_log(uow, current.actor, patient_id)
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return render(request, "access_log.html", patient=patient, events=events)


@router.get("/patients/{patient_id}/account", response_class=HTMLResponse)
@with_unit_of_work
def patient_account(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    users = accounts.patient_accounts(uow, current.actor, patient_id)
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return _account_page(request, patient, users, {"email": patient.details.email}, {})


@router.post("/patients/{patient_id}/account", response_class=HTMLResponse)
@with_unit_of_work
def open_patient_account(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        new = validate(PatientSignIn, parse_form(PatientSignIn, form, _zone(request)))
        accounts.open_patient_account(uow, current.actor, patient_id, new)
    except (InvalidInput, AlreadyExists) as exc:
        uow.rollback()
        errors = _by_field(exc) if isinstance(exc, InvalidInput) else {exc.field or "email": exc.detail}
        values = {"email": form.get("email", "")}
        users = accounts.patient_accounts(uow, current.actor, patient_id)  # checked before anything is shown
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        return _account_page(request, patient, users, values, errors, 422)
    uow.commit()
    return see_other(f"/patients/{patient_id}/account")


def _account_page(request, patient, users, values, errors, status=200):
    return render(request, "patient_account.html", status, patient=patient, users=users, errors=errors,
                  fields=build_form(PatientSignIn, values, errors, _zone(request)))


# --- Check-ins, alerts, triage ----------------------------------------------------------------

@router.get("/patients/{patient_id}/check-in", response_class=HTMLResponse)
@with_unit_of_work
def check_in_form(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, saved: bool = Query(False),
                  step: int = Query(1, ge=1, le=20), one_page: bool = Query(False, alias="all")):
    """The check-in one step a screen (urgent first), or with `all=1` every question on one page. Only
    for those who may send it: a carer who may only read is told so before filling it in."""
    patient = reading.open_form(uow, current.actor, patient_id, RECORD_KINDS["check-ins"])
    settings = request.app.state.settings
    on_chemo = monitoring.on_chemotherapy_now(uow, current.actor, patient_id, settings.clock().date(),
                                              settings.monitoring.fever_rule_days_after_treatment)
    asked = monitoring.symptoms_asked_now(uow, current.actor, patient_id, settings.clock().date())
    draft = monitoring.check_in_draft(uow, current.actor, patient_id, settings.monitoring, settings.clock())
    uow.commit()
    values = check_in_form_view.values_of(draft.answers) if draft else {}
    if one_page:
        return _check_in_page(request, patient, on_chemo, values, {}, draft=draft, saved=saved,
                              urgent=draft.urgent if draft else None, asked=asked)
    shown = check_in_form_view.step_at(step, asked)
    return _check_in_step(request, patient, on_chemo, shown, values, {}, saved=saved,
                          draft=draft if shown.number == 1 or saved else None,  # said once, where she starts
                          urgent=draft.urgent if draft else None, asked=asked)


def _check_in_page(request, patient, on_chemo, values, errors, status=200, draft=None, saved=False, saving=False,
                   urgent=None, asked=None):
    from uuid import uuid4

    form_id = values.get("form_id") or str(uuid4())
    return render(request, "check_in.html", status, patient=patient,
                  form=check_in_form_view.build(on_chemo, values, errors, asked),
                  form_id=form_id, errors=errors, draft=draft, saved=saved, saving=saving, urgent=urgent)


def _check_in_step(request, patient, on_chemo, step, values, errors, status=200, draft=None, saved=False,
                   saving=False, urgent=None, form_id=None, asked=None):
    from uuid import uuid4

    return render(request, "check_in_step.html", status, patient=patient, errors=errors, draft=draft, saved=saved,
                  saving=saving, urgent=urgent, form_id=form_id or str(uuid4()),
                  form=check_in_form_view.build_step(step, on_chemo, values, errors, asked))


def _check_in_next_step(request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    """One step posted: its answers go into her draft (urgent ones acted on at once), then the
    step asked for is shown; Send on the last step sends the whole check-in."""
    settings = request.app.state.settings
    on_chemo = monitoring.on_chemotherapy_now(uow, current.actor, patient_id, settings.clock().date(),
                                              settings.monitoring.fever_rule_days_after_treatment)
    asked = monitoring.symptoms_asked_now(uow, current.actor, patient_id, settings.clock().date())
    step = check_in_form_view.step_at(int(form["step"]) if form["step"].isdigit() else 1, asked)
    action = form.get("action", "next")
    draft = monitoring.check_in_draft(uow, current.actor, patient_id)
    earlier = check_in_form_view.values_of(draft.answers) if draft else {}
    values = check_in_form_view.merge_step(step, on_chemo, earlier, form, none_of_these=action == "none")
    shown = set(form.get("follow_ups_shown", "").split(","))
    to = step.number - 1 if action == "back" else step.number + 1
    if action in ("next", "none") and check_in_form_view.follow_ups_to_show(step, values, shown):
        to = step.number  # the same screen again, now with the questions her answers opened
    try:
        if action == "send":
            outcome = monitoring.submit_check_in(uow, current.actor, patient_id, check_in_form_view.parse(values),
                                                 _form_id(form), settings.monitoring, settings.clock())
        else:
            monitoring.save_check_in_draft(uow, current.actor, patient_id, check_in_form_view.parse(values),
                                                   settings.clock(), settings.monitoring)
    except InvalidInput as exc:
        urgent = exc.notice if isinstance(exc, monitoring.UrgentAnswersNotSent) else None
        uow.commit() if urgent else uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        return _check_in_step(request, patient, on_chemo, step, values, _by_field(exc), 422, draft=draft,
                              saving=action == "save", urgent=urgent, form_id=form.get("form_id"), asked=asked)
    uow.commit()
    if action == "send":
        return see_other(f"/patients/{patient_id}/check-ins/{outcome.check_in.id}")
    if action == "save":
        return see_other(f"/patients/{patient_id}/check-in?saved=1&step={step.number}")
    anchor = "#f-answers" if to == step.number else ""
    return see_other(f"/patients/{patient_id}/check-in?step={max(to, 1)}{anchor}")


@router.post("/patients/{patient_id}/check-in", response_class=HTMLResponse)
@with_unit_of_work
def submit_check_in(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    """Send the check-in, or (the "Save and finish later" button) keep it as her draft. A form
    with a `step` is one step of the stepped check-in."""
    if "step" in form:
        return _check_in_next_step(request, patient_id, current, uow, form)
    settings = request.app.state.settings
    saving = form.get("action") == "save"
    try:
        if saving:
            monitoring.save_check_in_draft(uow, current.actor, patient_id, check_in_form_view.parse(form),
                                           settings.clock(), settings.monitoring)
        else:
            outcome = monitoring.submit_check_in(uow, current.actor, patient_id, check_in_form_view.parse(form),
                                                 _form_id(form), settings.monitoring, settings.clock())
    except InvalidInput as exc:
        # Urgent answers were acted on even though the rest needs correcting: keep those alerts.
        urgent = exc.notice if isinstance(exc, monitoring.UrgentAnswersNotSent) else None
        uow.commit() if urgent else uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        on_chemo = monitoring.on_chemotherapy_now(uow, current.actor, patient_id, settings.clock().date(),
                                                  settings.monitoring.fever_rule_days_after_treatment)
        asked = monitoring.symptoms_asked_now(uow, current.actor, patient_id, settings.clock().date())
        uow.commit()
        return _check_in_page(request, patient, on_chemo, submitted_values(form), _by_field(exc), 422, saving=saving,
                              urgent=urgent, asked=asked)
    uow.commit()
    if saving:
        return see_other(f"/patients/{patient_id}/check-in?saved=1")
    return see_other(f"/patients/{patient_id}/check-ins/{outcome.check_in.id}")


@router.post("/patients/{patient_id}/check-in/draft/delete")
@with_unit_of_work
def discard_check_in_draft(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    monitoring.discard_check_in_draft(uow, current.actor, patient_id)
    uow.commit()
    return see_other(f"/patients/{patient_id}/check-in")


@router.get("/patients/{patient_id}/check-ins/{check_in_id}", response_class=HTMLResponse)
@with_unit_of_work
def check_in_result(request: Request, patient_id: UUID, check_in_id: UUID, current: Visit, uow: UnitOfWork):
    settings = request.app.state.settings
    outcome = monitoring.check_in_outcome(uow, current.actor, patient_id, check_in_id, settings.monitoring,
                                          settings.clock())
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return render(request, "check_in_result.html", patient=patient, outcome=outcome)


@router.get("/patients/{patient_id}/symptoms", response_class=HTMLResponse)
@with_unit_of_work
def symptom_history(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork,
                    months: int = Query(6, ge=1, le=120)):
    history = monitoring.symptom_history(uow, current.actor, patient_id)
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    end = request.app.state.settings.clock().date()
    start = end - timedelta(days=30 * months)
    bands = [charts.Band(t.label, t.start, t.end) for t in history.treatments]
    series = [(s, charts.for_screens(lambda width, s=s: charts.symptom_chart(
        f"{s.label}, {months} months", [p for p in s.points if p[0].date() >= start], s.scale_max, bands, start, end,
        width))) for s in history.grades + history.burden]
    return render(request, "symptoms.html", patient=patient, series=series, months=months)


# --- Carers -----------------------------------------------------------------------------------

@router.get("/patients/{patient_id}/carers", response_class=HTMLResponse)
@with_unit_of_work
def carers(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    links = accounts.list_carers(uow, current.actor, patient_id)
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return _carers_page(request, patient, links, {}, {})


def _carers_page(request, patient, links, values, errors, link=None, status=200):
    return render(request, "carers.html", status, patient=patient, links=links, link=link, errors=errors,
                  fields=build_form(CarerInvitation, values, errors, _zone(request)))


@router.post("/patients/{patient_id}/carers", response_class=HTMLResponse)
@with_unit_of_work
def invite_carer(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        invitation = validate(CarerInvitation, parse_form(CarerInvitation, form, _zone(request)))
        token = accounts.invite_carer(uow, current.actor, patient_id, invitation, request.app.state.settings.policy)
    except InvalidInput as exc:
        uow.rollback()
        links = accounts.list_carers(uow, current.actor, patient_id)  # checked before anything is shown
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        return _carers_page(request, patient, links, submitted_values(form), _by_field(exc), status=422)
    links = accounts.list_carers(uow, current.actor, patient_id)  # the new invitation among them
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return _carers_page(request, patient, links, {}, {}, link=invitation_link(request, token))


@router.post("/patients/{patient_id}/carers/{carer_id}/remove")
@with_unit_of_work
def remove_carer(request: Request, patient_id: UUID, carer_id: UUID, current: Visit, uow: UnitOfWork):
    accounts.remove_carer(uow, current.actor, patient_id, carer_id)
    uow.commit()
    return see_other(f"/patients/{patient_id}/carers")


@router.get("/invitations/{token}", response_class=HTMLResponse, name="invitation_page")
def invitation_page(request: Request, token: str):
    return _invitation_form(request, token, {}, {})


def _invitation_form(request, token, values, errors, status=200):
    csrf = secrets.token_urlsafe(24)
    response = render(request, "invitation.html", status, token=token, errors=errors, csrf_token=csrf,
                      fields=build_form(AcceptInvitation, values, errors, _zone(request)))
    set_pre_session_cookie(request, response, csrf)
    return response


@router.post("/invitations/{token}", response_class=HTMLResponse)
@with_unit_of_work
def accept_invitation(request: Request, token: str, uow: UnitOfWork, form: dict[str, str]):
    if not pre_session_token_ok(request, form):
        return _invitation_form(request, token, submitted_values(form), {"form": "This page had expired. Please try again."}, 400)
    try:
        answers = validate(AcceptInvitation, parse_form(AcceptInvitation, form, _zone(request)))
        accounts.accept_invitation(uow, token, answers)
    except DomainError as exc:
        uow.rollback()
        errors = _by_field(exc) if isinstance(exc, InvalidInput) else {"form": exc.detail}
        return _invitation_form(request, token, submitted_values(form), errors, exc.status)
    uow.commit()
    return see_other("/sign-in")


# --- Administration ---------------------------------------------------------------------------

@router.get("/admin/users", response_class=HTMLResponse)
@with_unit_of_work
def admin_users(request: Request, current: Visit, uow: UnitOfWork):
    return _admin_page(request, uow, current, {}, {})


def _admin_page(request, uow, current, values, errors, status=200):
    users = accounts.list_users(uow, current.actor)
    teams = reading.all_teams(uow, current.actor)
    return render(request, "admin_users.html", status, users=users, teams=teams, errors=errors,
                  fields=build_form(NewUser, values, errors, _zone(request),
                                    {"team_id": [("", "No team")] + [(str(t.id), t.name) for t in teams]}),
                  team_fields=build_form(NewTeam, {}, {}, _zone(request)))


@router.post("/admin/users", response_class=HTMLResponse)
@with_unit_of_work
def admin_create_user(request: Request, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        accounts.create_user(uow, current.actor, validate(NewUser, parse_form(NewUser, form, _zone(request))))
    except InvalidInput as exc:
        uow.rollback()
        values = {k: v for k, v in submitted_values(form).items() if k != "password"}
        return _admin_page(request, uow, current, values, _by_field(exc), 422)
    except DomainError as exc:
        uow.rollback()
        return _admin_page(request, uow, current, submitted_values(form), {exc.field or "form": exc.detail}, exc.status)
    uow.commit()
    return see_other("/admin/users")


@router.post("/admin/teams")
@with_unit_of_work
def admin_create_team(request: Request, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    accounts.create_team(uow, current.actor, validate(NewTeam, parse_form(NewTeam, form, _zone(request))))
    uow.commit()
    return see_other("/admin/users")


def sign_in_redirect(request: Request) -> Response:
    return see_other("/sign-in?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else "")))
