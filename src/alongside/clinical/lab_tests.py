"""The blood tests Alongside knows by name: LOINC codes, canonical UCUM unit, molar mass and a
plausible range, and the albumin-adjusted calcium formula.

Canonical units are those UK laboratories report (SI: umol/L, mmol/L, g/L, 10*9/L). LOINC codes
are those of the LOINC table (Regenstrief Institute) for the serum/plasma or blood test; a
result coded with any of them is that test. Molar masses are those used for the conventional
SI conversion factors (creatinine 88.4 and bilirubin 17.1 umol/L per mg/dL; haemoglobin as its
monomer, 1 g/dL = 0.6206 mmol/L).

The plausible range is wide on purpose: it is not a reference range but the edge of what a
living person's blood can show, so a value outside it is an entry error (a unit slip, a missing
decimal point) and is refused rather than graded.
"""

from __future__ import annotations

from dataclasses import dataclass

from alongside.clinical.units import UnitError, convert, parse_unit

__all__ = [
    "LabTest", "LAB_TESTS", "ImplausibleValue", "identify", "to_canonical", "adjusted_calcium",
    "AdjustedCalciumFormula", "PAYNE_ADJUSTED_CALCIUM",
]


@dataclass(frozen=True)
class LabTest:
    key: str
    name: str
    loinc: tuple[str, ...]
    unit: str  # canonical UCUM unit
    molar_mass: float | None  # g/mol, for mass <-> amount conversions
    plausible_low: float  # in the canonical unit; outside low..high is certainly an entry error
    plausible_high: float
    aliases: tuple[str, ...] = ()


class ImplausibleValue(ValueError):
    """A value that cannot be a real result for the test (negative, or outside its plausible range)."""


def _t(key, name, loinc, unit, molar_mass, low, high, *aliases) -> LabTest:
    return LabTest(key, name, tuple(loinc), unit, molar_mass, low, high, tuple(aliases))


_TABLE = (
    _t("haemoglobin", "Haemoglobin", ["718-7", "59260-0"], "g/L", 16114.5, 20, 250,
       "hemoglobin", "hb", "hgb", "haemoglobin (hb)"),
    _t("white_cells", "White cells", ["6690-2", "26464-8", "804-5"], "10*9/L", None, 0, 500,
       "white cell count", "white blood cells", "white blood cell count", "wbc", "wcc", "leukocytes",
       "leucocytes", "total white cells", "white cells"),
    _t("neutrophils", "Neutrophils", ["751-8", "26499-4", "753-4"], "10*9/L", None, 0, 300,
       "neutrophil count", "neutrophils", "anc", "absolute neutrophil count", "neuts"),
    _t("lymphocytes", "Lymphocytes", ["731-0", "26474-7", "732-8"], "10*9/L", None, 0, 500,
       "lymphocyte count", "lymphs", "absolute lymphocyte count", "alc"),
    _t("platelets", "Platelets", ["777-3", "26515-7", "778-1"], "10*9/L", None, 0, 3000,
       "platelet count", "plt", "plts"),
    _t("creatinine", "Creatinine", ["2160-0", "14682-9", "38483-4"], "umol/L", 113.12, 5, 3000,
       "serum creatinine", "creat"),
    _t("egfr", "eGFR", ["62238-1", "98979-8", "33914-3", "48642-3", "48643-1"], "mL/min/{1.73_m2}", None, 0, 200,
       "estimated gfr", "estimated glomerular filtration rate", "gfr"),
    _t("alt", "ALT", ["1742-6", "1743-4", "76625-3"], "U/L", None, 0, 30000,
       "alanine aminotransferase", "alanine transaminase", "sgpt", "gpt"),
    _t("ast", "AST", ["1920-8", "30239-8"], "U/L", None, 0, 30000,
       "aspartate aminotransferase", "aspartate transaminase", "sgot", "got"),
    _t("alkaline_phosphatase", "Alkaline phosphatase", ["6768-6"], "U/L", None, 0, 20000,
       "alp", "alk phos", "alkaline phosphatase"),
    _t("bilirubin", "Bilirubin", ["1975-2", "14631-6", "42719-5"], "umol/L", 584.66, 0, 1000,
       "total bilirubin", "bilirubin total", "bili", "tbil"),
    _t("albumin", "Albumin", ["1751-7", "61151-7", "61152-5"], "g/L", None, 5, 80,
       "serum albumin", "alb"),
    _t("calcium", "Calcium", ["17861-6", "2000-8"], "mmol/L", 40.078, 0.5, 6.0,
       "total calcium", "serum calcium"),
    _t("calcium_adjusted", "Adjusted calcium", ["29265-6"], "mmol/L", 40.078, 0.5, 6.0,
       "adjusted calcium", "corrected calcium", "calcium corrected", "calcium adjusted",
       "albumin-adjusted calcium", "albumin adjusted calcium", "calcium_corrected"),
)

LAB_TESTS: dict[str, LabTest] = {test.key: test for test in _TABLE}


def _index() -> dict[str, LabTest]:
    index: dict[str, LabTest] = {}
    for test in _TABLE:
        for name in (test.key, test.key.replace("_", " "), test.name, *test.aliases, *test.loinc):
            key = name.strip().lower()
            if key in index and index[key] is not test:  # the catalogue must be unambiguous
                raise RuntimeError(f"{name!r} names both {index[key].key} and {test.key}")
            index[key] = test
        if not 0 <= test.plausible_low < test.plausible_high:
            raise RuntimeError(f"Lab test {test.key} has an invalid plausible range")
    # The units are checked as UCUM by the unit tests, not here: reading the UCUM definitions
    # takes a second, which every start-up would pay.
    return index


_BY_NAME = _index()  # names validated as unambiguous at import


def identify(name_or_loinc: str) -> LabTest | None:
    """The catalogue test for a name, abbreviation or LOINC code (case-insensitive), or None."""
    if not isinstance(name_or_loinc, str):
        return None
    return _BY_NAME.get(" ".join(name_or_loinc.split()).lower())


def to_canonical(test: LabTest, value: float, unit: str) -> float:
    """`value` (in `unit`) in the test's canonical unit, checked to be plausible.

    A unit of the wrong kind raises UnitError naming the test and its unit; a negative value or
    one outside the plausible range raises ImplausibleValue naming the range.
    """
    try:
        canonical = convert(value, unit, test.unit, molar_mass=test.molar_mass)
    except UnitError as error:
        try:
            code = parse_unit(unit)
        except UnitError:
            raise error from None
        raise UnitError(f"{code} does not fit {test.name}, which is counted in {test.unit}") from None
    if value < 0:
        raise ImplausibleValue(f"{test.name} cannot be negative ({value:g} {unit})")
    if not test.plausible_low <= canonical <= test.plausible_high:
        raise ImplausibleValue(
            f"{test.name} of {value:g} {unit} is outside the plausible range "
            f"{test.plausible_low:g}-{test.plausible_high:g} {test.unit}: check the value and its unit")
    return canonical


@dataclass(frozen=True)
class AdjustedCalciumFormula:
    """adjusted = total calcium + slope * (reference albumin - albumin), in mmol/L and g/L."""

    slope_mmol_per_g: float
    reference_albumin_g_l: float


# Payne RB, Little AJ, Williams RB, Milner JR, "Interpretation of serum calcium in patients with
# abnormal serum proteins", BMJ 1973;4:643-646, in the form most UK laboratories report:
# 0.02 mmol/L of calcium per g/L of albumin below (or above) 40 g/L. The reference albumin
# and slope vary between laboratories (each may derive its own), so they are data here.
PAYNE_ADJUSTED_CALCIUM = AdjustedCalciumFormula(slope_mmol_per_g=0.02, reference_albumin_g_l=40.0)


def adjusted_calcium(calcium_mmol_l: float, albumin_g_l: float,
                     formula: AdjustedCalciumFormula = PAYNE_ADJUSTED_CALCIUM) -> float:
    """Albumin-adjusted calcium in mmol/L (Payne et al., BMJ 1973, UK form; see the formula)."""
    if calcium_mmol_l < 0 or albumin_g_l < 0:
        raise ImplausibleValue("Calcium and albumin cannot be negative")
    return calcium_mmol_l + formula.slope_mmol_per_g * (formula.reference_albumin_g_l - albumin_g_l)
