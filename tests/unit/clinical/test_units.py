"""Units: everyday spellings to UCUM, and the conversions the results pages need."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.clinical.units import UnitError, convert, parse_unit


@pytest.mark.parametrize("written, ucum", [
    ("x10^9/L", "10*9/L"), ("10^9/L", "10*9/L"), ("x 10*9/L", "10*9/L"), ("10*9/L", "10*9/L"),
    ("10E9/L", "10*9/L"), ("×10⁹/L", "10*9/L"), ("x10^12/L", "10*12/L"),
    ("µmol/L", "umol/L"), ("umol/l", "umol/L"), ("μmol/L", "umol/L"), ("mmol/l", "mmol/L"),
    ("IU/L", "U/L"), ("iu/l", "U/L"), ("U/L", "U/L"),
    ("g/dl", "g/dL"), ("g/L", "g/L"), ("mg/dl", "mg/dL"),
    ("/uL", "/uL"), ("cells/uL", "/uL"), ("/mm3", "/uL"),
    ("%", "%"), ("mL/min/1.73m2", "mL/min/{1.73_m2}"), ("ml/min/1.73 m2", "mL/min/{1.73_m2}"),
    ("kU/L", "kU/L"), ("U/mL", "U/mL"),
])
def test_everyday_spellings_become_ucum(written, ucum):
    assert parse_unit(written) == ucum


# Issue 12 item 3: every spelling of a blood count and biochemistry unit seen on reports is read,
# one case each, including the Unicode multiplication sign and superscript nine, the micro sign
# (U+00B5) and the Greek mu (U+03BC).
@pytest.mark.parametrize("written, ucum", [
    pytest.param("x10^9/L", "10*9/L", id="x10^9/L"),
    pytest.param("x10*9/L", "10*9/L", id="x10*9/L"),
    pytest.param("10^9/l", "10*9/L", id="10^9/l lower-case litre"),
    pytest.param("\u00d710\u2079/L", "10*9/L", id="multiplication sign and superscript nine"),
    pytest.param("\u00d7 10^9 /L", "10*9/L", id="multiplication sign with spaces"),
    pytest.param("10\u2079/L", "10*9/L", id="superscript nine without x"),
    pytest.param("g/l", "g/L", id="g/l"),
    pytest.param("umol/L", "umol/L", id="umol/L"),
    pytest.param("\u00b5mol/L", "umol/L", id="micro sign U+00B5 mol/L"),
    pytest.param("\u03bcmol/L", "umol/L", id="Greek mu U+03BC mol/L"),
    pytest.param("\u03bcg/L", "ug/L", id="Greek mu U+03BC g/L"),
    pytest.param("\u00b5g/L", "ug/L", id="micro sign U+00B5 g/L"),
    pytest.param("/\u03bcL", "/uL", id="per Greek mu litre"),
    pytest.param("mEq/L", "meq/L", id="mEq/L"),
    pytest.param("10*3/uL", "10*3/uL", id="10*3/uL"),
])
def test_issue_12_spellings_are_read(written, ucum):
    assert parse_unit(written) == ucum


@pytest.mark.parametrize("written", ["furlongs", "mmol/litre-ish", "", "   ", "mg/bucket"])
def test_an_unknown_unit_is_refused_by_name(written):
    with pytest.raises(UnitError) as raised:
        parse_unit(written)
    assert (written.strip() or "empty") in str(raised.value)


CREATININE_G_PER_MOL = 113.12
BILIRUBIN_G_PER_MOL = 584.66
CALCIUM_G_PER_MOL = 40.078


@pytest.mark.parametrize("value, source, target, molar_mass, expected", [
    pytest.param(12.5, "g/dL", "g/L", None, 125.0, id="haemoglobin g/dL -> g/L"),
    pytest.param(125, "g/L", "g/dL", None, 12.5, id="haemoglobin g/L -> g/dL"),
    # The conventional factors: creatinine 88.4 umol/L per mg/dL, bilirubin 17.1, calcium 0.2495 mmol/L.
    pytest.param(1.0, "mg/dL", "umol/L", CREATININE_G_PER_MOL, 88.4, id="creatinine mg/dL -> umol/L"),
    pytest.param(88.4, "umol/L", "mg/dL", CREATININE_G_PER_MOL, 1.0, id="creatinine umol/L -> mg/dL"),
    pytest.param(1.0, "mg/dL", "umol/L", BILIRUBIN_G_PER_MOL, 17.1, id="bilirubin mg/dL -> umol/L"),
    pytest.param(17.1, "umol/L", "mg/dL", BILIRUBIN_G_PER_MOL, 1.0, id="bilirubin umol/L -> mg/dL"),
    pytest.param(10.0, "mg/dL", "mmol/L", CALCIUM_G_PER_MOL, 2.495, id="calcium mg/dL -> mmol/L"),
    pytest.param(2.5, "mmol/L", "mg/dL", CALCIUM_G_PER_MOL, 10.02, id="calcium mmol/L -> mg/dL"),
    pytest.param(1.5, "10*9/L", "/uL", None, 1500.0, id="count 10*9/L -> /uL"),
    pytest.param(150000, "/uL", "10*9/L", None, 150.0, id="count /uL -> 10*9/L"),
    pytest.param(40, "IU/L", "U/L", None, 40.0, id="IU/L is U/L"),
])
def test_conversions(value, source, target, molar_mass, expected):
    assert convert(value, source, target, molar_mass=molar_mass) == pytest.approx(expected, rel=1e-3)


def test_units_of_different_kinds_do_not_convert():
    with pytest.raises(UnitError, match="mmol/L cannot be converted to 10\\*9/L"):
        convert(1, "mmol/L", "10*9/L")


def test_mass_and_amount_need_a_molar_mass():
    with pytest.raises(UnitError, match="molar mass"):
        convert(1, "mg/dL", "umol/L")


@given(st.floats(0.001, 1e6), st.sampled_from([("g/dL", "g/L", None), ("mg/dL", "umol/L", CREATININE_G_PER_MOL),
                                                ("10*9/L", "/uL", None), ("mmol/L", "mg/dL", CALCIUM_G_PER_MOL)]))
def test_a_round_trip_returns_the_value(value, units):
    source, target, molar_mass = units
    there = convert(value, source, target, molar_mass=molar_mass)
    assert convert(there, target, source, molar_mass=molar_mass) == pytest.approx(value, rel=1e-9)
