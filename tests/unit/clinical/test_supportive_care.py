"""The supportive-care prompt, case by case against its rule (clinical/supportive_care.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from alongside.clinical.supportive_care import (
    SupportiveCareThresholds, high_burden, supportive_care_prompt,
)

MILD = {"pain": 3, "tiredness": 4}
SEVERE_PAIN = {"pain": 7, "tiredness": 2}
HEAVY_TOTAL = {"pain": 6, "tiredness": 6, "drowsiness": 5, "nausea": 4, "appetite": 6, "breathlessness": 3,
               "depression": 4, "anxiety": 3, "wellbeing": 6}  # 43, no item at 7


@pytest.mark.parametrize("burden, high", [
    ({}, False),
    (MILD, False),
    ({"pain": 6}, False),  # one below the severe band
    (SEVERE_PAIN, True),  # an item at 7
    ({"anxiety": 10}, True),  # emotional symptoms count as well
    (HEAVY_TOTAL, True),  # total of 40 or more
    ({**HEAVY_TOTAL, "pain": 3}, True),  # total exactly 40
    ({**HEAVY_TOTAL, "pain": 2}, False),  # total 39
])
def test_one_check_in_is_high_when_an_item_is_severe_or_the_total_is_heavy(burden, high):
    assert (high_burden(burden) is not None) == high


def test_three_high_check_ins_in_a_row_prompt_and_name_their_reasons():
    prompt = supportive_care_prompt([MILD, SEVERE_PAIN, HEAVY_TOTAL, {"pain": 9, "anxiety": 8}])
    assert prompt is not None
    assert [r.severe_items for r in prompt.reports] == [(("pain", 7),), (), (("pain", 9), ("anxiety", 8))]
    assert prompt.reports[1].total == 43


@pytest.mark.parametrize("reports", [
    [SEVERE_PAIN, SEVERE_PAIN],  # only two
    [SEVERE_PAIN, MILD, SEVERE_PAIN],  # not in a row
    [SEVERE_PAIN, SEVERE_PAIN, SEVERE_PAIN, MILD],  # the latest is better
    [SEVERE_PAIN, SEVERE_PAIN, {}],  # a check-in without 0-10 answers says nothing: no prompt
])
def test_no_prompt_unless_the_latest_check_ins_are_all_high(reports):
    assert supportive_care_prompt(reports) is None


def test_the_thresholds_are_the_teams_to_set():
    lenient = SupportiveCareThresholds(item_at_or_above=9, total_at_or_above=90, consecutive=2)
    assert supportive_care_prompt([SEVERE_PAIN, SEVERE_PAIN], lenient) is None
    assert supportive_care_prompt([{"pain": 9}, {"pain": 10}], lenient) is not None
    assert supportive_care_prompt([SEVERE_PAIN], SupportiveCareThresholds(consecutive=1)) is not None


@given(st.lists(st.dictionaries(st.sampled_from(["pain", "tiredness", "anxiety"]), st.integers(0, 10)), max_size=6))
def test_a_prompt_always_rests_on_exactly_the_last_n_reports_each_high(reports):
    prompt = supportive_care_prompt(reports)
    if prompt is not None:
        assert len(prompt.reports) == 3
        assert all(high_burden(r) for r in reports[-3:])
    elif len(reports) >= 3:
        assert not all(high_burden(r) for r in reports[-3:])
