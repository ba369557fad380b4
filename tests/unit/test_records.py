"""Validation at the edge: every bad input names its field and says what to do."""

from datetime import date, timedelta

import pytest

from alongside.domain.errors import InvalidInput
from alongside.domain.records import RECORD_KINDS, CancerProfile, PatientDetails, TreatmentCourse, validate
from alongside.domain.vocab import Her2Status

from ..factories import SAMPLES

PATIENT = {"given_name": "Ann", "family_name": "Example", "date_of_birth": "1960-02-03"}


def errors_of(model, data) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        validate(model, data)
    return {e["field"]: e["message"] for e in caught.value.errors}


def test_a_valid_patient_is_accepted_and_normalised():
    patient = validate(PatientDetails, {**PATIENT, "nhs_number": "943 476 5919", "email": " Ann@Example.ORG "})
    assert patient.nhs_number == "9434765919"
    assert patient.email == "ann@example.org"
    assert patient.time_zone == "Europe/London"


@pytest.mark.parametrize("change, field, message", [
    ({"nhs_number": "9434765918"}, "nhs_number", "check digit"),
    ({"date_of_birth": (date.today() + timedelta(days=30)).isoformat()}, "date_of_birth", "future"),
    ({"date_of_birth": "1850-01-01"}, "date_of_birth", "before 1900"),
    ({"date_of_birth": "3 March"}, "date_of_birth", "YYYY-MM-DD"),
    ({"sex": "unicorn"}, "sex", "Choose one of"),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
    ({"country": "England"}, "country", ""),
    ({"given_name": ""}, "given_name", ""),
    ({"surprise": 1}, "surprise", "not part of this record"),
])
def test_bad_patient_details_name_the_field(change, field, message):
    errors = errors_of(PatientDetails, {**PATIENT, **change})
    assert field in errors
    assert message in errors[field]


def test_a_missing_required_field_is_named():
    assert errors_of(PatientDetails, {"given_name": "Ann"}) == {
        "family_name": "This is required", "date_of_birth": "This is required"}


def test_an_end_before_the_start_names_the_end():
    errors = errors_of(TreatmentCourse, {"modality": "chemotherapy", "name": "Paclitaxel",
                                         "start_date": "2025-03-01", "end_date": "2025-02-01"})
    assert errors == {"end_date": "The stop date cannot be before the start date"}


def test_a_reason_for_stopping_needs_a_stop_date():
    errors = errors_of(TreatmentCourse, {"modality": "chemotherapy", "name": "Paclitaxel",
                                         "start_date": "2025-03-01", "stop_reason": "side_effects"})
    assert "end_date" in errors


def test_secondary_diagnosis_cannot_come_before_the_first():
    errors = errors_of(CancerProfile, {"primary_diagnosis_date": "2020-01-01", "metastatic_diagnosis_date": "2019-01-01"})
    assert list(errors) == ["metastatic_diagnosis_date"]


@pytest.mark.parametrize("status", list(Her2Status))
def test_every_her2_category_is_recorded_including_low_and_ultralow(status):
    assert validate(CancerProfile, {"her2_status": status.value}).her2_status is status


@pytest.mark.parametrize("er, pr, expected", [
    ("positive", "negative", True), ("negative", "positive", True), ("negative", "negative", False),
    ("negative", "unknown", None), ("unknown", "unknown", None),
])
def test_hormone_receptor_status_is_not_guessed(er, pr, expected):
    assert CancerProfile(er_status=er, pr_status=pr).hormone_receptor_positive is expected


@pytest.mark.parametrize("slug", list(RECORD_KINDS))
def test_each_kind_accepts_its_sample_and_refuses_unknown_fields(slug):
    data = {k: ("00000000-0000-4000-8000-000000000001" if k == "course_id" else v) for k, v in SAMPLES[slug].items()}
    assert validate(RECORD_KINDS[slug].model, data)
    assert "nonsense" in errors_of(RECORD_KINDS[slug].model, {**data, "nonsense": True})


def test_appointment_times_need_a_utc_offset():
    kind = RECORD_KINDS["appointments"]
    errors = errors_of(kind.model, {"starts_at": "2030-01-01T10:00:00", "kind": "oncology_clinic"})
    assert "UTC offset" in errors["starts_at"]


def test_performance_status_is_ecog_zero_to_four():
    kind = RECORD_KINDS["performance-status"]
    assert "ecog" in errors_of(kind.model, {"assessed_on": "2025-01-01", "ecog": 5})


def test_lab_reference_range_must_be_in_order():
    kind = RECORD_KINDS["lab-results"]
    errors = errors_of(kind.model, {**SAMPLES["lab-results"], "reference_low": 9, "reference_high": 1})
    assert list(errors) == ["reference_high"]


def test_contact_point_hours_must_be_readable():
    kind = RECORD_KINDS["contact-points"]
    assert "hours" in errors_of(kind.model, {**SAMPLES["contact-points"], "hours": "whenever"})
