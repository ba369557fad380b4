"""Red flags, rule by rule (sources in the module and in docs/clinical-rules.md)."""

import pytest

from alongside.clinical.contacts import Level
from alongside.clinical.red_flags import RED_FLAGS, highest_level, questions_for, raised_flags


@pytest.mark.parametrize("code, level", [
    ("new_back_pain", Level.AMBER),
    ("limb_weakness", Level.RED),
    ("bladder_bowel_change", Level.RED),
    ("thirst_confusion", Level.AMBER),
    ("severe_headache", Level.AMBER),
    ("seizure_or_confusion", Level.RED),
    ("vision_change", Level.AMBER),
    ("breathless_or_chest_pain", Level.RED),
    ("bleeding", Level.RED),
    ("uncontrolled_pain", Level.AMBER),
    ("uncontrolled_vomiting", Level.RED),
])
def test_each_yes_raises_its_level(code, level):
    (flag,) = raised_flags({code: True}, None, on_chemotherapy=False)
    assert (flag.code, flag.level) == (code, level)


def test_new_back_pain_with_leg_weakness_is_red():
    flags = raised_flags({"new_back_pain": True, "limb_weakness": True}, None, on_chemotherapy=False)
    assert highest_level(flags) is Level.RED
    assert {f.concern for f in flags} == {"Possible spinal metastases", "Possible spinal cord compression"}


@pytest.mark.parametrize("celsius, on_chemo, expected", [
    (37.4, True, None),
    (37.5, True, Level.RED),   # UKONS: 37.5 C or more on treatment
    (39.2, True, Level.RED),
    (36.0, True, Level.RED),   # UKONS: 36.0 C or less on treatment
    (36.1, True, None),
    (37.5, False, Level.AMBER),
    (36.0, False, None),
    (37.4, False, None),
])
def test_temperature_thresholds(celsius, on_chemo, expected):
    assert highest_level(raised_flags({}, celsius, on_chemotherapy=on_chemo)) is expected


def test_feeling_unwell_counts_only_while_on_chemotherapy():
    assert highest_level(raised_flags({"feeling_unwell_on_chemo": True}, None, on_chemotherapy=True)) is Level.RED
    assert raised_flags({"feeling_unwell_on_chemo": True}, None, on_chemotherapy=False) == []
    assert "feeling_unwell_on_chemo" not in {f.code for f in questions_for(on_chemotherapy=False)}
    assert len(questions_for(on_chemotherapy=True)) == len(RED_FLAGS)


@pytest.mark.parametrize("reading", [55.0, 98.6, 29.9, -1.0])
def test_impossible_temperatures_are_refused_not_read(reading):
    with pytest.raises(ValueError, match="not a body temperature"):
        raised_flags({}, reading, on_chemotherapy=True)


def test_no_and_skipped_raise_nothing():
    assert raised_flags({"limb_weakness": False}, None, on_chemotherapy=True) == []
    assert highest_level([]) is None


def test_thresholds_are_configurable():
    assert highest_level(raised_flags({}, 38.0, on_chemotherapy=True, fever_at_or_above=38.3)) is None
