"""The team's triage inbox as a nurse works it: the alerts of one check-in together under it,
filters, claiming ("claimed by Nurse X"), green and amber alerts acknowledged together, and what
an alert's page shows (the whole check-in, her phone number, her treatment now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from ..clinical.contacts import Level
from ..clinical.red_flags import BY_CODE
from .entries import Entry, Patient
from .errors import Conflict, InvalidInput
from .instrument import instrument
from .monitoring import LEVEL_ORDER, Alert, AlertState, _alert_for_team, acknowledge_alert, flag_label, triage_inbox
from .people import Actor
from .records import RECORD_KINDS
from .services import local_day
from .treatment_plan import dose_in_force

# How long an alert has waited, as the inbox's "waiting longer than" filter offers it.
AGES = {"1h": ("an hour", timedelta(hours=1)), "4h": ("4 hours", timedelta(hours=4)),
        "24h": ("a day", timedelta(days=1)), "7d": ("a week", timedelta(days=7))}
OPEN = (AlertState.NEW, AlertState.ACKNOWLEDGED)


class ClaimFilter(StrEnum):
    MINE = "mine"
    UNCLAIMED = "unclaimed"


@dataclass(frozen=True)
class TriageFilters:
    """What the inbox shows; every field empty shows every open alert."""

    level: Level | None = None
    waiting_longer_than: str | None = None  # a key of AGES
    rule: str | None = None
    claimed: ClaimFilter | None = None
    escalated_only: bool = False

    @classmethod
    def from_query(cls, query: dict[str, str]) -> TriageFilters:
        """From the inbox's GET form (or the API's query), naming the field of a wrong value."""
        def choice(name: str, allowed, convert=lambda v: v):
            value = (query.get(name) or "").strip()
            if not value:
                return None
            if value not in allowed:
                raise InvalidInput(f"Choose one of: {', '.join(allowed)}", field=name)
            return convert(value)
        return cls(level=choice("level", [lv.value for lv in Level], Level),
                   waiting_longer_than=choice("waiting", list(AGES)),
                   rule=choice("rule", RULES),
                   claimed=choice("claimed", [c.value for c in ClaimFilter], ClaimFilter),
                   escalated_only=(query.get("escalated") or "") in ("1", "true", "on", "yes"))


# The kinds of alert the engine raises (clinical.alert_rules and domain.results), as offered to filter by.
RULES = {"red_flag": "Urgent answer", "severe": "Severe symptom", "worsening": "Getting worse",
         "missed": "Missed check-in", "lab": "Blood result", "message": "Message with urgent words"}


@dataclass(frozen=True)
class TriageGroup:
    """One row of the inbox: a check-in and the open alerts it raised (or one alert with no
    check-in, such as a missed check-in), worst first."""

    patient_id: UUID
    patient_name: str | None
    check_in_id: UUID | None
    alerts: tuple[Alert, ...]

    @property
    def key(self) -> UUID:
        return self.check_in_id or self.alerts[0].id

    @property
    def worst(self) -> Level:
        return self.alerts[0].level

    @property
    def escalated(self) -> bool:
        return any(a.escalated_at for a in self.alerts)

    @property
    def raised_at(self) -> datetime:
        return min(a.created_at for a in self.alerts)

    @property
    def waiting(self) -> bool:
        """Not yet acknowledged, in part at least."""
        return any(a.state is AlertState.NEW for a in self.alerts)

    @property
    def claimed_by(self) -> str | None:
        return next((a.claimed_by for a in self.alerts if a.claimed_by), None)

    @property
    def claimed_by_id(self) -> UUID | None:
        return next((a.claimed_by_id for a in self.alerts if a.claimed_by_id), None)

    @property
    def may_acknowledge_together(self) -> bool:
        """Green and amber alerts may be acknowledged from the list; a red one is opened and read."""
        return self.worst is not Level.RED and self.waiting

    def matches(self, filters: TriageFilters, actor: Actor, now: datetime) -> bool:
        if filters.level and self.worst is not filters.level:
            return False
        if filters.rule and not any(a.rule == filters.rule for a in self.alerts):
            return False
        if filters.waiting_longer_than and self.raised_at > now - AGES[filters.waiting_longer_than][1]:
            return False
        if filters.claimed is ClaimFilter.MINE and self.claimed_by_id != actor.user_id:
            return False
        if filters.claimed is ClaimFilter.UNCLAIMED and self.claimed_by_id is not None:
            return False
        return self.escalated or not filters.escalated_only


def grouped_by_check_in(alerts: list[Alert]) -> list[TriageGroup]:
    """Escalated first, then by worst level, those still waiting before those acknowledged, oldest first."""
    by_key: dict[UUID, list[Alert]] = {}
    for alert in alerts:
        by_key.setdefault(alert.check_in_id or alert.id, []).append(alert)
    groups = [TriageGroup(members[0].patient_id, members[0].patient_name, members[0].check_in_id,
                          tuple(sorted(members, key=lambda a: (LEVEL_ORDER[a.level], a.created_at))))
              for members in by_key.values()]
    return sorted(groups, key=lambda g: (not g.escalated, LEVEL_ORDER[g.worst], not g.waiting, g.raised_at))


def triage_groups(uow, actor: Actor, filters: TriageFilters, now: datetime | None = None) -> list[TriageGroup]:
    """The clinician's inbox, one row per check-in, filtered (authorised and audited by triage_inbox)."""
    now = now or datetime.now(UTC)
    return [g for g in grouped_by_check_in(triage_inbox(uow, actor)) if g.matches(filters, actor, now)]


# --- Claiming -------------------------------------------------------------------------------------

def claim_alert(uow, actor: Actor, alert_id: UUID, now: datetime | None = None) -> list[Alert]:
    """She takes the alert, and the other open alerts of its check-in: one call covers them all.
    Refused if a colleague holds it (two nurses ringing her about one check-in)."""
    alert = _alert_for_team(uow, actor, alert_id)
    now = now or datetime.now(UTC)
    claimed = []
    for member in _open_siblings(uow, alert):
        if member.claimed_by_id and member.claimed_by_id != actor.user_id:
            raise Conflict(f"{member.claimed_by} is already working on this", field="claimed_by")
        claimed.append(uow.alerts.update(member.id, member.version, claimed_by_id=actor.user_id,
                                         claimed_by=actor.display_name, claimed_at=now))
    uow.audit.record(actor, "claim", alert.patient_id, "alert", alert.id)
    return claimed


def release_alert(uow, actor: Actor, alert_id: UUID) -> list[Alert]:
    """Give the alert (and its check-in's others) back to the team. Anyone on the team may, so a
    claim left by a colleague gone home does not hold it; who released it is audited."""
    alert = _alert_for_team(uow, actor, alert_id)
    released = [uow.alerts.update(member.id, member.version, claimed_by_id=None, claimed_by=None, claimed_at=None)
                for member in _open_siblings(uow, alert) if member.claimed_by_id]
    uow.audit.record(actor, "release", alert.patient_id, "alert", alert.id)
    return released


def _open_siblings(uow, alert: Alert) -> list[Alert]:
    members = uow.alerts.for_check_in(alert.check_in_id) if alert.check_in_id else [alert]
    return [m for m in members if m.state in OPEN]


def acknowledge_together(uow, actor: Actor, versions: dict[UUID, int], now: datetime | None = None) -> list[Alert]:
    """Acknowledge several green and amber alerts at once, all or none. A red alert is refused:
    it is opened, read and acknowledged on its own."""
    if not versions:
        raise InvalidInput("Choose the alerts to acknowledge", field="alerts")
    done = []
    for alert_id, version in versions.items():
        alert = _alert_for_team(uow, actor, alert_id)
        if alert.level is Level.RED:
            raise InvalidInput("A red alert is acknowledged on its own page, once it has been read", field="alerts")
        done.append(acknowledge_alert(uow, actor, alert_id, version, now))
    return done


# --- The alert's page -------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    urgent: bool = False  # an urgent question answered yes


@dataclass(frozen=True)
class AlertDetails:
    alert: Alert
    others: list[Alert]  # the other alerts of the same check-in
    check_in: Entry | None
    answers: list[Answer]
    patient: Patient
    phones: list[tuple[str, str]]  # (whose, number)
    treatments: list[tuple[Entry, Any]]  # current courses, each with the dose in force


def alert_details(uow, actor: Actor, alert_id: UUID, now: datetime | None = None) -> AlertDetails:
    """Everything the nurse needs to ring her back: read for the team, audited as one read."""
    alert = _alert_for_team(uow, actor, alert_id)
    patient = uow.patients.get(alert.patient_id)
    records = uow.records.everything(alert.patient_id, ["treatment-courses", "dose-changes"])
    check_in = (uow.records.find(alert.patient_id, RECORD_KINDS["check-ins"], alert.check_in_id)
                if alert.check_in_id else None)
    others = [a for a in (uow.alerts.for_check_in(alert.check_in_id) if alert.check_in_id else []) if a.id != alert.id]
    today = local_day(patient, now or datetime.now(UTC))
    current = [c for c in records["treatment-courses"] if c.data.is_current]
    uow.audit.record(actor, "read:granted", alert.patient_id, "alert-details", alert.id)
    return AlertDetails(alert, others, check_in, answers_of(check_in.data) if check_in else [], patient,
                        _phones(patient), [(c, dose_in_force(c, records["dose-changes"], today)) for c in current])


def _phones(patient: Patient) -> list[tuple[str, str]]:
    return [("Phone", patient.details.phone)] if patient.details.phone else []


def answers_of(check_in) -> list[Answer]:
    """The check-in as she gave it, in the instrument's words: urgent answers first (yes before
    no), then each symptom's answers, the 0-10 items, temperature and what she wrote."""
    book = instrument()
    urgent = [Answer(flag_label(code), "Yes" if yes else "No", urgent=yes)
              for code, yes in sorted(check_in.red_flags.items(), key=lambda item: not item[1])
              if code in BY_CODE]
    symptoms = []
    for code, given in check_in.symptoms.items():
        symptom = book.symptom(code)
        parts = [f"{attribute}: {book.scales[attribute][value]}" for attribute, value in given.model_dump().items()
                 if value is not None and attribute in book.scales]
        symptoms.append(Answer(symptom.label if symptom else code, "; ".join(parts) or "not answered"))
    labels = {item.code: item.label for item in book.burden.items}
    burden = [Answer(labels.get(code, code), f"{score} out of 10") for code, score in check_in.burden.items()]
    rest = ([Answer("Temperature", f"{check_in.temperature_c} °C")] if check_in.temperature_c is not None else [])
    rest += [Answer("Anything else", check_in.free_text)] if check_in.free_text else []
    return urgent + symptoms + burden + rest
