"""Trials for the pages and the API: one patient's matches, one trial, and the reverse view (which
patients on a clinician's caseload may fit a trial).

Glue only. The record becomes a profile in `domain.trials` (authorised and audited there), the
store pre-filters studies on indexed fields, and `matcher` judges them criterion by criterion.
Web modules call these functions and never the store themselves (tests/unit/test_architecture.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from collections import OrderedDict
from functools import lru_cache
from uuid import UUID

from ..clinical.trial_eligibility import Criterion, CriterionResult, Outcome, Profile, Verdict, assess
from ..domain import trials as record_trials
from ..domain.entries import Patient
from ..domain.errors import InvalidInput, NotFound
from ..domain.people import Actor
from ..store.trial_caseload import BatchedCaseloadRecords
from .drug_classes import vocabulary
from .eligibility_text import EXTRACTOR_VERSION, extract_criteria
from .matcher import ScreenedCorpus, TrialMatch, home_of, match, rank
from .study import Study

PHASES = {"EARLY_PHASE1": "Early phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2", "PHASE3": "Phase 3",
          "PHASE4": "Phase 4", "NA": "Not applicable"}
MAX_DISTANCE_KM = 20_000
# Trials that do not fit are listed (folded away) up to this many; the page says how many there are.
RULED_OUT_LISTED = 100
CORPORA_KEPT = 8  # per process: the unfiltered corpus and a few filtered views


@dataclass(frozen=True)
class TrialFilters:
    phase: str | None = None
    country: str | None = None
    max_km: float | None = None
    drug_type: str | None = None  # a class id of content/drug_classes.yaml

    def check(self) -> TrialFilters:
        if self.phase and self.phase not in PHASES:
            raise InvalidInput(f"Choose a phase among {', '.join(PHASES)}", field="phase")
        if self.drug_type and self.drug_type not in vocabulary().class_names:
            raise InvalidInput("Choose a type of medicine from the list", field="drug_type")
        if self.max_km is not None and not 0 < self.max_km <= MAX_DISTANCE_KM:
            raise InvalidInput(f"A distance is between 1 and {MAX_DISTANCE_KM:,} km", field="max_km")
        return self


@dataclass(frozen=True)
class PatientTrials:
    patient_id: UUID
    profile: Profile
    recruiting: list[TrialMatch]
    not_recruiting: list[TrialMatch]
    filters: TrialFilters
    home_found: bool
    medicines: dict[str, list[str]]  # nct_id -> what each trial tests
    ruled_out: dict[bool, int] = field(default_factory=dict)  # recruiting? -> how many do not fit

    def ruled_out_count(self, recruiting: bool) -> int:
        return self.ruled_out.get(recruiting, 0)


def drug_types() -> dict[str, str]:
    """class id -> its name in words, for the filter."""
    return dict(sorted(vocabulary().class_names.items(), key=lambda item: item[1].lower()))


def study_drug_types(study: Study) -> set[str]:
    """The drug classes of a study's interventions (its medicines and their classes)."""
    names = " ; ".join(n for i in study.interventions for n in (i.name, *i.other_names))
    found = set()
    for name in vocabulary().mentioned(names):
        found |= {name} if name in vocabulary().class_names else set(vocabulary().classes_of.get(name, ()))
    return found


def medicines(study: Study) -> list[str]:
    """What a trial tests, in the registry's names: its drug and biological interventions."""
    named = [i.name for i in study.interventions if (i.type or "").upper() in ("DRUG", "BIOLOGICAL", "COMBINATION_PRODUCT")]
    return list(dict.fromkeys(named))


def patient_matches(uow, actor: Actor, patient_id: UUID, today: date,
                    filters: TrialFilters = TrialFilters()) -> PatientTrials:
    """Her matches, recruiting trials first and the others apart, each ranked by fit then distance.

    Every stored study is judged, through a corpus that judges each distinct rule once; full
    matches are built for the trials that may fit and for the first RULED_OUT_LISTED that do not."""
    filters.check()
    profile = record_trials.trial_profile(uow, actor, patient_id, today)
    home = home_of(profile.town, profile.country)
    corpus, by_id = _corpus(uow, filters)
    ranked = corpus.ranked(profile, home)
    shown = ranked.matches() + ranked.not_eligible(0, RULED_OUT_LISTED)
    if filters.max_km is not None:
        shown = [m for m in shown if m.distance_km is not None and m.distance_km <= filters.max_km]
    ruled_out = {recruiting: ranked.not_eligible_count(recruiting, filters.max_km) for recruiting in (True, False)}
    return PatientTrials(patient_id, profile, [m for m in shown if m.recruiting], [m for m in shown if not m.recruiting],
                         filters, home is not None, {m.nct_id: medicines(by_id[m.nct_id]) for m in shown}, ruled_out)


_corpora: OrderedDict = OrderedDict()


def _corpus(uow, filters: TrialFilters) -> tuple[ScreenedCorpus, dict[str, Study]]:
    """The stored breast cancer studies (as the filters narrow them) laid out for matching, built
    once a process and again whenever an import changes the store."""
    bind = uow.db.get_bind()
    key = (str(getattr(bind, "engine", bind).url), filters.phase, filters.country, filters.drug_type)
    fingerprint = uow.trials.fingerprint()
    kept = _corpora.get(key)
    if kept is None or kept[0] != fingerprint:
        studies = [(study, _criteria(study, cached)) for study, cached in uow.trials.candidates(
                       sex=None, age=None, breast_only=True,
                       countries=[filters.country] if filters.country else None,
                       phases=[filters.phase] if filters.phase else None, extractor_version=EXTRACTOR_VERSION)
                   if not filters.drug_type or filters.drug_type in study_drug_types(study)]
        corpus = ScreenedCorpus.build([study for study, _ in studies], [criteria for _, criteria in studies])
        kept = (fingerprint, corpus, {study.nct_id: study for study, _ in studies})
        _corpora[key] = kept
        while len(_corpora) > CORPORA_KEPT:
            _corpora.popitem(last=False)
    _corpora.move_to_end(key)
    return kept[1], kept[2]


def patient_match(uow, actor: Actor, patient_id: UUID, nct_id: str, today: date) -> tuple[Study, TrialMatch]:
    """One trial against her record, whatever its condition (a lung cancer trial is shown as such)."""
    # Her record first: a stranger's refusal is audited whether or not the trial is known here.
    profile = record_trials.trial_profile(uow, actor, patient_id, today)
    study, criteria = trial(uow, nct_id)
    return study, rank([match(profile, study, criteria)], home_of(profile.town, profile.country))[0]


def trial(uow, nct_id: str) -> tuple[Study, list[Criterion]]:
    """A study and its criteria. Registry data, public: no patient's record is read."""
    record_trials.check_nct_id(nct_id)
    found = uow.trials.get(nct_id, EXTRACTOR_VERSION)
    if found is None:
        raise NotFound("No such trial here: it has not been imported", field="nct_id")
    study, cached = found
    return study, _criteria(study, cached)


def trial_summaries(uow, recruiting: bool | None = None) -> list[Study]:
    """Every stored breast cancer study, for the clinicians' list."""
    return [study for study, _ in uow.trials.candidates(sex=None, age=None, breast_only=True, recruiting=recruiting)]


def _criteria(study: Study, cached: list[Criterion] | None) -> list[Criterion]:
    return cached if cached is not None else list(_extracted(study))


@lru_cache(maxsize=2048)
def _extracted(study: Study) -> tuple[Criterion, ...]:
    # Studies imported by an older extractor: read once a process (a study is frozen, so hashable).
    return tuple(extract_criteria(study))


# --- The reverse view ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    patient: Patient
    verdict: Verdict
    deciding: list[CriterionResult]  # unknown ones for "possibly", met ones for "likely"
    questions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrialCandidates:
    study: Study
    criteria: list[Criterion]
    candidates: list[Candidate]
    caseload_size: int


def trial_candidates(uow, actor: Actor, nct_id: str, today: date, reader=BatchedCaseloadRecords) -> TrialCandidates:
    """Patients on the clinician's own caseload who are likely or possibly eligible for one trial,
    likely first, then by how many of the deciding facts are still unknown."""
    study, criteria = trial(uow, nct_id)
    profiles = record_trials.caseload_profiles(uow, actor, today, reader)
    classes = vocabulary().classes_of
    found = []
    for entry in profiles:
        assessment = assess(entry.profile, criteria, classes)
        if assessment.verdict is Verdict.not_eligible:
            continue
        wanted = Outcome.met if assessment.verdict is Verdict.likely_eligible else Outcome.unknown
        found.append(Candidate(entry.patient, assessment.verdict, [r for r in assessment.results if r.outcome == wanted],
                               assessment.questions))
    found.sort(key=lambda c: (c.verdict is not Verdict.likely_eligible, len(c.deciding) if c.verdict is Verdict.possibly_eligible else 0,
                              c.patient.details.family_name, c.patient.details.given_name))
    return TrialCandidates(study, criteria, found, len(profiles))
