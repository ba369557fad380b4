"""Tumour marker trends: segments at an assay or laboratory change, change from baseline and
nadir, doubling time, and a sustained rise only when a repeat test confirms it."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.clinical.markers import MARKER_CAVEAT, MarkerReading, MarkerRules, marker_trend

DAY0 = date(2025, 3, 3)


def r(day, value, assay="Roche CA 15-3 II", laboratory="Royal Marsden"):
    return MarkerReading(DAY0 + timedelta(days=day), value, assay, laboratory)


def test_falling_marker():
    seg = marker_trend([r(0, 80), r(28, 60), r(56, 40)]).current
    assert seg.baseline.value == 80 and seg.nadir.value == 40 and seg.latest.value == 40
    assert seg.change_from_baseline_percent == pytest.approx(-50.0)
    assert seg.change_from_nadir_percent == pytest.approx(0.0)
    assert seg.doubling_time_days is None
    assert not seg.sustained_rise and seg.rise_confirmed_on is None


def test_rising_after_a_nadir():
    seg = marker_trend([r(0, 40), r(28, 20), r(56, 30), r(84, 36)]).current
    assert seg.nadir == r(28, 20)
    assert seg.change_from_baseline_percent == pytest.approx(-10.0)  # 36 against 40
    assert seg.change_from_nadir_percent == pytest.approx(80.0)      # 36 against 20
    assert seg.sustained_rise and seg.rise_confirmed_on == DAY0 + timedelta(days=84)


def test_doubling_time_of_two_readings_is_the_time_to_double():
    seg = marker_trend([r(0, 10), r(30, 20)]).current
    assert seg.doubling_time_days == pytest.approx(30.0)


def test_doubling_time_is_a_log_linear_least_squares_fit_from_the_nadir():
    # Readings from the nadir: days 0, 30, 90 at 10, 15, 40 (the earlier 50 is before the nadir).
    # By hand: mean day 40; deviations -40, -10, 50; Sxx = 4200;
    # slope = (-40 ln 10 - 10 ln 15 + 50 ln 40) / 4200 = 65.2601 / 4200 = 0.0155381 per day;
    # doubling time = ln 2 / slope = 0.693147 / 0.0155381 = 44.61 days.
    seg = marker_trend([r(-30, 50), r(0, 10), r(30, 15), r(90, 40)]).current
    assert seg.doubling_time_days == pytest.approx(44.61, abs=0.01)


def test_one_high_value_alone_never_flags():
    seg = marker_trend([r(0, 20), r(28, 60)]).current
    assert seg.change_from_nadir_percent == pytest.approx(200.0)
    assert not seg.sustained_rise


@pytest.mark.parametrize("first, repeat, flagged", [
    pytest.param(125.0, 125.0, True, id="25.0% over nadir twice -> sustained"),
    pytest.param(124.9, 150.0, False, id="24.9% then 50%: only the second is over, alone"),
    pytest.param(130.0, 124.9, False, id="30% then back to 24.9%: not sustained"),
])
def test_the_threshold_is_a_rise_of_25_percent_over_nadir(first, repeat, flagged):
    seg = marker_trend([r(0, 100), r(28, first), r(56, repeat)]).current
    assert seg.sustained_rise is flagged


@pytest.mark.parametrize("gap, flagged", [
    pytest.param(13, False, id="repeat 13 days later: too soon"),
    pytest.param(14, True, id="repeat 14 days later: confirms"),
    pytest.param(90, True, id="repeat 90 days later: confirms"),
    pytest.param(91, False, id="repeat 91 days later: too late to confirm"),
])
def test_the_repeat_must_be_a_genuine_repeat(gap, flagged):
    seg = marker_trend([r(0, 20), r(28, 30), r(28 + gap, 30)]).current
    assert seg.sustained_rise is flagged
    assert seg.rise_confirmed_on == (DAY0 + timedelta(days=28 + gap) if flagged else None)


def test_a_too_early_repeat_is_skipped_and_a_later_one_confirms():
    seg = marker_trend([r(0, 20), r(28, 30), r(30, 31), r(50, 32)]).current
    assert seg.rise_confirmed_on == DAY0 + timedelta(days=50)


def test_a_fall_below_the_threshold_between_breaks_the_rise():
    seg = marker_trend([r(0, 20), r(28, 30), r(35, 22), r(56, 30)]).current
    assert not seg.sustained_rise


def test_thresholds_are_configurable():
    readings = [r(0, 20), r(28, 23), r(42, 23)]  # 15% over nadir, twice
    assert not marker_trend(readings).current.sustained_rise
    assert marker_trend(readings, MarkerRules(sustained_rise_percent=10)).current.sustained_rise


@pytest.mark.parametrize("change", [
    pytest.param({"assay": "Abbott CA 15-3"}, id="assay changed"),
    pytest.param({"laboratory": "St Elsewhere"}, id="laboratory changed"),
    pytest.param({"assay": None}, id="assay no longer recorded"),
])
def test_an_assay_or_laboratory_change_starts_a_new_segment(change):
    before = [r(0, 20), r(28, 22)]
    after = [r(56, 60, **{**{"assay": "Roche CA 15-3 II", "laboratory": "Royal Marsden"}, **change}),
             r(84, 62, **{**{"assay": "Roche CA 15-3 II", "laboratory": "Royal Marsden"}, **change})]
    trend = marker_trend(before + after)
    assert [len(s.readings) for s in trend.segments] == [2, 2]
    current = trend.current
    # Values across the break are never compared: the new segment starts from its own baseline.
    assert current.baseline.value == 60 and current.nadir.value == 60
    assert current.change_from_baseline_percent == pytest.approx(100 * 2 / 60)
    assert not current.sustained_rise


def test_readings_are_put_in_date_order():
    trend = marker_trend([r(56, 30), r(0, 20), r(28, 30)])
    assert [x.value for x in trend.current.readings] == [20, 30, 30]


def test_no_readings_no_segments():
    trend = marker_trend([])
    assert trend.segments == () and trend.current is None


def test_a_negative_marker_value_is_refused():
    with pytest.raises(ValueError):
        MarkerReading(DAY0, -1.0)


def test_rules_are_checked():
    with pytest.raises(ValueError):
        MarkerRules(sustained_rise_percent=0)
    with pytest.raises(ValueError):
        MarkerRules(min_days_between=30, confirm_within_days=20)


def test_the_caveat_says_what_markers_cannot_do():
    words = MARKER_CAVEAT.lower()
    assert "other than cancer" in words and "normal" in words and "never used on their own" in words


values = st.floats(0.5, 500, allow_nan=False)
series = st.lists(st.tuples(st.integers(0, 720), values), min_size=1, max_size=12, unique_by=lambda x: x[0])


@given(series)
def test_doubling_time_only_when_rising(points):
    seg = marker_trend([r(d, v) for d, v in points]).current
    if seg.doubling_time_days is not None:
        assert seg.doubling_time_days > 0
        assert seg.latest.value > seg.nadir.value


@given(series, st.floats(0.01, 100))
def test_scaling_every_value_keeps_percentages_and_doubling_time(points, factor):
    plain = marker_trend([r(d, v) for d, v in points]).current
    scaled = marker_trend([r(d, v * factor) for d, v in points]).current
    assert scaled.change_from_baseline_percent == pytest.approx(plain.change_from_baseline_percent, abs=1e-6)
    assert scaled.change_from_nadir_percent == pytest.approx(plain.change_from_nadir_percent, abs=1e-6)
    assert (scaled.doubling_time_days is None) == (plain.doubling_time_days is None)
    if plain.doubling_time_days is not None:
        assert scaled.doubling_time_days == pytest.approx(plain.doubling_time_days, rel=1e-6)


@given(series)
def test_a_sustained_rise_has_two_high_readings_after_the_nadir(points):
    seg = marker_trend([r(d, v) for d, v in points]).current
    threshold = seg.nadir.value * 1.25
    high_after = [x for x in seg.readings if x.taken_on > seg.nadir.taken_on and x.value >= threshold]
    if seg.sustained_rise:
        assert len(high_after) >= 2
        assert seg.rise_confirmed_on in {x.taken_on for x in high_after}
    if len(high_after) < 2:
        assert not seg.sustained_rise


@given(st.lists(st.tuples(st.integers(0, 720), values, st.sampled_from(["A", "B"]), st.sampled_from(["X", "Y"])),
                max_size=15))
def test_segments_partition_the_readings_and_each_has_one_assay_and_laboratory(points):
    readings = [r(d, v, a, lab) for d, v, a, lab in points]
    trend = marker_trend(readings)
    assert sum(len(s.readings) for s in trend.segments) == len(readings)
    for seg in trend.segments:
        assert {(x.assay, x.laboratory) for x in seg.readings} == {(seg.assay, seg.laboratory)}
    for before, after in zip(trend.segments, trend.segments[1:]):
        assert (before.assay, before.laboratory) != (after.assay, after.laboratory)
