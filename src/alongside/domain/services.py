"""Use cases on a patient's record. Each takes a unit of work and the actor, authorises, acts.

Web handlers and the command line call these and only translate their input and output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from .dates import long_date
from ..clinical.alert_rules import AlertThresholds
from . import results
from .access import Action, authorise
from .result_sharing import refuse_if_held, shown_to_reader
from .entries import AuditEvent, Entry, Patient
from .errors import AccessDenied, InvalidInput, NotAllowedHere
from .people import SYSTEM, Actor, Relationship
from .records import (
    EARLY_DATE_MARGIN, RECORD_KINDS, CancerProfile, IdInUse, LabResult, LifeDates, PatientDetails, RecordKind, kind, validate,
)
from .treatment_plan import DoseInForce, check_break_fits, check_course_fits, dose_in_force
from .vocab import AllergyCriticality, AllergyStatus, ContactPurpose, MedicinePurpose, ReactionSeverity, Role

def register_patient(uow, actor: Actor, details: PatientDetails, team_id: UUID | None = None,
                     patient_id: UUID | None = None) -> Patient:
    """A clinician adds a person to a team's caseload (their own team unless one is named)."""
    if actor.role is not Role.CLINICIAN and actor != SYSTEM:  # an administrator manages accounts, not records
        raise AccessDenied("Only a clinician can register a patient")
    teams = uow.teams.ids_of(actor.user_id) if actor.role is Role.CLINICIAN else []
    team_id = team_id or (teams[0] if teams else None)
    if actor.role is Role.CLINICIAN and team_id not in teams:
        raise InvalidInput("You can only add patients to your own team", field="team_id")
    _refuse_nhs_number_held(uow, actor, details.nhs_number)
    patient_id = patient_id or uuid4()
    uow.patients.add(patient_id, details, CancerProfile())
    if team_id:
        uow.teams.add_to_caseload(team_id, patient_id)
    uow.audit.record(actor, "create", patient_id, "patient", patient_id)
    return uow.patients.get(patient_id)


NHS_NUMBER_NOT_USABLE = ("This NHS number cannot be used here. Check it against the person's letters from the "
                         "NHS; if it is right, ask your service's administrator for help.")


def _refuse_nhs_number_held(uow, actor: Actor, nhs_number: str | None, patient_id: UUID | None = None) -> None:
    """An NHS number already on another record. Someone who may see that record (her own team)
    is told it is registered. Anyone else gets the shape and words of any other invalid field:
    an NHS number is printed on every letter, and learning that it is held here would tell that
    its owner is under this service's care. The attempt goes in the holder's audit log, so her
    team can see who tried. The status still differs from a fresh number's, which cannot be
    helped without two records for one person; it says nothing of whose the record is."""
    holder = uow.patients.id_by_nhs_number(nhs_number) if nhs_number else None
    if holder is None or holder == patient_id:
        return
    if uow.access.relationship(actor, holder) is not Relationship.NONE:
        raise InvalidInput("A patient with this NHS number is already registered", field="nhs_number")
    uow.audit.record(actor, "write:refused", holder, "nhs-number")
    uow.commit()  # the refusal stays in her audit log though the request fails; nothing else is written yet
    raise InvalidInput("Some values need correcting", errors=[{"field": "nhs_number", "message": NHS_NUMBER_NOT_USABLE}])


def refuse_strangers(uow, actor: Actor, patient_id: UUID, what: str = "patient") -> None:
    """Refuse someone with no part in this record as `authorise` does (audited, 404) before
    anything she sent is read. The web layer calls it ahead of checking a request's body and
    query, so a bad one is answered alike whoever's record it names, and the attempt is audited.
    Whoever may see the record passes here unaudited: the use case that follows authorises and
    audits what she asked."""
    if uow.access.relationship(actor, patient_id) is Relationship.NONE:
        authorise(uow, actor, patient_id, Action.READ, what=what)


def read_patient(uow, actor: Actor, patient_id: UUID) -> Patient:
    authorise(uow, actor, patient_id, Action.READ)
    return uow.patients.get(patient_id)


def update_patient(uow, actor: Actor, patient_id: UUID, details: PatientDetails, version: int) -> Patient:
    authorise(uow, actor, patient_id, Action.WRITE, record_id=patient_id)
    _refuse_nhs_number_held(uow, actor, details.nhs_number, patient_id)
    uow.patients.update(patient_id, details, version)
    return uow.patients.get(patient_id)


def update_cancer_profile(uow, actor: Actor, patient_id: UUID, profile: CancerProfile, version: int) -> Patient:
    authorise(uow, actor, patient_id, Action.WRITE, what="cancer-profile", record_id=patient_id)
    LifeDates.of(uow.patients.get(patient_id).details, None).check(profile)  # not diagnosed before she was born
    uow.patients.update_profile(patient_id, profile, version)
    return uow.patients.get(patient_id)


def list_entries(uow, actor: Actor, patient_id: UUID, slug: str) -> list[Entry]:
    """The entries of one kind the reader may see (results she waits for are not among hers)."""
    record_kind = kind(slug)
    relationship = authorise(uow, actor, patient_id, Action.READ, record_kind)
    return shown_to_reader(uow, relationship, patient_id, {slug: uow.records.list(patient_id, record_kind)})[slug]


def read_entry(uow, actor: Actor, patient_id: UUID, slug: str, entry_id: UUID) -> Entry:
    record_kind = kind(slug)
    relationship = authorise(uow, actor, patient_id, Action.READ, record_kind, entry_id)
    entry = uow.records.get(patient_id, record_kind, entry_id)
    refuse_if_held(uow, relationship, patient_id, entry)
    return entry


def add_entry(uow, actor: Actor, patient_id: UUID, slug: str, data: Any, entry_id: UUID | None = None,
              thresholds: AlertThresholds = AlertThresholds(), now: datetime | None = None, *,
              confirm_early_date: bool = False, early_date_margin: timedelta = EARLY_DATE_MARGIN) -> Entry:
    """Add an entry. Given the same `entry_id` twice, the second call returns the first entry
    unchanged, so a client may retry a create safely. A severe blood result alerts the team.
    A date long before the first diagnosis is refused unless `confirm_early_date` (records.LifeDates)."""
    record_kind = kind(slug)
    authorise(uow, actor, patient_id, Action.WRITE, record_kind, entry_id)
    _refuse_submitted_only(record_kind)
    model = validate(record_kind.model, data)
    if entry_id and (existing := uow.records.find(patient_id, record_kind, entry_id)):
        return _retried(existing, model)
    _check_parent(uow, patient_id, record_kind, model)
    _check_against_record(uow, patient_id, model, confirm_early_date, early_date_margin)
    check_plan(uow, patient_id, record_kind, model, entry_id)
    entry = uow.records.add(patient_id, record_kind, model, entry_id or uuid4())
    if isinstance(model, LabResult):
        results.alerts_for_lab_result(uow, patient_id, entry, thresholds, now or datetime.now(UTC))
    return entry


def _retried(existing: Entry, model: Any) -> Entry:
    """The same entry sent again is a retry; other content under the same id is refused exactly as
    an id of another patient's entry is (records.IdInUse), so the refusal tells nothing of whose."""
    if existing.data != model:
        raise IdInUse()
    return existing


def update_entry(uow, actor: Actor, patient_id: UUID, slug: str, entry_id: UUID, data: Any, version: int, *,
                 confirm_early_date: bool = False, early_date_margin: timedelta = EARLY_DATE_MARGIN) -> Entry:
    record_kind = kind(slug)
    authorise(uow, actor, patient_id, Action.WRITE, record_kind, entry_id)
    _refuse_submitted_only(record_kind)
    model = validate(record_kind.model, data)
    _check_parent(uow, patient_id, record_kind, model)
    stored = uow.records.get(patient_id, record_kind, entry_id).data
    _check_against_record(uow, patient_id, model, confirm_early_date, early_date_margin, stored)
    check_plan(uow, patient_id, record_kind, model, entry_id)
    return uow.records.update(patient_id, record_kind, entry_id, model, version)


def delete_entry(uow, actor: Actor, patient_id: UUID, slug: str, entry_id: UUID, version: int) -> None:
    record_kind = kind(slug)
    authorise(uow, actor, patient_id, Action.WRITE, record_kind, entry_id)
    _refuse_submitted_only(record_kind)
    if record_kind.slug == "treatment-courses" and uow.records.children_of(patient_id, entry_id):
        raise InvalidInput("Remove this treatment's dose changes, breaks and medicines first", field="id")
    uow.records.delete(patient_id, record_kind, entry_id, version)


def _refuse_submitted_only(record_kind: RecordKind) -> None:
    if record_kind.submitted_only:
        raise NotAllowedHere(f"A {record_kind.title.lower()} is submitted through its own form and not changed afterwards")


def _check_parent(uow, patient_id: UUID, record_kind: RecordKind, model: Any) -> None:
    """A dose change, break or medicine must belong to a treatment of the same patient (a
    medicine may also belong to none)."""
    if not record_kind.parent_field:
        return
    parent_id = getattr(model, record_kind.parent_field)
    if parent_id is None:
        return
    if not uow.records.find(patient_id, RECORD_KINDS["treatment-courses"], parent_id):
        raise InvalidInput("No such treatment in this record", field=record_kind.parent_field)


def _check_against_record(uow, patient_id: UUID, model: Any, confirm_early_date: bool, margin: timedelta,
                          stored: Any = None) -> None:
    """Dates that contradict the person's life are typing slips: a result before she was born, a
    scan years before the cancer. On an edit only the dates it changes are checked."""
    patient = uow.patients.get(patient_id)
    changed = None if stored is None else {name for name in type(model).model_fields
                                           if getattr(model, name) != getattr(stored, name)}
    LifeDates.of(patient.details, patient.profile, margin).check(model, confirm_early_date, changed)


def date_flags(patient: Patient, entries: list[Entry], margin: timedelta = EARLY_DATE_MARGIN) -> dict[UUID, str]:
    """Entries already stored whose dates do not fit the person's life (saved before these checks,
    or the date of birth or diagnosis changed since), each with a plain warning to show beside it."""
    life = LifeDates.of(patient.details, patient.profile, margin)
    return {entry.id: flag for entry in entries if (flag := life.flag(entry.data))}


def check_plan(uow, patient_id: UUID, record_kind: RecordKind, model: Any, entry_id: UUID | None) -> None:
    """Lines of treatment do not overlap; a break lies within its treatment (treatment_plan.py); a
    scan measures its baseline's lesions (results.check_scan_lesions)."""
    courses = RECORD_KINDS["treatment-courses"]
    if record_kind.slug == "treatment-courses":
        check_course_fits(model, uow.records.list(patient_id, courses), entry_id)
        if entry_id:  # a treatment's new dates must still hold its breaks
            breaks = [b for b in uow.records.list(patient_id, RECORD_KINDS["treatment-breaks"])
                      if b.data.course_id == entry_id]
            for pause in breaks:
                try:
                    check_break_fits(pause.data, model, [], pause.id)
                except InvalidInput:
                    raise InvalidInput(f"A break of this treatment ({long_date(pause.data.start_date)}) would fall "
                                       "outside these dates: change the break first", field="end_date") from None
    elif record_kind.slug == "treatment-breaks":
        course = uow.records.get(patient_id, courses, model.course_id)
        check_break_fits(model, course.data, uow.records.list(patient_id, record_kind), entry_id)
    elif record_kind.slug == "scans":  # the same lesions as the baseline, or RECIST cannot compare them
        results.check_scan_lesions(model, uow.records.list(patient_id, record_kind),
                                   uow.records.list(patient_id, courses), entry_id)


# --- Views made of several kinds ----------------------------------------------------------------

@dataclass(frozen=True)
class TreatmentLineView:
    """All courses given as one line of treatment, with their dose changes and breaks."""

    line: int | None
    courses: list[Entry]
    dose_changes: dict[UUID, list[Entry]]
    breaks: dict[UUID, list[Entry]]
    doses: dict[UUID, DoseInForce] = field(default_factory=dict)  # each course's dose in force today

    @property
    def title(self) -> str:
        return f"Line {self.line}" if self.line else "Other treatment"

    @property
    def start(self) -> date:
        return min(c.data.start_date for c in self.courses)

    @property
    def is_current(self) -> bool:
        return any(c.data.is_current for c in self.courses)


@dataclass(frozen=True)
class HomeView:
    patient: Patient
    relationship: str
    metastases: list[Entry]
    performance_status: Entry | None
    current_treatments: list[Entry]
    care_team: list[Entry]
    contact_points: list[Entry]
    upcoming_appointments: list[Entry]
    goals: list[Entry]
    doses: dict[UUID, DoseInForce] = field(default_factory=dict)  # each current treatment's dose in force today
    medicines: list[Entry] = field(default_factory=list)  # taken today, or to start
    allergies: list[Entry] = field(default_factory=list)  # still standing (status active)


_URGENT_FIRST = [ContactPurpose.URGENT, ContactPurpose.BOTH, ContactPurpose.ROUTINE]


def patient_home(uow, actor: Actor, patient_id: UUID, now: datetime | None = None) -> HomeView:
    relationship = authorise(uow, actor, patient_id, Action.READ, what="home")
    now = now or datetime.now(UTC)
    records = uow.records.everything(patient_id, ["metastases", "performance-status", "treatment-courses", "care-team",
                                                  "contact-points", "appointments", "goals", "dose-changes",
                                                  "medicines", "allergies"])
    patient = uow.patients.get(patient_id)
    current = [c for c in records["treatment-courses"] if c.data.is_current]
    today = local_day(patient, now)
    return HomeView(
        patient=patient,
        relationship=relationship.value,
        metastases=records["metastases"],
        performance_status=next(iter(records["performance-status"]), None),
        current_treatments=current,
        care_team=records["care-team"],
        contact_points=sorted(records["contact-points"], key=lambda c: _URGENT_FIRST.index(c.data.purpose)),
        upcoming_appointments=sorted((a for a in records["appointments"] if a.data.starts_at >= now),
                                     key=lambda a: a.data.starts_at)[:5],
        goals=records["goals"],
        doses={c.id: dose_in_force(c, records["dose-changes"], today) for c in current},
        medicines=current_medicines(records["medicines"], today),
        allergies=standing_allergies(records["allergies"]),
    )


def current_medicines(medicines: list[Entry], today: date) -> list[Entry]:
    """Medicines not stopped before today (those to start included), anticancer first, by name."""
    current = [m for m in medicines if m.data.stop_date is None or m.data.stop_date >= today]
    return sorted(current, key=lambda m: (m.data.purpose is not MedicinePurpose.ANTICANCER, m.data.name.lower()))


def standing_allergies(allergies: list[Entry]) -> list[Entry]:
    """Allergies and intolerances still a concern, those that could be dangerous first."""
    active = [a for a in allergies if a.data.status is AllergyStatus.ACTIVE]
    return sorted(active, key=lambda a: (a.data.criticality is not AllergyCriticality.HIGH,
                                         a.data.severity is not ReactionSeverity.SEVERE, a.data.substance.lower()))


def local_day(patient: Patient, now: datetime) -> date:
    """The day it is for her: dose changes and other dated entries are dated by her own calendar."""
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(patient.details.time_zone)).date()


def treatment_history(uow, actor: Actor, patient_id: UUID, now: datetime | None = None) -> list[TreatmentLineView]:
    """Courses grouped into lines, newest line first; courses without a line number come last."""
    authorise(uow, actor, patient_id, Action.READ, what="treatment-history")
    records = uow.records.everything(patient_id, ["treatment-courses", "dose-changes", "treatment-breaks"])
    lines: dict[int | None, list[Entry]] = {}
    for course in records["treatment-courses"]:
        lines.setdefault(course.data.line_of_treatment, []).append(course)
    children = {slug: _by_course(records[slug], RECORD_KINDS[slug].order_by) for slug in ("dose-changes", "treatment-breaks")}
    today = local_day(uow.patients.get(patient_id), now or datetime.now(UTC))
    doses = {c.id: dose_in_force(c, records["dose-changes"], today) for c in records["treatment-courses"]}
    views = [TreatmentLineView(line, sorted(courses, key=lambda c: c.data.start_date),
                               children["dose-changes"], children["treatment-breaks"], doses)
             for line, courses in lines.items()]
    return sorted(views, key=lambda v: (v.line is None, -(v.line or 0)))


def _by_course(entries: list[Entry], order_by: str) -> dict[UUID, list[Entry]]:
    grouped: dict[UUID, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: getattr(e.data, order_by)):
        grouped.setdefault(entry.data.course_id, []).append(entry)
    return grouped


def access_log(uow, actor: Actor, patient_id: UUID, limit: int = 200) -> list[AuditEvent]:
    """Who has read or changed the record, newest first: for the patient herself and her team."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="access-log")
    if relationship not in (Relationship.SELF, Relationship.CARE_TEAM, Relationship.OPERATOR):
        raise AccessDenied("Only the patient and their team can see who has used the record")
    return uow.audit.for_patient(patient_id, limit)
