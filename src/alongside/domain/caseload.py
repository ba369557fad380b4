"""The clinician's caseload: everyone on her teams' lists with what needs her attention (the worst
open alert, how long since the last check-in, the line of treatment in force, the next
appointment), sorted and filtered over the whole caseload, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from ..clinical.alert_rules import AlertThresholds
from ..clinical.contacts import Level
from .entries import Page
from .errors import AccessDenied, InvalidInput
from .people import Actor
from .vocab import Role

PAGE_SIZE = 50
MOST_WEEKS = 520  # ten years: beyond any gap worth asking about, and a bound on the date arithmetic


class SortBy(StrEnum):
    NAME = "name"
    ALERTS = "alerts"
    LAST_CHECK_IN = "last_check_in"
    LINE = "line"
    NEXT_APPOINTMENT = "next_appointment"


class AlertFilter(StrEnum):
    """Which people by their worst open (not yet resolved) alert."""

    ANY = "any"  # at least one open alert
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    NONE = "none"


ALERT_FILTER_WORDS = {AlertFilter.ANY: "Any open alert", AlertFilter.RED: "Worst is red",
                      AlertFilter.AMBER: "Worst is amber", AlertFilter.GREEN: "Worst is green",
                      AlertFilter.NONE: "No open alerts"}
LINE_CHOICES = {"1": "First line", "2": "Second line", "3": "Third line", "4+": "Fourth line or later",
                "none": "No line in force"}
SORT_WORDS = {SortBy.NAME: "Name", SortBy.ALERTS: "Open alerts", SortBy.LAST_CHECK_IN: "Last check-in",
              SortBy.LINE: "Line of treatment", SortBy.NEXT_APPOINTMENT: "Next appointment"}


@dataclass(frozen=True)
class CaseloadQuery:
    """What the clinician asked for. Each sort's natural order puts what needs attention first:
    worst alerts, longest without a check-in, soonest appointment; `reverse` turns it round."""

    text: str = ""
    alerts: AlertFilter | None = None
    weeks_without_check_in: int | None = None  # none in at least this many weeks (or never)
    lines: tuple[int, int | None] | None = None  # (first, last) line in force; (0, 0): none in force
    sort: SortBy = SortBy.NAME
    reverse: bool = False

    @classmethod
    def from_form(cls, q: str = "", alerts: str = "", weeks: str = "", line: str = "", sort: str = "",
                  order: str = "") -> CaseloadQuery:
        """From the page's GET form (every field text, any may be empty); a bad one is named."""
        return cls(text=q.strip(), alerts=_choice(AlertFilter, alerts, "alerts"), weeks_without_check_in=_weeks(weeks),
                   lines=_lines(line), sort=_choice(SortBy, sort, "sort") or SortBy.NAME,
                   reverse=_order(order))

    @property
    def filtered(self) -> bool:
        return bool(self.text or self.alerts or self.weeks_without_check_in or self.lines)


def _choice(enum: type[StrEnum], value: str, field: str):
    if not value.strip():
        return None
    try:
        return enum(value.strip())
    except ValueError:
        raise InvalidInput(f"Choose one of: {', '.join(e.value for e in enum)}", field=field) from None


def _weeks(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= MOST_WEEKS:
        raise InvalidInput(f"Give the weeks as a whole number from 1 to {MOST_WEEKS}", field="weeks")
    return int(value)


def _lines(value: str) -> tuple[int, int | None] | None:
    value = value.strip()
    if not value:
        return None
    if value not in LINE_CHOICES:
        raise InvalidInput(f"Choose one of: {', '.join(LINE_CHOICES)}", field="line")
    if value == "none":
        return (0, 0)
    return (4, None) if value == "4+" else (int(value), int(value))


def _order(value: str) -> bool:
    if value.strip() not in ("", "usual", "reverse"):
        raise InvalidInput("Choose usual or reverse", field="order")
    return value.strip() == "reverse"


@dataclass(frozen=True)
class CaseloadRow:
    patient_id: UUID
    name: str
    date_of_birth: date
    nhs_number: str | None
    current_treatment: str | None  # the courses in force, by name
    current_line: int | None  # the latest line of treatment in force
    worst_alert: Level | None  # of the open alerts
    open_alerts: int
    last_check_in: datetime | None
    next_appointment: datetime | None
    weeks_without_check_in: int | None = None  # set only once a check-in is overdue (or none ever came)


def caseload(uow, actor: Actor, query: CaseloadQuery, now: datetime, offset: int = 0,
             limit: int = PAGE_SIZE) -> Page[CaseloadRow]:
    """One page of the people on the clinician's own teams' caseloads, sorted and filtered over
    all of them. Audited as one read of the caseload."""
    if actor.role is not Role.CLINICIAN:
        raise AccessDenied("The caseload is for clinicians")
    team_ids = uow.teams.ids_of(actor.user_id)
    offset, limit = max(offset, 0), min(max(limit, 1), 200)
    rows, total = uow.caseload.page(team_ids, query, now, offset, limit)
    uow.audit.record(actor, "read:granted", None, "caseload", None)
    return Page(rows=[_with_gap(row, now) for row in rows], total=total, offset=offset, limit=limit)


def _with_gap(row: CaseloadRow, now: datetime, thresholds: AlertThresholds = AlertThresholds()) -> CaseloadRow:
    """Weeks since the last check-in, once it is overdue by the missed-check-in rule's own
    interval and grace (clinical/alert_rules.py), so the page and the alert agree on "missed"."""
    if row.last_check_in is None:
        return row
    gap = now - row.last_check_in
    if gap < thresholds.check_in_every + thresholds.missed_grace:
        return row
    return replace(row, weeks_without_check_in=gap // timedelta(weeks=1))
