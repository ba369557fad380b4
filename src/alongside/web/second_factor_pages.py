"""The second factor's pages: the code asked for after the password, setting up an authenticator
app (at sign-in when the service requires it, or from one's own account page), and the recovery
codes shown once. Work without JavaScript: the QR code is an SVG drawn here (segno).

Like sign-in itself, these read the real time, not the service's clock setting (which a
demonstration may pin): codes come from phones, and sessions are checked against the real time."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..domain import accounts, second_factor
from ..domain.errors import DomainError, InvalidInput, NotSignedIn
from ..store.unit_of_work import UnitOfWork
from .api import DEVICE_COOKIE, set_session_cookie
from .context import SECOND_STEP_COOKIE, STEP_PATH, Visit, client_address, with_unit_of_work
from .pages import render, safe_next, see_other

router = APIRouter(include_in_schema=False)


def qr_code(uri: str) -> str:
    """The provisioning URI as a QR code, an SVG data URI for an <img> (the CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


@router.get(STEP_PATH, response_class=HTMLResponse)
@with_unit_of_work
def second_step_page(request: Request, uow: UnitOfWork, next: str = "/"):
    try:
        user = accounts.second_step_user(uow, request.cookies.get(SECOND_STEP_COOKIE))
    except NotSignedIn:
        return see_other("/sign-in")
    enrolment = None if user.second_factor_on else second_factor.start_enrolment(uow, user)
    uow.commit()
    return _step_form(request, safe_next(next), enrolment, {})


def _step_form(request: Request, next: str, enrolment, errors: dict, status: int = 200) -> HTMLResponse:
    return render(request, "second_factor.html", status, next=next, errors=errors, enrolment=enrolment,
                  qr=qr_code(enrolment.uri) if enrolment else None, action=STEP_PATH, at_sign_in=True)


@router.post(STEP_PATH, response_class=HTMLResponse)
@with_unit_of_work
def finish_second_step(request: Request, uow: UnitOfWork, form: dict[str, str]):
    settings, token = request.app.state.settings, request.cookies.get(SECOND_STEP_COOKIE)
    target, code = safe_next(form.get("next") or "/"), form.get("code", "")[:20]
    try:
        user = accounts.second_step_user(uow, token)
        if user.second_factor_on:
            signed_in, codes = accounts.finish_second_step(uow, token, code, client_address(request), settings.policy,
                                                           device=request.cookies.get(DEVICE_COOKIE)), None
        else:
            signed_in, codes = accounts.enrol_at_sign_in(uow, token, code, client_address(request))
    except InvalidInput as exc:  # a wrong code while setting up
        uow.rollback()
        enrolment = second_factor.start_enrolment(uow, user)
        uow.commit()
        return _step_form(request, target, enrolment, {"code": exc.detail}, 422)
    except NotSignedIn as exc:
        if exc.field != "code":  # the step itself has ended
            return see_other("/sign-in")
        return _step_form(request, target, None, {"code": exc.detail}, 401)
    except DomainError as exc:  # too many failures
        return _step_form(request, target, None, {"code": exc.detail}, exc.status)
    uow.commit()
    response = render(request, "recovery_codes.html", codes=codes, next=target) if codes else see_other(target)
    set_session_cookie(request, response, signed_in.token, signed_in.device)
    response.delete_cookie(SECOND_STEP_COOKIE, path=STEP_PATH)
    return response


# --- One's own second factor --------------------------------------------------------------------

@router.get("/account/second-factor", response_class=HTMLResponse)
@with_unit_of_work
def own_second_factor(request: Request, current: Visit, uow: UnitOfWork):
    enrolment = None if current.user.second_factor_on else second_factor.start_enrolment(uow, current.user)
    left = second_factor.recovery_codes_left(uow, current.user)
    uow.commit()
    return _own_page(request, current, enrolment, left, {})


def _own_page(request, current: Visit, enrolment, left: int, errors: dict, status: int = 200):
    policy = request.app.state.settings.policy
    return render(request, "second_factor.html", status, errors=errors, enrolment=enrolment, left=left, next="/",
                  qr=qr_code(enrolment.uri) if enrolment else None, action="/account/second-factor", at_sign_in=False,
                  may_turn_off=not (policy.require_second_factor_for_staff and current.user.role in second_factor.STAFF))


@router.post("/account/second-factor", response_class=HTMLResponse)
@with_unit_of_work
def confirm_own_second_factor(request: Request, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        codes = second_factor.confirm_enrolment(uow, current.user, form.get("code", "")[:20])
    except InvalidInput as exc:
        uow.rollback()
        enrolment = second_factor.start_enrolment(uow, current.user)
        uow.commit()
        return _own_page(request, current, enrolment, 0, {"code": exc.detail}, 422)
    uow.commit()
    return render(request, "recovery_codes.html", codes=codes, next="/account/second-factor")


@router.post("/account/second-factor/off")
@with_unit_of_work
def turn_own_second_factor_off(request: Request, current: Visit, uow: UnitOfWork):
    second_factor.turn_off(uow, current.user, request.app.state.settings.policy)
    uow.commit()
    return see_other("/account/second-factor")
