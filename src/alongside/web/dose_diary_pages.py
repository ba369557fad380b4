"""The cycle diary pages: her calendar of a medicine's cycle, marking a day's dose, what her team
told her, and dose day reminders. Thin handlers: parse, call one use case, render."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..domain import dose_diary, reading
from ..domain.errors import InvalidInput
from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work
from .forms import build_form, parse_form, submitted_values
from .pages import _by_field, _form_id, _new_id, _zone, render, see_other

router = APIRouter(include_in_schema=False)

MARK_WORDS = {"taken": "Taken", "missed": "Missed", "reduced": "Took a lower dose"}


def _diary_url(patient_id: UUID, medication_id: UUID, cycle: int | None = None) -> str:
    url = f"/patients/{patient_id}/medicines/{medication_id}/diary"
    return f"{url}?cycle={cycle}" if cycle else url


def _diary_page(request, uow, current, patient_id, medication_id, cycle, values, errors, status=200, showing=None,
                saved=False):
    diary = dose_diary.cycle_diary(uow, current.actor, patient_id, medication_id, request.app.state.settings.clock(),
                                   cycle, showing)
    record = reading.open_record(uow, current.actor, patient_id)
    reminders = dose_diary.dose_reminders_chosen(uow, current.actor, patient_id)
    return render(request, "dose_diary.html", status, diary=diary, patient=record.patient, values=values,
                  errors=errors, marks=MARK_WORDS, reminders=reminders, saved=showing if saved else None,
                  may_choose_reminders=record.may_write(dose_diary.DOSE_REMINDERS))


@router.get("/patients/{patient_id}/medicines/{medication_id}/diary", response_class=HTMLResponse)
@with_unit_of_work
def diary(request: Request, patient_id: UUID, medication_id: UUID, current: Visit, uow: UnitOfWork,
          cycle: int | None = Query(None, ge=1, le=10000), day: date | None = Query(None), saved: bool = False):
    page = _diary_page(request, uow, current, patient_id, medication_id, cycle,
                       {"day": day.isoformat()} if day and not saved else {}, {}, showing=day, saved=saved)
    uow.commit()
    return page


@router.post("/patients/{patient_id}/medicines/{medication_id}/diary", response_class=HTMLResponse)
@with_unit_of_work
def mark_day(request: Request, patient_id: UUID, medication_id: UUID, current: Visit, uow: UnitOfWork,
             form: dict[str, str]):
    data = {"medication_id": str(medication_id), **{name: form[name].strip() for name in ("day", "mark", "note")
                                                    if (form.get(name) or "").strip()}}
    try:
        dose_diary.mark_dose(uow, current.actor, patient_id, data, request.app.state.settings.clock())
    except InvalidInput as exc:
        uow.rollback()
        page = _diary_page(request, uow, current, patient_id, medication_id, None, submitted_values(form),
                           _by_field(exc), 422, showing=_day_or_none(form.get("day")))
        uow.commit()  # the reads that showed the page again are audited; nothing of the refused write is kept
        return page
    uow.commit()
    day = data.get("day", "")
    return see_other(f"{_diary_url(patient_id, medication_id)}?day={day}&saved=1#day-{day}")


def _day_or_none(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _instruction_form(request, uow, current, patient_id, medication_id, values, errors, status=200):
    diary = dose_diary.cycle_diary(uow, current.actor, patient_id, medication_id, request.app.state.settings.clock())
    record = reading.open_record(uow, current.actor, patient_id)
    return render(request, "team_instruction.html", status, diary=diary, patient=record.patient, errors=errors,
                  fields=build_form(dose_diary.TeamInstruction, values, errors, _zone(request)),
                  form_id=str(_new_id(values)), cancel=_diary_url(patient_id, medication_id))


@router.get("/patients/{patient_id}/medicines/{medication_id}/team-told-me", response_class=HTMLResponse)
@with_unit_of_work
def instruction_form(request: Request, patient_id: UUID, medication_id: UUID, current: Visit, uow: UnitOfWork):
    page = _instruction_form(request, uow, current, patient_id, medication_id, {}, {})
    uow.commit()
    return page


@router.post("/patients/{patient_id}/medicines/{medication_id}/team-told-me", response_class=HTMLResponse)
@with_unit_of_work
def record_instruction(request: Request, patient_id: UUID, medication_id: UUID, current: Visit, uow: UnitOfWork,
                       form: dict[str, str]):
    try:
        dose_diary.record_team_instruction(uow, current.actor, patient_id, medication_id,
                                           parse_form(dose_diary.TeamInstruction, form, _zone(request)),
                                           request.app.state.settings.clock(), _form_id(form))
    except InvalidInput as exc:
        uow.rollback()
        page = _instruction_form(request, uow, current, patient_id, medication_id, submitted_values(form),
                                 _by_field(exc), 422)
        uow.commit()
        return page
    uow.commit()
    return see_other(_diary_url(patient_id, medication_id) + "#team-told-me")


@router.post("/patients/{patient_id}/medicines/{medication_id}/dose-reminders", response_class=HTMLResponse)
@with_unit_of_work
def choose_reminders(request: Request, patient_id: UUID, medication_id: UUID, current: Visit, uow: UnitOfWork,
                     form: dict[str, str]):
    dose_diary.choose_dose_reminders(uow, current.actor, patient_id, form.get("reminders") == "on",
                                     request.app.state.settings.clock())
    uow.commit()
    return see_other(_diary_url(patient_id, medication_id) + "#reminders")
