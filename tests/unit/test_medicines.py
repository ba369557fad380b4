"""Medicines and allergies on the record: each bad input names its field, codes are checked by
their system's form, doses are in UCUM, and a cycle schedule counts its days."""

from datetime import date, timedelta

import pytest
from stdnum import verhoeff

from alongside.domain.coding import CodeFormatError, checked_code
from alongside.domain.errors import InvalidInput
from alongside.domain.records import Allergy, Medication, validate
from alongside.domain.vocab import CodeSystem, DoseSchedule

RXNORM, DMD, SNOMED = (s.value for s in (CodeSystem.RXNORM, CodeSystem.DMD, CodeSystem.SNOMED))
CAPECITABINE = {"name": "Capecitabine", "purpose": "anticancer", "dose_value": 1500, "dose_unit": "mg",
                "schedule": "cycle", "cycle_days_on": 14, "cycle_days_off": 7, "start_date": "2026-10-01"}


def errors_of(model, data) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        validate(model, data)
    return {e["field"]: e["message"] for e in caught.value.errors}


def a_uk_extension_code() -> str:
    """A dm+d-shaped id: UK drug extension namespace 1000001, partition 10, its Verhoeff digit."""
    body = "42" + "1000001" + "10"
    return body + verhoeff.calc_check_digit(body)


def test_a_cycle_medicine_is_kept_with_its_dose_in_ucum_and_day_one_at_its_start():
    medicine = validate(Medication, {**CAPECITABINE, "dose_unit": "milligrams", "code_system": RXNORM, "code": " 194000 "})
    assert (medicine.dose_unit, medicine.code) == ("mg", "194000")
    assert medicine.cycle_start_date == date(2026, 10, 1)


@pytest.mark.parametrize("day, cycle_day, dose_day", [
    (date(2026, 10, 1), 1, True),    # day 1
    (date(2026, 10, 3), 3, True),
    (date(2026, 10, 14), 14, True),  # the last day on
    (date(2026, 10, 15), 15, False),  # the first day off
    (date(2026, 10, 18), 18, False),
    (date(2026, 10, 21), 21, False),  # the last day off
    (date(2026, 10, 22), 1, True),   # day 1 of the second cycle
    (date(2026, 9, 30), None, None),  # before the first cycle
])
def test_a_cycle_schedule_counts_its_days(day, cycle_day, dose_day):
    medicine = validate(Medication, CAPECITABINE)
    assert medicine.cycle_day(day) == cycle_day
    assert medicine.is_dose_day(day) is dose_day


def test_a_daily_medicine_has_no_cycle_days():
    letrozole = validate(Medication, {"name": "Letrozole", "purpose": "anticancer", "dose_value": 2.5, "dose_unit": "mg"})
    assert letrozole.schedule is DoseSchedule.DAILY
    assert letrozole.cycle_day(date(2026, 1, 1)) is None and letrozole.is_dose_day(date(2026, 1, 1)) is None


@pytest.mark.parametrize("spelling, ucum", [
    ("mg", "mg"), ("mcg", "ug"), ("micrograms", "ug"), ("mL", "mL"), ("mg/m2", "mg/m2"), ("mg/kg", "mg/kg"),
    ("tablets", "{tablet}"), ("2 capsules".split()[1], "{capsule}"), ("units", "[iU]"), ("{vial}", "{vial}"),
])
def test_dose_units_are_read_into_ucum(spelling, ucum):
    assert validate(Medication, {**CAPECITABINE, "dose_unit": spelling}).dose_unit == ucum


@pytest.mark.parametrize("change, field, message", [
    ({"start_date": "2026-10-05", "stop_date": "2026-10-01"}, "stop_date", "cannot be before the start"),
    ({"start_date": "5 October"}, "start_date", "YYYY-MM-DD"),
    ({"cycle_start_date": "2026-09-01"}, "cycle_start_date", "cannot be before the start"),
    ({"dose_unit": "mmol/L"}, "dose_unit", "not a unit for a dose"),
    ({"dose_unit": "10*9/L"}, "dose_unit", "not a unit for a dose"),
    ({"dose_unit": "spoonfuls of sugar"}, "dose_unit", "not a unit we know"),
    ({"dose_unit": None}, "dose_unit", "Give the unit"),
    ({"dose_value": None}, "dose_value", "Give the dose"),
    ({"dose_value": 0}, "dose_value", "greater than 0"),
    ({"cycle_days_off": None}, "cycle_days_off", "days on and its days off"),
    ({"cycle_days_on": 0}, "cycle_days_on", ""),
    ({"schedule": "daily"}, "cycle_days_on", "only for a schedule in cycles"),
    ({"schedule": "every_n_days"}, "every_n_days", "Give every how many days"),
    ({"every_n_days": 28}, "every_n_days", "only for 'every so many days'"),
    ({"code": "194000"}, "code_system", "Choose which system"),
    ({"code_system": RXNORM}, "code", "Give the code"),
    ({"code_system": RXNORM, "code": "19400A"}, "code", "RXCUI"),
    ({"code_system": RXNORM, "code": "0194000"}, "code", "RXCUI"),
    ({"code_system": DMD, "code": "387713004"}, "code", "check digit"),
    ({"code_system": DMD, "code": "12345"}, "code", "6 to 18 digits"),
    ({"code_system": DMD, "code": "1000001123"}, "code", "partition"),
    ({"code_system": SNOMED, "code": "387713003"}, "code_system", "Choose one of: dm+d"),
    ({"code_system": "http://example.org/drugs", "code": "1"}, "code_system", "Choose one of"),
    ({"purpose": "curative"}, "purpose", "Choose one of"),
    ({"route": "by post"}, "route", "Choose one of"),
])
def test_bad_medicines_name_the_field(change, field, message):
    errors = errors_of(Medication, {**CAPECITABINE, **change})
    assert field in errors and message in errors[field]


def test_a_dmd_code_with_a_good_check_digit_is_accepted():
    code = a_uk_extension_code()
    assert validate(Medication, {**CAPECITABINE, "code_system": DMD, "code": code}).code == code


@pytest.mark.parametrize("system, code", [
    (CodeSystem.SNOMED, "387713003"), (CodeSystem.DMD, "22298006"), (CodeSystem.RXNORM, "1601374"),
])
def test_known_codes_pass_their_system_check(system, code):
    assert checked_code(system, code) == code


def test_a_typo_in_one_digit_of_a_dmd_code_is_caught():
    code = a_uk_extension_code()
    typo = code[:3] + str((int(code[3]) + 1) % 10) + code[4:]
    with pytest.raises(CodeFormatError):
        checked_code(CodeSystem.DMD, typo)


def test_an_allergy_is_kept_with_fhir_severity_and_status():
    allergy = validate(Allergy, {"substance": "Penicillin", "reaction": "Rash and swollen lips", "severity": "severe",
                                 "criticality": "high", "code_system": SNOMED, "code": "764146007"})
    assert (allergy.severity.value, allergy.criticality.value, allergy.status.value) == ("severe", "high", "active")


@pytest.mark.parametrize("change, field, message", [
    ({"severity": "terrible"}, "severity", "Choose one of"),
    ({"criticality": "medium"}, "criticality", "Choose one of"),
    ({"status": "maybe"}, "status", "Choose one of"),
    ({"kind": "dislike"}, "kind", "Choose one of"),
    ({"substance": ""}, "substance", ""),
    ({"code_system": SNOMED, "code": "764146008"}, "code", "check digit"),
    ({"recorded_on": (date.today() + timedelta(days=30)).isoformat()}, "recorded_on", "future"),
])
def test_bad_allergies_name_the_field(change, field, message):
    errors = errors_of(Allergy, {"substance": "Penicillin", **change})
    assert field in errors and message in errors[field]


def test_a_stopped_cycle_has_no_cycle_day_after_its_stop_date():
    medicine = validate(Medication, {**CAPECITABINE, "stop_date": "2026-10-20"})
    assert medicine.cycle_day(date(2026, 10, 20)) == 20 and medicine.cycle_day(date(2026, 10, 21)) is None
