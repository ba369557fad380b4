"""The caseload page from one summary row a person (caseload_summary: worst open alert, open
alerts, last check-in, line in force, next appointment), kept up to date by `refresh` in the
transaction of every write that changes them (UnitOfWork.commit, from store/touched.py; hazard
H50). A page is: recompute the few rows time has overtaken, then one statement filters, sorts,
counts (a window) and cuts the page, and one names the courses in force for its people. A page
past the end counts separately. No statement is run per person."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..clinical.contacts import Level
from ..domain.caseload import AlertFilter, CaseloadQuery, CaseloadRow, SortBy
from . import tables as t
from .repositories import _aware, _Repository

_RANK = {Level.RED: 3, Level.AMBER: 2, Level.GREEN: 1}  # 0: no open alert
_LEVEL_OF_RANK = {rank: level for level, rank in _RANK.items()}


class CaseloadRepository(_Repository):
    def page(self, team_ids: list[UUID], query: CaseloadQuery, now: datetime, offset: int,
             limit: int) -> tuple[list[CaseloadRow], int]:
        self._refresh_stale(team_ids, now)
        s, p = t.CaseloadSummaryRow, t.PatientRow
        where = [*_people(team_ids, query.text), *_filters(s, query, now)]
        rows = self.db.execute(
            select(p.id, p.given_name, p.family_name, p.date_of_birth, p.nhs_number, s.worst, s.open_alerts,
                   s.last_check_in, s.next_appointment, s.line, func.count().over().label("total"))
            .join(s, s.patient_id == p.id).where(*where)
            .order_by(*_order(s, p, query.sort, query.reverse)).offset(offset).limit(limit)).all()
        if rows:
            total = rows[0].total
        else:  # past the last page (or nothing matches): the window had no row to ride on
            total = self.db.scalar(select(func.count()).select_from(p).join(s, s.patient_id == p.id)
                                   .where(*where)) or 0
        treatments = self._courses_in_force([r.id for r in rows], now)
        return [_row(r, treatments.get(r.id)) for r in rows], total

    def _refresh_stale(self, team_ids: list[UUID], now: datetime) -> None:
        """Before a page is read: recompute the rows time has overtaken (an appointment passed,
        a course started or ended), those computed after `now`, and anyone without one."""
        s = t.CaseloadSummaryRow
        stale = self.db.scalars(
            select(t.CaseloadRow.patient_id).outerjoin(s, s.patient_id == t.CaseloadRow.patient_id)
            .where(t.CaseloadRow.team_id.in_(team_ids),
                   or_(s.patient_id.is_(None), s.computed_at.is_(None), s.computed_at > now, s.fresh_until <= now))
            .distinct()).all()
        if stale:
            self.refresh(stale, now)

    def refresh(self, patient_ids, now: datetime) -> None:
        """Recompute these people's summary rows from their alerts, check-ins, courses and
        appointments as at `now`. Each row is locked first (on PostgreSQL), so of two
        transactions touching the same person the second computes after the first commits."""
        ids = sorted(set(patient_ids))
        for at in range(0, len(ids), 500):
            self._refresh(ids[at:at + 500], now)

    def rebuild(self, now: datetime) -> int:
        """Every person's row afresh (after a bulk load, or to check nothing drifted)."""
        ids = list(self.db.scalars(select(t.PatientRow.id)))
        self.refresh(ids, now)
        return len(ids)

    def _refresh(self, ids: list[UUID], now: datetime) -> None:
        s = t.CaseloadSummaryRow.__table__
        existing = set(self.db.scalars(select(s.c.patient_id).where(s.c.patient_id.in_(ids)).with_for_update()))
        people = set(self.db.scalars(select(t.PatientRow.id).where(t.PatientRow.id.in_(ids))))
        missing = [i for i in ids if i in people and i not in existing]
        if missing:
            self.db.execute(_insert_if_absent(self.db, s), [{"patient_id": i, "worst": 0, "open_alerts": 0}
                                                            for i in missing])
            self.db.execute(select(s.c.patient_id).where(s.c.patient_id.in_(missing)).with_for_update()).all()
        values = [{"person": r.id, "worst": r.worst, "open_alerts": r.open_alerts,
                   "last_check_in": _aware(r.last_check_in), "line": r.line,
                   "next_appointment": _aware(r.next_appointment), "computed_at": now,
                   "fresh_until": _fresh_until(r, now)}
                  for r in self.db.execute(select(_computed(ids, now)))]
        if values:
            self.db.execute(update(s).where(s.c.patient_id == bindparam("person")), values)

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


def _insert_if_absent(db, table):
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["patient_id"])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["patient_id"])


def _fresh_until(r, now: datetime) -> datetime:
    """The first moment time alone changes a column: the next appointment starting, or the
    midnight (UTC, as _in_force reads the date) a course starts or ends on."""
    moments = [_aware(r.next_appointment)] if r.next_appointment is not None else []
    for day, after in ((r.next_start, 0), (r.last_end, 1)):  # in force through its end date
        if day is not None:
            day = date.fromisoformat(day) if isinstance(day, str) else day
            moments.append(datetime.combine(day + timedelta(days=after), time.min, tzinfo=UTC))
    return min(moments or [now + timedelta(days=3650)])


def _in_force(now: datetime) -> list:
    c, today = t.TreatmentCourseRow, now.date()
    return [c.start_date <= today, or_(c.end_date.is_(None), c.end_date >= today)]


def _people(team_ids: list[UUID], text: str) -> list:
    p = t.PatientRow
    on_caseload = p.id.in_(select(t.CaseloadRow.patient_id).where(t.CaseloadRow.team_id.in_(team_ids)))
    return [on_caseload, *([_matches(text)] if text else [])]


def _computed(ids: list[UUID], now: datetime):
    """Each person's columns from the source rows, with when time alone would change them."""
    p, a, ci, ap, c = t.PatientRow, t.AlertRow, t.CheckInRow, t.AppointmentRow, t.TreatmentCourseRow
    rank = case(*((a.level == level.value, value) for level, value in _RANK.items()), else_=0)
    still_open = [a.patient_id == p.id, a.state != "resolved"]
    today = now.date()
    return (select(p.id,
                   func.coalesce(select(func.max(rank)).where(*still_open).scalar_subquery(), 0).label("worst"),
                   select(func.count()).where(*still_open).scalar_subquery().label("open_alerts"),
                   select(func.max(ci.submitted_at)).where(ci.patient_id == p.id).scalar_subquery()
                   .label("last_check_in"),
                   select(func.min(ap.starts_at)).where(ap.patient_id == p.id, ap.starts_at >= now).scalar_subquery()
                   .label("next_appointment"),
                   select(func.max(c.line_of_treatment)).where(c.patient_id == p.id, *_in_force(now))
                   .scalar_subquery().label("line"),
                   select(func.min(c.start_date)).where(c.patient_id == p.id, c.start_date > today)
                   .scalar_subquery().label("next_start"),
                   select(func.min(c.end_date)).where(c.patient_id == p.id, c.start_date <= today, c.end_date >= today)
                   .scalar_subquery().label("last_end"))
            .where(p.id.in_(ids))
            .subquery("computed"))


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
        where.append(or_(s.last_check_in.is_(None), s.last_check_in <= since))
    if query.lines == (0, 0):
        where.append(s.line.is_(None))
    elif query.lines:
        first, last = query.lines
        where.append(s.line >= first if last is None else s.line.between(first, last))
    return where


def _order(s, p, sort: SortBy, reverse: bool) -> list:
    """Natural order first (see CaseloadQuery); the empty ones ("never", "none") go where a nurse
    looks for them: never checked in with the longest gaps, no appointment or line at the end.
    Each key is (expression, ascending in the natural order)."""
    by_name = [(p.family_name, True), (p.given_name, True)]
    keys = {SortBy.NAME: by_name,
            SortBy.ALERTS: [(s.worst, False), (s.open_alerts, False)],
            SortBy.LAST_CHECK_IN: [(s.last_check_in.is_not(None), True), (s.last_check_in, True)],
            SortBy.LINE: [(s.line.is_(None), True), (s.line, True)],
            SortBy.NEXT_APPOINTMENT: [(s.next_appointment.is_(None), True), (s.next_appointment, True)]}[sort]
    ordered = [column.asc() if ascending != reverse else column.desc() for column, ascending in keys]
    ties = [] if sort is SortBy.NAME else [column.asc() for column, _ in by_name]
    return [*ordered, *ties, p.id.asc()]


def _row(r, current_treatment: str | None) -> CaseloadRow:
    return CaseloadRow(patient_id=r.id, name=f"{r.family_name}, {r.given_name}", date_of_birth=r.date_of_birth,
                       nhs_number=r.nhs_number, current_treatment=current_treatment, current_line=r.line,
                       worst_alert=_LEVEL_OF_RANK.get(r.worst), open_alerts=r.open_alerts,
                       last_check_in=_aware(r.last_check_in), next_appointment=_aware(r.next_appointment))
