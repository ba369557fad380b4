"""RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009): Tables 4 and 5 row by row, the numeric
rules of section 4.3.1 at their edges, and best overall response with confirmation."""

from datetime import date, timedelta

import pytest

from alongside.clinical.recist import Lesion, best_overall_response, overall_response, target_response

NON_PD = ("CR", "non-CR/non-PD", "NE")  # "non-PD or not all evaluated"
ANY_TARGET = ("CR", "PR", "SD", "PD", "NE")
ANY_NON_TARGET = ("CR", "non-CR/non-PD", "PD", "NE", "none")


def _cases(row, targets, non_targets, news, expected):
    for t in targets:
        for n in non_targets:
            for new in news:
                yield pytest.param(t, n, new, expected, id=f"{row}: {t} | {n} | new {new} -> {expected}")


TABLE_4 = [
    *_cases("T4 row 1", ["CR"], ["CR"], ["no"], "CR"),
    *_cases("T4 row 2", ["CR"], ["non-CR/non-PD"], ["no"], "PR"),
    *_cases("T4 row 3", ["CR"], ["NE"], ["no"], "PR"),
    *_cases("T4 row 4", ["PR"], NON_PD, ["no"], "PR"),
    *_cases("T4 row 5", ["SD"], NON_PD, ["no"], "SD"),
    *_cases("T4 row 6", ["NE"], NON_PD, ["no"], "NE"),
    *_cases("T4 row 7", ["PD"], ANY_NON_TARGET, ["yes", "no"], "PD"),
    *_cases("T4 row 8", ANY_TARGET, ["PD"], ["yes", "no"], "PD"),
    *_cases("T4 row 9", ANY_TARGET, ANY_NON_TARGET, ["yes"], "PD"),
    # No non-target disease at baseline: nothing left to disappear.
    *_cases("T4 no non-target", ["CR"], ["none"], ["no"], "CR"),
    *_cases("T4 no non-target", ["PR"], ["none"], ["no"], "PR"),
    *_cases("T4 no non-target", ["SD"], ["none"], ["no"], "SD"),
    *_cases("T4 no non-target", ["NE"], ["none"], ["no"], "NE"),
]

TABLE_5 = [
    *_cases("T5 row 1", ["none"], ["CR"], ["no"], "CR"),
    *_cases("T5 row 2", ["none"], ["non-CR/non-PD"], ["no"], "non-CR/non-PD"),
    *_cases("T5 row 3", ["none"], ["NE"], ["no"], "NE"),
    *_cases("T5 row 4", ["none"], ["PD"], ["yes", "no"], "PD"),
    *_cases("T5 row 5", ["none"], ["CR", "non-CR/non-PD", "NE", "none"], ["yes"], "PD"),
    *_cases("T5 no disease", ["none"], ["none"], ["no"], "NED"),
]

# An equivocal new lesion is not PD at this time point (section 4.3.3): as "no".
EQUIVOCAL = [
    *_cases("equivocal new lesion", ["CR"], ["CR"], ["equivocal"], "CR"),
    *_cases("equivocal new lesion", ["PR"], ["non-CR/non-PD"], ["equivocal"], "PR"),
    *_cases("equivocal new lesion", ["SD"], ["NE"], ["equivocal"], "SD"),
    *_cases("equivocal new lesion", ["none"], ["none"], ["equivocal"], "NED"),
    *_cases("equivocal new lesion", ["SD"], ["PD"], ["equivocal"], "PD"),
]


@pytest.mark.parametrize("target, non_target, new_lesions, expected", TABLE_4 + TABLE_5 + EQUIVOCAL)
def test_overall_response_tables_4_and_5(target, non_target, new_lesions, expected):
    assert overall_response(target, non_target, new_lesions) == expected


@pytest.mark.parametrize("args", [("CR", "SD", "no"), ("progressing", "CR", "no"), ("CR", "CR", "maybe")])
def test_overall_response_refuses_unknown_categories(args):
    with pytest.raises(ValueError):
        overall_response(*args)


def liver(mm):
    return Lesion("liver", False, mm)


def lung(mm):
    return Lesion("lung", False, mm)


def node(mm):
    return Lesion("axillary node", True, mm)


BASELINE = [liver(60.0), lung(40.0)]  # sum 100 mm


@pytest.mark.parametrize("current, nadir, expected", [
    pytest.param([liver(42.0), lung(28.0)], 100.0, "PR", id="30.0% decrease from baseline -> PR"),
    pytest.param([liver(42.1), lung(28.0)], 100.0, "SD", id="29.9% decrease from baseline -> SD"),
    pytest.param([liver(70.0), lung(50.0)], 100.0, "PD", id="20% and 20 mm over nadir -> PD"),
    pytest.param([liver(60.0), lung(59.9)], 100.0, "SD", id="19.9% over nadir -> SD"),
    pytest.param([liver(15.0), lung(10.0)], 20.0, "PD", id="25% and 5.0 mm over nadir -> PD"),
    pytest.param([liver(14.9), lung(10.0)], 20.0, "PR", id="24.5% but 4.9 mm over nadir -> not PD"),
    pytest.param([liver(0.0), lung(0.0)], 50.0, "CR", id="all non-nodal lesions gone -> CR"),
    pytest.param([liver(0.0), lung(5.0)], 0.0, "PD", id="a lesion back after nadir 0 by 5 mm -> PD"),
    pytest.param([liver(None), lung(30.0)], 70.0, "NE", id="a lesion not measured -> NE"),
    pytest.param([liver(None), lung(90.0)], 70.0, "PD", id="not measured, but the others already PD -> PD"),
])
def test_target_response_numeric_rules(current, nadir, expected):
    assert target_response(BASELINE, nadir, current) == expected


@pytest.mark.parametrize("short_axis, expected", [
    pytest.param(9.9, "CR", id="node 9.9 mm short axis -> CR"),
    pytest.param(10.0, "PR", id="node 10 mm short axis -> not CR"),
])
def test_complete_response_needs_nodes_under_10_mm(short_axis, expected):
    baseline = [liver(30.0), node(20.0)]
    assert target_response(baseline, 50.0, [liver(0.0), node(short_axis)]) == expected


def test_negative_diameter_is_refused():
    with pytest.raises(ValueError, match="negative"):
        Lesion("liver", False, -1.0)


@pytest.mark.parametrize("baseline, nadir, current, message", [
    ([liver(None)], 0.0, [liver(10.0)], "Baseline target lesions need a diameter"),
    ([liver(30.0)], 40.0, [liver(10.0)], "cannot exceed the baseline sum"),
    ([liver(30.0)], 30.0, [lung(10.0)], "same target lesions"),
    ([], 0.0, [], "no baseline target lesions"),
])
def test_inconsistent_assessments_are_refused(baseline, nadir, current, message):
    with pytest.raises(ValueError, match=message):
        target_response(baseline, nadir, current)


START = date(2025, 1, 6)


def at(weeks, response):
    return (START + timedelta(weeks=weeks), response)


def days(n, response):
    return (START + timedelta(days=n), response)


@pytest.mark.parametrize("timepoints, expected", [
    pytest.param([at(8, "CR"), days(56 + 28, "CR")], "CR", id="CR confirmed at 28 days -> CR"),
    pytest.param([at(8, "CR"), days(56 + 27, "CR")], "SD", id="CR repeated at 27 days: unconfirmed -> SD"),
    pytest.param([at(8, "PR"), days(56 + 28, "PR")], "PR", id="PR confirmed at 28 days -> PR"),
    pytest.param([at(8, "PR"), days(56 + 27, "PR")], "SD", id="PR repeated at 27 days: unconfirmed -> SD"),
    pytest.param([at(8, "PR"), at(16, "CR")], "PR", id="PR then CR -> PR"),
    pytest.param([at(8, "CR"), at(16, "PR")], "PR", id="CR then PR: CR meets PR -> PR"),
    pytest.param([at(8, "PR"), at(12, "NE"), at(16, "PR")], "PR", id="PR, NE, PR -> PR"),
    pytest.param([at(8, "PR"), at(12, "SD"), at(16, "PR")], "SD", id="PR, SD, PR: not confirmed -> SD"),
    pytest.param([at(8, "PR"), at(16, "PD")], "SD", id="PR then PD, SD interval met -> SD"),
    pytest.param([days(35, "PR"), days(70, "PD")], "PD", id="PR at 5 weeks then PD: SD interval not met -> PD"),
    pytest.param([days(41, "SD"), days(80, "PD")], "PD", id="SD at 41 days then PD -> PD"),
    pytest.param([days(42, "SD"), days(80, "PD")], "SD", id="SD at 42 days then PD -> SD"),
    pytest.param([days(35, "SD"), days(60, "NE")], "NE", id="SD too early then NE -> NE"),
    pytest.param([at(8, "PD"), at(16, "PR"), at(24, "PR")], "PD", id="responses after PD do not count -> PD"),
    pytest.param([at(8, "NE"), at(16, "NE")], "NE", id="nothing evaluable -> NE"),
    pytest.param([], "NE", id="no assessment -> NE"),
    pytest.param([at(8, "NED"), at(16, "NED")], "NED", id="no disease -> NED"),
    pytest.param([at(8, "non-CR/non-PD"), at(16, "non-CR/non-PD")], "non-CR/non-PD",
                 id="non-target disease only -> non-CR/non-PD"),
    pytest.param([at(16, "PR"), at(8, "PR")], "PR", id="order given does not matter"),
])
def test_best_overall_response(timepoints, expected):
    assert best_overall_response(timepoints, baseline_on=START) == expected


def test_confirmation_interval_and_sd_interval_are_parameters():
    points = [at(8, "PR"), at(10, "PR")]  # 14 days apart
    assert best_overall_response(points, baseline_on=START) == "SD"
    assert best_overall_response(points, confirm_after_days=14, baseline_on=START) == "PR"
    early = [days(30, "SD")]
    assert best_overall_response(early, baseline_on=START) == "NE"
    assert best_overall_response(early, baseline_on=START, sd_min_days=28) == "SD"


def test_without_a_baseline_date_the_sd_interval_is_not_applied():
    assert best_overall_response([days(10, "SD")]) == "SD"


def test_unknown_response_is_refused():
    with pytest.raises(ValueError, match="progressing"):
        best_overall_response([at(8, "progressing")])
