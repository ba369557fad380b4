"""The lab test catalogue: names and LOINC codes, canonical units, plausible ranges, adjusted calcium."""

import pytest

from alongside.clinical.lab_tests import (
    LAB_TESTS, AdjustedCalciumFormula, ImplausibleValue, UnitNotAccepted, adjusted_calcium, identify, to_canonical,
)
from alongside.clinical.units import UnitError, parse_unit

REQUIRED = ["haemoglobin", "white_cells", "neutrophils", "lymphocytes", "platelets", "creatinine", "egfr", "alt",
            "ast", "alkaline_phosphatase", "bilirubin", "albumin", "calcium", "calcium_adjusted"]


def test_the_catalogue_has_every_test_the_issue_names():
    assert set(REQUIRED) <= set(LAB_TESTS)


@pytest.mark.parametrize("key", REQUIRED)
def test_each_canonical_unit_is_ucum_and_each_range_is_ordered(key):
    test = LAB_TESTS[key]
    assert parse_unit(test.unit) == test.unit
    assert 0 <= test.plausible_low < test.plausible_high


@pytest.mark.parametrize("written, key", [
    ("Neutrophils", "neutrophils"), ("neutrophil count", "neutrophils"), ("ANC", "neutrophils"),
    ("751-8", "neutrophils"), ("  NEUTROPHILS ", "neutrophils"),
    ("Hb", "haemoglobin"), ("Hemoglobin", "haemoglobin"), ("718-7", "haemoglobin"),
    ("WBC", "white_cells"), ("6690-2", "white_cells"),
    ("Platelet count", "platelets"), ("777-3", "platelets"),
    ("Lymphocytes", "lymphocytes"), ("731-0", "lymphocytes"),
    ("Creatinine", "creatinine"), ("2160-0", "creatinine"), ("14682-9", "creatinine"),
    ("eGFR", "egfr"), ("62238-1", "egfr"),
    ("ALT", "alt"), ("Alanine aminotransferase", "alt"), ("1742-6", "alt"),
    ("AST", "ast"), ("1920-8", "ast"),
    ("ALP", "alkaline_phosphatase"), ("6768-6", "alkaline_phosphatase"),
    ("Total bilirubin", "bilirubin"), ("1975-2", "bilirubin"),
    ("Albumin", "albumin"), ("1751-7", "albumin"),
    ("Calcium", "calcium"), ("17861-6", "calcium"),
    ("Adjusted calcium", "calcium_adjusted"), ("corrected calcium", "calcium_adjusted"),
])
def test_identify_by_name_abbreviation_or_loinc(written, key):
    assert identify(written).key == key


@pytest.mark.parametrize("written", ["CA 15-3", "unicorn count", "", "0000-0"])
def test_identify_unknown_is_none(written):
    assert identify(written) is None


@pytest.mark.parametrize("key, value, unit, expected", [
    ("haemoglobin", 12.0, "g/dL", 120.0),
    ("neutrophils", 1500, "cells/uL", 1.5),
    ("platelets", 150, "x10^9/L", 150.0),
    ("creatinine", 1.0, "mg/dL", 88.4),
    ("bilirubin", 1.0, "mg/dL", 17.1),
    ("calcium", 10.0, "mg/dL", 2.495),
    ("albumin", 4.0, "g/dL", 40.0),
    ("alt", 40, "IU/L", 40.0),
])
def test_to_canonical(key, value, unit, expected):
    assert to_canonical(LAB_TESTS[key], value, unit) == pytest.approx(expected, rel=1e-3)


def test_a_unit_of_the_wrong_kind_names_the_test_and_its_unit():
    with pytest.raises(UnitError) as raised:
        to_canonical(LAB_TESTS["platelets"], 200, "mmol/L")
    assert str(raised.value) == ("mmol/L does not fit Platelets, which is counted in 10*9/L. "
                                 "Units accepted: 10*9/L, 10*3/uL, /uL")


@pytest.mark.parametrize("key, unit, accepted", [
    # Of the right kind but not how the test is reported: refused with the units it accepts.
    pytest.param("haemoglobin", "mg/dL", "g/L, g/dL, mmol/L", id="haemoglobin in mg/dL"),
    pytest.param("magnesium", "meq/L", "mmol/L, mg/dL", id="magnesium in meq/L (charge two)"),
    pytest.param("urea", "mg/dL", "mmol/L", id="urea in mg/dL (that is urea nitrogen)"),
    pytest.param("neutrophils", "/L", "10*9/L, 10*3/uL, /uL", id="neutrophils per litre"),
])
def test_a_unit_the_test_is_not_reported_in_is_refused_naming_those_it_accepts(key, unit, accepted):
    with pytest.raises(UnitNotAccepted) as raised:
        to_canonical(LAB_TESTS[key], 1, unit)
    assert str(raised.value).endswith(f"Units accepted: {accepted}")


@pytest.mark.parametrize("written, key", [
    ("Potassium", "potassium"), ("K+", "potassium"), ("2823-3", "potassium"),
    ("Sodium", "sodium"), ("Na", "sodium"), ("2951-2", "sodium"),
    ("Magnesium", "magnesium"), ("19123-9", "magnesium"),
    ("GGT", "ggt"), ("Gamma GT", "ggt"), ("2324-2", "ggt"),
    ("Glucose", "glucose"), ("2345-7", "glucose"), ("Urea", "urea"), ("22664-7", "urea"),
    ("CRP", "crp"), ("1988-5", "crp"),
])
def test_the_rest_of_a_routine_uk_panel_is_in_the_catalogue(written, key):
    test = identify(written)
    assert test is not None and test.key == key
    assert parse_unit(test.unit) == test.unit
    assert all(parse_unit(unit) == unit for unit in test.accepted_units)


@pytest.mark.parametrize("key, value, unit, expected", [
    ("sodium", 140, "mEq/L", 140.0), ("potassium", 4.1, "meq/l", 4.1),
    ("magnesium", 2.0, "mg/dL", 0.823), ("glucose", 90, "mg/dL", 5.0),
    ("crp", 1.0, "mg/dL", 10.0), ("ggt", 40, "IU/L", 40.0),
])
def test_the_new_tests_convert_to_their_canonical_unit(key, value, unit, expected):
    assert to_canonical(LAB_TESTS[key], value, unit) == pytest.approx(expected, rel=1e-3)


def test_an_unknown_unit_is_named():
    with pytest.raises(UnitError, match="bananas"):
        to_canonical(LAB_TESTS["platelets"], 200, "bananas")


def test_a_negative_count_is_refused():
    with pytest.raises(ImplausibleValue, match="negative"):
        to_canonical(LAB_TESTS["neutrophils"], -1, "10*9/L")


@pytest.mark.parametrize("key, value, unit", [
    ("haemoglobin", 12, "g/L"),        # g/dL entered as g/L
    ("platelets", 150000, "10*9/L"),   # per uL entered as 10*9/L
    ("calcium", 9.6, "mmol/L"),        # mg/dL entered as mmol/L
])
def test_a_value_outside_the_plausible_range_names_the_range(key, value, unit):
    test = LAB_TESTS[key]
    with pytest.raises(ImplausibleValue) as raised:
        to_canonical(test, value, unit)
    assert f"{test.plausible_low:g}-{test.plausible_high:g} {test.unit}" in str(raised.value)


@pytest.mark.parametrize("calcium, albumin, expected", [
    (2.30, 40, 2.30),   # at the reference albumin nothing changes
    (2.30, 30, 2.50),   # 10 g/L low: +0.2 mmol/L
    (2.30, 45, 2.20),   # 5 g/L high: -0.1 mmol/L
])
def test_adjusted_calcium_payne_uk_form(calcium, albumin, expected):
    assert adjusted_calcium(calcium, albumin) == pytest.approx(expected)


def test_adjusted_calcium_coefficients_are_data():
    local = AdjustedCalciumFormula(slope_mmol_per_g=0.025, reference_albumin_g_l=42.0)
    assert adjusted_calcium(2.30, 30, local) == pytest.approx(2.30 + 0.025 * 12)
