"""Appointments, upcoming and past, each with the results that came from it.

A result belongs to an appointment when it was taken on the appointment's day (in the service's
time zone) and the appointment is of a kind that produces that result: bloods at a blood test or
a treatment visit, a scan at a scan appointment. Results carry a date, not the visit they came
from, so the day is the link; two blood tests on one day would both show the day's results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from .access import Action, authorise
from .result_sharing import shown_to_reader
from .entries import Entry
from .people import Actor
from .records import RECORD_KINDS, RecordKind
from .vocab import AppointmentKind

APPOINTMENTS = RECORD_KINDS["appointments"]

# Which kinds of result each kind of appointment produces.
RESULTS_FROM: dict[AppointmentKind, tuple[str, ...]] = {
    AppointmentKind.BLOOD_TEST: ("lab-results", "tumour-markers"),
    AppointmentKind.TREATMENT: ("lab-results", "tumour-markers"),
    AppointmentKind.SCAN: ("scans",),
}
# Appointments where she talks with her team: "what changed since the last appointment" counts
# from the last of these, not from a blood test or a scan.
CONSULTATIONS = frozenset({AppointmentKind.ONCOLOGY_CLINIC, AppointmentKind.NURSE_CLINIC, AppointmentKind.PALLIATIVE})
RESULT_KINDS = tuple(dict.fromkeys(slug for slugs in RESULTS_FROM.values() for slug in slugs))


@dataclass(frozen=True)
class AttachedResult:
    kind: RecordKind
    entry: Entry

    @property
    def against_range(self) -> str | None:
        return against_range(self.entry.data)


def against_range(result) -> str | None:
    """'below' or 'above' a result's own normal range, when it has one and lies outside it."""
    low, high = getattr(result, "reference_low", None), getattr(result, "reference_high", None)
    if low is not None and result.value < low:
        return "below"
    if high is not None and result.value > high:
        return "above"
    return None


@dataclass(frozen=True)
class AppointmentWithResults:
    appointment: Entry
    results: list[AttachedResult]


@dataclass(frozen=True)
class Appointments:
    upcoming: list[AppointmentWithResults]  # soonest first
    past: list[AppointmentWithResults]  # latest first


def appointments(uow, actor: Actor, patient_id: UUID, now: datetime, time_zone: str) -> Appointments:
    """A patient's appointments split at `now`, each with the results taken on its day."""
    # Reading follows one rule for every kind of entry, so one check (and audit entry) covers the
    # results shown with the appointments.
    relationship = authorise(uow, actor, patient_id, Action.READ, APPOINTMENTS)
    records = shown_to_reader(uow, relationship, patient_id,
                              uow.records.everything(patient_id, ["appointments", *RESULT_KINDS]))
    by_day = _results_by_day(records)
    zone = ZoneInfo(time_zone)

    def attach(entry: Entry) -> AppointmentWithResults:
        day = entry.data.starts_at.astimezone(zone).date()
        wanted = RESULTS_FROM.get(entry.data.kind, ())
        return AppointmentWithResults(entry, [r for r in by_day.get(day, []) if r.kind.slug in wanted])

    ordered = sorted(records["appointments"], key=lambda e: e.data.starts_at)
    return Appointments(upcoming=[attach(e) for e in ordered if e.data.starts_at >= now],
                        past=[attach(e) for e in reversed(ordered) if e.data.starts_at < now])


def _results_by_day(records: dict[str, list[Entry]]) -> dict[date, list[AttachedResult]]:
    by_day: dict[date, list[AttachedResult]] = {}
    for slug in RESULT_KINDS:
        record_kind = RECORD_KINDS[slug]
        for entry in records[slug]:
            by_day.setdefault(getattr(entry.data, record_kind.order_by), []).append(AttachedResult(record_kind, entry))
    return by_day
