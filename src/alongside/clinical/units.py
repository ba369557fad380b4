"""Units of measure for laboratory results, in UCUM.

The Unified Code for Units of Measure (UCUM, Regenstrief Institute) is the code FHIR and LOINC
use for units. Results arrive in everyday spellings ("x10^9/L", "umol/l", "IU/L"), so
`parse_unit` first maps the common variants to their UCUM code; the code is then checked and
read by `ucumvert` (a UCUM grammar) into `pint` quantities, which do the arithmetic of
`convert`. Converting between mass and amount of substance (mg/dL and umol/L) needs the
substance's molar mass, which the caller passes (the lab test catalogue holds it).

Note: UCUM annotations in braces carry no meaning for arithmetic, so "mL/min/{1.73_m2}" and
"mL/min" convert into each other; the catalogue keeps eGFR in the annotated unit so the two
are not mixed up in what is shown.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

__all__ = ["UnitError", "parse_unit", "parse_dose_unit", "convert"]


class UnitError(ValueError):
    """A unit that is not understood, or that cannot be converted to the one asked for."""


# Everyday spellings, compared after lower-casing and removing spaces, to their UCUM code.
# Only spellings that are unambiguous in a blood test report are listed; anything else must
# already be valid UCUM (checked by the parser) or it is refused.
_SPELLINGS: dict[str, str] = {
    "umol/l": "umol/L", "µmol/l": "umol/L", "μmol/l": "umol/L", "micromol/l": "umol/L",
    "mmol/l": "mmol/L", "nmol/l": "nmol/L", "pmol/l": "pmol/L", "mol/l": "mol/L",
    "mg/dl": "mg/dL", "mg/l": "mg/L", "g/dl": "g/dL", "g/l": "g/L", "mg/ml": "mg/mL", "ug/l": "ug/L",
    "µg/l": "ug/L", "ng/ml": "ng/mL",
    # Reports write enzyme activity as "IU/L" and "U/L" for the same thing; UCUM's [IU] is a
    # different (biological standard) unit, kept as written when written as UCUM ("[IU]/L").
    "iu/l": "U/L", "u/l": "U/L", "units/l": "U/L", "ukat/l": "ukat/L", "µkat/l": "ukat/L",
    "u/ml": "U/mL", "ku/l": "kU/L", "iu/ml": "U/mL", "units/ml": "U/mL",
    # Milliequivalents: UCUM's "eq" is a mole of charge units, so 1 meq/L = 1 mmol/L only for
    # an ion of charge one (sodium, potassium); the catalogue accepts it for those alone.
    "meq/l": "meq/L",
    "/ul": "/uL", "/µl": "/uL", "cells/ul": "/uL", "cells/µl": "/uL", "{cells}/ul": "/uL", "/mm3": "/uL",
    "cells/mm3": "/uL", "/mm^3": "/uL",
    "/l": "/L", "%": "%",
    "ml/min/1.73m2": "mL/min/{1.73_m2}", "ml/min/1.73m^2": "mL/min/{1.73_m2}",
    "ml/min/{1.73_m2}": "mL/min/{1.73_m2}", "ml/min/1.73_m2": "mL/min/{1.73_m2}",
    "ml/min/1.73sqm": "mL/min/{1.73_m2}", "ml/min": "mL/min",
}
# "x10^9/L", "10^9/L", "x 10*9/L", "10E9/L", "×10⁹/L" (and 10^12/L, 10^6/uL...): powers of ten.
_POWER = re.compile(r"^[x×*]?10(?:\^|\*|e|\*\*)?([0-9⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})(/.*)$")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


@cache
def _registry():
    # Built once and on first use: reading the UCUM definitions takes about a second.
    from ucumvert import PintUcumRegistry

    return PintUcumRegistry()


def prepare() -> None:
    """Read the UCUM definitions now (a server at start-up) rather than on the first result."""
    _registry()


def _quantity(code: str):
    try:
        return _registry().from_ucum(code)
    except Exception as error:  # noqa: BLE001 - the parser raises several kinds (lark, pint, ucumvert)
        raise UnitError(f"{code!r} is not a unit we know (not valid UCUM)") from error


def parse_unit(text: str) -> str:
    """The UCUM code for a unit as written on a report, e.g. "x10^9/L" -> "10*9/L".

    Raises UnitError naming the unit when it is empty or not understood.
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError("A unit is needed (it was empty)")
    return _parse(text)


# Parsing UCUM takes milliseconds; an import of a million results uses a handful of units.
@lru_cache(maxsize=4096)
def _parse(text: str) -> str:
    compact = re.sub(r"\s+", "", text.strip())
    # Micro is written "u" in UCUM, the micro sign (U+00B5) or Greek mu (U+03BC) on reports.
    key = compact.lower().replace("\u00b5", "u").replace("\u03bc", "u")
    if key in _SPELLINGS:
        code = _SPELLINGS[key]
    elif (power := _POWER.match(key)) is not None:
        exponent = power.group(1).translate(_SUPERSCRIPTS)
        rest = _SPELLINGS.get(power.group(2), None) or _canonical_case(power.group(2))
        code = f"10*{int(exponent)}{rest}"
    else:
        code = compact
    _quantity(code)  # refuse what UCUM does not define
    return code


def _canonical_case(per_volume: str) -> str:
    # The litre is "L" in UCUM's case-sensitive form; micro is "u".
    return per_volume.replace("µ", "u").replace("μ", "u").replace("l", "L")


def convert(value: float, from_unit: str, to_unit: str, *, molar_mass: float | None = None) -> float:
    """`value` in `from_unit` expressed in `to_unit`; both are parsed with `parse_unit`.

    Mass and amount of substance (e.g. mg/dL and umol/L) convert only with the substance's
    `molar_mass` in g/mol. Units of different kinds raise UnitError naming both.
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source == target:
        return float(value)
    if molar_mass is not None and not molar_mass > 0:
        raise UnitError(f"A molar mass must be positive, not {molar_mass}")
    scale, offset = _linear(source, target, molar_mass)
    return float(value) * scale + offset


@lru_cache(maxsize=4096)
def _linear(source: str, target: str, molar_mass: float | None) -> tuple[float, float]:
    """The conversion as value * scale + offset (every UCUM conversion here is affine)."""
    at_zero, at_one = _convert_with_pint(0.0, source, target, molar_mass), _convert_with_pint(1.0, source, target, molar_mass)
    return at_one - at_zero, at_zero


def _convert_with_pint(value: float, source: str, target: str, molar_mass: float | None) -> float:
    from pint.errors import PintError

    q_from, q_to = _quantity(source), _quantity(target)
    try:
        amount = q_from._REGISTRY.Quantity(value * q_from.magnitude, q_from.units)
    except PintError as error:
        raise UnitError(f"{source} cannot be converted to {target}: {error}") from None
    candidates = [amount]
    if molar_mass is not None:
        mm = molar_mass * _quantity("g/mol")
        candidates += [amount / mm, amount * mm]
    for candidate in candidates:
        if candidate.dimensionality == q_to.dimensionality:
            try:
                return float(candidate.to(q_to.units).magnitude / q_to.magnitude)
            except PintError as error:
                raise UnitError(f"{source} cannot be converted to {target}: {error}") from None
    if molar_mass is None and _mass_amount_pair(amount, q_to):
        raise UnitError(f"{source} to {target} needs the molar mass of the substance (mass and amount of substance)")
    raise UnitError(f"{source} cannot be converted to {target}: they measure different kinds of quantity")


def _mass_amount_pair(a, b) -> bool:
    """True when one is a mass and the other an amount of substance, per the same volume etc."""
    da, db = dict(a.dimensionality), dict(b.dimensionality)
    for one, other in ((da, db), (db, da)):
        if one.get("[mass]") and one.get("[mass]") == other.get("[substance]") and "[substance]" not in one:
            rest_one = {k: v for k, v in one.items() if k != "[mass]"}
            rest_other = {k: v for k, v in other.items() if k != "[substance]"}
            if rest_one == rest_other:
                return True
    return False


# --- Doses of medicines ----------------------------------------------------------------------

# Everyday spellings on a prescription. A counted form (a tablet, a capsule) is a UCUM
# annotation: a count with a name. "mcg" is the NHS's own spelling of micrograms (it avoids
# "ug" being misread as "mg"); "units" are international units of a biological standard.
_DOSE_SPELLINGS: dict[str, str] = {
    "mcg": "ug", "microgram": "ug", "micrograms": "ug", "milligram": "mg", "milligrams": "mg",
    "gram": "g", "grams": "g", "ml": "mL", "millilitre": "mL", "millilitres": "mL",
    "mg/m2": "mg/m2", "mg/m^2": "mg/m2", "units": "[iU]", "unit": "[iU]", "iu": "[iU]",
    **{word: "{tablet}" for word in ("tablet", "tablets", "tab", "tabs")},
    **{word: "{capsule}" for word in ("capsule", "capsules", "cap", "caps")},
    **{word: "{puff}" for word in ("puff", "puffs")}, **{word: "{patch}" for word in ("patch", "patches")},
    **{word: "{drop}" for word in ("drop", "drops")}, **{word: "{sachet}" for word in ("sachet", "sachets")},
}
# What a single dose can be measured in: a mass, a volume, an amount of substance, a mass per
# body surface area (mg/m2, chemotherapy) or per body weight (mg/kg, dimensionless), or
# international units.
_DOSE_DIMENSIONS = ({"[mass]": 1}, {"[length]": 3}, {"[substance]": 1}, {"[mass]": 1, "[length]": -2}, {})


@lru_cache(maxsize=256)
def parse_dose_unit(text: str) -> str:
    """The UCUM code for the unit of one dose of a medicine ("mg", "mcg" -> "ug", "tablets" ->
    "{tablet}"). Raises UnitError when it is not a unit or not one a dose is measured in."""
    if not isinstance(text, str) or not text.strip():
        raise UnitError("A unit is needed (it was empty)")
    key = re.sub(r"\s+", "", text.strip()).lower().replace("\u00b5", "u").replace("\u03bc", "u")
    if key in _DOSE_SPELLINGS:
        return _DOSE_SPELLINGS[key]
    if re.fullmatch(r"\{[a-z]{1,30}\}", key):  # a count of a named form, e.g. {vial}
        return key
    code = _parse(text)
    if dict(_quantity(code).dimensionality) not in _DOSE_DIMENSIONS:
        raise UnitError(f"{text.strip()} is not a unit for a dose: use one such as mg, micrograms, mL, mg/m2 "
                        "or tablets")
    return code
