"""Pages for clinical trials: a patient's trials read against her record, one trial against it,
saving and sharing a trial, taking it to her next appointment; for clinicians the list of trials
and, for one trial, the patients on their caseload who may fit. Thin handlers: parse, call the
trials service or a domain use case, render."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..domain import reading
from ..domain import trials as record_trials
from ..domain.errors import AccessDenied, InvalidInput
from ..domain.records import RECORD_KINDS
from ..domain.vocab import Role
from ..store.unit_of_work import UnitOfWork
from ..trials import service
from ..trials.service import PHASES, TrialFilters
from .context import Visit, with_unit_of_work
from .pages import render, see_other

router = APIRouter(include_in_schema=False)

VERDICT_WORDS = {"likely_eligible": "May fit: everything we could check fits",
                 "possibly_eligible": "Might fit: some things are not known from the record",
                 "not_eligible": "Does not fit, going by the record"}
OUTCOME_WORDS = {"met": "Fits", "not_met": "Does not fit", "unknown": "Not known from the record"}


def _filters(phase: str, country: str, max_km: str, drug_type: str) -> TrialFilters:
    try:
        distance = float(max_km) if max_km.strip() else None
    except ValueError:
        raise InvalidInput("Give the distance as a number of km", field="max_km") from None
    return TrialFilters(phase=phase or None, country=country.strip() or None, max_km=distance,
                        drug_type=drug_type or None).check()


def _today(request: Request):
    return request.app.state.settings.clock().date()


@router.get("/patients/{patient_id}/trials", response_class=HTMLResponse)
@with_unit_of_work
def patient_trials(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, phase: str = "",
                   country: str = "", max_km: str = "", drug_type: str = ""):
    asked = {"phase": phase, "country": country, "max_km": max_km, "drug_type": drug_type}
    errors, status = {}, 200
    try:
        filters = _filters(phase, country, max_km, drug_type)
    except InvalidInput as exc:
        errors, status, filters = {exc.field: exc.detail}, 422, TrialFilters()
    record = reading.open_record(uow, current.actor, patient_id)
    found = service.patient_matches(uow, current.actor, patient_id, _today(request), filters)
    saved = {s.nct_id: s for s in record_trials.saved_trials(uow, current.actor, patient_id)}
    uow.commit()
    return render(request, "trials.html", status, patient=record.patient, found=found, saved=saved, asked=asked,
                  errors=errors, phases=PHASES, drug_types=service.drug_types(), words=VERDICT_WORDS,
                  outcome_words=OUTCOME_WORDS, medicines_of=found.medicines.get, **_may(record))


@router.get("/patients/{patient_id}/trials/{nct_id}", response_class=HTMLResponse)
@with_unit_of_work
def patient_trial(request: Request, patient_id: UUID, nct_id: str, current: Visit, uow: UnitOfWork):
    record = reading.open_record(uow, current.actor, patient_id)
    study, matched = service.patient_match(uow, current.actor, patient_id, nct_id, _today(request))
    saved = {s.nct_id: s for s in record_trials.saved_trials(uow, current.actor, patient_id)}
    uow.commit()
    return render(request, "trial_match.html", patient=record.patient, study=study, m=matched, saved=saved,
                  words=VERDICT_WORDS, outcome_words=OUTCOME_WORDS, medicines=service.medicines(study), phases=PHASES,
                  **_may(record))


def _may(record: reading.RecordAccess) -> dict[str, bool]:
    return {"may_save": record.may_write(record_trials.SAVED_TRIALS),
            "may_ask": record.may_write(RECORD_KINDS["questions"])}


@router.post("/patients/{patient_id}/trials/{nct_id}/save")
@with_unit_of_work
def save(request: Request, patient_id: UUID, nct_id: str, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    record_trials.save_trial(uow, current.actor, patient_id, nct_id, share_with_team=form.get("share") == "yes")
    uow.commit()
    return see_other(f"/patients/{patient_id}/trials/{nct_id}?saved=1")


@router.post("/patients/{patient_id}/trials/{nct_id}/unsave")
@with_unit_of_work
def unsave(request: Request, patient_id: UUID, nct_id: str, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    record_trials.unsave_trial(uow, current.actor, patient_id, nct_id)
    uow.commit()
    return see_other(f"/patients/{patient_id}/trials/{nct_id}")


@router.post("/patients/{patient_id}/trials/{nct_id}/question")
@with_unit_of_work
def add_question(request: Request, patient_id: UUID, nct_id: str, current: Visit, uow: UnitOfWork,
                 form: dict[str, str]):
    study, matched = service.patient_match(uow, current.actor, patient_id, nct_id, _today(request))
    record_trials.add_trial_question(uow, current.actor, patient_id, nct_id, study.brief_title, matched.questions,
                                     _today(request))
    uow.commit()
    return see_other(f"/patients/{patient_id}/appointment-preparation#questions")


# --- For clinicians: the trials, and the reverse view -------------------------------------------

@router.get("/trials", response_class=HTMLResponse)
@with_unit_of_work
def trials_list(request: Request, current: Visit, uow: UnitOfWork):
    _clinician_only(current)
    studies = service.trial_summaries(uow)
    uow.commit()
    return render(request, "trials_list.html", studies=studies, phases=PHASES)


@router.get("/trials/{nct_id}", response_class=HTMLResponse)
@with_unit_of_work
def trial_page(request: Request, nct_id: str, current: Visit, uow: UnitOfWork):
    view = service.trial_candidates(uow, current.actor, nct_id, _today(request))
    uow.commit()
    return render(request, "trial_candidates.html", view=view, study=view.study, phases=PHASES,
                  medicines=service.medicines(view.study), words=VERDICT_WORDS, outcome_words=OUTCOME_WORDS)


def _clinician_only(current: Visit) -> None:
    if current.user.role is not Role.CLINICIAN:
        raise AccessDenied("Only clinicians see the trials list and which patients may fit a trial")
