"""CTCAE v5.0 grading of laboratory values.

Implements the Common Terminology Criteria for Adverse Events, version 5.0 (US National Cancer
Institute, published 27 November 2017), for the terms a blood test alone can grade:

- Investigations: Neutrophil count decreased, Platelet count decreased, White blood cell
  decreased, Alanine aminotransferase increased, Aspartate aminotransferase increased,
  Alkaline phosphatase increased, Blood bilirubin increased, Creatinine increased;
- Blood and lymphatic system disorders: Anemia;
- Investigations: Lymphocyte count decreased, Lymphocyte count increased, GGT increased;
- Metabolism and nutrition disorders: Hypercalcemia and Hypocalcemia (corrected serum calcium),
  Hyperkalemia and Hypokalemia, Hypernatremia and Hyponatremia, Hypermagnesemia and
  Hypomagnesemia.

Hyperglycemia is not graded: CTCAE v5.0 grades it by the treatment it needs (grade 2 "change in
daily management of glucose; oral antiglycemic agent initiated", grade 3 "insulin therapy
initiated; hospitalization indicated"), not by a glucose value, so a number alone cannot give a
grade and none is invented (`NOT_GRADED_BY_VALUE` says so in words).

The bands below are the tables' rows as data. CTCAE writes a band as "<1.5 - 1.0 x 10e9/L"
(below 1.5, down to and including 1.0) or ">3.0 - 5.0 x ULN" (above 3.0, up to and including
5.0): the strict end is the one with the sign. Where a table gives a band in more than one unit
(haemoglobin in g/dL, mmol/L and g/L; calcium in mg/dL and mmol/L; counts per mm3 and x 10e9/L)
a value in one of those units is graded on that unit's own column, because the table's columns
are rounded separately and are not exact conversions of each other. A value in any other unit
is converted to the test's canonical unit first.

Limits of a number alone, as the table defines them:
- Anemia grade 4 is "life-threatening consequences; urgent intervention indicated", a clinical
  judgement, so a haemoglobin value gives at most grade 3.
- Grades that also name symptoms or hospital admission (calcium grades 2-4, for example) are
  graded here on their numeric criterion only.
- A grade 1 that starts at the lower or upper limit of normal needs that limit: without it,
  a value that might be grade 0 or 1 gives None (cannot be graded), never a guess.
- Hypokalemia grade 2 is "symptomatic with <LLN - 3.0 mmol/L; intervention indicated": a value
  from the LLN down to 3.0 is grade 1 here, which symptoms or treatment would make grade 2.
- Hyponatremia grade 2 is "125-129 mmol/L and asymptomatic" and grade 3 "125-129 mmol/L
  symptomatic; 120-124 mmol/L regardless of symptoms": 125-129 is grade 2 here, which symptoms
  would make grade 3 (`VALUE_ONLY_NOTES` says so wherever that grade is shown).
- Hypermagnesemia has no grade 2 and Lymphocyte count increased no grade 1 or 4: the table's
  gaps are kept (lymphocytes above the ULN but not above 4.0 x 10e9/L are not an adverse event).
"""

from __future__ import annotations

from dataclasses import dataclass

from alongside.clinical.lab_tests import LAB_TESTS, LabTest, to_canonical
from alongside.clinical.units import convert, parse_unit

__all__ = ["GRADED_TESTS", "TERMS", "NOT_GRADED_BY_VALUE", "VALUE_ONLY_NOTES", "grade_lab", "lab_adverse_event"]

# The CTCAE v5.0 term for each test (the terms are the table's own, in US spelling).
TERMS: dict[str, str] = {
    "neutrophils": "Neutrophil count decreased",
    "platelets": "Platelet count decreased",
    "white_cells": "White blood cell decreased",
    "haemoglobin": "Anemia",
    "alt": "Alanine aminotransferase increased",
    "ast": "Aspartate aminotransferase increased",
    "alkaline_phosphatase": "Alkaline phosphatase increased",
    "bilirubin": "Blood bilirubin increased",
    "creatinine": "Creatinine increased",
    "ggt": "GGT increased",
}
HYPERCALCAEMIA = "Hypercalcemia"
HYPOCALCAEMIA = "Hypocalcemia"
_SYNONYMS = {"calcium_adjusted": "calcium_corrected"}


# Absolute bands: grade -> the bound a value must be below (decreases) or above (increases).
# Grade 1 runs from the limit of normal to the grade 2 bound. Columns by unit, as printed.
_NEUTROPHILS = {"10*9/L": {4: 0.5, 3: 1.0, 2: 1.5}, "/uL": {4: 500, 3: 1000, 2: 1500}}
_PLATELETS = {"10*9/L": {4: 25.0, 3: 50.0, 2: 75.0}, "/uL": {4: 25000, 3: 50000, 2: 75000}}
_WHITE_CELLS = {"10*9/L": {4: 1.0, 3: 2.0, 2: 3.0}, "/uL": {4: 1000, 3: 2000, 2: 3000}}
# Anemia: grade 3 "<8.0 g/dL; <4.9 mmol/L; <80 g/L"; grade 2 "<10.0 - 8.0 g/dL; <6.2 - 4.9 mmol/L;
# <100 - 80 g/L". Grade 4 is clinical (see the module docstring).
_ANAEMIA = {"g/L": {3: 80.0, 2: 100.0}, "g/dL": {3: 8.0, 2: 10.0}, "mmol/L": {3: 4.9, 2: 6.2}}
# Corrected serum calcium (the ionised calcium rows are not graded here).
_HYPOCALCAEMIA = {"mmol/L": {4: 1.5, 3: 1.75, 2: 2.0}, "mg/dL": {4: 6.0, 3: 7.0, 2: 8.0}}
_HYPERCALCAEMIA = {"mmol/L": {4: 3.4, 3: 3.1, 2: 2.9}, "mg/dL": {4: 13.5, 3: 12.5, 2: 11.5}}

_DECREASES = {"neutrophils": _NEUTROPHILS, "platelets": _PLATELETS, "white_cells": _WHITE_CELLS,
              "haemoglobin": _ANAEMIA}


@dataclass(frozen=True)
class Direction:
    """One term of a test that can go either way: its bands by unit column, and whether a value
    past the limit of normal but inside the grade 2 bound is grade 1 (False where the table has
    no grade 1, as Lymphocyte count increased)."""

    term: str
    columns: dict[str, dict[int, float]]
    grade_1_from_limit: bool = True


# Tests graded on both sides of normal: (below, above). Bands as printed in CTCAE v5.0.
_BOTH_WAYS: dict[str, tuple[Direction, Direction]] = {
    "calcium_corrected": (Direction(HYPOCALCAEMIA, _HYPOCALCAEMIA), Direction(HYPERCALCAEMIA, _HYPERCALCAEMIA)),
    # Hypokalemia: G1 <LLN-3.0 mmol/L; G2 symptomatic with <LLN-3.0 (clinical); G3 <3.0-2.5; G4 <2.5.
    # Hyperkalemia: G1 >ULN-5.5; G2 >5.5-6.0; G3 >6.0-7.0; G4 >7.0 mmol/L.
    "potassium": (Direction("Hypokalemia", {"mmol/L": {4: 2.5, 3: 3.0}}),
                  Direction("Hyperkalemia", {"mmol/L": {4: 7.0, 3: 6.0, 2: 5.5}})),
    # Hyponatremia: G1 <LLN-130; G2 125-129 and asymptomatic; G3 125-129 symptomatic, 120-124
    # regardless of symptoms; G4 <120 mmol/L. Hypernatremia: G1 >ULN-150; G2 >150-155; G3 >155-160; G4 >160.
    "sodium": (Direction("Hyponatremia", {"mmol/L": {4: 120.0, 3: 125.0, 2: 130.0}}),
               Direction("Hypernatremia", {"mmol/L": {4: 160.0, 3: 155.0, 2: 150.0}})),
    # Hypomagnesemia: G1 <LLN-1.2 mg/dL, <LLN-0.5 mmol/L; G2 <1.2-0.9 mg/dL, <0.5-0.4 mmol/L;
    # G3 <0.9-0.7 mg/dL, <0.4-0.3 mmol/L; G4 <0.7 mg/dL, <0.3 mmol/L.
    # Hypermagnesemia: G1 >ULN-3.0 mg/dL, >ULN-1.23 mmol/L; no G2; G3 >3.0-8.0 mg/dL,
    # >1.23-3.30 mmol/L; G4 >8.0 mg/dL, >3.30 mmol/L.
    "magnesium": (Direction("Hypomagnesemia", {"mmol/L": {4: 0.3, 3: 0.4, 2: 0.5}, "mg/dL": {4: 0.7, 3: 0.9, 2: 1.2}}),
                  Direction("Hypermagnesemia", {"mmol/L": {4: 3.30, 3: 1.23}, "mg/dL": {4: 8.0, 3: 3.0}})),
    # Lymphocyte count decreased: G1 <LLN-800/mm3, <LLN-0.8 x 10e9/L; G2 <800-500/mm3, <0.8-0.5;
    # G3 <500-200/mm3, <0.5-0.2; G4 <200/mm3, <0.2 x 10e9/L.
    # Lymphocyte count increased: G2 >4000/mm3-20,000/mm3; G3 >20,000/mm3 (no G1, no G4).
    "lymphocytes": (Direction("Lymphocyte count decreased", {"10*9/L": {4: 0.2, 3: 0.5, 2: 0.8},
                                                              "/uL": {4: 200, 3: 500, 2: 800}}),
                    Direction("Lymphocyte count increased", {"10*9/L": {3: 20.0, 2: 4.0}, "/uL": {3: 20000, 2: 4000}},
                              grade_1_from_limit=False)),
}
GRADED_TESTS = (*TERMS, *_BOTH_WAYS)

# Tests in the catalogue that a value alone does not grade, and why, in words a person can read.
NOT_GRADED_BY_VALUE: dict[str, str] = {
    "glucose": "Not graded: CTCAE v5.0 grades high blood sugar by the treatment it needs (a change in "
               "diet or tablets, insulin, a hospital stay), not by the number, so a result alone is not graded.",
}
# Where a value gives a grade that symptoms or treatment would raise (see the module docstring).
VALUE_ONLY_NOTES: dict[tuple[str, int], str] = {
    ("Hyponatremia", 2): "Grade 2 by the value alone: grade 3 if there are symptoms.",
    ("Hypokalemia", 1): "Grade 1 by the value alone: grade 2 if there are symptoms or treatment is needed.",
}


@dataclass(frozen=True)
class Multiple:
    """A band "> m x reference" (or ">= m" when the table prints no sign, as in "1.5 - 3.0 x baseline")."""

    grade: int
    times: float
    inclusive: bool = False

    def met(self, value: float, reference: float) -> bool:
        bound = _tidy(self.times * reference)
        return value >= bound if self.inclusive else value > bound


@dataclass(frozen=True)
class RelativeBands:
    """A test graded as multiples of the ULN when baseline was normal, of baseline when it was not."""

    baseline_normal: tuple[Multiple, ...]
    baseline_abnormal: tuple[Multiple, ...]


def _bands(*rows: tuple) -> tuple[Multiple, ...]:
    return tuple(Multiple(*row) for row in rows)


_RELATIVE: dict[str, RelativeBands] = {
    # ">ULN - 3.0 x ULN" ... ">20.0 x ULN"; abnormal baseline "1.5 - 3.0 x baseline" ... ">20.0 x baseline".
    "alt": RelativeBands(_bands((4, 20.0), (3, 5.0), (2, 3.0), (1, 1.0)),
                         _bands((4, 20.0), (3, 5.0), (2, 3.0), (1, 1.5, True))),
    "ast": RelativeBands(_bands((4, 20.0), (3, 5.0), (2, 3.0), (1, 1.0)),
                         _bands((4, 20.0), (3, 5.0), (2, 3.0), (1, 1.5, True))),
    # ">ULN - 2.5 x ULN" ...; abnormal baseline "2.0 - 2.5 x baseline" ...
    "alkaline_phosphatase": RelativeBands(_bands((4, 20.0), (3, 5.0), (2, 2.5), (1, 1.0)),
                                          _bands((4, 20.0), (3, 5.0), (2, 2.5), (1, 2.0, True))),
    # ">ULN - 1.5 x ULN" ... ">10.0 x ULN"; abnormal baseline ">1.0 - 1.5 x baseline" ...
    "bilirubin": RelativeBands(_bands((4, 10.0), (3, 3.0), (2, 1.5), (1, 1.0)),
                               _bands((4, 10.0), (3, 3.0), (2, 1.5), (1, 1.0))),
    # GGT increased: ">ULN - 2.5 x ULN" ... ">20.0 x ULN"; abnormal baseline "2.0 - 2.5 x baseline" ...
    "ggt": RelativeBands(_bands((4, 20.0), (3, 5.0), (2, 2.5), (1, 1.0)),
                         _bands((4, 20.0), (3, 5.0), (2, 2.5), (1, 2.0, True))),
}
# Creatinine increased: grade 1 ">ULN - 1.5 x ULN"; grade 2 ">1.5 - 3.0 x baseline; >1.5 - 3.0 x ULN";
# grade 3 ">3.0 x baseline; >3.0 - 6.0 x ULN"; grade 4 ">6.0 x ULN". Either criterion gives the grade.
_CREATININE_ULN = _bands((4, 6.0), (3, 3.0), (2, 1.5), (1, 1.0))
_CREATININE_BASELINE = _bands((3, 3.0), (2, 1.5))


def _tidy(x: float) -> float:
    # Unit conversion leaves binary noise (500/uL -> 0.49999999999999994 x 10e9/L); twelve
    # significant figures is far beyond any lab's precision and puts edges back on the edge.
    return float(f"{x:.12g}")


def _test(test: str) -> str:
    key = _SYNONYMS.get(test, test)
    if key not in GRADED_TESTS and key not in NOT_GRADED_BY_VALUE:
        raise ValueError(f"{test!r} is not graded by CTCAE here; one of: {', '.join(GRADED_TESTS)}")
    return key


def _in_column(lab: LabTest, columns: dict, unit: str, values: dict[str, float | None]):
    """The column to grade on, and the values expressed in its unit."""
    code = parse_unit(unit)
    column = code if code in columns else next(iter(columns))
    out = {}
    for name, v in values.items():
        out[name] = None if v is None else _tidy(convert(v, code, column, molar_mass=lab.molar_mass))
    return columns[column], out


def _grade_decrease(bands: dict[int, float], value: float, lln: float | None) -> int | None:
    for grade in sorted(bands, reverse=True):
        if value < bands[grade]:
            return grade
    if lln is None:
        return None
    return 1 if value < lln else 0


def _grade_increase(bands: dict[int, float], value: float, uln: float | None) -> int | None:
    for grade in sorted(bands, reverse=True):
        if value > bands[grade]:
            return grade
    if uln is None:
        return None
    return 1 if value > uln else 0


def _first(bands: tuple[Multiple, ...], value: float, reference: float) -> int:
    return next((band.grade for band in bands if band.met(value, reference)), 0)


def _graded(test: str, value: float, unit: str, uln, lln, baseline) -> tuple[str, int] | None:
    key = _test(test)
    lab = LAB_TESTS["calcium_adjusted" if key == "calcium_corrected" else key]
    to_canonical(lab, value, unit)  # refuses a wrong-kind unit and an implausible value
    if key in NOT_GRADED_BY_VALUE:
        return None
    refs = {"value": value, "uln": uln, "lln": lln, "baseline": baseline}
    for name, v in refs.items():
        if v is not None and v < 0:
            raise ValueError(f"{name} cannot be negative ({v:g})")

    if key in _DECREASES:
        bands, v = _in_column(lab, _DECREASES[key], unit, refs)
        grade = _grade_decrease(bands, v["value"], v["lln"])
        return None if grade is None else (TERMS[key], grade)

    if key in _BOTH_WAYS:
        below, above = _BOTH_WAYS[key]
        low_bands, v = _in_column(lab, below.columns, unit, refs)
        high_bands, hv = _in_column(lab, above.columns, unit, refs)
        high = _grade_increase(high_bands, hv["value"], hv["uln"] if above.grade_1_from_limit else None)
        if high is None and not above.grade_1_from_limit:
            high = 0  # no grade 1: inside the grade 2 bound is no adverse event, whatever the ULN
        if high:
            return above.term, high
        low = _grade_decrease(low_bands, v["value"], v["lln"] if below.grade_1_from_limit else None)
        if low:
            return below.term, low
        if high is None or low is None:
            return None  # within range only if both limits are known
        return above.term, 0

    # Relative to ULN (and baseline): the units cancel, so the values are compared as given.
    value, uln, baseline = (None if x is None else _tidy(x) for x in (value, uln, baseline))
    if uln is None or uln == 0:
        return None
    if key == "creatinine":
        grade = _first(_CREATININE_ULN, value, uln)
        if baseline:
            grade = max(grade, _first(_CREATININE_BASELINE, value, baseline))
        return TERMS[key], grade
    rows = _RELATIVE[key]
    if baseline is not None and baseline > uln:
        return TERMS[key], _first(rows.baseline_abnormal, value, baseline)
    return TERMS[key], _first(rows.baseline_normal, value, uln)


def grade_lab(test: str, value: float, unit: str, *, uln: float | None = None, lln: float | None = None,
              baseline: float | None = None) -> int | None:
    """The CTCAE v5.0 grade (0-4) of a lab value, or None when it cannot be graded.

    `uln`, `lln` and `baseline` are in the same unit as `value`. `test` is one of GRADED_TESTS
    ("calcium_adjusted" is accepted for "calcium_corrected"). For calcium, a value above the ULN
    is graded as hypercalcaemia and one below the LLN as hypocalcaemia (`lab_adverse_event`
    says which). For ALT, AST, ALP and bilirubin the "baseline was abnormal" rows apply when
    `baseline` is above the ULN; without a baseline it is taken as normal. Creatinine takes the
    higher of its ULN and baseline grades. Haemoglobin gives at most grade 3 (grade 4 is
    clinical). Raises UnitError for a unit of the wrong kind and ImplausibleValue for an
    impossible value.
    """
    graded = _graded(test, value, unit, uln, lln, baseline)
    return None if graded is None else graded[1]


def lab_adverse_event(test: str, value: float, unit: str, *, uln: float | None = None, lln: float | None = None,
                      baseline: float | None = None) -> tuple[str, int] | None:
    """(CTCAE v5.0 term, grade) for a lab value, or None when the grade is 0 or cannot be given."""
    graded = _graded(test, value, unit, uln, lln, baseline)
    return graded if graded is not None and graded[1] > 0 else None
