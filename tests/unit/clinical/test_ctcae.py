"""CTCAE v5.0 lab grading, one case per band edge of each table, in each unit the table prints.

Rows are written "value -> grade" from the published bands; each band is checked at its strict
end (just past the sign) and at its inclusive end."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.clinical.ctcae import NOT_GRADED_BY_VALUE, VALUE_ONLY_NOTES, grade_lab, lab_adverse_event
from alongside.clinical.lab_tests import ImplausibleValue
from alongside.clinical.units import UnitError


def _rows(test, unit, rows, **limits):
    for value, grade, label in rows:
        yield pytest.param(test, value, unit, limits, grade, id=f"{test}-{unit}-{label}-{value:g}")


DECREASES = [
    # Neutrophil count decreased: G1 <LLN-1.5; G2 <1.5-1.0; G3 <1.0-0.5; G4 <0.5 x 10e9/L (and per mm3).
    *_rows("neutrophils", "10*9/L", [(2.0, 0, "at LLN"), (1.99, 1, "G1 below LLN"), (1.5, 1, "G1 lower end"),
                                     (1.49, 2, "G2 below 1.5"), (1.0, 2, "G2 lower end"), (0.99, 3, "G3 below 1.0"),
                                     (0.5, 3, "G3 lower end"), (0.49, 4, "G4 below 0.5"), (0.0, 4, "G4 none")], lln=2.0),
    *_rows("neutrophils", "/uL", [(2000, 0, "at LLN"), (1999, 1, "G1"), (1500, 1, "G1 lower end"), (1499, 2, "G2"),
                                  (1000, 2, "G2 lower end"), (999, 3, "G3"), (500, 3, "G3 lower end"), (499, 4, "G4")],
           lln=2000),
    # Platelet count decreased: G1 <LLN-75; G2 <75-50; G3 <50-25; G4 <25 x 10e9/L.
    *_rows("platelets", "10*9/L", [(150, 0, "at LLN"), (149, 1, "G1"), (75, 1, "G1 lower end"), (74.9, 2, "G2"),
                                   (50, 2, "G2 lower end"), (49.9, 3, "G3"), (25, 3, "G3 lower end"), (24.9, 4, "G4")],
           lln=150),
    *_rows("platelets", "/uL", [(150000, 0, "at LLN"), (149000, 1, "G1"), (75000, 1, "G1 lower end"), (74999, 2, "G2"),
                                (50000, 2, "G2 lower end"), (49999, 3, "G3"), (25000, 3, "G3 lower end"),
                                (24999, 4, "G4")], lln=150000),
    # White blood cell decreased: G1 <LLN-3.0; G2 <3.0-2.0; G3 <2.0-1.0; G4 <1.0 x 10e9/L.
    *_rows("white_cells", "10*9/L", [(4.0, 0, "at LLN"), (3.9, 1, "G1"), (3.0, 1, "G1 lower end"), (2.9, 2, "G2"),
                                     (2.0, 2, "G2 lower end"), (1.9, 3, "G3"), (1.0, 3, "G3 lower end"), (0.9, 4, "G4")],
           lln=4.0),
    *_rows("white_cells", "/uL", [(3000, 1, "G1 lower end"), (2999, 2, "G2"), (2000, 2, "G2 lower end"),
                                  (1999, 3, "G3"), (1000, 3, "G3 lower end"), (999, 4, "G4")], lln=4000),
    # Anemia: G1 <LLN-10.0 g/dL, <LLN-6.2 mmol/L, <LLN-100 g/L; G2 down to 8.0 / 4.9 / 80; G3 below.
    *_rows("haemoglobin", "g/dL", [(12.0, 0, "at LLN"), (11.9, 1, "G1"), (10.0, 1, "G1 lower end"), (9.9, 2, "G2"),
                                   (8.0, 2, "G2 lower end"), (7.9, 3, "G3"), (4.0, 3, "G3 no grade 4 from a number")],
           lln=12.0),
    *_rows("haemoglobin", "g/L", [(120, 0, "at LLN"), (119, 1, "G1"), (100, 1, "G1 lower end"), (99, 2, "G2"),
                                  (80, 2, "G2 lower end"), (79, 3, "G3"), (40, 3, "G3 no grade 4 from a number")],
           lln=120),
    # mmol/L is graded on its own column: 6.2 mmol/L is 9.99 g/dL, but the table makes it grade 1.
    *_rows("haemoglobin", "mmol/L", [(7.4, 0, "at LLN"), (7.3, 1, "G1"), (6.2, 1, "G1 lower end"), (6.1, 2, "G2"),
                                     (4.9, 2, "G2 lower end"), (4.8, 3, "G3")], lln=7.4),
]


@pytest.mark.parametrize("test, value, unit, limits, grade", DECREASES)
def test_decreased_counts_and_anaemia(test, value, unit, limits, grade):
    assert grade_lab(test, value, unit, **limits) == grade


CALCIUM = [
    # Hypercalcemia (corrected serum calcium): G1 >ULN-2.9 mmol/L; G2 >2.9-3.1; G3 >3.1-3.4; G4 >3.4.
    *_rows("calcium_corrected", "mmol/L", [(2.6, 0, "at ULN"), (2.61, 1, "hyper G1"), (2.9, 1, "hyper G1 upper end"),
                                           (2.91, 2, "hyper G2"), (3.1, 2, "hyper G2 upper end"), (3.11, 3, "hyper G3"),
                                           (3.4, 3, "hyper G3 upper end"), (3.41, 4, "hyper G4")], lln=2.2, uln=2.6),
    # Hypocalcemia: G1 <LLN-2.0 mmol/L; G2 <2.0-1.75; G3 <1.75-1.5; G4 <1.5.
    *_rows("calcium_corrected", "mmol/L", [(2.2, 0, "at LLN"), (2.19, -1, "hypo G1"), (2.0, -1, "hypo G1 lower end"),
                                           (1.99, -2, "hypo G2"), (1.75, -2, "hypo G2 lower end"), (1.74, -3, "hypo G3"),
                                           (1.5, -3, "hypo G3 lower end"), (1.49, -4, "hypo G4")], lln=2.2, uln=2.6),
    # mg/dL column: hyper >ULN-11.5, >11.5-12.5, >12.5-13.5, >13.5; hypo <LLN-8.0, <8.0-7.0, <7.0-6.0, <6.0.
    *_rows("calcium_corrected", "mg/dL", [(10.5, 0, "at ULN"), (10.6, 1, "hyper G1"), (11.5, 1, "hyper G1 upper end"),
                                          (11.6, 2, "hyper G2"), (12.5, 2, "hyper G2 upper end"), (12.6, 3, "hyper G3"),
                                          (13.5, 3, "hyper G3 upper end"), (13.6, 4, "hyper G4")], lln=8.5, uln=10.5),
    *_rows("calcium_corrected", "mg/dL", [(8.5, 0, "at LLN"), (8.4, -1, "hypo G1"), (8.0, -1, "hypo G1 lower end"),
                                          (7.9, -2, "hypo G2"), (7.0, -2, "hypo G2 lower end"), (6.9, -3, "hypo G3"),
                                          (6.0, -3, "hypo G3 lower end"), (5.9, -4, "hypo G4")], lln=8.5, uln=10.5),
]


@pytest.mark.parametrize("test, value, unit, limits, signed", CALCIUM)
def test_calcium_above_uln_is_hyper_and_below_lln_is_hypo(test, value, unit, limits, signed):
    """`signed` is +grade for hypercalcaemia and -grade for hypocalcaemia."""
    expected = None if signed == 0 else ("Hypercalcemia" if signed > 0 else "Hypocalcemia", abs(signed))
    assert grade_lab(test, value, unit, **limits) == abs(signed)
    assert lab_adverse_event(test, value, unit, **limits) == expected


LIVER = [
    # ALT / AST, baseline normal: G1 >ULN-3.0xULN; G2 >3.0-5.0; G3 >5.0-20.0; G4 >20.0 x ULN (ULN 40).
    *[row for test in ("alt", "ast") for row in _rows(test, "U/L", [
        (40, 0, "at ULN"), (40.1, 1, "G1"), (120, 1, "G1 upper end"), (120.1, 2, "G2"), (200, 2, "G2 upper end"),
        (200.1, 3, "G3"), (800, 3, "G3 upper end"), (800.1, 4, "G4")], uln=40)],
    # ALT / AST, baseline abnormal (60 > ULN 40): G1 1.5-3.0 x baseline (no sign: 1.5 included) ...
    *[row for test in ("alt", "ast") for row in _rows(test, "U/L", [
        (89.9, 0, "abnormal baseline below 1.5x"), (90, 1, "abnormal baseline G1 at 1.5x"),
        (180, 1, "abnormal baseline G1 upper end"), (180.1, 2, "abnormal baseline G2"),
        (300, 2, "abnormal baseline G2 upper end"), (300.1, 3, "abnormal baseline G3"),
        (1200, 3, "abnormal baseline G3 upper end"), (1200.1, 4, "abnormal baseline G4")], uln=40, baseline=60)],
    # ALP, baseline normal: G1 >ULN-2.5xULN; G2 >2.5-5.0; G3 >5.0-20.0; G4 >20.0 (ULN 130).
    *_rows("alkaline_phosphatase", "U/L", [(130, 0, "at ULN"), (130.1, 1, "G1"), (325, 1, "G1 upper end"),
                                           (325.1, 2, "G2"), (650, 2, "G2 upper end"), (650.1, 3, "G3"),
                                           (2600, 3, "G3 upper end"), (2600.1, 4, "G4")], uln=130),
    # ALP, baseline abnormal (200): G1 2.0-2.5 x baseline; then >2.5-5.0, >5.0-20.0, >20.0.
    *_rows("alkaline_phosphatase", "U/L", [(399, 0, "abnormal baseline below 2.0x"),
                                           (400, 1, "abnormal baseline G1 at 2.0x"),
                                           (500, 1, "abnormal baseline G1 upper end"), (500.1, 2, "abnormal baseline G2"),
                                           (1000, 2, "abnormal baseline G2 upper end"),
                                           (1000.1, 3, "abnormal baseline G3"),
                                           (4000, 3, "abnormal baseline G3 upper end"),
                                           (4000.1, 4, "abnormal baseline G4")], uln=130, baseline=200),
    # Blood bilirubin increased, baseline normal: G1 >ULN-1.5; G2 >1.5-3.0; G3 >3.0-10.0; G4 >10.0 x ULN (21).
    *_rows("bilirubin", "umol/L", [(21, 0, "at ULN"), (21.1, 1, "G1"), (31.5, 1, "G1 upper end"), (31.6, 2, "G2"),
                                   (63, 2, "G2 upper end"), (63.1, 3, "G3"), (210, 3, "G3 upper end"),
                                   (210.1, 4, "G4")], uln=21),
    *_rows("bilirubin", "mg/dL", [(1.2, 0, "at ULN"), (1.3, 1, "G1"), (1.8, 1, "G1 upper end"), (1.9, 2, "G2"),
                                  (12.1, 4, "G4")], uln=1.2),
    # Bilirubin, baseline abnormal (30): G1 >1.0-1.5 x baseline ...
    *_rows("bilirubin", "umol/L", [(30, 0, "abnormal baseline unchanged"), (30.1, 1, "abnormal baseline G1"),
                                   (45, 1, "abnormal baseline G1 upper end"), (45.1, 2, "abnormal baseline G2"),
                                   (90, 2, "abnormal baseline G2 upper end"), (90.1, 3, "abnormal baseline G3"),
                                   (300, 3, "abnormal baseline G3 upper end"), (300.1, 4, "abnormal baseline G4")],
           uln=21, baseline=30),
    # Creatinine increased by ULN (100): G1 >ULN-1.5; G2 >1.5-3.0; G3 >3.0-6.0; G4 >6.0 x ULN.
    *_rows("creatinine", "umol/L", [(100, 0, "at ULN"), (101, 1, "G1"), (150, 1, "G1 upper end"), (151, 2, "G2"),
                                    (300, 2, "G2 upper end"), (301, 3, "G3"), (600, 3, "G3 upper end"), (601, 4, "G4")],
           uln=100),
    # ...and by baseline (50): G2 >1.5-3.0 x baseline; G3 >3.0 x baseline; the higher grade wins.
    *_rows("creatinine", "umol/L", [(75, 0, "1.5x baseline is not above it"), (76, 2, "G2 by baseline under ULN"),
                                    (150, 2, "G2 by baseline at 3.0x"), (151, 3, "G3 by baseline above 3.0x"),
                                    (601, 4, "G4 by ULN")], uln=100, baseline=50),
]


@pytest.mark.parametrize("test, value, unit, limits, grade", LIVER)
def test_liver_and_kidney_tests_by_uln_and_baseline(test, value, unit, limits, grade):
    assert grade_lab(test, value, unit, **limits) == grade


@pytest.mark.parametrize("test, value, unit", [
    ("alt", 500, "U/L"), ("ast", 500, "U/L"), ("alkaline_phosphatase", 500, "U/L"), ("bilirubin", 80, "umol/L"),
    ("creatinine", 400, "umol/L"),
])
def test_a_uln_relative_test_without_uln_cannot_be_graded(test, value, unit):
    assert grade_lab(test, value, unit) is None
    assert grade_lab(test, value, unit, baseline=100) is None


@pytest.mark.parametrize("test, value, unit, grade", [
    ("neutrophils", 1.6, "10*9/L", None),   # grade 0 or 1 depends on the LLN
    ("neutrophils", 1.4, "10*9/L", 2),      # below 1.5 is grade 2 whatever the LLN
    ("platelets", 100, "10*9/L", None),
    ("haemoglobin", 105, "g/L", None),
    ("haemoglobin", 95, "g/L", 2),
    ("calcium_corrected", 2.4, "mmol/L", None),
    ("calcium_corrected", 3.0, "mmol/L", 2),  # above 2.9 is grade 2 hypercalcaemia whatever the ULN
    ("calcium_corrected", 1.9, "mmol/L", 2),
])
def test_missing_lower_or_upper_limit(test, value, unit, grade):
    assert grade_lab(test, value, unit) == grade


def test_a_low_lln_does_not_lift_an_absolute_band():
    # Below 1.5 x 10e9/L is grade 2 even where the laboratory's LLN is lower.
    assert grade_lab("neutrophils", 1.45, "10*9/L", lln=1.4) == 2


def test_calcium_adjusted_is_a_synonym():
    assert grade_lab("calcium_adjusted", 3.2, "mmol/L", lln=2.2, uln=2.6) == 3


def test_units_the_table_does_not_print_are_converted_first():
    # 1.2 x 10e3/uL is 1.2 x 10e9/L: grade 2.
    assert grade_lab("neutrophils", 1.2, "10*3/uL", lln=2.0) == 2


@pytest.mark.parametrize("test, value, unit, limits, expected", [
    ("neutrophils", 0.4, "10*9/L", {"lln": 2.0}, ("Neutrophil count decreased", 4)),
    ("platelets", 40, "10*9/L", {"lln": 150}, ("Platelet count decreased", 3)),
    ("white_cells", 2.5, "10*9/L", {"lln": 4.0}, ("White blood cell decreased", 2)),
    ("haemoglobin", 7.5, "g/dL", {"lln": 12}, ("Anemia", 3)),
    ("alt", 300, "U/L", {"uln": 40}, ("Alanine aminotransferase increased", 3)),
    ("ast", 100, "U/L", {"uln": 40}, ("Aspartate aminotransferase increased", 1)),
    ("alkaline_phosphatase", 400, "U/L", {"uln": 130}, ("Alkaline phosphatase increased", 2)),
    ("bilirubin", 70, "umol/L", {"uln": 21}, ("Blood bilirubin increased", 3)),
    ("creatinine", 130, "umol/L", {"uln": 100}, ("Creatinine increased", 1)),
    ("neutrophils", 2.5, "10*9/L", {"lln": 2.0}, None),
    ("alt", 300, "U/L", {}, None),
])
def test_adverse_event_term(test, value, unit, limits, expected):
    assert lab_adverse_event(test, value, unit, **limits) == expected


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="urea"):
        grade_lab("urea", 5.0, "mmol/L")
    with pytest.raises(UnitError, match="Platelets"):
        grade_lab("platelets", 100, "mmol/L", lln=150)
    with pytest.raises(ImplausibleValue, match="negative"):
        grade_lab("neutrophils", -1, "10*9/L", lln=2.0)
    with pytest.raises(UnitError, match="furlong"):
        grade_lab("neutrophils", 1, "furlongs")


@given(st.floats(0, 20), st.floats(0, 20))
def test_neutrophil_grade_never_rises_as_the_count_rises(a, b):
    low, high = sorted((a, b))
    assert grade_lab("neutrophils", low, "10*9/L", lln=2.0) >= grade_lab("neutrophils", high, "10*9/L", lln=2.0)


@given(st.floats(0, 5000), st.floats(0, 5000), st.one_of(st.none(), st.floats(1, 500)))
def test_alt_grade_never_falls_as_the_value_rises(a, b, baseline):
    low, high = sorted((a, b))
    assert grade_lab("alt", low, "U/L", uln=40, baseline=baseline) <= grade_lab("alt", high, "U/L", uln=40,
                                                                                baseline=baseline)


# --- The rest of a routine UK full blood count and biochemistry panel (issue 12) -----------------------
# One case per published band of CTCAE v5.0, named after the row; "signed" is +grade for the
# increase term and -grade for the decrease term, 0 for none.

def _signed(test, unit, rows, **limits):
    for value, signed, label in rows:
        yield pytest.param(test, value, unit, limits, signed, id=f"{test}-{unit}-{label}-{value:g}")


TERMS_BY_TEST = {"potassium": ("Hyperkalemia", "Hypokalemia"), "sodium": ("Hypernatremia", "Hyponatremia"),
                 "magnesium": ("Hypermagnesemia", "Hypomagnesemia"),
                 "lymphocytes": ("Lymphocyte count increased", "Lymphocyte count decreased")}

ELECTROLYTES_AND_LYMPHOCYTES = [
    # Hyperkalemia: G1 >ULN-5.5 mmol/L; G2 >5.5-6.0; G3 >6.0-7.0; G4 >7.0 (ULN 5.0).
    *_signed("potassium", "mmol/L", [(5.0, 0, "at ULN"), (5.1, 1, "Hyperkalemia G1 >ULN-5.5"),
                                     (5.5, 1, "Hyperkalemia G1 upper end"), (5.6, 2, "Hyperkalemia G2 >5.5-6.0"),
                                     (6.0, 2, "Hyperkalemia G2 upper end"), (6.1, 3, "Hyperkalemia G3 >6.0-7.0"),
                                     (7.0, 3, "Hyperkalemia G3 upper end"), (7.1, 4, "Hyperkalemia G4 >7.0")],
             lln=3.5, uln=5.0),
    # Hypokalemia: G1 <LLN-3.0; G2 symptomatic with <LLN-3.0 (not from a value); G3 <3.0-2.5; G4 <2.5.
    *_signed("potassium", "mmol/L", [(3.5, 0, "at LLN"), (3.4, -1, "Hypokalemia G1 <LLN-3.0"),
                                     (3.0, -1, "Hypokalemia G1 lower end (G2 needs symptoms)"),
                                     (2.9, -3, "Hypokalemia G3 <3.0-2.5"), (2.5, -3, "Hypokalemia G3 lower end"),
                                     (2.4, -4, "Hypokalemia G4 <2.5")], lln=3.5, uln=5.0),
    # Hypernatremia: G1 >ULN-150 mmol/L; G2 >150-155; G3 >155-160; G4 >160 (ULN 145).
    *_signed("sodium", "mmol/L", [(145, 0, "at ULN"), (146, 1, "Hypernatremia G1 >ULN-150"),
                                  (150, 1, "Hypernatremia G1 upper end"), (151, 2, "Hypernatremia G2 >150-155"),
                                  (155, 2, "Hypernatremia G2 upper end"), (156, 3, "Hypernatremia G3 >155-160"),
                                  (160, 3, "Hypernatremia G3 upper end"), (161, 4, "Hypernatremia G4 >160")],
             lln=135, uln=145),
    # Hyponatremia: G1 <LLN-130; G2 125-129 and asymptomatic; G3 125-129 symptomatic, 120-124
    # regardless of symptoms; G4 <120 (LLN 135).
    *_signed("sodium", "mmol/L", [(135, 0, "at LLN"), (134, -1, "Hyponatremia G1 <LLN-130"),
                                  (130, -1, "Hyponatremia G1 lower end"),
                                  (129, -2, "Hyponatremia G2 125-129 (G3 if symptomatic)"),
                                  (125, -2, "Hyponatremia G2 lower end"),
                                  (124, -3, "Hyponatremia G3 120-124 regardless of symptoms"),
                                  (120, -3, "Hyponatremia G3 lower end"), (119, -4, "Hyponatremia G4 <120")],
             lln=135, uln=145),
    # Hypermagnesemia: G1 >ULN-1.23 mmol/L; no G2; G3 >1.23-3.30; G4 >3.30 (ULN 1.0).
    *_signed("magnesium", "mmol/L", [(1.0, 0, "at ULN"), (1.01, 1, "Hypermagnesemia G1 >ULN-1.23"),
                                     (1.23, 1, "Hypermagnesemia G1 upper end"),
                                     (1.24, 3, "Hypermagnesemia G3 >1.23-3.30 (no G2)"),
                                     (3.30, 3, "Hypermagnesemia G3 upper end"), (3.31, 4, "Hypermagnesemia G4 >3.30")],
             lln=0.7, uln=1.0),
    # Hypomagnesemia: G1 <LLN-0.5 mmol/L; G2 <0.5-0.4; G3 <0.4-0.3; G4 <0.3 (LLN 0.7).
    *_signed("magnesium", "mmol/L", [(0.7, 0, "at LLN"), (0.69, -1, "Hypomagnesemia G1 <LLN-0.5"),
                                     (0.5, -1, "Hypomagnesemia G1 lower end"), (0.49, -2, "Hypomagnesemia G2 <0.5-0.4"),
                                     (0.4, -2, "Hypomagnesemia G2 lower end"), (0.39, -3, "Hypomagnesemia G3 <0.4-0.3"),
                                     (0.3, -3, "Hypomagnesemia G3 lower end"), (0.29, -4, "Hypomagnesemia G4 <0.3")],
             lln=0.7, uln=1.0),
    # ...and its mg/dL column, graded as printed: G1 >ULN-3.0; G3 >3.0-8.0; G4 >8.0; G1 <LLN-1.2;
    # G2 <1.2-0.9; G3 <0.9-0.7; G4 <0.7 (LLN 1.7, ULN 2.4).
    *_signed("magnesium", "mg/dL", [(3.0, 1, "Hypermagnesemia G1 upper end"), (3.1, 3, "Hypermagnesemia G3 >3.0-8.0"),
                                    (8.0, 3, "Hypermagnesemia G3 upper end"), (8.1, 4, "Hypermagnesemia G4 >8.0"),
                                    (1.6, -1, "Hypomagnesemia G1 <LLN-1.2"), (1.2, -1, "Hypomagnesemia G1 lower end"),
                                    (1.1, -2, "Hypomagnesemia G2 <1.2-0.9"), (0.9, -2, "Hypomagnesemia G2 lower end"),
                                    (0.8, -3, "Hypomagnesemia G3 <0.9-0.7"), (0.7, -3, "Hypomagnesemia G3 lower end"),
                                    (0.6, -4, "Hypomagnesemia G4 <0.7")], lln=1.7, uln=2.4),
    # Lymphocyte count decreased: G1 <LLN-0.8 x 10e9/L; G2 <0.8-0.5; G3 <0.5-0.2; G4 <0.2 (LLN 1.0).
    *_signed("lymphocytes", "10*9/L", [(1.0, 0, "at LLN"), (0.99, -1, "Lymphocyte count decreased G1 <LLN-0.8"),
                                       (0.8, -1, "Lymphocyte count decreased G1 lower end"),
                                       (0.79, -2, "Lymphocyte count decreased G2 <0.8-0.5"),
                                       (0.5, -2, "Lymphocyte count decreased G2 lower end"),
                                       (0.49, -3, "Lymphocyte count decreased G3 <0.5-0.2"),
                                       (0.2, -3, "Lymphocyte count decreased G3 lower end"),
                                       (0.19, -4, "Lymphocyte count decreased G4 <0.2")], lln=1.0, uln=3.5),
    *_signed("lymphocytes", "/uL", [(800, -1, "Lymphocyte count decreased G1 lower end"),
                                    (799, -2, "Lymphocyte count decreased G2 <800-500/mm3"),
                                    (499, -3, "Lymphocyte count decreased G3 <500-200/mm3"),
                                    (199, -4, "Lymphocyte count decreased G4 <200/mm3")], lln=1000, uln=3500),
    # Lymphocyte count increased: G2 >4000/mm3-20,000/mm3; G3 >20,000/mm3; no G1 (ULN 3.5).
    *_signed("lymphocytes", "10*9/L", [(3.9, 0, "above ULN but no G1 in the table"),
                                       (4.0, 0, "Lymphocyte count increased G2 lower end is strict"),
                                       (4.1, 2, "Lymphocyte count increased G2 >4000-20000/mm3"),
                                       (20.0, 2, "Lymphocyte count increased G2 upper end"),
                                       (20.1, 3, "Lymphocyte count increased G3 >20000/mm3")], lln=1.0, uln=3.5),
]


@pytest.mark.parametrize("test, value, unit, limits, signed", ELECTROLYTES_AND_LYMPHOCYTES)
def test_electrolytes_and_lymphocytes_both_ways(test, value, unit, limits, signed):
    up, down = TERMS_BY_TEST[test]
    expected = None if signed == 0 else (up if signed > 0 else down, abs(signed))
    assert grade_lab(test, value, unit, **limits) == abs(signed)
    assert lab_adverse_event(test, value, unit, **limits) == expected


GGT = [
    # GGT increased, baseline normal: G1 >ULN-2.5 x ULN; G2 >2.5-5.0; G3 >5.0-20.0; G4 >20.0 x ULN (ULN 40).
    *_rows("ggt", "U/L", [(40, 0, "at ULN"), (40.1, 1, "G1 >ULN-2.5xULN"), (100, 1, "G1 upper end"),
                          (100.1, 2, "G2 >2.5-5.0xULN"), (200, 2, "G2 upper end"), (200.1, 3, "G3 >5.0-20.0xULN"),
                          (800, 3, "G3 upper end"), (800.1, 4, "G4 >20.0xULN")], uln=40),
    # GGT increased, baseline abnormal (60): G1 2.0-2.5 x baseline; G2 >2.5-5.0; G3 >5.0-20.0; G4 >20.0.
    *_rows("ggt", "U/L", [(119, 0, "abnormal baseline below 2.0x"), (120, 1, "abnormal baseline G1 2.0-2.5x"),
                          (150, 1, "abnormal baseline G1 upper end"), (150.1, 2, "abnormal baseline G2 >2.5-5.0x"),
                          (300, 2, "abnormal baseline G2 upper end"), (300.1, 3, "abnormal baseline G3 >5.0-20.0x"),
                          (1200, 3, "abnormal baseline G3 upper end"), (1200.1, 4, "abnormal baseline G4 >20.0x")],
           uln=40, baseline=60),
]


@pytest.mark.parametrize("test, value, unit, limits, grade", GGT)
def test_ggt_by_uln_and_baseline(test, value, unit, limits, grade):
    assert grade_lab(test, value, unit, **limits) == grade
    assert lab_adverse_event(test, value, unit, **limits) == (("GGT increased", grade) if grade else None)


@pytest.mark.parametrize("value", [2.0, 5.5, 15.0, 40.0])
def test_hyperglycaemia_is_not_graded_by_value_and_says_why(value):
    # CTCAE v5.0 Hyperglycemia: G1 "abnormal glucose above baseline with no medical intervention",
    # G2 "change in daily management... oral antiglycemic agent initiated", G3 "insulin therapy
    # initiated; hospitalization indicated": no value bands, so no grade from a number.
    assert grade_lab("glucose", value, "mmol/L", lln=3.5, uln=7.8) is None
    assert lab_adverse_event("glucose", value, "mmol/L", lln=3.5, uln=7.8) is None
    assert "treatment it needs" in NOT_GRADED_BY_VALUE["glucose"]


def test_a_glucose_in_a_unit_it_is_not_reported_in_is_still_refused():
    with pytest.raises(UnitError, match="Glucose"):
        grade_lab("glucose", 5, "g/L")


def test_grades_a_value_alone_cannot_raise_say_so():
    assert "symptoms" in VALUE_ONLY_NOTES[("Hyponatremia", 2)]
    assert "symptoms" in VALUE_ONLY_NOTES[("Hypokalemia", 1)]


@given(st.floats(90, 200), st.floats(90, 200))
def test_hyponatraemia_grade_never_rises_as_sodium_rises(a, b):
    low, high = sorted((a, b))
    def hypo(v):
        event = lab_adverse_event("sodium", v, "mmol/L", lln=135, uln=145)
        return event[1] if event and event[0] == "Hyponatremia" else 0
    assert hypo(low) >= hypo(high)
