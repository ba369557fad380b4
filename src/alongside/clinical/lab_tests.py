"""The blood tests Alongside knows by name: LOINC codes, canonical UCUM unit, molar mass and a
plausible range, and the albumin-adjusted calcium formula.

Canonical units are those UK laboratories report (SI: umol/L, mmol/L, g/L, 10*9/L). LOINC codes
are those of the LOINC table (Regenstrief Institute) for the serum/plasma or blood test; a
result coded with any of them is that test. Molar masses are those used for the conventional
SI conversion factors (creatinine 88.4 and bilirubin 17.1 umol/L per mg/dL; haemoglobin as its
monomer, 1 g/dL = 0.6206 mmol/L).

Each test also lists the units it accepts (UCUM, the canonical one first): the units its
laboratories report it in. A unit outside that list is refused even when it is of the right kind,
because a result in an unusual unit is more often a slip than a choice (haemoglobin "mg/dL" is
a mass concentration, but no laboratory reports it so). Milliequivalents are accepted only for
the ions of charge one (sodium, potassium), for which 1 meq/L is 1 mmol/L.

The plausible range is wide on purpose: it is not a reference range but the edge of what a
living person's blood can show, so a value outside it is an entry error (a unit slip, a missing
decimal point) and is refused rather than graded.
"""

from __future__ import annotations

from dataclasses import dataclass

from alongside.clinical.units import UnitError, convert, parse_unit

__all__ = [
    "LabTest", "LAB_TESTS", "ImplausibleValue", "identify", "to_canonical", "adjusted_calcium",
    "AdjustedCalciumFormula", "PAYNE_ADJUSTED_CALCIUM", "UnitNotAccepted", "accepted_unit",
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
    accepts: tuple[str, ...] = ()  # further UCUM units it is reported in, besides `unit`

    @property
    def accepted_units(self) -> tuple[str, ...]:
        return (self.unit, *self.accepts)

    def possible(self, canonical_value: float) -> bool:
        """Whether a value in the test's own unit could be a real result."""
        return self.plausible_low <= canonical_value <= self.plausible_high


class ImplausibleValue(ValueError):
    """A value that cannot be a real result for the test (negative, or outside its plausible range)."""


class UnitNotAccepted(UnitError):
    """A unit that is valid UCUM but not one the test is reported in."""


def _t(key, name, loinc, unit, molar_mass, low, high, *aliases, accepts=()) -> LabTest:
    return LabTest(key, name, tuple(loinc), unit, molar_mass, low, high, tuple(aliases), tuple(accepts))


_COUNTS = ("10*3/uL", "/uL")  # 10*3/uL is 10*9/L; /uL (per mm3) is how CTCAE and US reports count
_ENZYMES = ("ukat/L",)


_TABLE = (
    _t("haemoglobin", "Haemoglobin", ["718-7", "59260-0"], "g/L", 16114.5, 20, 250,
       "hemoglobin", "hb", "hgb", "haemoglobin (hb)", accepts=("g/dL", "mmol/L")),
    _t("white_cells", "White cells", ["6690-2", "26464-8", "804-5"], "10*9/L", None, 0, 500,
       "white cell count", "white blood cells", "white blood cell count", "wbc", "wcc", "leukocytes",
       "leucocytes", "total white cells", "white cells", accepts=_COUNTS),
    _t("neutrophils", "Neutrophils", ["751-8", "26499-4", "753-4"], "10*9/L", None, 0, 300,
       "neutrophil count", "neutrophils", "anc", "absolute neutrophil count", "neuts", accepts=_COUNTS),
    _t("lymphocytes", "Lymphocytes", ["731-0", "26474-7", "732-8"], "10*9/L", None, 0, 500,
       "lymphocyte count", "lymphs", "absolute lymphocyte count", "alc", accepts=_COUNTS),
    _t("platelets", "Platelets", ["777-3", "26515-7", "778-1"], "10*9/L", None, 0, 3000,
       "platelet count", "plt", "plts", accepts=_COUNTS),
    _t("creatinine", "Creatinine", ["2160-0", "14682-9", "38483-4"], "umol/L", 113.12, 5, 3000,
       "serum creatinine", "creat", accepts=("mg/dL",)),
    _t("egfr", "eGFR", ["62238-1", "98979-8", "33914-3", "48642-3", "48643-1"], "mL/min/{1.73_m2}", None, 0, 200,
       "estimated gfr", "estimated glomerular filtration rate", "gfr"),
    _t("alt", "ALT", ["1742-6", "1743-4", "76625-3"], "U/L", None, 0, 30000,
       "alanine aminotransferase", "alanine transaminase", "sgpt", "gpt", accepts=_ENZYMES),
    _t("ast", "AST", ["1920-8", "30239-8"], "U/L", None, 0, 30000,
       "aspartate aminotransferase", "aspartate transaminase", "sgot", "got", accepts=_ENZYMES),
    _t("alkaline_phosphatase", "Alkaline phosphatase", ["6768-6"], "U/L", None, 0, 20000,
       "alp", "alk phos", "alkaline phosphatase", accepts=_ENZYMES),
    _t("ggt", "GGT", ["2324-2"], "U/L", None, 0, 30000,
       "gamma gt", "gamma-gt", "gamma glutamyl transferase", "gamma-glutamyl transferase",
       "gamma glutamyltransferase", "gamma-glutamyltransferase", "ggtp", "gamma gt (ggt)", accepts=_ENZYMES),
    _t("bilirubin", "Bilirubin", ["1975-2", "14631-6", "42719-5"], "umol/L", 584.66, 0, 1000,
       "total bilirubin", "bilirubin total", "bili", "tbil", accepts=("mg/dL",)),
    _t("albumin", "Albumin", ["1751-7", "61151-7", "61152-5"], "g/L", None, 5, 80,
       "serum albumin", "alb", accepts=("g/dL",)),
    _t("calcium", "Calcium", ["17861-6", "2000-8"], "mmol/L", 40.078, 0.5, 6.0,
       "total calcium", "serum calcium", accepts=("mg/dL",)),
    _t("calcium_adjusted", "Adjusted calcium", ["29265-6"], "mmol/L", 40.078, 0.5, 6.0,
       "adjusted calcium", "corrected calcium", "calcium corrected", "calcium adjusted",
       "albumin-adjusted calcium", "albumin adjusted calcium", "calcium_corrected", accepts=("mg/dL",)),
    # Sodium and potassium: 1 meq/L is 1 mmol/L (charge one). Magnesium is not offered meq/L:
    # its charge of two makes 1 meq/L half a mmol/L, a slip waiting to happen.
    _t("sodium", "Sodium", ["2951-2", "2947-0"], "mmol/L", 22.99, 90, 200,
       "na", "na+", "serum sodium", accepts=("meq/L",)),
    _t("potassium", "Potassium", ["2823-3", "6298-4"], "mmol/L", 39.098, 1.0, 12.0,
       "k", "k+", "serum potassium", accepts=("meq/L",)),
    _t("magnesium", "Magnesium", ["19123-9"], "mmol/L", 24.305, 0.1, 5.0,
       "mg", "mg2+", "serum magnesium", accepts=("mg/dL",)),
    _t("glucose", "Glucose", ["2345-7", "14749-6", "2339-0", "15074-8"], "mmol/L", 180.16, 0.5, 100,
       "blood glucose", "plasma glucose", "serum glucose", "random glucose", "fasting glucose", "glu",
       accepts=("mg/dL",)),
    # Urea as UK laboratories report it (mmol/L of urea); "urea nitrogen" (BUN, mg/dL of nitrogen)
    # is a different quantity, so it is not an alias and mg/dL is not accepted.
    _t("urea", "Urea", ["22664-7", "3091-6"], "mmol/L", None, 0.3, 150, "serum urea"),
    _t("crp", "CRP", ["1988-5"], "mg/L", None, 0, 1000,
       "c-reactive protein", "c reactive protein", accepts=("mg/dL",)),
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


def accepted_unit(test: LabTest, unit: str) -> str:
    """The UCUM code of `unit` when `test` is reported in it.

    Raises UnitError naming the unit when it is not understood, and UnitNotAccepted naming the
    units the test accepts when it is understood but not one of them."""
    code = parse_unit(unit)
    if code not in test.accepted_units:
        raise UnitNotAccepted(f"{code} does not fit {test.name}, which is counted in {test.unit}. "
                              f"Units accepted: {', '.join(test.accepted_units)}")
    return code


def to_canonical(test: LabTest, value: float, unit: str) -> float:
    """`value` (in `unit`) in the test's canonical unit, checked to be plausible.

    A unit the test is not reported in raises UnitError naming the test and the units it
    accepts; a negative value or one outside the plausible range raises ImplausibleValue naming
    the range.
    """
    canonical = convert(value, accepted_unit(test, unit), test.unit, molar_mass=test.molar_mass)
    if value < 0:
        raise ImplausibleValue(f"{test.name} cannot be negative ({value:g} {unit})")
    if not test.possible(canonical):
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
