"""CTCAE v5.0 grading of laboratory values.

Implements the Common Terminology Criteria for Adverse Events, version 5.0 (US National Cancer
Institute, published 27 November 2017), for the terms a blood test alone can grade:

- Investigations: Neutrophil count decreased, Platelet count decreased, White blood cell
  decreased, Alanine aminotransferase increased, Aspartate aminotransferase increased,
  Alkaline phosphatase increased, Blood bilirubin increased, Creatinine increased;
- Blood and lymphatic system disorders: Anemia;
- Metabolism and nutrition disorders: Hypercalcemia and Hypocalcemia (corrected serum calcium).

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
"""

from __future__ import annotations

from dataclasses import dataclass

from alongside.clinical.lab_tests import LAB_TESTS, LabTest, to_canonical
from alongside.clinical.units import convert, parse_unit

__all__ = ["GRADED_TESTS", "TERMS", "grade_lab", "lab_adverse_event"]

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
}
HYPERCALCAEMIA = "Hypercalcemia"
HYPOCALCAEMIA = "Hypocalcemia"
GRADED_TESTS = (*TERMS, "calcium_corrected")
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
    if key not in GRADED_TESTS:
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
    refs = {"value": value, "uln": uln, "lln": lln, "baseline": baseline}
    for name, v in refs.items():
        if v is not None and v < 0:
            raise ValueError(f"{name} cannot be negative ({v:g})")

    if key in _DECREASES:
        bands, v = _in_column(lab, _DECREASES[key], unit, refs)
        grade = _grade_decrease(bands, v["value"], v["lln"])
        return None if grade is None else (TERMS[key], grade)

    if key == "calcium_corrected":
        hypo_bands, v = _in_column(lab, _HYPOCALCAEMIA, unit, refs)
        hyper_bands, _ = _in_column(lab, _HYPERCALCAEMIA, unit, {})
        high = _grade_increase(hyper_bands, v["value"], v["uln"])
        if high:
            return HYPERCALCAEMIA, high
        low = _grade_decrease(hypo_bands, v["value"], v["lln"])
        if low:
            return HYPOCALCAEMIA, low
        if high is None or low is None:
            return None  # within range only if both limits are known
        return HYPERCALCAEMIA, 0

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
