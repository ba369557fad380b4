"""The check-in's safety rule as a property over the whole instrument (Hypothesis):

for every check-in with any answer at or above an alerting level, or any urgent answer, there is
an alert, the result says whom to call now, and nothing said about it reads as reassuring.

Each example goes through the real use case and database, and is rolled back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alongside.clinical.pro_ctcae import grade_answers
from alongside.clinical.red_flags import FEVER_AT_OR_ABOVE_C, questions_for
from alongside.domain import accounts, monitoring
from alongside.domain.errors import InvalidInput
from alongside.domain.instrument import instrument
from alongside.domain.monitoring import MonitoringSettings

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
QUESTIONS = instrument()
REASSURING = ("Nothing you told us", "nothing above mild", "Nothing here needs")


def _symptom(symptom):
    return st.fixed_dictionaries({a: st.none() | st.integers(0, 4) for a in symptom.attributes})


check_in = st.fixed_dictionaries({
    "symptoms": st.fixed_dictionaries({}, optional={s.code: _symptom(s) for s in QUESTIONS.symptoms}),
    "burden": st.fixed_dictionaries({}, optional={b.code: st.integers(0, 10) for b in QUESTIONS.burden.items}),
    "red_flags": st.fixed_dictionaries({}, optional={f.code: st.booleans() for f in questions_for(False)}),
}, optional={"temperature_c": st.sampled_from([36.5, 37.2, 37.5, 38.2, 39.0])})


def should_alert(data: dict, thresholds=MonitoringSettings().thresholds) -> bool:
    """Written from the rules as documented, independently of the code that raises alerts."""
    if any(data["red_flags"].values()) or data.get("temperature_c", 0) >= FEVER_AT_OR_ABOVE_C:
        return True
    if any(score >= thresholds.severe_burden for score in data["burden"].values()):
        return True
    for code, answers in data["symptoms"].items():
        if (answers.get("severity") or 0) >= thresholds.very_severe_answer:
            return True
        graded = grade_answers(tuple(QUESTIONS.symptom(code).attributes), answers)
        if graded and graded.grade >= thresholds.severe_grade:
            return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=check_in)
def test_no_answer_at_an_alerting_level_goes_unalerted_or_unexplained(new_uow, world, data):
    with new_uow() as uow:
        try:
            alice = accounts.actor_for(uow.users.get(world.alice.user_id))
            outcome = monitoring.submit_check_in(uow, alice, world.patient_a, data, None,
                                                 MonitoringSettings(), NOW)
        except InvalidInput as refused:
            answered = any(data["symptoms"].get(c) and any(v is not None for v in data["symptoms"][c].values())
                           for c in data["symptoms"]) or data["burden"] or data["red_flags"] or "temperature_c" in data
            assert not answered and refused.field == "answers"
            return
        finally:
            uow.rollback()
    if should_alert(data):
        assert outcome.alerts, data
        assert outcome.routing.level.value in ("red", "amber") and outcome.routing.now
        said = [outcome.advice] + [a.summary for a in outcome.alerts]
        assert not any(phrase.lower() in text.lower() for text in said for phrase in REASSURING), said
    else:
        assert not [a for a in outcome.alerts if a.level.value in ("red", "amber")], data
