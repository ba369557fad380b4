"""Response times (issue 17 item 6): alerts raised, acknowledged and closed at known moments, the
numbers checked exactly, another team's alerts never counted, the page for the team's clinicians only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from alongside.clinical.alert_rules import Finding
from alongside.clinical.contacts import Level
from alongside.domain import accounts, monitoring, services
from alongside.domain.errors import AccessDenied, NotFound
from alongside.domain.response_times import WEEKS, quantile, team_response_times
from alongside.store import tables as t

from ..factories import details
from .conftest import NOW  # Wednesday 25 November 2026, 10:00 UTC (GMT in London)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (level, raised, acknowledged, resolved); a resolve with no acknowledge also acknowledges.
TEAM_TWO_ALERTS = [
    (Level.RED, "2026-11-23 09:00", "2026-11-23 09:10", "2026-11-23 11:00"),    # 10 min, 2 h
    (Level.RED, "2026-11-24 08:00", "2026-11-24 08:50", "2026-11-25 09:00"),    # 50 min (late), 25 h (late)
    (Level.RED, "2026-11-25 09:00", None, None),                                # open 60 min: ack missed
    (Level.AMBER, "2026-11-16 10:00", "2026-11-16 12:00", None),                # 2 h; open 9 days: close missed
    (Level.GREEN, "2026-09-06 23:30", None, "2026-09-07 00:00"),                # Monday 00:30 in London: week 1
    (Level.GREEN, "2026-09-06 22:30", None, "2026-09-06 23:00"),                # Sunday 23:30 in London: before
]


@pytest.fixture
def team_two(world, new_uow):
    """A patient on Team Two with the alerts above, and one of Team One's at the same moments."""
    with new_uow() as uow:
        stranger = accounts.actor_for(uow.users.get(world.stranger.user_id))
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        cara = services.register_patient(uow, stranger, details("Cara", "Carter"), world.other_team_id)
        for level, raised, acknowledged, resolved in TEAM_TWO_ALERTS:
            for patient, clinician in ((cara.id, stranger), (world.patient_a, nurse)):
                _alert(uow, clinician, patient, level, raised, acknowledged, resolved)
        uow.commit()
    return world


def _alert(uow, clinician, patient_id, level, raised, acknowledged, resolved):
    alert, = monitoring.raise_alerts(uow, patient_id, None, [Finding("severe", level, "pain", {"score": 9})], at(raised))
    if acknowledged:
        alert = monitoring.acknowledge_alert(uow, clinician, alert.id, alert.version, at(acknowledged))
    if resolved:
        monitoring.resolve_alert(uow, clinician, alert.id, alert.version, "Rang back", at(resolved), "called_back")


def report_for(new_uow, person, team_id):
    with new_uow() as uow:
        actor = accounts.actor_for(uow.users.get(person.user_id))
        report = team_response_times(uow, actor, team_id, NOW, "Europe/London")
        uow.commit()
    return report


def measure(m):
    return (m.done, m.median_minutes, m.p90_minutes, m.missed, m.still_open, m.target_minutes)


def test_times_per_level_over_twelve_weeks_are_exact(team_two, new_uow):
    report = report_for(new_uow, team_two.stranger, team_two.other_team_id)
    assert report.team_name == "Team Two" and report.since == date(2026, 9, 7) and len(report.weeks) == WEEKS
    red, amber, green = report.overall
    assert red.alerts == 3
    # Acknowledged in 10 and 50 minutes against the 30-minute escalation time; the third open 60 minutes.
    assert measure(red.acknowledge) == (2, 30.0, 46.0, 2, 1, 30)
    # Closed in 120 and 1500 minutes against 24 hours; the third open for 60 minutes, not yet late.
    assert measure(red.close) == (2, 810.0, 1362.0, 1, 1, 1440)
    assert amber.alerts == 1
    assert measure(amber.acknowledge) == (1, 120.0, 120.0, 0, 0, 240)
    assert measure(amber.close) == (0, None, None, 1, 1, 72 * 60)
    # The alert raised on Sunday evening in London is before the first week, though its UTC date is the same.
    assert green.alerts == 1
    assert measure(green.acknowledge) == (1, 30.0, 30.0, 0, 0, 1440)
    assert measure(green.close) == (1, 30.0, 30.0, 0, 0, 168 * 60)


def test_each_alert_is_counted_in_the_week_it_was_raised(team_two, new_uow):
    report = report_for(new_uow, team_two.stranger, team_two.other_team_id)
    counts = {w.week_of: [row.alerts for row in w.levels] for w in report.weeks}
    assert counts[date(2026, 11, 23)] == [3, 0, 0]
    assert counts[date(2026, 11, 16)] == [0, 1, 0]
    assert counts[date(2026, 9, 7)] == [0, 0, 1]
    assert sum(sum(c) for c in counts.values()) == 5
    this_week_red = report.weeks[-1].levels[0]
    assert measure(this_week_red.acknowledge) == (2, 30.0, 46.0, 2, 1, 30)


def test_another_teams_alerts_are_never_counted(team_two, new_uow):
    # Team One holds the same six alerts plus a check-in of its own; Team Two's report is the same as
    # if Team One did not exist, and Team One's counts only its own.
    team_one = report_for(new_uow, team_two.nurse, team_two.team_id)
    assert team_one.team_name == "Team One"
    assert [row.alerts for row in team_one.overall] == [3, 1, 1]


def test_the_team_escalation_time_is_the_red_target(team_two, new_uow):
    with new_uow() as uow:
        team = uow.teams.settings(team_two.other_team_id)
        uow.teams.update_settings(type(team)(**{**vars(team), "escalate_red_after_minutes": 60}))
        uow.commit()
    red = report_for(new_uow, team_two.stranger, team_two.other_team_id).overall[0]
    # 50 minutes is now in time; the one open for 60 minutes is not yet past it.
    assert measure(red.acknowledge) == (2, 30.0, 46.0, 0, 1, 60)


def test_only_the_teams_clinicians_see_it_and_every_look_is_audited(team_two, new_uow, engine):
    with pytest.raises(NotFound):
        report_for(new_uow, team_two.nurse, team_two.other_team_id)
    for outsider in (team_two.admin, team_two.alice):
        with pytest.raises(AccessDenied):
            report_for(new_uow, outsider, team_two.other_team_id)
    report_for(new_uow, team_two.stranger, team_two.other_team_id)
    with engine.connect() as db:
        events = db.execute(select(t.AuditEventRow.actor_name, t.AuditEventRow.action, t.AuditEventRow.record_id)
                            .where(t.AuditEventRow.what == "response-times").order_by(t.AuditEventRow.id)).all()
    assert [(name, action) for name, action, _ in events] == [
        ("Nina Nurse", "read:refused"), ("Ada Admin", "read:refused"), ("Alice Able", "read:refused"),
        ("Sid Stranger", "read:granted")]
    assert {record for _, _, record in events} == {team_two.other_team_id}


def test_the_page_shows_the_table_and_charts_to_the_team_only(team_two, client_for):
    page = client_for(team_two.stranger).get(f"/teams/{team_two.other_team_id}/response-times")
    assert page.status_code == 200
    assert "Response times: Team Two" in page.text and "<svg" in page.text
    assert page.text.count('class="chart chart-wide"') == 6 and page.text.count('class="chart chart-phone"') == 6
    # The red row of the 12-week table: 3 alerts; 2 acknowledged, median 30 min, 90th 46 min, 2 missed, 1 open.
    assert ("<th scope=\"row\">Red</th><td>3</td><td>2</td><td>30 min</td><td>46 min</td><td>2</td><td>1</td>"
            "<td>2</td><td>13.5 h</td><td>22.7 h</td><td>1</td><td>1</td>") in page.text
    triage = client_for(team_two.stranger).get("/triage")
    assert f'href="/teams/{team_two.other_team_id}/response-times"' in triage.text
    assert client_for(team_two.nurse).get(f"/teams/{team_two.other_team_id}/response-times").status_code == 404
    assert client_for(team_two.admin).get(f"/teams/{team_two.other_team_id}/response-times").status_code == 403


@pytest.mark.parametrize(("values", "median", "p90"), [
    ([], None, None), ([7], 7.0, 7.0), ([10, 50], 30.0, 46.0), ([4, 1, 3, 2], 2.5, 3.7),
    ([float(n) for n in range(1, 11)], 5.5, 9.1)])
def test_quantiles_interpolate_between_ranks(values, median, p90):
    assert (quantile(values, 0.5), quantile(values, 0.9)) == (median, p90)
