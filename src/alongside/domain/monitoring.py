"""The monitoring loop: a check-in comes in, rules decide whether the team is alerted, the
person is told whom to call, and the team acknowledges and resolves each alert.

Every rule is in `clinical/`; this module gathers the facts those rules need from the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Mapping
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from ..clinical.alert_rules import (
    AlertThresholds, Finding, Scores, evaluate, for_teams, missed_check_in, next_check_in_due, symptom_level,
)
from ..clinical.contacts import Level, Line, Purpose, Routing, route
from ..clinical.pro_ctcae import SymptomGrade, grade_answers
from ..clinical.red_flags import (
    BY_CODE, FEVER_AT_OR_ABOVE_C, FEVER_RULE_DAYS_AFTER_TREATMENT, TEMPERATURE_FLAGS, RaisedFlag, check_temperature,
    highest_level, questions_for, raised_flags,
)
from .access import Action, authorise, permits
from .content import fever_rule_medicines
from .check_in_items import SymptomsAsked, symptoms_asked
from .entries import Entry
from .errors import AccessDenied, Conflict, InvalidInput, NotFound
from .instrument import instrument
from .people import Actor, Relationship, TeamSettings
from .response_times import quantile
from .records import RECORD_KINDS, CheckIn, IdInUse, SymptomAnswer, validate
from .treatment_plan import last_given, supportive_care_only_since
from .vocab import AlertOutcome, CheckInBy, Modality, Role

# Treatments during which a fever may be neutropenic sepsis (UKONS: systemic anti-cancer
# treatment that lowers white cells). A break from them pauses the rule.
MYELOSUPPRESSIVE = {Modality.CHEMOTHERAPY, Modality.ANTIBODY_DRUG_CONJUGATE}
LEVEL_ORDER = {Level.RED: 0, Level.AMBER: 1, Level.GREEN: 2}


class AlertState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    id: UUID
    version: int
    patient_id: UUID
    check_in_id: UUID | None
    rule: str
    level: Level
    item: str
    detail: dict[str, Any]
    state: AlertState
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    notes: str | None = None
    escalated_at: datetime | None = None
    patient_name: str | None = None
    outcome: AlertOutcome | None = None  # what the team did, chosen when resolving
    claimed_by_id: UUID | None = None  # the clinician working on it (triage.claim_alert)
    claimed_by: str | None = None
    claimed_at: datetime | None = None

    @property
    def state_text(self) -> str:
        """Its state in plain words, with what was done once it is resolved."""
        if self.state is AlertState.RESOLVED:
            return f"resolved: {self.outcome.label.lower()}" if self.outcome else "resolved"
        return "not yet acknowledged" if self.state is AlertState.NEW else "acknowledged"

    @property
    def summary(self) -> str:
        """Which rule fired, with the values, in the team's words."""
        name = _item_label(self.item)
        d = self.detail
        if self.rule == "red_flag":
            answer = "" if d.get("answer") == "yes" else f" ({d.get('answer')})"
            unsent = " (answered in a check-in not yet sent)" if d.get("unsent") and not self.check_in_id else ""
            return f"{d.get('concern', name)}: {name}{answer}{unsent}"
        if self.rule == "severe":
            value = (f"grade {d['grade']}" if "grade" in d else "answered very severe" if "severity" in d
                     else f"{d['score']}/10")
            unanswered = f" ({' and '.join(d['missing'])} not answered)" if d.get("missing") else ""
            return f"Severe: {name.lower()}, {value}{unanswered}"
        if self.rule == "worsening":
            return f"Worse: {name.lower()} {d['previous']} to {d['now']} (baseline {d['baseline']})"
        if self.rule == "missed":
            return f"No check-in for {d['days']} days"
        if self.rule == "message":
            unsent = " (in a message not yet sent)" if d.get("unsent") else ""
            return f"Urgent words in a message: {d.get('concern', name)}, \u201c{d.get('words')}\u201d{unsent}"
        if self.rule == "lab":
            return f"{d['term']}, grade {d['grade']}: {d['value']:g} {d['unit']} (taken {d['taken_on']})"
        return f"{self.rule}: {name}"


def _item_label(item: str) -> str:
    if flag := BY_CODE.get(item):
        return flag.short
    if symptom := instrument().symptom(item):
        return symptom.label
    labels = {b.code: b.label for b in instrument().burden.items}
    return labels.get(item, item.replace("_", " ").capitalize())


@dataclass(frozen=True)
class MonitoringSettings:
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    bank_holidays: frozenset[date] = frozenset()
    time_zone: str = "Europe/London"
    fever_at_or_above: float = FEVER_AT_OR_ABOVE_C
    fever_rule_days_after_treatment: int = FEVER_RULE_DAYS_AFTER_TREATMENT


@dataclass(frozen=True)
class SelfCareAdvice:
    """What she can do about one symptom, at that symptom's own level."""

    code: str
    symptom: str  # its label, as the check-in asked it
    level: Level
    text: str


@dataclass(frozen=True)
class CheckInOutcome:
    check_in: Entry
    grades: dict[str, int]
    flags: list[RaisedFlag]
    alerts: list[Alert]
    routing: Routing
    advice: str
    self_care: list[SelfCareAdvice]  # red first, then amber, then green
    repeated: bool = False  # the same submission was received before
    unanswered: Unanswered | None = None


def submit_check_in(uow, actor: Actor, patient_id: UUID, data: dict[str, Any], entry_id: UUID | None,
                    settings: MonitoringSettings, now: datetime | None = None) -> CheckInOutcome:
    """Store a check-in, raise the alerts its answers call for, and say whom to call.

    Given an id already used, it returns the first submission's outcome and raises nothing new."""
    check_ins = RECORD_KINDS["check-ins"]
    relationship = authorise(uow, actor, patient_id, Action.WRITE, check_ins, entry_id)
    now = now or datetime.now(UTC)
    settings = for_her_teams(settings, uow.teams.caring_for(patient_id))
    if entry_id and (earlier := _earlier_submission(uow, patient_id, entry_id, settings, now)):
        try:
            _same_answers_or_refuse(earlier.check_in.data, data)
        except InvalidInput as refused:  # refused, but not before its urgent answers are acted on
            raise _with_urgent(uow, patient_id, refused, data, settings, now) from None
        return earlier
    data = {"submitted_at": now.isoformat(), **data, "submitted_by": _submitted_by(relationship)}
    model: CheckIn = _validated_or_urgent(uow, patient_id, data, settings, now)
    if not answered_anything(model):
        raise InvalidInput(NOTHING_ANSWERED, field="answers")
    treatment = _TreatmentNow.of(uow, patient_id, model.submitted_at.date(), settings.fever_rule_days_after_treatment)
    graded = symptom_grades(model)
    grades = {code: g.grade for code, g in graded.items()}
    flags = raised_flags(model.red_flags, model.temperature_c, treatment.myelosuppressive, settings.fever_at_or_above)
    previous, baseline = _comparisons(uow, patient_id, model.submitted_at, treatment.started)
    missing = {code: g.missing for code, g in graded.items() if g.missing}
    severity = {code: a.severity for code, a in model.symptoms.items() if a.severity is not None}
    findings = evaluate(Scores(grades, dict(model.burden), missing, severity), previous, baseline, flags, settings.thresholds)
    entry = uow.records.add_if_absent(patient_id, check_ins, model, entry_id or uuid4())
    if entry is None:  # sent twice at once, and the other copy was stored first
        if earlier := _earlier_submission(uow, patient_id, entry_id, settings, now):
            _same_answers_or_refuse(earlier.check_in.data, data)
            return earlier
        raise IdInUse()  # another record's check-in: said in the words any id in use gets
    alerts = _link_unsent(uow, patient_id, entry.id, findings, now)
    alerts += raise_alerts(uow, patient_id, entry.id, [f for f in findings if not _already_raised(f, alerts)], now)
    if uow.check_in_drafts.delete(patient_id):  # the half-finished copy is done with
        uow.audit.record(actor, "delete", patient_id, CHECK_IN_DRAFT)
    return _outcome(uow, patient_id, entry, alerts, settings, now, graded=graded, flags=flags,
                    on_chemo=treatment.myelosuppressive)


NOTHING_ANSWERED = ("Nothing was answered, so nothing has been sent. Answer at least one question, or write "
                    "to your team in the box at the end. If something is worrying you now, call your team.")


def answered_anything(check_in: CheckIn) -> bool:
    return bool(check_in.symptoms or check_in.burden or check_in.red_flags or check_in.temperature_c is not None
                or check_in.free_text)


ANSWER_FIELDS = {"symptoms", "burden", "red_flags", "temperature_c", "free_text"}


def _same_answers_or_refuse(earlier: CheckIn, data: dict[str, Any]) -> None:
    """A retry carries the same answers; the same id with other answers is a client's mistake,
    and answering it with the first outcome would drop the second check-in without a word."""
    try:
        again = validate(CheckIn, {"submitted_at": earlier.submitted_at.isoformat(), **data})
    except InvalidInput:
        again = None
    if again is None or again.model_dump(include=ANSWER_FIELDS) != earlier.model_dump(include=ANSWER_FIELDS):
        raise InvalidInput("This id (or Idempotency-Key) was already used for a check-in with other answers. "
                           "Send a new check-in with a new id", field="id")


def _earlier_submission(uow, patient_id: UUID, entry_id: UUID, settings: MonitoringSettings,
                        now: datetime) -> CheckInOutcome | None:
    existing = uow.records.find(patient_id, RECORD_KINDS["check-ins"], entry_id)
    if existing is None:
        return None
    return _outcome(uow, patient_id, existing, uow.alerts.for_check_in(existing.id), settings, now, repeated=True)


# --- Finishing a check-in later ------------------------------------------------------------------

CHECK_IN_DRAFT = "check-in-draft"  # how drafts are named in the audit log
DRAFT_FIELDS = ANSWER_FIELDS | {"wellbeing"}  # the old wellbeing score, turned round when read


@dataclass(frozen=True)
class CheckInDraft:
    """A check-in begun and saved to finish later. One per patient; never graded, never
    evaluated for alerts, never listed as a check-in; gone once a check-in is submitted."""

    patient_id: UUID
    answers: dict[str, Any]  # as a submission carries them: symptoms, burden, red_flags, ...
    saved_at: datetime
    saved_by: CheckInBy
    saved_by_id: UUID
    saved_by_name: str
    urgent: UrgentNotice | None = None  # its urgent answers, and whom to call about them now


def save_check_in_draft(uow, actor: Actor, patient_id: UUID, data: dict[str, Any],
                        now: datetime | None = None, settings: MonitoringSettings | None = None) -> CheckInDraft:
    """Keep half-finished answers to finish later, in place of any earlier draft.

    Only someone who may submit her check-in may save one. The answers are checked as a
    check-in's are, so a temperature of 98.6 is refused now rather than when she sends it; a
    refused draft saves nothing and leaves the earlier draft as it was. Urgent answers in it are
    acted on at once, saved or refused: the team is alerted and the draft says whom to call."""
    settings = settings or MonitoringSettings()
    relationship = authorise(uow, actor, patient_id, Action.WRITE, RECORD_KINDS["check-ins"], what=CHECK_IN_DRAFT)
    now = now or datetime.now(UTC)
    answers = {name: value for name, value in data.items() if name in DRAFT_FIELDS}
    model: CheckIn = _validated_or_urgent(uow, patient_id, {**answers, "submitted_at": now.isoformat()},
                                          settings, now)
    kept = {name: value for name, value in model.model_dump(mode="json", include=DRAFT_FIELDS, exclude_none=True).items()
            if value != {}}
    draft = CheckInDraft(patient_id, kept, now, _submitted_by(relationship), actor.user_id, actor.display_name)
    uow.check_in_drafts.put(draft)
    # Saving is not sending, but a "yes" to an urgent question cannot wait for her to come back.
    urgent = act_on_urgent_answers(uow, patient_id, _urgent_flags(uow, patient_id, answers, settings, now),
                                   settings, now)
    return replace(draft, urgent=urgent)


def check_in_draft(uow, actor: Actor, patient_id: UUID, settings: MonitoringSettings | None = None,
                   now: datetime | None = None) -> CheckInDraft | None:
    """Her saved, unsent check-in, if there is one.

    It is shown only to those who may finish and send it (her, a carer with check-in rights,
    her team); to a carer who may only read, nothing is there until it is sent. Given the
    settings, it carries whom to call about any urgent answer in it."""
    check_ins = RECORD_KINDS["check-ins"]
    relationship = authorise(uow, actor, patient_id, Action.READ, check_ins, what=CHECK_IN_DRAFT)
    if not permits(relationship, Action.WRITE, check_ins):
        return None
    draft = uow.check_in_drafts.get(patient_id)
    if draft is None or settings is None:
        return draft
    now = now or datetime.now(UTC)
    flags = _urgent_flags(uow, patient_id, draft.answers, settings, now)
    return replace(draft, urgent=_notice(uow, patient_id, flags, [], settings, now) if flags else None)


def discard_check_in_draft(uow, actor: Actor, patient_id: UUID) -> bool:
    """Throw the saved answers away and start again. True if there was a draft."""
    authorise(uow, actor, patient_id, Action.WRITE, RECORD_KINDS["check-ins"], what=CHECK_IN_DRAFT)
    return uow.check_in_drafts.delete(patient_id)


# --- Urgent answers come first -------------------------------------------------------------------
#
# A "yes" to an urgent question is acted on before anything else in the check-in is checked: a
# mistyped temperature must not stand between her and "call now", nor between the answer and her
# team. And saving a check-in to finish later must not sit on a red flag.

UNSENT_WITHIN = timedelta(hours=24)  # an alert from unsent answers stands for the check-in sent after


@dataclass(frozen=True)
class UrgentNotice:
    """Urgent answers acted on before the check-in was sent: the team was alerted, she is told whom to call."""

    flags: list[RaisedFlag]
    alerts: list[Alert]  # raised now; answers already alerted on are not raised twice
    routing: Routing
    advice: str
    answers: list[str]  # the urgent answers in her words ("weak or numb arms or legs")


class UrgentAnswersNotSent(InvalidInput):
    """The check-in needs correcting before it can be sent, but its urgent answers were acted on.

    The alerts are in the unit of work: the handler commits them and shows `notice`."""

    def __init__(self, cause: InvalidInput, notice: UrgentNotice) -> None:
        super().__init__(cause.detail, field=cause.field, errors=cause.errors)
        self.notice = notice


def _validated_or_urgent(uow, patient_id: UUID, data: dict[str, Any], settings: MonitoringSettings,
                         now: datetime) -> CheckIn:
    try:
        return validate(CheckIn, data, now)
    except InvalidInput as refused:
        raise _with_urgent(uow, patient_id, refused, data, settings, now) from None


def _with_urgent(uow, patient_id: UUID, refused: InvalidInput, data: dict[str, Any], settings: MonitoringSettings,
                 now: datetime) -> InvalidInput:
    """The refusal to raise: with the urgent answers acted on and whom to call, where there are any."""
    urgent = act_on_urgent_answers(uow, patient_id, _urgent_flags(uow, patient_id, data, settings, now), settings, now)
    return refused if urgent is None else UrgentAnswersNotSent(refused, urgent)


def _urgent_flags(uow, patient_id: UUID, data: dict[str, Any], settings: MonitoringSettings,
                  now: datetime) -> list[RaisedFlag]:
    """The red flags in answers as given, read leniently: a "yes" counts even when other answers,
    the temperature among them, are not yet valid (an implausible temperature is left out)."""
    answers = {code: value for code, value in (data.get("red_flags") or {}).items() if value is True}
    temperature = data.get("temperature_c")
    try:
        temperature = check_temperature(float(temperature)) if temperature is not None else None
    except (TypeError, ValueError):
        temperature = None
    if not answers and temperature is None:
        return []
    on_chemo = on_myelosuppressive_treatment(uow, patient_id, now.date(), settings.fever_rule_days_after_treatment)
    return raised_flags(answers, temperature, on_chemo, settings.fever_at_or_above)


def act_on_urgent_answers(uow, patient_id: UUID, flags: list[RaisedFlag], settings: MonitoringSettings,
                          now: datetime) -> UrgentNotice | None:
    """Alert the team to urgent answers not yet sent (once per answer a day), and say whom to call."""
    if not flags:
        return None
    pending = {a.item for a in _unsent_alerts(uow, patient_id, now)}
    findings = [Finding("red_flag", f.level, f.code, {"answer": f.value, "concern": f.concern, "unsent": True})
                for f in flags if f.code not in pending]
    return _notice(uow, patient_id, flags, raise_alerts(uow, patient_id, None, findings, now), settings, now)


def _notice(uow, patient_id: UUID, flags: list[RaisedFlag], alerts: list[Alert], settings: MonitoringSettings,
            now: datetime) -> UrgentNotice:
    routing = route(highest_level(flags), now, contact_lines(uow, patient_id), settings.bank_holidays,
                    settings.time_zone)
    return UrgentNotice(flags, alerts, routing, advice_for(routing), [flag_label(f.code).lower() for f in flags])


def _unsent_alerts(uow, patient_id: UUID, now: datetime) -> list[Alert]:
    return [a for a in uow.alerts.for_patient(patient_id, limit=50)
            if a.check_in_id is None and a.rule == "red_flag" and a.detail.get("unsent")
            and a.state is not AlertState.RESOLVED and now - a.created_at <= UNSENT_WITHIN]


def _link_unsent(uow, patient_id: UUID, check_in_id: UUID, findings: list[Finding], now: datetime) -> list[Alert]:
    """Alerts already raised from these answers before they were sent now belong to the check-in."""
    flagged = {f.item for f in findings if f.rule == "red_flag"}
    if not flagged:
        return []
    return [uow.alerts.update(a.id, a.version, check_in_id=check_in_id)
            for a in _unsent_alerts(uow, patient_id, now) if a.item in flagged]


def _already_raised(finding: Finding, alerts: list[Alert]) -> bool:
    return finding.rule == "red_flag" and any(a.item == finding.item for a in alerts)


def advice_for(routing: Routing) -> str:
    """The headline words for a level, following whom she is told to call at this moment: at
    night "call your team today" would contradict the 24-hour number beside it."""
    return instrument().advice[routing.level.value].format(Call=call_phrase(routing))


def call_phrase(routing: Routing) -> str:
    """'Call your team today' while the team's own line is the one to call, else 'Call <line> now'."""
    if routing.call.purpose in (Purpose.ROUTINE, Purpose.BOTH) and routing.now:
        return "Call your team today" if routing.level is not Level.RED else f"Call {routing.call.name} now"
    return f"Call {routing.call.name} now"


def record_earlier_check_in(uow, actor: Actor, patient_id: UUID, data: dict[str, Any], entry_id: UUID) -> Entry:
    """Keep a check-in brought from another copy of the record (a FHIR import) as it was given.

    It raises no alerts: it is history, seen by the team where it was submitted, and alerting on
    it now would page a nurse about last year's fever. The same id twice returns the first."""
    check_ins = RECORD_KINDS["check-ins"]
    authorise(uow, actor, patient_id, Action.WRITE, check_ins, entry_id)
    if existing := uow.records.find(patient_id, check_ins, entry_id):
        return existing
    return uow.records.add(patient_id, check_ins, validate(CheckIn, data), entry_id)


@dataclass(frozen=True)
class _TreatmentNow:
    # Treatment lowering white cells given within the fever window: white cells can stay low for
    # weeks after the last dose, so a break or a stop does not end the risk. It is a course of
    # chemotherapy or an antibody-drug conjugate, a course naming a medicine that lowers white
    # cells, or such a medicine on her medicine list (content/fever_rule_medicines.yaml).
    myelosuppressive: bool
    started: date | None  # when the most recent current course began

    @classmethod
    def of(cls, uow, patient_id: UUID, on: date, window_days: int = FEVER_RULE_DAYS_AFTER_TREATMENT) -> _TreatmentNow:
        courses = uow.records.list(patient_id, RECORD_KINDS["treatment-courses"])
        started = max((c.data.start_date for c in courses if c.data.is_current), default=None)
        return cls(myelosuppressive=_course_within_window(uow, patient_id, courses, on, window_days)
                   or _medicine_within_window(uow, patient_id, on, window_days), started=started)


def _course_within_window(uow, patient_id: UUID, courses: list[Entry], on: date, window_days: int) -> bool:
    lowering = fever_rule_medicines()
    myelosuppressive = [c for c in courses if c.data.start_date <= on and (
        c.data.modality in MYELOSUPPRESSIVE or lowering.named_in(c.data.name))]
    if not myelosuppressive:  # breaks and decisions can only shorten a course; none to shorten
        return False
    breaks = uow.records.list(patient_id, RECORD_KINDS["treatment-breaks"])
    stopped = supportive_care_only_since(uow.records.list(patient_id, RECORD_KINDS["decisions"]), courses, on)
    given = [last_given(c, breaks, stopped, on) for c in myelosuppressive]
    return any(day is not None and (on - day).days <= window_days for day in given)


def _medicine_within_window(uow, patient_id: UUID, on: date, window_days: int) -> bool:
    """A medicine lowering white cells on her list, taken on `on` or within the window before.

    Every day from its start to its stop counts, the days off in a cycle too: white cells are
    lowest at the end of and after the days on. Only its own stop date ends it, not a break or a
    decision elsewhere on the record: the list says what she is taking, and a list not yet
    brought up to date must not silence the fever rule."""
    lowering = fever_rule_medicines()
    for entry in uow.records.list(patient_id, RECORD_KINDS["medicines"]):
        medicine = entry.data
        if not lowering.named_in(medicine.name, medicine.code_display):
            continue
        if medicine.start_date is not None and medicine.start_date > on:
            continue
        last_taken = on if medicine.stop_date is None else min(on, medicine.stop_date)
        if (on - last_taken).days <= window_days:
            return True
    return False


def _submitted_by(relationship: Relationship) -> CheckInBy:
    if relationship is Relationship.SELF:
        return CheckInBy.PATIENT
    if relationship is Relationship.CARER_CHECK_IN:
        return CheckInBy.CARER
    return CheckInBy.CLINICIAN


def symptom_grades(check_in: CheckIn) -> dict[str, SymptomGrade]:
    """Each answered symptom's composite grade, with the parts left blank (clinical/pro_ctcae.py
    `grade_answers`: a skipped part never lowers what the answered parts say)."""
    return graded_symptoms(check_in.symptoms)


def worst_symptom_grade(symptoms: Mapping[str, SymptomAnswer]) -> int:
    """The worst composite grade among a check-in's answered symptoms; 0 when none was answered."""
    return max((graded.grade for graded in graded_symptoms(symptoms).values()), default=0)


def graded_symptoms(symptoms: Mapping[str, SymptomAnswer]) -> dict[str, SymptomGrade]:
    grades = {}
    for code, answer in symptoms.items():
        asked = tuple(instrument().symptom(code).attributes)
        graded = grade_answers(asked, {a: getattr(answer, a) for a in asked})
        if graded is not None:
            grades[code] = graded
    return grades


def grade_symptoms(check_in: CheckIn) -> dict[str, int]:
    """Composite grades for every symptom with any part answered."""
    return {code: graded.grade for code, graded in symptom_grades(check_in).items()}


def on_myelosuppressive_treatment(uow, patient_id: UUID, on: date,
                                  window_days: int = FEVER_RULE_DAYS_AFTER_TREATMENT) -> bool:
    return _TreatmentNow.of(uow, patient_id, on, window_days).myelosuppressive


def _comparisons(uow, patient_id: UUID, at: datetime, started: date | None) -> tuple[Scores | None, Scores | None]:
    """The last check-in before this one, and the baseline: the first since the current
    treatment began (or the first ever, when no treatment is current)."""
    since = datetime.combine(started, datetime.min.time(), UTC) if started else None
    previous, baseline = uow.records.check_ins_around(patient_id, at, since)
    if previous is None:
        return None, None
    return _scores(previous.data), _scores(baseline.data)


def _scores(check_in: CheckIn) -> Scores:
    return Scores(grade_symptoms(check_in), dict(check_in.burden))


def raise_alerts(uow, patient_id: UUID, check_in_id: UUID | None, findings: list[Finding],
                 now: datetime) -> list[Alert]:
    """Store an alert per finding; red and amber ones are also sent to each team caring for her."""
    alerts = [Alert(id=uuid4(), version=1, patient_id=patient_id, check_in_id=check_in_id, rule=f.rule, level=f.level,
                    item=f.item, detail=dict(f.values), state=AlertState.NEW, created_at=now) for f in findings]
    uow.alerts.add(alerts)
    urgent = [a for a in alerts if a.level in (Level.RED, Level.AMBER)]
    teams = uow.teams.caring_for(patient_id) if urgent else []  # read once, not once per alert
    for alert in urgent:
        for team in teams:
            for channel, target in (("email", team.notify_email), ("webhook", team.webhook_url)):
                if target:
                    uow.notifications.enqueue(alert.id, "new", channel, target, now)
    return alerts


def _outcome(uow, patient_id: UUID, entry: Entry, alerts: list[Alert], settings: MonitoringSettings, now: datetime,
             repeated: bool = False, graded: dict[str, SymptomGrade] | None = None,
             flags: list[RaisedFlag] | None = None, on_chemo: bool | None = None) -> CheckInOutcome:
    check_in: CheckIn = entry.data
    if on_chemo is None:
        on_chemo = on_myelosuppressive_treatment(uow, patient_id, check_in.submitted_at.date(),
                                                 settings.fever_rule_days_after_treatment)
    if flags is None:
        flags = raised_flags(check_in.red_flags, check_in.temperature_c, on_chemo, settings.fever_at_or_above)
    graded = symptom_grades(check_in) if graded is None else graded
    grades = {code: g.grade for code, g in graded.items()}
    alerted = {a.item for a in alerts if a.rule == "severe"}
    advice = symptom_advice({code: max(grade, settings.thresholds.severe_grade) if code in alerted else grade
                             for code, grade in grades.items()}, flags, settings.thresholds)
    level = highest_level(flags) or (Level.AMBER if any(a.rule == "severe" for a in alerts) else Level.GREEN)
    # The headline never says less than the advice beside it (a team may make severe symptoms red).
    level = min([level] + [a.level for a in advice], key=LEVEL_ORDER.__getitem__)
    routing = route(level, now, contact_lines(uow, patient_id), settings.bank_holidays, settings.time_zone)
    self_care = [replace(a, text=_worded(a.text, routing)) for a in advice]
    return CheckInOutcome(entry, grades, flags, alerts, routing, advice_for(routing), self_care, repeated,
                          unanswered_in(check_in, graded, on_chemo))


def _worded(text: str, routing: Routing) -> str:
    """Advice text with its call following the routing; a "call now if you also get..." line is
    dropped once she is told to call now anyway, since it may name what she has just reported."""
    if routing.level is Level.RED:
        text = " ".join(sentence for sentence in _sentences(text) if not sentence.startswith("Call now if"))
    return text.format(Call=call_phrase(routing))


def _sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]


@dataclass(frozen=True)
class Unanswered:
    """What a check-in left blank, so the result can say so instead of sounding complete."""

    urgent: list[str]  # urgent questions not answered, as the team reads them
    symptoms: list[str]  # symptoms with nothing answered
    parts: list[tuple[str, list[str]]]  # symptoms answered in part: label, the parts left blank
    right_now: int  # 0-10 items skipped

    @property
    def anything(self) -> bool:
        return bool(self.urgent or self.symptoms or self.parts or self.right_now)


PART_NAMES = {"frequency": "how often", "severity": "how bad", "interference": "how much it got in the way"}


def unanswered_in(check_in: CheckIn, graded: dict[str, SymptomGrade], on_chemo: bool) -> Unanswered:
    questions = instrument()
    return Unanswered(
        urgent=[f.short for f in questions_for(on_chemo) if f.code not in check_in.red_flags],
        symptoms=[s.label for s in questions.symptoms if s.code not in graded],
        parts=[(s.label, [PART_NAMES[p] for p in graded[s.code].missing]) for s in questions.symptoms
               if s.code in graded and graded[s.code].missing],
        right_now=sum(1 for item in questions.burden.items if item.code not in check_in.burden),
    )


def symptom_advice(grades: dict[str, int], flags: list[RaisedFlag],
                   thresholds: AlertThresholds = AlertThresholds()) -> list[SelfCareAdvice]:
    """Self-care advice for each symptom reported or flagged, at the symptom's own level
    (clinical/alert_rules.py `symptom_level`), and for each urgent answer about no symptom asked
    (weak legs are not "numbness in hands or feet"), the most urgent first."""
    questions = instrument()
    raised = {flag.code: flag.level for flag in flags}
    found = []
    for symptom in questions.symptoms:
        advice = questions.self_care[symptom.code]
        level = symptom_level(grades.get(symptom.code), [raised[f] for f in advice.flags if f in raised], thresholds)
        if level is not None:
            found.append(SelfCareAdvice(symptom.code, symptom.label, level, advice.at(level.value)))
    linked = {code for advice in questions.self_care.values() for code in advice.flags}
    found += [SelfCareAdvice(f.code, flag_label(f.code), f.level, questions.flag_advice[f.code])
              for f in flags if f.code not in linked]
    return sorted(found, key=lambda a: LEVEL_ORDER[a.level])


def flag_label(code: str) -> str:
    label = BY_CODE[code].short if code in BY_CODE else TEMPERATURE_FLAGS[code]
    return label[0].upper() + label[1:]


def check_in_outcome(uow, actor: Actor, patient_id: UUID, check_in_id: UUID, settings: MonitoringSettings,
                     now: datetime | None = None) -> CheckInOutcome:
    """What a submitted check-in means now: its alerts, and whom to call at this moment."""
    check_ins = RECORD_KINDS["check-ins"]
    authorise(uow, actor, patient_id, Action.READ, check_ins, check_in_id)
    entry = uow.records.get(patient_id, check_ins, check_in_id)
    return _outcome(uow, patient_id, entry, uow.alerts.for_check_in(check_in_id), settings, now or datetime.now(UTC),
                    repeated=True)


def on_chemotherapy_now(uow, actor: Actor, patient_id: UUID, today: date,
                        window_days: int = FEVER_RULE_DAYS_AFTER_TREATMENT) -> bool:
    """Whether the check-in should ask the chemotherapy-only questions today."""
    authorise(uow, actor, patient_id, Action.READ, what="check-in-form")
    return on_myelosuppressive_treatment(uow, patient_id, today, window_days)


def symptoms_asked_now(uow, actor: Actor, patient_id: UUID, today: date) -> SymptomsAsked:
    """The symptoms her check-in asks today: core, and those the treatment in force and her
    medicine list bring in, as her team chose (domain/check_in_items.py); every symptom while the
    treatment is not known.
    The urgent questions and the temperature are never chosen this way."""
    authorise(uow, actor, patient_id, Action.READ, what="check-in-form")
    courses = uow.records.list(patient_id, RECORD_KINDS["treatment-courses"])
    medicines = uow.records.list(patient_id, RECORD_KINDS["medicines"])
    return symptoms_asked([c.data for c in courses], today, [m.data for m in medicines], [c.id for c in courses])


def alert_view(uow, actor: Actor, alert_id: UUID) -> tuple[Alert, Entry | None]:
    """An alert with the check-in that raised it, for the team."""
    alert = _alert_for_team(uow, actor, alert_id)
    check_in = (uow.records.find(alert.patient_id, RECORD_KINDS["check-ins"], alert.check_in_id)
                if alert.check_in_id else None)
    return alert, check_in


def contact_lines(uow, patient_id: UUID) -> list[Line]:
    points = uow.records.list(patient_id, RECORD_KINDS["contact-points"])
    return [Line(p.data.name, p.data.phone, Purpose(p.data.purpose.value), p.data.opening_hours) for p in points]


def whom_to_call(uow, actor: Actor, patient_id: UUID, level: Level, settings: MonitoringSettings,
                 now: datetime | None = None) -> Routing:
    authorise(uow, actor, patient_id, Action.READ, what="whom-to-call")
    return route(level, now or datetime.now(UTC), contact_lines(uow, patient_id), settings.bank_holidays,
                 settings.time_zone)


# --- The team's side ----------------------------------------------------------------------------

def triage_inbox(uow, actor: Actor, include_resolved: bool = False) -> list[Alert]:
    """Open alerts on the clinician's caseloads: red first, then amber, then green; oldest first."""
    if actor.role is not Role.CLINICIAN:
        raise AccessDenied("The triage inbox is for clinicians")
    states = [AlertState.NEW, AlertState.ACKNOWLEDGED] + ([AlertState.RESOLVED] if include_resolved else [])
    alerts = uow.alerts.for_teams(uow.teams.ids_of(actor.user_id), states)
    uow.audit.record(actor, "read:granted", None, "triage-inbox", None)
    return sorted(alerts, key=lambda a: (LEVEL_ORDER[a.level], a.state is not AlertState.NEW, a.created_at))


def patient_alerts(uow, actor: Actor, patient_id: UUID) -> list[Alert]:
    authorise(uow, actor, patient_id, Action.READ, what="alerts")
    return uow.alerts.for_patient(patient_id)


def acknowledge_alert(uow, actor: Actor, alert_id: UUID, version: int, now: datetime | None = None) -> Alert:
    alert = _alert_for_team(uow, actor, alert_id)
    if alert.state is not AlertState.NEW:
        by = alert.resolved_by if alert.state is AlertState.RESOLVED else alert.acknowledged_by
        raise Conflict(f"This alert was already {alert.state.value} by {by}", field="state")
    return uow.alerts.update(alert_id, version, state=AlertState.ACKNOWLEDGED, acknowledged_at=now or datetime.now(UTC),
                             acknowledged_by=actor.display_name)


# Red and amber alerts cannot be closed with nothing said: what was done is part of the record
# the next clinician reads. Notes are kept to what a person reads at a glance.
OUTCOME_REQUIRED = {Level.RED, Level.AMBER}
NOTES_MAX_CHARS = 2000


def resolve_alert(uow, actor: Actor, alert_id: UUID, version: int, notes: str | None,
                  now: datetime | None = None, outcome: AlertOutcome | str | None = None) -> Alert:
    """Close an alert with what was done: a coded outcome (required for red and amber alerts,
    optional for green) and notes of at most NOTES_MAX_CHARS characters."""
    alert = _alert_for_team(uow, actor, alert_id)
    if alert.state is AlertState.RESOLVED:
        raise Conflict(f"This alert was already resolved by {alert.resolved_by}", field="state")
    outcome = _alert_outcome(outcome, alert.level)
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX_CHARS:
        raise InvalidInput(f"Notes can be at most {NOTES_MAX_CHARS} characters (these are {len(notes)})",
                           field="notes")
    now = now or datetime.now(UTC)
    changes: dict[str, Any] = {"state": AlertState.RESOLVED, "resolved_at": now, "resolved_by": actor.display_name,
                               "notes": notes or None, "outcome": outcome}
    if alert.state is AlertState.NEW:  # resolving also acknowledges
        changes |= {"acknowledged_at": now, "acknowledged_by": actor.display_name}
    return uow.alerts.update(alert_id, version, **changes)


def _alert_outcome(outcome: AlertOutcome | str | None, level: Level) -> AlertOutcome | None:
    if outcome in (None, ""):
        if level in OUTCOME_REQUIRED:
            raise InvalidInput(f"Choose what was done: a {level.value} alert needs an outcome", field="outcome")
        return None
    try:
        return AlertOutcome(outcome)
    except ValueError:
        raise InvalidInput("Choose one of: " + ", ".join(o.value for o in AlertOutcome), field="outcome") from None


def refuse_alert_strangers(uow, actor: Actor, alert_id: UUID) -> None:
    """`services.refuse_strangers` for an alert: an unknown alert and one of a record she has no
    part in are refused alike, the second audited, before anything she sent is read."""
    alert = uow.alerts.get(alert_id)
    if alert is None or uow.access.relationship(actor, alert.patient_id) is Relationship.NONE:
        _alert_for_team(uow, actor, alert_id)


def _alert_for_team(uow, actor: Actor, alert_id: UUID) -> Alert:
    alert = uow.alerts.get(alert_id)
    if alert is None:
        raise NotFound("No such alert")
    try:
        relationship = authorise(uow, actor, alert.patient_id, Action.READ, what="alert", record_id=alert_id)
    except NotFound:  # "No such patient" would tell an id that is someone's from one that is no one's
        raise NotFound("No such alert") from None
    if relationship is not Relationship.CARE_TEAM:
        raise AccessDenied("Only the patient's team can act on an alert")
    return alert


def escalate_overdue(uow, now: datetime | None = None) -> list[Alert]:
    """Red alerts nobody has acknowledged within the team's time are escalated, once."""
    now = now or datetime.now(UTC)
    escalated = []
    for team in uow.teams.all_settings():
        cutoff = now - timedelta(minutes=team.escalate_red_after_minutes)
        for alert in uow.alerts.unacknowledged_red(team.id, cutoff):
            uow.alerts.mark_escalated(alert.id, now)
            for channel, target in (("email", team.escalation_email or team.notify_email), ("webhook", team.webhook_url)):
                if target:
                    uow.notifications.enqueue(alert.id, "escalation", channel, target, now)
            escalated.append(alert)
    return escalated


def for_her_teams(settings: MonitoringSettings, teams: list[TeamSettings]) -> MonitoringSettings:
    """The service's settings with the alert thresholds her teams changed (the most sensitive of
    their choices, never less than the service's: clinical/alert_rules.py for_teams)."""
    thresholds = for_teams(settings.thresholds, [team.thresholds for team in teams])
    return settings if thresholds is settings.thresholds else replace(settings, thresholds=thresholds)


@dataclass(frozen=True)
class CheckInRhythm:
    """When her check-in is due and whether she is reminded, from the teams caring for her."""

    weekday: int | None  # the check-in day of the first of her teams (by name) that set one
    reminders: bool  # unless every one of her teams turned reminders off
    reminder_hour: int | None  # the earliest hour any of her teams chose

    @classmethod
    def of(cls, teams: list[TeamSettings]) -> CheckInRhythm:
        day = next((team.check_in_day for team in teams if team.check_in_day), None)
        reminding = [team for team in teams if team.check_in_reminders]
        hours = [team.reminder_hour for team in reminding if team.reminder_hour is not None]
        return cls(day.weekday if day else None, bool(reminding) or not teams, min(hours, default=None))


def raise_missed_check_ins(uow, thresholds: AlertThresholds, now: datetime | None = None,
                           time_zone: str = "Europe/London") -> list[Alert]:
    """One 'missed' alert per patient whose check-ins have stopped, until it is resolved; counted
    from her team's check-in day when it has one, with her teams' grace."""
    now = now or datetime.now(UTC)
    teams = uow.teams.by_patient()
    raised = []
    for patient_id, last, since in uow.alerts.monitored_patients_without_open_missed():
        hers = teams.get(patient_id, [])
        finding = missed_check_in(last, since, now, for_teams(thresholds, [t.thresholds for t in hers]),
                                  CheckInRhythm.of(hers).weekday, ZoneInfo(time_zone))
        if finding:
            raised += raise_alerts(uow, patient_id, None, [finding], now)
    return raised


def check_in_reminders_due(uow, now: datetime, every: timedelta, time_zone: str) -> list[tuple[UUID, str, date]]:
    """(patient, email, the day the reminder is for) for each patient with an active sign-in whose
    check-in is due and who has not been reminded for it: once a week (the week's Monday), or once
    for each of her team's check-in days; none if her teams turned reminders off, and not before
    their reminder hour."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    teams = uow.teams.by_patient()
    due = []
    for patient_id, email, last, reminded in uow.alerts.reminder_candidates():
        rhythm = CheckInRhythm.of(teams.get(patient_id, []))
        if not rhythm.reminders or (rhythm.reminder_hour is not None and local.time() < time(rhythm.reminder_hour)):
            continue
        if now < next_check_in_due(last, every, rhythm.weekday, zone):
            continue
        if rhythm.weekday is None:
            for_day = (now - timedelta(days=now.weekday())).date()
        else:
            for_day = local.date() - timedelta(days=(local.weekday() - rhythm.weekday) % 7)
        if reminded is None or reminded < for_day:
            due.append((patient_id, email, for_day))
    return due


@dataclass(frozen=True)
class AcknowledgementTimes:
    team_id: UUID
    team: str
    alerts: int
    acknowledged: int
    median_minutes: float | None
    p90_minutes: float | None


def acknowledgement_times(uow, actor: Actor, days: int = 30, now: datetime | None = None) -> list[AcknowledgementTimes]:
    """How quickly each of the clinician's teams acknowledged alerts over the last `days`."""
    if actor.role is not Role.CLINICIAN:
        raise AccessDenied("This report is for clinicians")
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    report = []
    for team_id, name in uow.teams.named(uow.teams.ids_of(actor.user_id)):
        pairs = uow.alerts.acknowledgement_pairs(team_id, since)
        minutes = sorted((ack - created).total_seconds() / 60 for created, ack in pairs if ack is not None)
        report.append(AcknowledgementTimes(team_id, name, len(pairs), len(minutes), quantile(minutes, 0.5),
                                           quantile(minutes, 0.9)))
    return report


@dataclass(frozen=True)
class SymptomSeries:
    code: str
    label: str
    scale_max: int  # 3 for composite grades, 10 for 0-10 items
    points: list[tuple[datetime, int]]


@dataclass(frozen=True)
class TreatmentBand:
    label: str
    start: date
    end: date | None


@dataclass(frozen=True)
class SymptomHistory:
    grades: list[SymptomSeries]
    burden: list[SymptomSeries]
    treatments: list[TreatmentBand]


def symptom_history(uow, actor: Actor, patient_id: UUID) -> SymptomHistory:
    """Each symptom's grade and each 0-10 item over time, with the treatments given meanwhile."""
    authorise(uow, actor, patient_id, Action.READ, what="symptom-history")
    check_ins = sorted(uow.records.list(patient_id, RECORD_KINDS["check-ins"]), key=lambda e: e.data.submitted_at)
    questions = instrument()
    grades: dict[str, list[tuple[datetime, int]]] = {}
    burden: dict[str, list[tuple[datetime, int]]] = {}
    for entry in check_ins:
        for code, grade in grade_symptoms(entry.data).items():
            grades.setdefault(code, []).append((entry.data.submitted_at, grade))
        for code, score in entry.data.burden.items():
            burden.setdefault(code, []).append((entry.data.submitted_at, score))
    burden_labels = {b.code: b.label for b in questions.burden.items}
    courses = uow.records.list(patient_id, RECORD_KINDS["treatment-courses"])
    return SymptomHistory(
        grades=[SymptomSeries(s.code, s.label, 3, grades[s.code]) for s in questions.symptoms if s.code in grades],
        burden=[SymptomSeries(code, burden_labels[code], 10, burden[code]) for code in burden_labels if code in burden],
        # Lines of treatment for the secondary cancer; supportive drugs would cover the whole chart.
        treatments=[TreatmentBand(f"Line {c.data.line_of_treatment}: {c.data.name}", c.data.start_date, c.data.end_date)
                    for c in sorted(courses, key=lambda c: c.data.start_date) if c.data.line_of_treatment],
    )
