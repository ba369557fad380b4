"""Clinical trials and a person's record: the record read as the matcher's profile, and the trials
she saves, shares with her team and takes to her next appointment.

The matcher (alongside.clinical.trial_eligibility) judges a `Profile` in which every fact is
optional and a missing one is unknown. This module fills a profile from the record and leaves
unknown whatever the record cannot tell (docs/trials.md, "What the record cannot tell"):
- no brain metastasis recorded is not the same as none: `brain_metastases` is set only from a
  recorded brain metastasis whose detail or notes say treated/stable or active; otherwise unknown;
- lines for secondary cancer are counted from treatment courses with a line number; a course for
  secondary cancer without one makes the count unknown, and an empty treatment list says nothing;
- a metastatic diagnosis date, "de novo" or any recorded metastasis means metastatic; nothing
  recorded leaves the setting unknown (early or locally advanced cannot be told from absence).
Every read is authorised by role and relationship and lands in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Protocol
from uuid import UUID

import yaml

from ..clinical.trial_eligibility import PriorTreatment, Profile
from . import services
from .access import Action, authorise
from .result_sharing import shown_to_reader
from .entries import Entry, Patient
from .errors import AccessDenied, InvalidInput, NotFound
from .people import Actor
from .records import RecordKind, PatientQuestion, measured_lesions
from .vocab import GenomicFinding, GenomicOrigin, Her2Status, Intent, MenopausalStatus, MetastasisSite, Modality, Role

# The kinds of entry a profile is read from.
PROFILE_KINDS = ("metastases", "performance-status", "genomic-results", "treatment-courses", "scans")

# Saved trials are the patient's own choice: she, a carer allowed to write and her team may save them.
SAVED_TRIALS = RecordKind("saved-trials", PatientQuestion, "Saved trial", "Saved trials", "saved_at",
                          lambda r: "", patient_writes=True, carer_check_in_writes=True)

_NCT_ID = re.compile(r"^NCT\d{8}$")

# ClinicalTrials.gov names countries in full; the record keeps ISO 3166 codes. A code not listed
# is passed on as it is (the matcher's gazetteer reads codes too).
COUNTRY_NAMES = {
    "GB": "United Kingdom", "IE": "Ireland", "US": "United States", "CA": "Canada", "AU": "Australia",
    "NZ": "New Zealand", "FR": "France", "DE": "Germany", "ES": "Spain", "IT": "Italy", "NL": "Netherlands",
    "BE": "Belgium", "PT": "Portugal", "CH": "Switzerland", "AT": "Austria", "DK": "Denmark", "SE": "Sweden",
    "NO": "Norway", "FI": "Finland", "PL": "Poland", "CZ": "Czechia", "GR": "Greece", "IN": "India",
    "CN": "China", "JP": "Japan", "KR": "Korea, Republic of", "TW": "Taiwan", "BR": "Brazil", "MX": "Mexico",
}
_HER2 = {Her2Status.POSITIVE: "positive", Her2Status.LOW: "low", Her2Status.ULTRALOW: "ultralow",
         Her2Status.ZERO: "negative", Her2Status.NEGATIVE: "negative_unscored"}
_MENOPAUSE = {MenopausalStatus.PRE: "premenopausal", MenopausalStatus.PERI: "perimenopausal",
              MenopausalStatus.POST: "postmenopausal"}
# Words in a brain metastasis's detail or notes. "Active" words are read first: "untreated" holds "treated".
_ACTIVE_BRAIN = re.compile(r"\b(active|untreated|progress\w*|growing|symptomatic|new)\b", re.IGNORECASE)
_STABLE_BRAIN = re.compile(r"\b(treated|stable|controlled|radiotherapy|srs|stereotactic|resected)\b", re.IGNORECASE)
# RECIST 1.1 (Eisenhauer 2009, section 3.1.1): a lesion is measurable from 10 mm, a lymph node
# from 15 mm on its short axis.
MEASURABLE_LESION_MM, MEASURABLE_NODE_MM = 10.0, 15.0
_ANTICANCER = {Modality.CHEMOTHERAPY, Modality.ENDOCRINE, Modality.TARGETED, Modality.IMMUNOTHERAPY,
               Modality.ANTIBODY_DRUG_CONJUGATE, Modality.OTHER}
_MUTATION = {GenomicFinding.DETECTED: "mutated", GenomicFinding.NOT_DETECTED: "negative"}
_EXPRESSION = {GenomicFinding.POSITIVE: "positive", GenomicFinding.NEGATIVE: "negative"}


# --- The record as a profile ---------------------------------------------------------------------

def trial_profile(uow, actor: Actor, patient_id: UUID, today: date) -> Profile:
    """What her record tells the matcher, unknowns left unknown; the read is audited."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="trial-profile")
    # Her own trial page reads only the scans she may see: "measurable disease" tells of a scan.
    entries = shown_to_reader(uow, relationship, patient_id,
                              {slug: uow.records.list(patient_id, services.kind(slug)) for slug in PROFILE_KINDS})
    return profile_from_record(uow.patients.get(patient_id), entries, today)


def profile_from_record(patient: Patient, entries: Mapping[str, list[Entry]], today: date) -> Profile:
    """The pure translation of one record into a profile (tests/unit/test_trial_profile.py)."""
    details, cancer = patient.details, patient.profile
    metastases = [e.data for e in entries.get("metastases", [])]
    courses = [e.data for e in entries.get("treatment-courses", [])]
    metastatic = bool(cancer.metastatic_diagnosis_date or cancer.de_novo or metastases)
    lines = _lines(courses, cancer.metastatic_diagnosis_date) if metastatic else _Lines(None, None, None)
    return Profile(
        age=_age(details.date_of_birth, today), sex=details.sex.value if details.sex.value in ("female", "male") else None,
        country=COUNTRY_NAMES.get(details.country, details.country), town=details.town,
        setting="metastatic" if metastatic else None,
        er=_receptor(cancer.er_status.value), pr=_receptor(cancer.pr_status.value), her2=_HER2.get(cancer.her2_status),
        menopausal_status=_MENOPAUSE.get(cancer.menopausal_status), ecog=_latest_ecog(entries.get("performance-status", [])),
        measurable_disease=_measurable(entries.get("scans", [])), brain_metastases=_brain(metastases),
        leptomeningeal_disease=True if any(m.site is MetastasisSite.LEPTOMENINGES for m in metastases) else None,
        prior_lines_metastatic=lines.total, prior_chemotherapy_lines_metastatic=lines.chemotherapy,
        prior_endocrine_lines_metastatic=lines.endocrine,
        prior_treatments=_prior_treatments(courses, cancer.metastatic_diagnosis_date),
        biomarkers=_biomarkers(entries.get("genomic-results", [])) or None)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _receptor(value: str) -> str | None:
    return value if value in ("positive", "negative") else None


def _latest_ecog(entries: list[Entry]) -> int | None:
    latest = max(entries, key=lambda e: e.data.assessed_on, default=None)
    return latest.data.ecog if latest else None


def _measurable(scans: list[Entry]) -> bool | None:
    """True when the latest scan with measured target lesions holds one RECIST can measure; a scan
    without any says nothing (the disease may not have been measured), so unknown."""
    measured = [s for s in scans if s.data.target_lesions]
    latest = max(measured, key=lambda s: s.data.performed_on, default=None)
    if latest is None:
        return None
    lesions = measured_lesions(latest.data.target_lesions)
    if any(lesion.diameter_mm >= (MEASURABLE_NODE_MM if lesion.nodal else MEASURABLE_LESION_MM) for lesion in lesions):
        return True
    return None


def _brain(metastases: list) -> str | None:
    words = [" ".join(filter(None, (m.site_detail, m.notes))) for m in metastases if m.site is MetastasisSite.BRAIN]
    if any(_ACTIVE_BRAIN.search(text) for text in words):
        return "active"
    if words and all(_STABLE_BRAIN.search(text) for text in words):
        return "stable"
    return None  # none recorded, or recorded without saying whether treated: the team is asked


@dataclass(frozen=True)
class _Lines:
    total: int | None
    chemotherapy: int | None
    endocrine: int | None


def _for_secondary(course, metastatic_on: date | None) -> bool:
    if course.modality not in _ANTICANCER or course.intent is Intent.SUPPORTIVE:
        return False
    if course.line_of_treatment is not None:
        return True
    if course.intent is Intent.CURATIVE:
        return False
    return metastatic_on is None or course.start_date >= metastatic_on


def _lines(courses: list, metastatic_on: date | None) -> _Lines:
    """Distinct lines for secondary cancer: a line is chemotherapy if any course in it is, else
    hormone therapy if any course in it is endocrine or names a hormone medicine (so a line is
    counted once, and the two counts never add up to more than the lines)."""
    secondary = [c for c in courses if _for_secondary(c, metastatic_on)]
    if not courses or any(c.line_of_treatment is None for c in secondary):
        return _Lines(None, None, None)  # nothing recorded, or a course whose line is not said
    by_line: dict[int, list] = {}
    for course in secondary:
        by_line.setdefault(course.line_of_treatment, []).append(course)
    endocrine = drug_names().endocrine
    chemo_lines = [any(c.modality is Modality.CHEMOTHERAPY for c in group) for group in by_line.values()]
    hormone = sum(not is_chemo and any(c.modality is Modality.ENDOCRINE or set(agents_in(c.name)) & endocrine for c in group)
                  for is_chemo, group in zip(chemo_lines, by_line.values()))
    chemo = sum(chemo_lines)
    return _Lines(len(by_line), chemo, hormone)


def _prior_treatments(courses: list, metastatic_on: date | None) -> list[PriorTreatment] | None:
    if not courses:
        return None  # an empty list of treatments is not "never treated"
    found = []
    for course in courses:
        setting = "metastatic" if _for_secondary(course, metastatic_on) else "early"
        found += [PriorTreatment(agent=agent, setting=setting) for agent in agents_in(course.name)]
    return list({(t.agent, t.setting): t for t in found}.values())


def _biomarkers(results: list[Entry]) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in sorted(results, key=lambda e: e.data.reported_on or date.min):  # the latest result wins
        result = entry.data
        gene = result.gene.value
        if gene in ("BRCA1", "BRCA2") and result.origin is GenomicOrigin.GERMLINE:
            gene = "g" + gene
        if gene == "PD-L1" and result.finding in _EXPRESSION:
            found[gene] = _EXPRESSION[result.finding]
        elif gene in ("BRCA1", "BRCA2", "gBRCA1", "gBRCA2", "PALB2", "PIK3CA", "ESR1", "AKT1", "PTEN") \
                and result.finding in _MUTATION:
            found[gene] = _MUTATION[result.finding]
    return found


# --- Medicine names in a course's name ------------------------------------------------------------

@dataclass(frozen=True)
class DrugNames:
    patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]  # wording -> generic names
    endocrine: frozenset[str]


@cache
def drug_names() -> DrugNames:
    """Generic names and their aliases from content/drug_classes.yaml (the list the trial
    criteria are read with), longest wording first so "trastuzumab deruxtecan" wins over "trastuzumab"."""
    data = yaml.safe_load(files("alongside.content").joinpath("drug_classes.yaml").read_text("utf-8"))
    wordings = {re.escape(agent): (agent,) for spec in data["classes"].values() for agent in spec["agents"]}
    for agents, aliases in data["aliases"].items():
        wordings.update({alias: tuple(agents.split("+")) for alias in aliases})
    ordered = sorted(wordings.items(), key=lambda item: -len(item[0]))
    patterns = tuple((re.compile(rf"(?<![\w-]){wording}(?![\w-])", re.IGNORECASE), names) for wording, names in ordered)
    return DrugNames(patterns, frozenset(data["classes"]["endocrine"]["agents"]))


def agents_in(name: str) -> tuple[str, ...]:
    """The generic medicines a course's name holds: "Letrozole and ribociclib" -> letrozole, ribociclib."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, tuple[str, ...]]] = []
    for pattern, names in drug_names().patterns:
        for m in pattern.finditer(name):
            if not any(start < m.end() and m.start() < end for start, end in taken):
                taken.append((m.start(), m.end()))
                found.append((m.start(), names))
    return tuple(dict.fromkeys(agent for _, names in sorted(found) for agent in names))


# --- Saved trials, shared with the team -----------------------------------------------------------

def check_nct_id(nct_id: str) -> str:
    if not _NCT_ID.match(nct_id or ""):
        raise InvalidInput("A trial is named by its ClinicalTrials.gov number, NCT and 8 digits", field="nct_id")
    return nct_id


def save_trial(uow, actor: Actor, patient_id: UUID, nct_id: str, share_with_team: bool, note: str | None = None):
    """She (a carer allowed to write, or her team) saves a trial to her record, shared with the team or not."""
    check_nct_id(nct_id)
    authorise(uow, actor, patient_id, Action.WRITE, SAVED_TRIALS)
    if note is not None and len(note) > 1000:
        raise InvalidInput("A note can be at most 1,000 characters", field="note")
    if uow.trials.state(nct_id) is None:
        raise NotFound("No such trial here", field="nct_id")
    return uow.trials.save(patient_id, nct_id, by_name=actor.display_name, by_id=actor.user_id, note=note,
                           share_with_team=share_with_team)


def saved_trials(uow, actor: Actor, patient_id: UUID) -> list:
    """Her saved trials. Her team sees the ones she shared; she and her carers see them all."""
    authorise(uow, actor, patient_id, Action.READ, SAVED_TRIALS)
    return uow.trials.saved_for(patient_id, shared_only=actor.role is Role.CLINICIAN)


def unsave_trial(uow, actor: Actor, patient_id: UUID, nct_id: str) -> None:
    check_nct_id(nct_id)
    authorise(uow, actor, patient_id, Action.WRITE, SAVED_TRIALS)
    if not uow.trials.unsave(patient_id, nct_id):
        raise NotFound("This trial is not saved on the record", field="nct_id")


def add_trial_question(uow, actor: Actor, patient_id: UUID, nct_id: str, title: str, questions: Iterable[str],
                       today: date, entry_id: UUID | None = None) -> Entry:
    """A question for her next appointment that names the trial and what to ask about it."""
    check_nct_id(nct_id)
    asks = list(questions)
    text = f"Could I take part in the trial {nct_id} ({title})?"
    if asks:
        text += " Things to ask: " + " ".join(asks)
    if len(text) > 1000:
        text = text[:997].rsplit(" ", 1)[0] + "..."
    return services.add_entry(uow, actor, patient_id, "questions",
                              {"kind": "question", "text": text, "added_on": today.isoformat()}, entry_id)


# --- The reverse view: the caseload as profiles ---------------------------------------------------

class CaseloadRecords(Protocol):
    """How the caseload's records are read: one patient at a time (`OneByOne`), or in batches by
    a store adapter (store/trial_caseload.py); the use case authorises and audits either way."""

    def patient_ids(self, team_ids: list[UUID]) -> list[UUID]: ...

    def read(self, patient_ids: list[UUID], slugs: tuple[str, ...]) -> Iterable[tuple[Patient, dict[str, list[Entry]]]]: ...


class OneByOne:
    """The plain reader: the caseload page by page, then each record kind of each patient by itself."""

    def __init__(self, uow) -> None:
        self.uow = uow

    def patient_ids(self, team_ids: list[UUID]) -> list[UUID]:
        ids: list[UUID] = []
        while True:
            rows, total = self.uow.patients.caseload(team_ids, "", len(ids), 200)
            ids += [row.patient_id for row in rows]
            if not rows or len(ids) >= total:
                return ids

    def read(self, patient_ids, slugs):
        for patient_id in patient_ids:
            yield (self.uow.patients.get(patient_id),
                   {slug: self.uow.records.list(patient_id, services.kind(slug)) for slug in slugs})


@dataclass(frozen=True)
class CaseloadProfile:
    patient: Patient
    profile: Profile


def caseload_profiles(uow, actor: Actor, today: date,
                      reader: Callable[[object], CaseloadRecords] = OneByOne) -> list[CaseloadProfile]:
    """Every patient on the clinician's own teams' caseloads as a profile, each read audited on her record."""
    if actor.role is not Role.CLINICIAN:
        uow.audit.record(actor, "read:refused", None, "trial-candidates", None)
        uow.commit()  # the refusal stays in the audit log though the request fails
        raise AccessDenied("Only a clinician sees which patients on a caseload may fit a trial")
    records = reader(uow)
    ids = records.patient_ids(uow.teams.ids_of(actor.user_id))
    found = []
    for patient, entries in records.read(ids, PROFILE_KINDS):
        # On her own team's caseload by construction: the relationship is the care team's.
        uow.audit.record(actor, "read:granted", patient.id, "trial-profile", None)
        found.append(CaseloadProfile(patient, profile_from_record(patient, entries, today)))
    return found
