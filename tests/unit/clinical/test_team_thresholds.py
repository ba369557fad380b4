"""What a team may change (clinical/alert_rules.py TEAM_ADJUSTABLE) and when a check-in falls due
on a team's check-in day, each case a row of docs/clinical-rules.md; and, as a property, no team
choice of any values ever makes a check-in alert less than the defaults do."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.clinical.alert_rules import (
    TEAM_ADJUSTABLE, AlertThresholds, Scores, evaluate, for_teams, next_check_in_due, out_of_bounds,
)

DEFAULTS = AlertThresholds()
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize("name, allowed, refused", [
    ("severe_burden", [4, 5, 6, 7], [3, 8]),
    ("worsening_grade_points", [1, 2], [0, 3]),
    ("worsening_burden_points", [1, 2], [0, 3]),
    ("missed_grace_days", [0, 1, 2, 3], [-1, 4]),
])
def test_a_team_may_lower_each_threshold_to_its_floor_and_never_raise_it(name, allowed, refused):
    assert [v for v in allowed if out_of_bounds(DEFAULTS, name, v)] == []
    assert all("never later" in out_of_bounds(DEFAULTS, name, v) for v in refused)


def test_of_several_teams_the_most_sensitive_choice_applies_held_to_the_floor():
    chosen = for_teams(DEFAULTS, [{"severe_burden": 6}, {"severe_burden": 5, "missed_grace_days": 9}, {}])
    assert chosen.severe_burden == 5 and chosen.missed_grace == DEFAULTS.missed_grace
    assert for_teams(DEFAULTS, [{"severe_burden": 1}]).severe_burden == 4
    assert for_teams(DEFAULTS, []) is DEFAULTS


@pytest.mark.parametrize("sent, day, due", [
    ("2026-11-23T10:00", 0, "2026-11-30T00:00"),  # a Monday, for Mondays: the next Monday
    ("2026-11-21T10:00", 0, "2026-11-30T00:00"),  # Saturday, two days early: counts for the 23rd
    ("2026-11-19T10:00", 0, "2026-11-23T00:00"),  # Thursday, four days early: does not count
    ("2026-11-25T10:00", 4, "2026-12-04T00:00"),  # Wednesday, for Fridays: the 27th counts
    ("2026-03-26T10:00", 0, "2026-03-30T00:00"),  # Thursday before the clocks go forward: midnight BST
])
def test_the_next_check_in_is_due_on_the_team_s_day_a_check_in_up_to_three_days_early_counting(sent, day, due):
    last = datetime.fromisoformat(sent).replace(tzinfo=LONDON)
    assert next_check_in_due(last, DEFAULTS.check_in_every, day, LONDON) == datetime.fromisoformat(due).replace(
        tzinfo=LONDON)


def test_without_a_check_in_day_it_is_due_a_week_after_the_last():
    last = datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert next_check_in_due(last, DEFAULTS.check_in_every, None, LONDON) == datetime(2026, 12, 2, 10, tzinfo=UTC)


scores = st.dictionaries(st.sampled_from(["pain", "tiredness", "nausea"]), st.integers(0, 10), max_size=3)
choices = st.fixed_dictionaries({}, optional={rule.name: st.integers(-5, 15) for rule in TEAM_ADJUSTABLE})


@given(now=scores, previous=scores, baseline=scores, teams=st.lists(choices, max_size=3))
def test_no_team_choice_ever_alerts_less_than_the_defaults(now, previous, baseline, teams):
    def alerts(thresholds):
        return {(f.rule, f.item) for f in evaluate(Scores(burden=now), Scores(burden=previous), Scores(burden=baseline),
                                                   [], thresholds)}

    assert alerts(DEFAULTS) <= alerts(for_teams(DEFAULTS, teams))
