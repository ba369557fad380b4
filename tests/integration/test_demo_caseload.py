"""`alongside demo` is a caseload: Helen and 59 synthetic people along the pathway (from the
benchmarks' generator), with check-ins, weeks missed, open alerts of every level that match the
answers that raised them, appointments and results; Mark signs in as Helen's carer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from alongside.clinical.alert_rules import AlertThresholds
from alongside.clinical.contacts import Level
from alongside.clinical.red_flags import BY_CODE
from alongside.demo import CASELOAD_SIZE, DEMO_PATIENT_ID, LOGIN, create_demo
from alongside.demo_caseload import FAMILY, PATHWAYS, generate
from alongside.domain import accounts, caseload, reading
from alongside.domain.accounts import SessionPolicy
from alongside.domain.caseload import CaseloadQuery
from alongside.domain.nhs_number import check_digit
from alongside.domain.vocab import Role
from alongside.store import tables as t

TODAY = date(2026, 11, 21)
NOW = datetime.combine(TODAY, time(12), UTC)


@pytest.fixture
def demo(new_uow):
    with new_uow() as uow:
        create_demo(uow, today=TODAY)
        uow.commit()
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.by_email(LOGIN["clinician"].email))
        page = caseload.caseload(uow, nurse, CaseloadQuery(), NOW, limit=200)
        yield uow, {row.patient_id: row for row in page.rows}


def test_the_demo_team_holds_sixty_people_with_open_alerts_of_every_level(demo):
    uow, rows = demo
    assert len(rows) == CASELOAD_SIZE + 1 == 60 and DEMO_PATIENT_ID in rows
    levels = {row.worst_alert for row in rows.values()}
    assert {Level.RED, Level.AMBER, Level.GREEN, None} <= levels
    assert sum(1 for row in rows.values() if row.weeks_without_check_in) >= 5  # some weeks missed
    assert sum(1 for row in rows.values() if row.next_appointment) >= 45
    assert {row.current_line for row in rows.values()} >= {1, 2, 3, None}


def _profiles(uow):
    p, c = t.PatientRow, t.CancerProfileRow
    return uow.db.execute(select(p.id, p.family_name, p.sex, p.nhs_number, c.er_status, c.pr_status, c.her2_status)
                          .join(c, c.patient_id == p.id)).all()


def test_every_pathway_is_there(demo):
    uow, _ = demo
    profiles = _profiles(uow)
    men = [r for r in profiles if r.sex == "male"]
    triple_negative = [r for r in profiles if (r.er_status, r.pr_status, r.her2_status) == ("negative", "negative", "zero")]
    brain = set(uow.db.scalars(select(t.MetastasisRow.patient_id).where(t.MetastasisRow.site == "brain")))
    her2_brain = [r for r in profiles if r.her2_status == "positive" and r.id in brain]
    stopped = set(uow.db.scalars(select(t.DecisionRow.patient_id)
                                 .where(t.DecisionRow.stops_anticancer_treatment_on.is_not(None))))
    on_break = set(uow.db.scalars(select(t.TreatmentBreakRow.patient_id).where(t.TreatmentBreakRow.end_date.is_(None))))
    courses = uow.db.execute(select(t.TreatmentCourseRow.patient_id, t.TreatmentCourseRow.name,
                                    t.TreatmentCourseRow.start_date, t.TreatmentCourseRow.end_date)).all()
    current = {(c.patient_id, c.name) for c in courses if c.end_date is None}
    new_first_line = {c.patient_id for c in courses if c.end_date is None and c.start_date > TODAY - timedelta(days=90)}
    for name, found in [("men", men), ("triple negative", triple_negative), ("HER2+ brain", her2_brain),
                        ("stopped", stopped), ("on a break", on_break), ("new first line", new_first_line),
                        ("capecitabine", {p for p, n in current if n == "Capecitabine"}),
                        ("CDK4/6", {p for p, n in current if "ciclib" in n}),
                        ("chemotherapy", {p for p, n in current if n == "Paclitaxel"})]:
        assert len(found) >= 5, name  # 59 people over nine pathways: six or seven each
    assert not {p for p, _ in current} & stopped  # nothing anticancer goes on after the decision to stop


def test_the_names_and_numbers_are_synthetic(demo):
    uow, _ = demo
    others = [r for r in _profiles(uow) if r.id != DEMO_PATIENT_ID]
    assert {r.family_name for r in others} <= set(FAMILY)
    assert all(r.nhs_number.startswith("999") and check_digit(r.nhs_number[:9]) == int(r.nhs_number[9]) for r in others)
    assert len({r.nhs_number for r in _profiles(uow)}) == CASELOAD_SIZE + 1
    phones = uow.db.scalars(select(t.PatientRow.phone)).all()
    assert all(phone.startswith("01632 960") for phone in phones)  # Ofcom's drama range


def test_each_alert_matches_the_answer_that_raised_it(demo):
    uow, _ = demo
    alerts = uow.db.execute(select(t.AlertRow).where(t.AlertRow.patient_id != DEMO_PATIENT_ID)).scalars().all()
    assert alerts
    thresholds = AlertThresholds()
    for alert in alerts:
        check_in = uow.db.get(t.CheckInRow, alert.check_in_id) if alert.check_in_id else None
        if alert.rule == "red_flag":
            assert check_in.red_flags == {alert.item: True} and alert.level == BY_CODE[alert.item].level.value
        elif alert.rule == "severe":
            assert check_in.burden[alert.item] >= thresholds.severe_burden and alert.level == thresholds.severe_level.value
        elif alert.rule == "worsening":
            assert check_in.burden[alert.item] == alert.detail["now"]
            assert alert.detail["now"] - alert.detail["previous"] >= thresholds.worsening_burden_points
        else:
            assert alert.rule == "missed" and alert.level == Level.GREEN.value and check_in is None
            last = uow.db.scalar(select(func.max(t.CheckInRow.submitted_at)).where(t.CheckInRow.patient_id == alert.patient_id))
            assert TODAY - last.date() >= thresholds.check_in_every + thresholds.missed_grace
        if alert.level == Level.RED.value:
            assert alert.state == "acknowledged"  # someone is on each red one already


def test_mark_signs_in_as_helens_carer(demo, new_uow):
    carer = LOGIN["carer"]
    with new_uow() as uow:
        signed_in = accounts.sign_in(uow, carer.email, carer.password, "127.0.0.1", SessionPolicy())
        user = signed_in.user
        assert signed_in.token and user.role is Role.CARER
        assert reading.patients_cared_for(uow, accounts.actor_for(user)) == [DEMO_PATIENT_ID]


def test_any_nine_in_a_row_follow_the_nine_pathways():
    people = list(generate(9, years=2, seed=3, today=TODAY))
    assert len(PATHWAYS) == 9
    sexes = [p.by_table[t.PatientRow][0]["sex"] for p in people]
    assert sexes.count("male") == 1
    stops = [p for p in people if p.by_table[t.DecisionRow]]
    assert len(stops) == 1
