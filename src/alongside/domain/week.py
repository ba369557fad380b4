"""Her week on one page: the check-in done or due, a saved draft, which of her lines is open now
and when the next one opens, her next appointment, and the results new since her last visit
(only those she has chosen to see). Read for the home page of the patient and of her carers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from ..clinical.alert_rules import next_check_in_due
from ..clinical.opening_hours import is_open, next_opening
from . import monitoring
from .access import Action, authorise, permits
from .entries import Entry
from .monitoring import CheckInDraft, MonitoringSettings
from .people import Actor
from .records import RECORD_KINDS
from .result_sharing import HELD_KINDS, shown_from, shown_to_reader

NEW_RESULTS_SHOWN = 10  # the newest on the home page; the lists hold the rest


@dataclass(frozen=True)
class CheckInWeek:
    """The weekly check-in: when the last one was sent and when the next is due."""

    last_sent: datetime | None
    next_due: datetime | None  # None: never sent, so due now
    due_now: bool


@dataclass(frozen=True)
class LineNow:
    name: str
    phone: str
    open_now: bool
    opens_at: datetime | None  # local time of its next opening, when closed now


@dataclass(frozen=True)
class NewResult:
    entry: Entry
    title: str  # the kind's name of one entry: "Scan", "Blood test result"...
    summary: str
    shown_at: datetime  # when it came into her view


@dataclass(frozen=True)
class Week:
    check_in: CheckInWeek
    may_check_in: bool
    draft: CheckInDraft | None
    lines: list[LineNow]
    next_appointment: Entry | None
    last_visit: datetime | None
    new_results: list[NewResult]


def her_week(uow, actor: Actor, patient_id: UUID, settings: MonitoringSettings, visit_started: datetime,
             now: datetime | None = None) -> Week:
    """`visit_started`: when this sign-in began; her last visit is her last look before it."""
    now = now or datetime.now(UTC)
    relationship = authorise(uow, actor, patient_id, Action.READ, what="home-week")
    check_ins = RECORD_KINDS["check-ins"]
    last = max((e.data.submitted_at for e in uow.records.list(patient_id, check_ins)), default=None)
    rhythm = monitoring.CheckInRhythm.of(uow.teams.caring_for(patient_id))
    next_due = next_check_in_due(last, settings.thresholds.check_in_every, rhythm.weekday,
                                 ZoneInfo(settings.time_zone)) if last else None
    week = CheckInWeek(last, next_due, next_due is None or now >= next_due)
    may_check_in = permits(relationship, Action.WRITE, check_ins)
    draft = monitoring.check_in_draft(uow, actor, patient_id) if may_check_in else None
    upcoming = sorted((a for a in uow.records.list(patient_id, RECORD_KINDS["appointments"]) if a.data.starts_at >= now),
                      key=lambda a: a.data.starts_at)
    last_visit = uow.audit.last_look(actor.user_id, patient_id, before=visit_started)
    return Week(week, may_check_in, draft, _lines(uow, patient_id, settings, now), next(iter(upcoming), None),
                last_visit, _new_results(uow, relationship, patient_id, last_visit))


def _lines(uow, patient_id: UUID, settings: MonitoringSettings, now: datetime) -> list[LineNow]:
    local = now.astimezone(ZoneInfo(settings.time_zone))
    found = []
    for line in monitoring.contact_lines(uow, patient_id):
        answering = is_open(line.hours, local, settings.bank_holidays)
        found.append(LineNow(line.name, line.phone, answering,
                             None if answering else next_opening(line.hours, local, settings.bank_holidays)))
    return sorted(found, key=lambda line: not line.open_now)


def _new_results(uow, relationship, patient_id: UUID, since: datetime | None) -> list[NewResult]:
    """Results that came into her view since her last visit (all of them at a first visit would be
    her whole history: then none is called new)."""
    if since is None:
        return []
    entries = shown_to_reader(uow, relationship, patient_id, uow.records.everything(patient_id, list(HELD_KINDS)))
    moments = shown_from(uow, patient_id, entries)
    new = []
    for slug, items in entries.items():
        record_kind = RECORD_KINDS[slug]
        new += [NewResult(e, record_kind.title, record_kind.summary(e.data), moments[e.id])
                for e in items if moments.get(e.id) and moments[e.id] > since]
    return sorted(new, key=lambda r: r.shown_at, reverse=True)[:NEW_RESULTS_SHOWN]
