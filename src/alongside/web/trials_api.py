"""/api/v1 for clinical trials: a patient's matches with the list per criterion, her saved trials,
one trial with its extracted criteria, and (for clinicians) the patients on their caseload who may
fit a trial. Errors are problem+json naming the field (the app maps DomainError)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field

from ..clinical.trial_eligibility import CriterionResult
from ..domain import trials as record_trials
from ..domain.errors import InvalidInput
from ..store.unit_of_work import UnitOfWork
from ..trials import service
from ..trials.matcher import TrialMatch
from ..trials.service import TrialFilters
from .api import refuse_strangers
from .context import Visit, with_unit_of_work

router = APIRouter(prefix="/api/v1", tags=["trials"], dependencies=[Depends(refuse_strangers)])


class CriterionOut(BaseModel):
    kind: str
    inclusion: bool
    outcome: str = Field(description="met, not_met or unknown")
    fact: str | None = Field(description="the record's fact used, in words; null when unknown")
    sentence: str = Field(description="the sentence of the trial's criteria it was read from")


class SiteOut(BaseModel):
    facility: str | None
    city: str | None
    country: str | None
    distance_km: float | None


class MatchOut(BaseModel):
    nct_id: str
    title: str
    status: str
    recruiting: bool
    phases: list[str]
    verdict: str = Field(description="likely_eligible, possibly_eligible or not_eligible")
    criteria: list[CriterionOut]
    questions: list[str] = Field(description="things to ask the team: the facts the record does not tell")
    nearest_site: SiteOut | None


class PatientTrialsOut(BaseModel):
    recruiting: list[MatchOut]
    not_recruiting: list[MatchOut]
    # How many do not fit in each group; only the first of them are in the lists above.
    not_eligible_recruiting: int
    not_eligible_not_recruiting: int


class SavedTrialOut(BaseModel):
    nct_id: str
    brief_title: str
    saved_at: datetime
    saved_by_name: str
    shared_with_team: bool
    note: str | None


class SaveTrialIn(BaseModel):
    nct_id: str = Field(examples=["NCT05296798"])
    share_with_team: bool = True
    note: str | None = Field(None, max_length=1000)


class StudyCriterionOut(BaseModel):
    kind: str
    inclusion: bool
    sentence: str


class TrialOut(BaseModel):
    nct_id: str
    brief_title: str
    official_title: str | None
    overall_status: str
    recruiting: bool
    phases: list[str]
    conditions: list[str]
    medicines: list[str]
    criteria: list[StudyCriterionOut]


class CandidateOut(BaseModel):
    patient_id: UUID
    name: str
    verdict: str
    deciding: list[CriterionOut]


class CandidatesOut(BaseModel):
    nct_id: str
    caseload_size: int
    candidates: list[CandidateOut]


def _criterion(r: CriterionResult) -> CriterionOut:
    return CriterionOut(kind=r.criterion.kind.value, inclusion=r.criterion.inclusion, outcome=r.outcome.value,
                        fact=r.fact, sentence=r.criterion.sentence)


def _match(m: TrialMatch) -> MatchOut:
    site = m.nearest_site
    return MatchOut(nct_id=m.nct_id, title=m.title, status=m.status, recruiting=m.recruiting, phases=list(m.phases),
                    verdict=m.verdict.value, criteria=[_criterion(r) for r in m.results], questions=list(m.questions),
                    nearest_site=None if site is None else SiteOut(facility=site.facility, city=site.city,
                                                                   country=site.country, distance_km=m.distance_km))


def _saved(s) -> SavedTrialOut:
    return SavedTrialOut(nct_id=s.nct_id, brief_title=s.brief_title, saved_at=s.saved_at, saved_by_name=s.saved_by_name,
                         shared_with_team=s.shared_with_team, note=s.note)


@router.get("/patients/{patient_id}/trials", response_model=PatientTrialsOut)
@with_unit_of_work
def patient_trials(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork,
                   phase: str | None = Query(None, max_length=20), country: str | None = Query(None, max_length=100),
                   max_km: float | None = Query(None), drug_type: str | None = Query(None, max_length=60)):
    """Her trials, read criterion by criterion against her record; recruiting and not recruiting apart."""
    found = service.patient_matches(uow, current.actor, patient_id, request.app.state.settings.clock().date(),
                                    TrialFilters(phase, country, max_km, drug_type))
    uow.commit()
    return PatientTrialsOut(recruiting=[_match(m) for m in found.recruiting],
                            not_recruiting=[_match(m) for m in found.not_recruiting],
                            not_eligible_recruiting=found.ruled_out_count(True),
                            not_eligible_not_recruiting=found.ruled_out_count(False))


@router.get("/patients/{patient_id}/saved-trials", response_model=list[SavedTrialOut])
@with_unit_of_work
def saved_trials(patient_id: UUID, current: Visit, uow: UnitOfWork):
    """The trials saved on her record (her team sees those she shared)."""
    saved = record_trials.saved_trials(uow, current.actor, patient_id)
    uow.commit()
    return [_saved(s) for s in saved]


@router.post("/patients/{patient_id}/saved-trials", response_model=SavedTrialOut, status_code=201)
@with_unit_of_work
def save_trial(patient_id: UUID, current: Visit, uow: UnitOfWork, body: dict = Body(..., examples=[
        {"nct_id": "NCT05296798", "share_with_team": True}])):
    """Save a trial on her record, shared with her team or not."""
    fields = _save_fields(body)
    saved = record_trials.save_trial(uow, current.actor, patient_id, fields.nct_id, fields.share_with_team, fields.note)
    uow.commit()
    return _saved(saved)


def _save_fields(body: dict) -> SaveTrialIn:
    from pydantic import ValidationError
    try:
        return SaveTrialIn.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(first["msg"], field=".".join(str(p) for p in first["loc"])) from None


@router.delete("/patients/{patient_id}/saved-trials/{nct_id}", status_code=204)
@with_unit_of_work
def unsave_trial(patient_id: UUID, nct_id: str, current: Visit, uow: UnitOfWork):
    """Take a saved trial off her record."""
    record_trials.unsave_trial(uow, current.actor, patient_id, nct_id)
    uow.commit()


@router.get("/trials/{nct_id}", response_model=TrialOut)
@with_unit_of_work
def trial(nct_id: str, current: Visit, uow: UnitOfWork):
    """One imported study and the criteria Alongside reads from it, each with its sentence."""
    study, criteria = service.trial(uow, nct_id)
    uow.commit()
    return TrialOut(nct_id=study.nct_id, brief_title=study.brief_title, official_title=study.official_title,
                    overall_status=study.overall_status, recruiting=study.recruiting, phases=list(study.phases),
                    conditions=list(study.conditions), medicines=service.medicines(study),
                    criteria=[StudyCriterionOut(kind=c.kind.value, inclusion=c.inclusion, sentence=c.sentence)
                              for c in criteria])


@router.get("/trials/{nct_id}/candidates", response_model=CandidatesOut)
@with_unit_of_work
def candidates(request: Request, nct_id: str, current: Visit, uow: UnitOfWork):
    """Clinicians only: the patients on your own caseload likely or possibly eligible, with the deciding criteria."""
    view = service.trial_candidates(uow, current.actor, nct_id, request.app.state.settings.clock().date())
    uow.commit()
    return CandidatesOut(nct_id=view.study.nct_id, caseload_size=view.caseload_size, candidates=[
        CandidateOut(patient_id=c.patient.id, name=c.patient.details.full_name, verdict=c.verdict.value,
                     deciding=[_criterion(r) for r in c.deciding]) for c in view.candidates])
