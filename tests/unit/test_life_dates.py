"""Dates against the person's life (records.LifeDates), one case per row of the rule in
docs/clinical-rules.md, and the safety property: no date before birth is ever accepted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from alongside.domain.errors import InvalidInput, NeedsConfirming
from alongside.domain.records import CancerProfile, LifeDates, PatientDetails, TumourMarkerResult

BORN = date(1970, 5, 17)
DIAGNOSED = date(2021, 3, 10)
LIFE = LifeDates(BORN, DIAGNOSED)


def marker(day: date) -> TumourMarkerResult:
    return TumourMarkerResult.model_construct(taken_on=day, marker="ca15_3", value=30.0, unit="U/mL")


@pytest.mark.parametrize("day, outcome", [
    pytest.param(date(1900, 1, 1), "refused", id="1900: before birth, refused"),
    pytest.param(BORN - timedelta(days=1), "refused", id="the day before birth: refused"),
    pytest.param(BORN, "confirm", id="the day of birth, decades before diagnosis: needs confirming"),
    pytest.param(DIAGNOSED - timedelta(days=366), "confirm", id="a year and a day before diagnosis: needs confirming"),
    pytest.param(DIAGNOSED - timedelta(days=365), "accepted", id="a year before diagnosis: accepted"),
    pytest.param(DIAGNOSED + timedelta(days=400), "accepted", id="after diagnosis: accepted"),
])
def test_each_row_of_the_rule(day, outcome):
    if outcome == "refused":
        with pytest.raises(InvalidInput) as caught:
            LIFE.check(marker(day), confirmed=True)
        assert not isinstance(caught.value, NeedsConfirming) and caught.value.errors[0]["field"] == "taken_on"
    elif outcome == "confirm":
        with pytest.raises(NeedsConfirming):
            LIFE.check(marker(day))
        LIFE.check(marker(day), confirmed=True)
    else:
        LIFE.check(marker(day))


def test_without_a_birth_date_1900_is_the_floor_and_without_a_diagnosis_nothing_needs_confirming():
    with pytest.raises(InvalidInput):
        LifeDates(None, None).check(marker(date(1899, 12, 31)))
    LifeDates(None, None).check(marker(date(1900, 1, 1)))
    LifeDates(BORN, None).check(marker(BORN))


def test_the_first_diagnosis_is_the_earlier_of_primary_and_secondary_and_the_margin_is_configurable():
    details = PatientDetails(given_name="A", family_name="B", date_of_birth=BORN)
    only_secondary = LifeDates.of(details, CancerProfile(metastatic_diagnosis_date=DIAGNOSED))
    assert only_secondary.first_diagnosed == DIAGNOSED
    both = LifeDates.of(details, CancerProfile(primary_diagnosis_date=date(2015, 1, 1), metastatic_diagnosis_date=DIAGNOSED))
    assert both.first_diagnosed == date(2015, 1, 1)
    with pytest.raises(NeedsConfirming) as caught:
        LifeDates(BORN, DIAGNOSED, timedelta(days=30)).check(marker(DIAGNOSED - timedelta(days=31)))
    assert "more than 30 days before" in caught.value.errors[0]["message"]


@given(born=st.dates(date(1900, 1, 1), date(2020, 1, 1)), before=st.integers(1, 50_000),
       diagnosed=st.none() | st.dates(date(1900, 1, 1), date(2026, 1, 1)), confirmed=st.booleans())
def test_no_date_before_birth_is_ever_accepted(born, before, diagnosed, confirmed):
    day = max(born - timedelta(days=before), date.min)
    with pytest.raises(InvalidInput):
        LifeDates(born, diagnosed).check(marker(day), confirmed=confirmed)
