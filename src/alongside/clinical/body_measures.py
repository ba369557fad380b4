"""Body weight and height: the units they arrive in, and what a possible value is.

They matter for doses (mg/m² from weight and height) and for weight lost on treatment. A
weight or height is kept in one unit (kg, cm) whatever it was sent in, so every reading of
it compares; the conversion is UCUM's, through `clinical.units`."""

from __future__ import annotations

from dataclasses import dataclass

from .units import UnitError, convert, parse_unit

__all__ = ["BODY_MEASURES", "BodyMeasureSpec", "in_canonical_unit"]


@dataclass(frozen=True)
class BodyMeasureSpec:
    name: str
    unit: str  # UCUM, the unit the record keeps
    plausible: tuple[float, float]  # in `unit`: outside this it is a typing or unit mistake
    loinc: str
    fhir_profile: str  # the FHIR R4 vital-signs profile an export claims


# Plausible bounds are wide on purpose: they refuse a unit mix-up (70 lb typed as kg is still
# possible, 1,500 is not), never a real person. The extremes of adult weight and height
# recorded in the medical literature sit inside them.
BODY_MEASURES: dict[str, BodyMeasureSpec] = {
    "weight": BodyMeasureSpec("Weight", "kg", (20.0, 350.0), "29463-7",
                              "http://hl7.org/fhir/StructureDefinition/bodyweight"),
    "height": BodyMeasureSpec("Height", "cm", (100.0, 250.0), "8302-2",
                              "http://hl7.org/fhir/StructureDefinition/bodyheight"),
}

# Everyday spellings on scales and forms, to UCUM (compared lower-cased, spaces removed).
_SPELLINGS = {"kg": "kg", "kgs": "kg", "kilos": "kg", "g": "g", "lb": "[lb_av]", "lbs": "[lb_av]",
              "pounds": "[lb_av]", "st": "[stone_av]", "stone": "[stone_av]", "cm": "cm", "m": "m",
              "mm": "mm", "in": "[in_i]", "inches": "[in_i]", "ft": "[ft_i]", "feet": "[ft_i]"}


def ucum_unit(text: str) -> str:
    """A unit as UCUM, from UCUM itself or an everyday spelling; UnitError names what is wrong."""
    cleaned = (text or "").strip()
    return _SPELLINGS.get(cleaned.lower().replace(" ", ""), None) or parse_unit(cleaned)


def in_canonical_unit(measure: str, value: float, unit: str) -> float:
    """The value in the record's unit for this measure (kg or cm); UnitError when the unit
    is not one of its kind, ValueError when the result is not a possible adult value."""
    spec = BODY_MEASURES[measure]
    converted = convert(value, ucum_unit(unit), spec.unit)
    low, high = spec.plausible
    if not low <= converted <= high:
        shown = f"{value:g} {unit}" + (f" ({converted:.1f} {spec.unit})" if ucum_unit(unit) != spec.unit else "")
        raise ValueError(f"{shown} is not a possible {spec.name.lower()}; check the number and the unit")
    return round(converted, 2)


__all__ += ["UnitError", "ucum_unit"]
