"""Weight and height in whatever unit they come in, kept in kg and cm (UCUM conversions:
1 [lb_av] = 0.45359237 kg, 1 [stone_av] = 14 [lb_av], 1 [in_i] = 2.54 cm, 1 [ft_i] = 12 [in_i])."""

import pytest

from alongside.clinical.body_measures import UnitError, in_canonical_unit
from alongside.domain.errors import InvalidInput
from alongside.domain.records import BodyMeasurement, validate


@pytest.mark.parametrize("measure, value, unit, kept", [
    ("weight", 64.5, "kg", 64.5),
    ("weight", 155, "[lb_av]", 70.31),  # Jenny M's weight, as the mCODE example sends it
    ("weight", 155, "lbs", 70.31),
    ("weight", 10, "st", 63.5),
    ("weight", 64500, "g", 64.5),
    ("height", 65, "[in_i]", 165.1),  # Jenny M's height
    ("height", 5.5, "feet", 167.64),
    ("height", 1.68, "m", 168.0),
    ("height", 168, "CM", 168.0),
])
def test_each_unit_is_converted_to_the_records_unit(measure, value, unit, kept):
    assert in_canonical_unit(measure, value, unit) == pytest.approx(kept, abs=0.005)


@pytest.mark.parametrize("measure, unit", [("weight", "cm"), ("height", "kg"), ("weight", "furlong"), ("height", "")])
def test_a_unit_of_another_kind_or_no_unit_at_all_is_refused(measure, unit):
    with pytest.raises(UnitError):
        in_canonical_unit(measure, 70, unit)


@pytest.mark.parametrize("measure, value, unit", [
    ("weight", 7000, "kg"), ("weight", 70, "g"), ("height", 1.68, "cm"), ("height", 168, "m"), ("weight", 0, "kg")])
def test_a_value_no_adult_could_have_is_refused_as_a_mistake(measure, value, unit):
    with pytest.raises(ValueError, match="not a possible"):
        in_canonical_unit(measure, value, unit)


def test_the_record_keeps_kg_and_names_the_field_in_error():
    stored = validate(BodyMeasurement, {"measured_on": "2025-01-01", "measure": "weight", "value": 150, "unit": "lb"})
    assert (stored.value, stored.unit) == (68.04, "kg")
    assert validate(BodyMeasurement, stored.model_dump(mode="json")) == stored  # read back unchanged
    with pytest.raises(InvalidInput) as wrong_unit:
        validate(BodyMeasurement, {"measured_on": "2025-01-01", "measure": "weight", "value": 70, "unit": "cm"})
    assert [e["field"] for e in wrong_unit.value.errors] == ["unit"]
    with pytest.raises(InvalidInput) as typo:
        validate(BodyMeasurement, {"measured_on": "2025-01-01", "measure": "height", "value": 1680, "unit": "cm"})
    assert [e["field"] for e in typo.value.errors] == ["value"]
    assert "1680 cm is not a possible height" in typo.value.errors[0]["message"]
