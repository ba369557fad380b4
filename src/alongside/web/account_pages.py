"""Pages for getting back into an account and for managing accounts: a forgotten password's
link, and an administrator's page for one account (role, teams, unlock, switch off)."""

from __future__ import annotations

import secrets
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..domain import account_admin, accounts, password_reset, reading, second_factor
from ..domain.errors import DomainError, InvalidInput
from ..domain.people import AccountChange, ForgottenPassword, NewPassword
from ..domain.records import validate
from ..domain.vocab import Role, TextSize
from ..store.unit_of_work import UnitOfWork
from .context import Visit, email_after_answer, pre_session_token_ok, set_pre_session_cookie, with_unit_of_work
from .forms import build_form, parse_form
from .pages import _by_field, _zone, render, see_other

router = APIRouter(include_in_schema=False)
EXPIRED_FORM = "This page had expired. Please try again."


# --- A forgotten password ---------------------------------------------------------------------

@router.get("/forgotten-password", response_class=HTMLResponse)
def forgotten_password_page(request: Request):
    return _forgotten_form(request, {}, {})


def _forgotten_form(request: Request, values: dict, errors: dict, status: int = 200, sent: bool = False):
    token = secrets.token_urlsafe(24)
    response = render(request, "forgotten_password.html", status, csrf_token=token, errors=errors, sent=sent,
                      fields=build_form(ForgottenPassword, values, errors, _zone(request)))
    set_pre_session_cookie(request, response, token)
    return response


@router.post("/forgotten-password", response_class=HTMLResponse)
@with_unit_of_work
def ask_for_reset(request: Request, uow: UnitOfWork, form: dict[str, str]):
    values = {"email": form.get("email", "")}
    if not pre_session_token_ok(request, form):
        return _forgotten_form(request, values, {"email": EXPIRED_FORM}, 400)
    try:
        asked = validate(ForgottenPassword, parse_form(ForgottenPassword, form, _zone(request)))
    except InvalidInput as exc:
        return _forgotten_form(request, values, _by_field(exc), 422)
    link = password_reset.request_password_reset(uow, asked.email, request.app.state.settings.policy,
                                                 request.app.state.settings.clock())
    uow.commit()
    # The same page and status whether or not the email has an account.
    return email_after_answer(request, _forgotten_form(request, values, {}, sent=True), link)


@router.get("/reset-password/{token}", response_class=HTMLResponse, name="reset_password_page")
@with_unit_of_work
def reset_password_page(request: Request, token: str, uow: UnitOfWork):
    works = password_reset.reset_link_works(uow, token, request.app.state.settings.clock())
    return _reset_form(request, token, {}, status=200 if works else 404, works=works)


def _reset_form(request: Request, token: str, errors: dict, status: int = 200, works: bool = True):
    return render(request, "reset_password.html", status, token=token, errors=errors, works=works,
                  expired=password_reset.EXPIRED, fields=build_form(NewPassword, {}, errors, _zone(request)))


@router.post("/reset-password/{token}", response_class=HTMLResponse)
@with_unit_of_work
def reset_password(request: Request, token: str, uow: UnitOfWork, form: dict[str, str]):
    # The token in the path is the form's secret: only the mailbox's owner has it, so it also
    # stands for a CSRF token (a forged post could only reset with a token its maker already holds).
    try:
        chosen = validate(NewPassword, parse_form(NewPassword, form, _zone(request)))
        password_reset.reset_password(uow, token, chosen.password, request.app.state.settings.clock())
    except InvalidInput as exc:
        uow.rollback()  # the link is not used up by a refused password
        return _reset_form(request, token, _by_field(exc), 422)
    except DomainError:
        uow.rollback()
        return _reset_form(request, token, {}, 404, works=False)
    uow.commit()
    return render(request, "reset_password.html", token=token, errors={}, works=True, done=True, fields=[])


@router.post("/patients/{patient_id}/account/password-reset")
@with_unit_of_work
def send_patient_reset(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    """Her team sends her a link; they never see or choose the password."""
    settings = request.app.state.settings
    link = password_reset.send_patient_password_reset(uow, current.actor, patient_id, settings.policy, settings.clock())
    uow.commit()
    return email_after_answer(request, see_other(f"/patients/{patient_id}/account?reset_sent=1"), link)


# --- Administration of one account ----------------------------------------------------------

@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
@with_unit_of_work
def admin_account(request: Request, user_id: UUID, current: Visit, uow: UnitOfWork):
    return _account_page(request, uow, current, user_id, {})


def _account_page(request, uow, current: Visit, user_id: UUID, errors: dict, status: int = 200, notice: str = ""):
    settings = request.app.state.settings
    account = account_admin.managed_account(uow, current.actor, user_id, settings.policy, settings.clock())
    teams = reading.all_teams(uow, current.actor)
    uow.commit()
    return render(request, "admin_account.html", status, account=account, teams=teams, errors=errors, notice=notice,
                  staff_roles=[Role.CLINICIAN, Role.ADMIN])


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
@with_unit_of_work
def admin_change_account(request: Request, user_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    change = {"role": form.get("role") or None}
    if "teams_shown" in form:  # the checkboxes were on the page: none ticked means no team
        change["team_ids"] = [key.removeprefix("team:") for key in form if key.startswith("team:")]
    try:
        account_admin.change_account(uow, current.actor, user_id, validate(AccountChange, change))
    except InvalidInput as exc:
        uow.rollback()
        return _account_page(request, uow, current, user_id, _by_field(exc), 422)
    uow.commit()
    return see_other(f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/unlock", response_class=HTMLResponse)
@with_unit_of_work
def admin_unlock(request: Request, user_id: UUID, current: Visit, uow: UnitOfWork):
    forgotten = account_admin.unlock_account(uow, current.actor, user_id)
    uow.commit()
    return _account_page(request, uow, current, user_id, {},
                         notice=f"Unlocked: {forgotten} failed sign-in{'' if forgotten == 1 else 's'} forgotten.")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
@with_unit_of_work
def admin_set_active(request: Request, user_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        account_admin.set_user_active(uow, current.actor, user_id, form.get("active") == "true")
    except InvalidInput as exc:
        uow.rollback()
        return _account_page(request, uow, current, user_id, {"active": exc.detail}, 422)
    uow.commit()
    return see_other(f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/second-factor/reset", response_class=HTMLResponse)
@with_unit_of_work
def admin_reset_second_factor(request: Request, user_id: UUID, current: Visit, uow: UnitOfWork):
    second_factor.reset_second_factor(uow, current.actor, user_id)
    uow.commit()
    return _account_page(request, uow, current, user_id, {},
                         notice="Second factor reset: they set up a new one from their account page, or at their "
                                "next sign-in if the service requires one.")


# --- Text size: one's own choice, for every page ----------------------------------------------

@router.get("/account/text-size", response_class=HTMLResponse)
@with_unit_of_work
def text_size_page(request: Request, current: Visit, saved: bool = False):
    return _text_size_form(request, current.user.text_size.value, {}, saved=saved)


def _text_size_form(request: Request, chosen: str, errors: dict, status: int = 200, saved: bool = False):
    return render(request, "text_size.html", status, sizes=list(TextSize), chosen=chosen, errors=errors, saved=saved)


@router.post("/account/text-size", response_class=HTMLResponse)
@with_unit_of_work
def choose_text_size(request: Request, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        accounts.choose_text_size(uow, current.actor, form.get("text_size", "")[:20])
    except InvalidInput as exc:
        uow.rollback()
        return _text_size_form(request, current.user.text_size.value, {exc.field: exc.detail}, 422)
    uow.commit()
    return see_other("/account/text-size?saved=1")
