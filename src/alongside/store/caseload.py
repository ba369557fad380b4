"""The caseload page in three or four statements, whatever its size: one gives every person on
the teams' lists only the columns the page sorts or filters on (worst open alert, open alerts,
last check-in, line in force, next appointment, each a correlated subquery answered from an
index), filters, sorts, counts (a window) and cuts the page; one gives that page's people all
their columns; one names the courses in force for them. A page past the end counts separately.
No statement is run per person."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import case, func, or_, select

from ..clinical.contacts import Level
from ..domain.caseload import AlertFilter, CaseloadQuery, CaseloadRow, SortBy
from . import tables as t
from .repositories import _aware, _Repository

_RANK = {Level.RED: 3, Level.AMBER: 2, Level.GREEN: 1}  # 0: no open alert
_LEVEL_OF_RANK = {rank: level for level, rank in _RANK.items()}


class CaseloadRepository(_Repository):
    def page(self, team_ids: list[UUID], query: CaseloadQuery, now: datetime, offset: int,
             limit: int) -> tuple[list[CaseloadRow], int]:
        """Two steps. First every person on the list gets only the columns this query sorts or
        filters on (none in name order), and the page is cut and counted on those; then only the
        page's people get all their columns. Each column is a correlated subquery, and
        summarising all 5,000 people in every column to cut 50 was the page's whole cost
        (docs/benchmarks.md). On PostgreSQL the two statements may see an alert that arrived
        between them: the page then shows it, in the order it has now."""
        keys = _summary(team_ids, query.text, now, columns=_columns_for(query))
        where = _filters(keys.c, query, now)
        cut = self.db.execute(select(keys.c.id, func.count().over().label("total")).where(*where)
                              .order_by(*_order(keys.c, query.sort, query.reverse))
                              .offset(offset).limit(limit)).all()
        if not cut:  # past the last page (or nothing matches): the window had no row to ride on
            return [], self.db.scalar(select(func.count()).select_from(keys).where(*where)) or 0
        total = cut[0].total
        summary = _summary(team_ids, query.text, now, among=[r.id for r in cut])
        rows = self.db.execute(select(summary).order_by(*_order(summary.c, query.sort, query.reverse))).all()
        treatments = self._courses_in_force([r.id for r in rows], now)
        return [_row(r, treatments.get(r.id)) for r in rows], total

    def _courses_in_force(self, ids: list[UUID], now: datetime) -> dict[UUID, str]:
        if not ids:
            return {}
        c = t.TreatmentCourseRow
        names: dict[UUID, list[str]] = {}
        for patient_id, name in self.db.execute(select(c.patient_id, c.name).where(c.patient_id.in_(ids),
                                                                                  *_in_force(now))
                                                .order_by(c.start_date, c.name)):
            names.setdefault(patient_id, []).append(name)
        return {k: ", ".join(v) for k, v in names.items()}


def _in_force(now: datetime) -> list:
    c, today = t.TreatmentCourseRow, now.date()
    return [c.start_date <= today, or_(c.end_date.is_(None), c.end_date >= today)]


def _columns_for(query: CaseloadQuery) -> set[str]:
    """The summary columns a query sorts or filters on."""
    needed = {SortBy.ALERTS: {"worst", "open_alerts"}, SortBy.LAST_CHECK_IN: {"last_check_in"},
              SortBy.LINE: {"line"}, SortBy.NEXT_APPOINTMENT: {"next_appointment"}}.get(query.sort, set())
    return (needed | ({"worst"} if query.alerts else set()) | ({"last_check_in"} if query.weeks_without_check_in else set())
            | ({"line"} if query.lines else set()))


def _people(team_ids: list[UUID], text: str) -> list:
    p = t.PatientRow
    on_caseload = p.id.in_(select(t.CaseloadRow.patient_id).where(t.CaseloadRow.team_id.in_(team_ids)))
    return [on_caseload, *([_matches(text)] if text else [])]


def _summary(team_ids: list[UUID], text: str, now: datetime, among: list[UUID] | None = None,
             columns: set[str] | None = None):
    """Each person's columns (only `columns` when given); `among`, patient ids, keeps only those people."""
    p, a, ci, ap, c = t.PatientRow, t.AlertRow, t.CheckInRow, t.AppointmentRow, t.TreatmentCourseRow
    rank = case(*((a.level == level.value, value) for level, value in _RANK.items()), else_=0)
    still_open = [a.patient_id == p.id, a.state != "resolved"]
    every = {
        "worst": func.coalesce(select(func.max(rank)).where(*still_open).scalar_subquery(), 0),
        "open_alerts": select(func.count()).where(*still_open).scalar_subquery(),
        "last_check_in": select(func.max(ci.submitted_at)).where(ci.patient_id == p.id).scalar_subquery(),
        "next_appointment": select(func.min(ap.starts_at)).where(ap.patient_id == p.id, ap.starts_at >= now)
        .scalar_subquery(),
        "line": select(func.max(c.line_of_treatment)).where(c.patient_id == p.id, *_in_force(now)).scalar_subquery(),
    }
    who = _people(team_ids, text) if among is None else [p.id.in_(among)]
    chosen = [column.label(name) for name, column in every.items() if columns is None or name in columns]
    return (select(p.id, p.given_name, p.family_name, p.date_of_birth, p.nhs_number, *chosen)
            .where(*who)
            .subquery("summary"))


def _matches(text: str):
    p = t.PatientRow
    like = f"%{text.lower()}%"
    return or_(func.lower(p.given_name + " " + p.family_name).like(like),
               func.lower(p.family_name + ", " + p.given_name).like(like),
               p.nhs_number == text.replace(" ", ""), p.hospital_number == text)


def _filters(s, query: CaseloadQuery, now: datetime) -> list:
    where = []
    if query.alerts is AlertFilter.ANY:
        where.append(s.worst > 0)
    elif query.alerts is AlertFilter.NONE:
        where.append(s.worst == 0)
    elif query.alerts:
        where.append(s.worst == _RANK[Level(query.alerts.value)])
    if query.weeks_without_check_in:
        since = now - timedelta(weeks=query.weeks_without_check_in)
        # Never, or not since: one CASE rather than OR, which PostgreSQL answers by running the
        # column's subquery twice for every person on the list.
        where.append(case((s.last_check_in > since, False), else_=True))
    if query.lines == (0, 0):
        where.append(s.line.is_(None))
    elif query.lines:
        first, last = query.lines
        where.append(s.line >= first if last is None else s.line.between(first, last))
    return where


def _order(s, sort: SortBy, reverse: bool) -> list:
    """Natural order first (see CaseloadQuery); the empty ones ("never", "none") go where a nurse
    looks for them: never checked in with the longest gaps, no appointment or line at the end.
    Each key is (expression, ascending in the natural order, empty ones first in the natural
    order). NULLS FIRST/LAST rather than a second "is empty" key: PostgreSQL would otherwise run
    the column's subquery twice a person."""
    by_name = [(s.family_name, True, False), (s.given_name, True, False)]
    keys = {SortBy.NAME: lambda: by_name,  # each read only when chosen: the first step has only its own columns
            SortBy.ALERTS: lambda: [(s.worst, False, False), (s.open_alerts, False, False)],
            SortBy.LAST_CHECK_IN: lambda: [(s.last_check_in, True, True)],
            SortBy.LINE: lambda: [(s.line, True, False)],
            SortBy.NEXT_APPOINTMENT: lambda: [(s.next_appointment, True, False)]}[sort]()
    ordered = [_direction(column, ascending != reverse, empty_first != reverse) for column, ascending, empty_first in keys]
    ties = [] if sort is SortBy.NAME else [column.asc() for column, _, _ in by_name]
    return [*ordered, *ties, s.id.asc()]


def _direction(column, ascending: bool, empty_first: bool):
    ordered = column.asc() if ascending else column.desc()
    return ordered.nulls_first() if empty_first else ordered.nulls_last()


def _row(r, current_treatment: str | None) -> CaseloadRow:
    return CaseloadRow(patient_id=r.id, name=f"{r.family_name}, {r.given_name}", date_of_birth=r.date_of_birth,
                       nhs_number=r.nhs_number, current_treatment=current_treatment, current_line=r.line,
                       worst_alert=_LEVEL_OF_RANK.get(r.worst), open_alerts=r.open_alerts,
                       last_check_in=_aware(r.last_check_in), next_appointment=_aware(r.next_appointment))
