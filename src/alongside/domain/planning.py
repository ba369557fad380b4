"""Planning care: treatment breaks, a decision to stop anticancer treatment, and the decision
summary the team and the person read before the next decision.

Use cases are verbs taking a unit of work and the actor; they authorise, act and return domain
objects. Nothing here recommends a treatment: the summary gathers the facts a team weighs and
says plainly which of them are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import Field, StringConstraints

from .dates import long_date
from ..clinical.supportive_care import SupportiveCarePrompt, SupportiveCareThresholds, supportive_care_prompt
from .access import Action, authorise
from .result_sharing import shown_to_reader
from .appointments import CONSULTATIONS, against_range
from . import dose_diary, messages
from .check_in_summary import CheckInSummary, summarise_check_in
from .entries import Entry, Patient
from .errors import Conflict, InvalidInput
from .monitoring import grade_symptoms
from .instrument import instrument
from .people import Actor, Relationship
from .records import RECORD_KINDS, Decision, LongText, PastDate, RecordModel, ShortText, validate
from . import results, services
from .treatment_plan import DoseInForce, dose_in_force, is_anticancer, supportive_care_only_since
from .vocab import (
    AccessRoute, Her2Status, MenopausalStatus, QuestionKind, ReceptorStatus, ReferralService, ReferralStatus, ScanImpression,
    StopReason, ThreadState,
)

BREAKS = RECORD_KINDS["treatment-breaks"]
COURSES = RECORD_KINDS["treatment-courses"]
DECISIONS = RECORD_KINDS["decisions"]


# --- Breaks -------------------------------------------------------------------------------------

def start_treatment_break(uow, actor: Actor, patient_id: UUID, data: Any, entry_id: UUID | None = None) -> Entry:
    """Start a break from one treatment (planned or not). Check-ins and contacts go on as before;
    while the break lasts the chemotherapy-only fever rule is paused for that treatment."""
    return services.add_entry(uow, actor, patient_id, BREAKS.slug, data, entry_id)


def end_treatment_break(uow, actor: Actor, patient_id: UUID, break_id: UUID, end_date: Any, version: int) -> Entry:
    """End a break on a date; the same checks as any break apply (not before its start, within
    its treatment)."""
    authorise(uow, actor, patient_id, Action.WRITE, BREAKS, break_id)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput("Give the version of the break you read", field="version")
    current = uow.records.get(patient_id, BREAKS, break_id)
    if current.data.end_date is not None:
        raise Conflict(f"This break already ended on {long_date(current.data.end_date)}", field="end_date")
    if end_date in (None, ""):
        raise InvalidInput("Give the date the break ended", field="end_date")
    data = current.data.model_dump(mode="json") | {"end_date": end_date}
    return services.update_entry(uow, actor, patient_id, BREAKS.slug, break_id, data, version)


# --- Stopping anticancer treatment --------------------------------------------------------------

class StopAnticancerTreatment(RecordModel):
    """A decision to stop treatment aimed at the cancer and go on with supportive care only."""

    stops_on: date = Field(title="Anticancer treatment stops on")
    decided_on: PastDate = Field(title="Decided on")
    participants: ShortText = Field(title="Who took part")
    options_discussed: LongText = Field(title="Options discussed")
    rationale: LongText | None = Field(None, title="Why")
    revisit_when: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, title="Revisit if")


@dataclass(frozen=True)
class StopOutcome:
    decision: Entry
    stopped_courses: list[Entry]  # the anticancer treatments ended on the stop date
    ended_breaks: list[Entry]  # breaks that were open, ended on the same date


def stop_anticancer_treatment(uow, actor: Actor, patient_id: UUID, data: Any,
                              entry_id: UUID | None = None) -> StopOutcome:
    """Record the decision and end every current anticancer treatment on the stop date.

    Supportive treatment (bone-strengthening drugs, symptom control) goes on. Monitoring,
    check-ins and contacts are not touched: they continue unchanged."""
    authorise(uow, actor, patient_id, Action.WRITE, DECISIONS, entry_id)
    stop = validate(StopAnticancerTreatment, data)
    if entry_id and (existing := uow.records.find(patient_id, DECISIONS, entry_id)):
        return StopOutcome(existing, [], [])
    courses = [c for c in uow.records.list(patient_id, COURSES) if c.data.is_current and is_anticancer(c.data)]
    for course in courses:
        if course.data.start_date > stop.stops_on:
            raise InvalidInput(f"{course.data.name} starts after this date ({long_date(course.data.start_date)}); "
                               "change or remove it first", field="stops_on")
    ended_breaks = []
    stopped_ids = {c.id for c in courses}
    for pause in uow.records.list(patient_id, BREAKS):
        if pause.data.course_id in stopped_ids and pause.data.end_date is None:
            if pause.data.start_date > stop.stops_on:
                raise InvalidInput("A break starts after this date; change or remove it first", field="stops_on")
            ended_breaks.append(services.update_entry(uow, actor, patient_id, BREAKS.slug, pause.id,
                                                      pause.data.model_dump() | {"end_date": stop.stops_on},
                                                      pause.version))
    stopped = [services.update_entry(uow, actor, patient_id, COURSES.slug, c.id,
                                     c.data.model_dump() | {"end_date": stop.stops_on,
                                                            "stop_reason": StopReason.SUPPORTIVE_CARE_ONLY},
                                     c.version)
               for c in courses]
    decision = Decision(decided_on=stop.decided_on, participants=stop.participants,
                        options_discussed=stop.options_discussed,
                        chosen="Stop anticancer treatment; supportive care only",
                        rationale=stop.rationale, revisit_when=stop.revisit_when,
                        stops_anticancer_treatment_on=stop.stops_on)
    entry = uow.records.add(patient_id, DECISIONS, decision, entry_id or uuid4())
    return StopOutcome(entry, stopped, ended_breaks)


# --- The decision summary -----------------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    """One thing the team weighs: its value in words, or None with what to say instead."""

    label: str
    value: str | None
    missing: str

    @property
    def is_missing(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class SiteOfSpread:
    site: str
    detail: str | None
    since: date | None


@dataclass(frozen=True)
class ScanAssessment:
    """One scan as the summary shows it: its date, the radiologist's impression and, where
    lesions were measured, its RECIST 1.1 reading in words (results.ScanReading.recist_words)."""

    on: date
    impression: str | None
    recist: str | None

    @property
    def words(self) -> str:
        said = self.impression or "impression not recorded"
        return said + (f"; RECIST 1.1: {self.recist}" if self.recist else "")


@dataclass(frozen=True)
class PreviousLine:
    line: int
    treatments: list[str]
    start: date
    end: date | None
    days: int
    best_response: str | None  # the best scan impression during the line, if any scan had one
    stop_reasons: list[str]
    # The latest scan during the line, and the one with the best impression: shown together, each
    # dated, so a good response months ago never stands in for progression on the latest scan.
    latest_scan: ScanAssessment | None = None
    best_scan: ScanAssessment | None = None
    doses: list[tuple[str, DoseInForce]] = ()  # each treatment still given, with its dose in force today

    @property
    def duration(self) -> str:
        return duration_text(self.days)


@dataclass(frozen=True)
class CurrentSymptoms:
    reported_at: datetime  # when the last check-in was sent
    graded: list[tuple[str, int]]  # symptom, composite grade 1-3
    burden: list[tuple[str, int]]  # 0-10 item, score
    wellbeing: int | None  # how unwell (burden "wellbeing"): 0 well, 10 as unwell as could be
    urgent: list[str]  # its alerts, urgent answers and temperature, first (check_in_summary)


@dataclass(frozen=True)
class DecisionSummary:
    patient: Patient
    as_of: date
    receptors: list[Fact]
    metastatic_since: Fact
    sites: list[SiteOfSpread]
    lines: list[PreviousLine]  # newest first; current lines have no end
    symptoms: CurrentSymptoms | None
    performance_status: Fact
    menopausal_status: Fact
    genomic_results: list[str]
    goals: list[Entry]
    decisions: list[Entry]
    supportive_care_only_since: date | None
    missing: list[str]
    documents: list = ()  # advance care plan documents (documents.StoredDocument), newest first  # every missing fact, in words, for a list at the top


def duration_text(days: int) -> str:
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 92:
        return f"{days // 7} weeks"
    months = round(days / 30.44)
    if months < 24:
        return f"{months} months"
    return f"{months // 12} years {months % 12} months" if months % 12 else f"{months // 12} years"


# Better first. Not evaluable says nothing about response, so it never counts as "best".
_RESPONSE_ORDER = [ScanImpression.RESPONDING, ScanImpression.STABLE, ScanImpression.MIXED, ScanImpression.PROGRESSING]


def best_response(impressions: list[ScanImpression | None]) -> ScanImpression | None:
    ranked = [i for i in impressions if i in _RESPONSE_ORDER]
    return min(ranked, key=_RESPONSE_ORDER.index) if ranked else None


def decision_summary(uow, actor: Actor, patient_id: UUID, today: date) -> DecisionSummary:
    """What the team will weigh at the next decision, from the record as it stands. Facts not
    recorded are listed as missing; nothing is inferred and no treatment is suggested."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="decision-summary")
    return _decision_summary(uow, relationship, patient_id, today)


def _decision_summary(uow, relationship: Relationship, patient_id: UUID, today: date) -> DecisionSummary:
    patient = uow.patients.get(patient_id)
    profile = patient.profile
    records = shown_to_reader(uow, relationship, patient_id, uow.records.everything(
        patient_id, ["metastases", "performance-status", "genomic-results", "treatment-courses", "scans", "check-ins",
                     "goals", "decisions", "dose-changes"]))
    receptors = [
        _fact("Oestrogen receptor (ER)", profile.er_status, ReceptorStatus.UNKNOWN, "ER status not recorded"),
        _fact("Progesterone receptor (PR)", profile.pr_status, ReceptorStatus.UNKNOWN, "PR status not recorded"),
        _fact("HER2", profile.her2_status, Her2Status.UNKNOWN, "HER2 status not recorded"),
    ]
    metastatic_since = Fact("Secondary cancer diagnosed", f"{long_date(profile.metastatic_diagnosis_date)}"
                            if profile.metastatic_diagnosis_date else None, "Date of secondary diagnosis not recorded")
    sites = sorted((SiteOfSpread(m.data.site.label, m.data.site_detail, m.data.diagnosed_on)
                    for m in records["metastases"]), key=lambda s: (s.since is None, s.since or today))
    ps = records["performance-status"][0] if records["performance-status"] else None
    performance = Fact("Performance status", f"ECOG {ps.data.ecog} ({long_date(ps.data.assessed_on)})" if ps else None,
                       "Performance status (ECOG) not recorded")
    menopausal = _fact("Menopausal status", profile.menopausal_status, MenopausalStatus.UNKNOWN,
                       "Menopausal status not recorded")
    genomics = [f"{g.data.gene.label} ({g.data.origin.label.split(' (')[0].lower()}): {g.data.finding.label}"
                + (f", {g.data.variant}" if g.data.variant else "")
                + (f" ({long_date(g.data.reported_on)})" if g.data.reported_on else "")
                for g in records["genomic-results"]]
    lines = _lines(records["treatment-courses"], records["scans"], today,
                   results.scan_readings(records["scans"], records["treatment-courses"]), records["dose-changes"])
    symptoms = _last_symptoms(uow, records["check-ins"])
    stopped = supportive_care_only_since(records["decisions"], records["treatment-courses"], today)
    missing = [f.missing for f in [*receptors, metastatic_since, performance, menopausal]
               if f.is_missing]
    if not sites:
        missing.append("Sites of spread not recorded")
    if not genomics:
        missing.append("No genomic results recorded")
    if symptoms is None:
        missing.append("No check-in yet, so no current symptoms")
    if not records["goals"]:
        missing.append("Priorities and goals not recorded")
    return DecisionSummary(patient, today, receptors, metastatic_since, sites, lines, symptoms, performance,
                           menopausal, genomics, records["goals"], records["decisions"][:3], stopped, missing,
                           uow.documents.list(patient_id))


def _fact(label: str, value, unknown, missing: str) -> Fact:
    return Fact(label, None if value == unknown else value.label, missing)


def _lines(courses: list[Entry], scans: list[Entry], today: date,
           readings: list[results.ScanReading] = (), dose_changes: list[Entry] = ()) -> list[PreviousLine]:
    by_id = {r.entry.id: r for r in readings}
    grouped: dict[int, list[Entry]] = {}
    for course in courses:
        if course.data.line_of_treatment:
            grouped.setdefault(course.data.line_of_treatment, []).append(course)
    lines = []
    for number, members in grouped.items():
        start = min(c.data.start_date for c in members)
        ends = [c.data.end_date for c in members]
        end = None if None in ends else max(ends)
        scanned = sorted((s for s in scans if start <= s.data.performed_on <= (end or today)),
                         key=lambda s: s.data.performed_on)
        best = best_response([s.data.impression for s in scanned])
        best_scan = next((s for s in scanned if best and s.data.impression == best), None)
        reasons = sorted({c.data.stop_reason.label for c in members if c.data.stop_reason})
        lines.append(PreviousLine(number, [c.data.name for c in sorted(members, key=lambda c: c.data.start_date)],
                                  start, end, ((end or today) - start).days, best.label if best else None, reasons,
                                  _assessed(scanned[-1], by_id) if scanned else None,
                                  _assessed(best_scan, by_id) if best_scan else None,
                                  [(c.data.name, dose_in_force(c, dose_changes, today))
                                   for c in sorted(members, key=lambda c: c.data.start_date) if c.data.is_current]))
    return sorted(lines, key=lambda line: -line.line)


def _assessed(scan: Entry, readings: dict) -> ScanAssessment:
    reading = readings.get(scan.id)
    measured = reading is not None and (reading.target_sum_mm is not None or reading.cannot_assess)
    return ScanAssessment(scan.data.performed_on, scan.data.impression.label if scan.data.impression else None,
                          reading.recist_words if measured else None)


def _last_symptoms(uow, check_ins: list[Entry]) -> CurrentSymptoms | None:
    if not check_ins:
        return None
    last = max(check_ins, key=lambda e: e.data.submitted_at)
    summary = summarise_check_in(last, uow.alerts.for_check_in(last.id))  # alerts before grades, as everywhere
    questions = instrument()
    labels = {b.code: b.label for b in questions.burden.items}
    graded = [(questions.symptom(code).label, grade) for code, grade in grade_symptoms(last.data).items() if grade >= 1]
    burden = [(labels.get(code, code), score) for code, score in last.data.burden.items()]
    return CurrentSymptoms(last.data.submitted_at, sorted(graded, key=lambda g: -g[1]),
                           sorted(burden, key=lambda b: -b[1]), last.data.unwell,
                           [line.text for line in summary.lines if line.kind != "symptom"])


# --- The clinic summary (one or two pages before clinic, and the PDF) ---------------------------

OPEN_REFERRALS = {ReferralStatus.SUGGESTED, ReferralStatus.MADE, ReferralStatus.ACCEPTED}


@dataclass(frozen=True)
class Series:
    """One measured thing over time, for a chart and its table."""

    label: str
    unit: str
    points: list[tuple[date, float]]  # oldest first
    low: float | None = None  # the normal range, where the laboratory gave one
    high: float | None = None

    @property
    def latest(self) -> tuple[date, float]:
        return self.points[-1]


# Each check-in as check_in_summary.py summarises it: its alerts and urgent answers first.
CheckInDigest = CheckInSummary


@dataclass(frozen=True)
class ClinicSummary:
    decision: DecisionSummary
    current_treatments: list[Entry]
    check_ins: list[CheckInDigest]  # newest first
    alerts: list[Any]  # monitoring.Alert, newest first
    markers: list[Series]
    labs: list[Series]
    last_scan: Entry | None
    open_referrals: list[Entry]
    questions: list[Entry]  # not yet answered: hers, in her words
    breaks: list[tuple[str, Entry]] = ()  # (treatment, break), the latest first
    medicines: list[Entry] = ()  # taken now or to start, anticancer first
    allergies: list[Entry] = ()  # still standing, the dangerous first
    diaries: list[Any] = ()  # dose_diary.MedicineAdherence of the medicines she is taking
    open_messages: list[Entry] = ()  # her threads the team has not closed, the oldest first


def clinic_summary(uow, actor: Actor, patient_id: UUID, today: date, check_ins: int = 3, alerts: int = 5,
                   labs: int = 4) -> ClinicSummary:
    """Everything the clinic needs on one or two pages; the same facts as the decision summary plus
    what has happened lately. Read once, audited once."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="clinic-summary")
    decision = _decision_summary(uow, relationship, patient_id, today)
    records = shown_to_reader(uow, relationship, patient_id, uow.records.everything(
        patient_id, ["treatment-courses", "check-ins", "tumour-markers", "lab-results", "scans", "referrals",
                     "questions", "treatment-breaks", "medicines", "allergies"]))
    names = {c.id: c.data.name for c in records["treatment-courses"]}
    recent = sorted(records["check-ins"], key=lambda e: e.data.submitted_at, reverse=True)[:check_ins]
    return ClinicSummary(
        decision=decision,
        current_treatments=[c for c in records["treatment-courses"] if c.data.is_current],
        check_ins=[_digest(uow, e) for e in recent],
        alerts=uow.alerts.for_patient(patient_id, alerts),
        markers=_marker_series(records["tumour-markers"]),
        labs=_lab_series(records["lab-results"])[:labs],
        last_scan=max(records["scans"], key=lambda e: e.data.performed_on, default=None),
        open_referrals=[r for r in records["referrals"] if r.data.status in OPEN_REFERRALS],
        questions=sorted((q for q in records["questions"] if not q.data.answered), key=lambda q: q.created_at),
        breaks=[(names.get(b.data.course_id, ""), b) for b in records["treatment-breaks"][:3]],
        medicines=services.current_medicines(records["medicines"], today),
        allergies=services.standing_allergies(records["allergies"]),
        diaries=[d for d in dose_diary.diaries_of(uow, patient_id, records["medicines"], today) if d.current],
        open_messages=[thread for thread, _ in messages.threads_with_replies(uow, patient_id)
                       if thread.data.state is ThreadState.OPEN],
    )


def _digest(uow, entry: Entry) -> CheckInSummary:
    return summarise_check_in(entry, uow.alerts.for_check_in(entry.id))


def _marker_series(results: list[Entry]) -> list[Series]:
    grouped: dict[Any, list[Entry]] = {}
    for result in results:
        grouped.setdefault((result.data.marker, result.data.unit), []).append(result)
    return [Series(marker.label, unit, sorted((r.data.taken_on, r.data.value) for r in entries))
            for (marker, unit), entries in grouped.items()]


def _lab_series(results: list[Entry]) -> list[Series]:
    """Each test's results, the most recently taken tests first."""
    grouped: dict[tuple[str, str], list[Entry]] = {}
    for result in results:
        grouped.setdefault((result.data.test, result.data.unit), []).append(result)
    series = []
    for (test, unit), entries in grouped.items():
        entries.sort(key=lambda r: r.data.taken_on)
        last = entries[-1].data
        series.append(Series(test, unit, [(r.data.taken_on, r.data.value) for r in entries],
                             last.reference_low, last.reference_high))
    return sorted(series, key=lambda s: (-s.latest[0].toordinal(), s.label))


# --- Preparing for an appointment ---------------------------------------------------------------

@dataclass(frozen=True)
class Preparation:
    """What changed since the last appointment, and what she wants to ask at the next one."""

    patient: Patient
    next_appointment: Entry | None
    since: datetime | None  # the last consultation (clinic, nurse, palliative care), or None
    check_ins: list[CheckInDigest]  # since then, newest first
    unwell_then: int | None  # first and last "how unwell" (0 well - 10 worst) since then, when given
    unwell_now: int | None
    results: list[str]  # new blood tests, markers and scans, in words, newest first
    alerts: list[Any]  # monitoring.Alert raised since then
    questions: list[Entry]  # her own, not yet answered
    topics: list[Entry]  # what she wants to talk about
    prompts: tuple  # content.PromptGroup: the prompt list we wrote


def appointment_preparation(uow, actor: Actor, patient_id: UUID, now: datetime) -> Preparation:
    from .content import prompt_questions

    relationship = authorise(uow, actor, patient_id, Action.READ, what="appointment-preparation")
    records = shown_to_reader(uow, relationship, patient_id, uow.records.everything(
        patient_id, ["appointments", "check-ins", "lab-results", "tumour-markers", "scans", "questions"]))
    upcoming = sorted((a for a in records["appointments"] if a.data.starts_at >= now), key=lambda a: a.data.starts_at)
    past = [a.data.starts_at for a in records["appointments"]
            if a.data.starts_at < now and a.data.kind in CONSULTATIONS]
    since = max(past, default=None)
    after = (lambda moment: moment >= since) if since else (lambda moment: True)
    day_after = (lambda day: day >= since.date()) if since else (lambda day: True)
    recent = sorted((c for c in records["check-ins"] if after(c.data.submitted_at)),
                    key=lambda c: c.data.submitted_at, reverse=True)
    unwell = [c.data.unwell for c in reversed(recent) if c.data.unwell is not None]
    results = [(r.data.taken_on, f"{r.data.test} {r.data.value:g} {r.data.unit} ({long_date(r.data.taken_on)})"
                + (" — outside the normal range" if against_range(r.data) else ""))
               for r in records["lab-results"] if day_after(r.data.taken_on)]
    results += [(m.data.taken_on, f"{m.data.marker.label} {m.data.value:g} {m.data.unit} ({long_date(m.data.taken_on)})")
                for m in records["tumour-markers"] if day_after(m.data.taken_on)]
    results += [(s.data.performed_on, f"{s.data.modality.label} ({long_date(s.data.performed_on)}): "
                 + (s.data.impression.label if s.data.impression else "result not recorded yet"))
                for s in records["scans"] if day_after(s.data.performed_on)]
    # In the order she wrote them (several share a day, so the day alone does not order them).
    open_items = sorted((q for q in records["questions"] if not q.data.answered), key=lambda q: q.created_at)
    return Preparation(
        patient=uow.patients.get(patient_id), next_appointment=upcoming[0] if upcoming else None, since=since,
        check_ins=[_digest(uow, c) for c in recent],
        unwell_then=unwell[0] if len(unwell) > 1 else None,
        unwell_now=unwell[-1] if len(unwell) > 1 else None,
        results=[text for _, text in sorted(results, key=lambda r: r[0], reverse=True)],
        alerts=[a for a in uow.alerts.for_patient(patient_id) if after(a.created_at)],
        questions=[q for q in open_items if q.data.kind is QuestionKind.QUESTION],
        topics=[q for q in open_items if q.data.kind is QuestionKind.TOPIC],
        prompts=prompt_questions(),
    )


def add_question(uow, actor: Actor, patient_id: UUID, data: Any, today: date, entry_id: UUID | None = None) -> Entry:
    """She (or her team) writes down a question or topic for the next appointment."""
    return services.add_entry(uow, actor, patient_id, "questions", {"added_on": today.isoformat(), **data}, entry_id)


def remove_question(uow, actor: Actor, patient_id: UUID, question_id: UUID, version: int) -> None:
    services.delete_entry(uow, actor, patient_id, "questions", question_id, version)


# --- Supportive and palliative care --------------------------------------------------------------

# Services that are the supportive or palliative care a prompt is about; a referral to one that is
# neither declined nor closed means the team has acted, so no prompt is shown.
SUPPORTIVE_SERVICES = {ReferralService.PALLIATIVE_CARE, ReferralService.HOSPICE}
_CLOSED = {ReferralStatus.DECLINED, ReferralStatus.CLOSED}


@dataclass(frozen=True)
class SupportivePromptView:
    prompt: SupportiveCarePrompt
    check_ins: list[datetime]  # when each qualifying check-in was sent, oldest first
    labels: dict[str, str]  # item code to its words


def supportive_care_prompt_for(uow, actor: Actor, patient_id: UUID,
                               thresholds: SupportiveCareThresholds = SupportiveCareThresholds()
                               ) -> SupportivePromptView | None:
    """For the team: should a supportive-care referral be considered now? None when the rule is
    not met, or when an open referral to supportive or palliative care already exists."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="supportive-care-prompt")
    if relationship.value != "care_team":
        return None  # a prompt to the team, never an alarm to the person or her family
    referrals = uow.records.list(patient_id, RECORD_KINDS["referrals"])
    if any(r.data.service in SUPPORTIVE_SERVICES and r.data.status not in _CLOSED for r in referrals):
        return None
    recent = sorted(uow.records.list(patient_id, RECORD_KINDS["check-ins"]), key=lambda e: e.data.submitted_at)
    recent = recent[-max(thresholds.consecutive, 1):]
    prompt = supportive_care_prompt([dict(c.data.burden) for c in recent], thresholds)
    if prompt is None:
        return None
    return SupportivePromptView(prompt, [c.data.submitted_at for c in recent],
                                {b.code: b.label for b in instrument().burden.items})


# --- Access to treatments, and support ----------------------------------------------------------

def support_services(uow, patient: Patient, support) -> list:
    """The national helplines for her country, then the local services of the teams caring for her
    (`support` is content.Support; the caller has authorised the read)."""
    local = [s for team in uow.teams.caring_for(patient.id) for s in support.teams.get(team.name, [])]
    return list(support.national.get(patient.details.country, [])) + local


@dataclass(frozen=True)
class AccessView:
    patient: Patient
    requests: list[Entry]
    country: Any  # content.AccessRoutes for her country, or None where none is written yet
    support: list  # content.SupportService

    @property
    def routes(self) -> list[tuple[str, str]]:
        """Each route's name and its explanation, in the order of the vocabulary."""
        return [(route.label, self.country.routes[route.value]) for route in AccessRoute] if self.country else []


def access_to_treatments(uow, actor: Actor, patient_id: UUID, support) -> AccessView:
    """Her requests for treatments not routinely available, with each route explained in plain
    words for her country."""
    from .content import access_routes

    requests = services.list_entries(uow, actor, patient_id, "access-requests")
    patient = uow.patients.get(patient_id)
    return AccessView(patient, requests, access_routes().get(patient.details.country),
                      support_services(uow, patient, support))
