"""Alert rules, each case a row: severe, worsening against previous and baseline, red flags, missed."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.clinical.alert_rules import AlertThresholds, Scores, evaluate, missed_check_in
from alongside.clinical.contacts import Level
from alongside.clinical.red_flags import raised_flags


def rules(findings) -> set[tuple[str, str]]:
    return {(f.rule, f.item) for f in findings}


@pytest.mark.parametrize("grade, alerts", [(0, False), (1, False), (2, False), (3, True)])
def test_severe_symptom_is_composite_grade_three(grade, alerts):
    assert (("severe", "pain") in rules(evaluate(Scores(grades={"pain": grade}), None, None, []))) is alerts


@pytest.mark.parametrize("score, alerts", [(6, False), (7, True), (10, True)])
def test_severe_burden_is_seven_or_more(score, alerts):
    assert (("severe", "tiredness") in rules(evaluate(Scores(burden={"tiredness": score}), None, None, []))) is alerts


@pytest.mark.parametrize("baseline, previous, now, alerts", [
    (0, 0, 2, True),    # up 2 on both
    (0, 1, 2, False),   # up 2 on baseline, only 1 on last week
    (1, 0, 2, False),   # up 2 on last week, only 1 on baseline
    (0, 0, 1, False),
    (1, 1, 3, True),    # worsening and severe together
])
def test_worsening_needs_two_points_over_both_previous_and_baseline(baseline, previous, now, alerts):
    findings = evaluate(Scores(grades={"nausea": now}), Scores(grades={"nausea": previous}),
                        Scores(grades={"nausea": baseline}), [])
    assert (("worsening", "nausea") in rules(findings)) is alerts


def test_worsening_on_burden_items_uses_the_same_rule():
    findings = evaluate(Scores(burden={"anxiety": 6}), Scores(burden={"anxiety": 3}), Scores(burden={"anxiety": 2}), [])
    (finding,) = findings
    assert finding.rule == "worsening"
    assert finding.values == {"now": 6, "previous": 3, "baseline": 2, "points": 2}


def test_a_skipped_item_is_never_compared():
    findings = evaluate(Scores(grades={"pain": 2}), Scores(grades={}), Scores(grades={"pain": 0}), [])
    assert findings == []


def test_red_flags_alert_at_their_own_level_with_the_answer():
    flags = raised_flags({"limb_weakness": True}, 38.1, on_chemotherapy=True)
    findings = evaluate(Scores(), None, None, flags)
    assert {(f.item, f.level) for f in findings} == {("limb_weakness", Level.RED), ("temperature_on_chemo", Level.RED)}
    assert any(f.values["answer"] == "38.1 C" for f in findings)


def test_thresholds_are_configurable():
    strict = AlertThresholds(severe_grade=2)
    assert rules(evaluate(Scores(grades={"pain": 2}), None, None, [], strict)) == {("severe", "pain")}


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("days_since, missed", [(6, False), (9, False), (10, True), (30, True)])
def test_a_check_in_is_missed_after_seven_days_and_three_days_grace(days_since, missed):
    last = NOW - timedelta(days=days_since)
    assert (missed_check_in(last, NOW - timedelta(days=100), NOW) is not None) is missed


def test_someone_who_never_checked_in_is_counted_from_the_start_of_monitoring():
    assert missed_check_in(None, NOW - timedelta(days=2), NOW) is None
    assert missed_check_in(None, NOW - timedelta(days=11), NOW).values["days"] == 11


@given(st.dictionaries(st.sampled_from(["pain", "fatigue", "nausea"]), st.integers(0, 3)))
def test_findings_only_name_items_that_were_answered(grades):
    findings = evaluate(Scores(grades=grades), Scores(grades=grades), Scores(grades=grades), [])
    assert {f.item for f in findings} <= set(grades)
    assert all(f.rule == "severe" for f in findings)  # nothing can worsen against itself


# --- One symptom's own level, which chooses its self-care advice ------------------------------

@pytest.mark.parametrize("grade, flags, level", [
    (None, [], None),                           # skipped, nothing flagged: no advice
    (0, [], None),                              # "not at all"
    (1, [], Level.GREEN),                       # mild
    (2, [], Level.GREEN),                       # moderate
    (3, [], Level.AMBER),                       # severe: the level of a severe alert
    (0, [Level.AMBER], Level.AMBER),            # flagged only, e.g. pain not controlled
    (None, [Level.RED], Level.RED),             # flagged, symptom questions skipped
    (1, [Level.RED], Level.RED),                # the flag outranks a mild grade
    (3, [Level.AMBER, Level.RED], Level.RED),   # the highest wins
])
def test_symptom_level_row(grade, flags, level):
    from alongside.clinical.alert_rules import symptom_level

    assert symptom_level(grade, flags) is level


def test_symptom_level_follows_a_team_that_makes_severe_symptoms_red():
    from alongside.clinical.alert_rules import symptom_level

    assert symptom_level(3, [], AlertThresholds(severe_level=Level.RED)) is Level.RED
    assert symptom_level(2, [], AlertThresholds(severe_grade=2)) is Level.AMBER


def test_a_symptom_not_asked_this_week_is_not_worsening_and_not_zero():
    # H55: hand-foot asked (grade 2) last week and at baseline, not asked now (a team took it out,
    # or the treatment changed): nothing is read from its absence; asked again, it is compared.
    before = Scores(grades={"hand_foot": 2, "pain": 0})
    assert evaluate(Scores(grades={"pain": 0}), before, before, []) == []
    back = evaluate(Scores(grades={"hand_foot": 3, "pain": 0}), Scores(grades={"pain": 0}), before, [])
    assert [(f.rule, f.item) for f in back] == [("severe", "hand_foot")]  # severe still; no stale comparison
