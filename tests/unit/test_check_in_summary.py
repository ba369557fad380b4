"""Every summary of a check-in names its alerts and urgent answers first, and never reassures
while any of them exists (domain/check_in_summary.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given, strategies as st

from alongside.clinical.contacts import Level
from alongside.clinical.red_flags import BY_CODE
from alongside.domain.check_in_summary import NOTHING_ABOVE_MILD, summarise_check_in
from alongside.domain.entries import Entry
from alongside.domain.monitoring import Alert, AlertState
from alongside.domain.records import CheckIn

AT = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)


def entry(**answers) -> Entry:
    check_in = CheckIn.model_validate({"submitted_at": AT.isoformat(), **answers})
    return Entry(uuid4(), uuid4(), "check-ins", 1, check_in, AT, AT)


def alert(level: Level, rule: str = "red_flag", item: str = "temperature_on_chemo", minutes: int = 0, **detail) -> Alert:
    detail = detail or {"answer": "38.2 C", "concern": "Possible neutropenic sepsis"}
    return Alert(uuid4(), 1, uuid4(), None, rule, level, item, detail, AlertState.NEW, AT + timedelta(minutes=minutes))


def test_a_fever_on_chemotherapy_is_named_before_the_temperature_and_the_symptoms():
    summary = summarise_check_in(entry(temperature_c=38.2, burden={"pain": 2}), [alert(Level.RED)])
    assert summary.text == "RED alert: Possible neutropenic sepsis: Temperature on chemo (38.2 C); temperature 38.2 °C"
    assert summary.urgent and summary.highest_level is Level.RED
    assert NOTHING_ABOVE_MILD not in summary.text


def test_a_quiet_check_in_says_nothing_above_mild():
    summary = summarise_check_in(entry(burden={"pain": 2, "wellbeing": 3}), [])
    assert summary.text == NOTHING_ABOVE_MILD and not summary.urgent and summary.unwell == 3


def test_an_urgent_answer_without_its_alert_is_still_named_first():
    summary = summarise_check_in(entry(red_flags={"bleeding": True, "new_back_pain": False}, burden={"pain": 8}), [])
    assert [line.text for line in summary.lines] == [f"Answered yes: {BY_CODE['bleeding'].short}", "Pain: 8/10"]


levels = st.lists(st.sampled_from([Level.RED, Level.AMBER, Level.GREEN]), max_size=5)


@given(levels=levels, flags=st.dictionaries(st.sampled_from(sorted(BY_CODE)), st.booleans(), max_size=4),
       pain=st.integers(0, 10), temperature=st.one_of(st.none(), st.floats(35.0, 41.0)))
def test_alerts_come_first_red_to_green_then_yes_answers_and_nothing_reassures_beside_them(levels, flags, pain,
                                                                                            temperature):
    alerts = [alert(level, "severe", "pain", minutes=i, score=9) for i, level in enumerate(levels)]
    summary = summarise_check_in(entry(red_flags=flags, burden={"pain": pain}, temperature_c=temperature), alerts)
    kinds = [line.kind for line in summary.lines]
    order = ["alert", "red_flag", "temperature", "symptom"]
    assert kinds == sorted(kinds, key=order.index)
    assert [line.level for line in summary.lines if line.kind == "alert"] == sorted(
        levels, key=[Level.RED, Level.AMBER, Level.GREEN].index)
    assert kinds.count("red_flag") == sum(flags.values())
    if alerts or any(flags.values()):
        assert NOTHING_ABOVE_MILD not in summary.text and summary.urgent
