"""The triage inbox's rows and filters, as pure functions over alerts: one row per check-in under
its worst level, escalated rows first, and each filter case by case."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alongside.clinical.contacts import Level
from alongside.domain.errors import InvalidInput
from alongside.domain.monitoring import Alert, AlertState
from alongside.domain.people import Actor
from alongside.domain.triage import ClaimFilter, TriageFilters, grouped_by_check_in
from alongside.domain.vocab import Role

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
NINA = Actor(user_id=uuid.uuid4(), role=Role.CLINICIAN, display_name="Nina Nurse")


def alert(level: Level, check_in: uuid.UUID | None, minutes_ago: int = 10, rule: str = "severe", **changes) -> Alert:
    made = Alert(id=uuid.uuid4(), version=1, patient_id=uuid.uuid4(), check_in_id=check_in, rule=rule, level=level,
                 item="pain", detail={}, state=AlertState.NEW, created_at=NOW - timedelta(minutes=minutes_ago))
    return replace(made, **changes)


def test_the_alerts_of_one_check_in_are_one_row_under_its_worst_level():
    check_in = uuid.uuid4()
    (row,) = grouped_by_check_in([alert(Level.AMBER, check_in), alert(Level.RED, check_in, rule="red_flag"),
                                  alert(Level.GREEN, check_in)])
    assert row.worst is Level.RED and [a.level for a in row.alerts] == [Level.RED, Level.AMBER, Level.GREEN]
    assert row.key == check_in and not row.may_acknowledge_together


def test_an_alert_with_no_check_in_is_a_row_of_its_own():
    missed = [alert(Level.AMBER, None, rule="missed"), alert(Level.AMBER, None, rule="missed")]
    assert len(grouped_by_check_in(missed)) == 2


def test_escalated_rows_come_first_then_by_level_waiting_before_acknowledged_then_oldest():
    escalated_amber = alert(Level.AMBER, uuid.uuid4(), escalated_at=NOW)
    old_red = alert(Level.RED, uuid.uuid4(), minutes_ago=50)
    new_red = alert(Level.RED, uuid.uuid4(), minutes_ago=5)
    seen_red = alert(Level.RED, uuid.uuid4(), minutes_ago=90, state=AlertState.ACKNOWLEDGED)
    green = alert(Level.GREEN, uuid.uuid4(), minutes_ago=500)
    order = [row.alerts[0] for row in grouped_by_check_in([green, seen_red, new_red, old_red, escalated_amber])]
    assert order == [escalated_amber, old_red, new_red, seen_red, green]


@pytest.mark.parametrize("filters, shown", [
    (TriageFilters(), {"red", "amber", "mine", "old", "escalated"}),
    (TriageFilters(level=Level.RED), {"red", "escalated"}),
    (TriageFilters(level=Level.AMBER), {"amber", "mine", "old"}),
    (TriageFilters(rule="red_flag"), {"red"}),
    (TriageFilters(waiting_longer_than="24h"), {"old"}),
    (TriageFilters(claimed=ClaimFilter.MINE), {"mine"}),
    (TriageFilters(claimed=ClaimFilter.UNCLAIMED), {"red", "amber", "old", "escalated"}),
    (TriageFilters(escalated_only=True), {"escalated"}),
], ids=["none", "red", "amber", "kind", "waiting-a-day", "claimed-by-me", "unclaimed", "escalated"])
def test_each_filter(filters, shown):
    rows = {"red": alert(Level.RED, uuid.uuid4(), rule="red_flag"), "amber": alert(Level.AMBER, uuid.uuid4()),
            "mine": alert(Level.AMBER, uuid.uuid4(), claimed_by_id=NINA.user_id, claimed_by="Nina Nurse"),
            "old": alert(Level.AMBER, uuid.uuid4(), minutes_ago=60 * 30),
            "escalated": alert(Level.RED, uuid.uuid4(), rule="severe", escalated_at=NOW)}
    names = {a.id: name for name, a in rows.items()}
    assert {names[row.alerts[0].id] for row in grouped_by_check_in(list(rows.values()))
            if row.matches(filters, NINA, NOW)} == shown


@pytest.mark.parametrize("query, field", [({"level": "purple"}, "level"), ({"waiting": "3d"}, "waiting"),
                                          ({"rule": "gossip"}, "rule"), ({"claimed": "everyone"}, "claimed")])
def test_a_wrong_filter_is_refused_naming_its_field(query, field):
    with pytest.raises(InvalidInput) as refused:
        TriageFilters.from_query(query)
    assert refused.value.field == field


def test_the_filters_are_read_from_the_form():
    assert TriageFilters.from_query({"level": "red", "waiting": "4h", "rule": "worsening", "claimed": "mine",
                                     "escalated": "1"}) == TriageFilters(Level.RED, "4h", "worsening", ClaimFilter.MINE, True)
    assert TriageFilters.from_query({"level": "", "escalated": ""}) == TriageFilters()
