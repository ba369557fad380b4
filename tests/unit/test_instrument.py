"""The check-in instrument as data: every symptom has self-care advice for every level, and the
loader refuses content that does not."""

from __future__ import annotations

import copy
import re
from importlib.resources import files

import pytest
import yaml
from pydantic import ValidationError

from alongside.clinical.contacts import Level
from alongside.clinical.red_flags import RaisedFlag
from alongside.domain.instrument import ADVICE_LEVELS, Instrument, instrument
from alongside.domain.monitoring import symptom_advice


@pytest.fixture(scope="module")
def content() -> dict:
    return yaml.safe_load(files("alongside.content").joinpath("check_in.yaml").read_text(encoding="utf-8"))


def test_every_symptom_has_advice_at_every_level():
    questions = instrument()
    for symptom in questions.symptoms:
        for level in ADVICE_LEVELS:
            assert questions.self_care[symptom.code].at(level), f"{symptom.code} has no {level} advice"


@pytest.mark.parametrize("level", ADVICE_LEVELS)
def test_a_missing_level_is_refused_with_the_symptom_and_level_named(content, level):
    broken = copy.deepcopy(content)
    del broken["self_care"]["nausea"][level]
    with pytest.raises(ValidationError, match=f"nausea: {level}"):
        Instrument.model_validate(broken)


def test_a_symptom_without_any_advice_is_refused(content):
    broken = copy.deepcopy(content)
    del broken["self_care"]["rash"]
    with pytest.raises(ValidationError, match="rash: green, rash: amber, rash: red"):
        Instrument.model_validate(broken)


def test_empty_advice_is_refused(content):
    broken = copy.deepcopy(content)
    broken["self_care"]["pain"]["red"] = ""
    with pytest.raises(ValidationError):
        Instrument.model_validate(broken)


def test_advice_linked_to_an_unknown_red_flag_is_refused(content):
    broken = copy.deepcopy(content)
    broken["self_care"]["pain"]["flags"] = ["sore_elbow"]
    with pytest.raises(ValidationError, match="sore_elbow"):
        Instrument.model_validate(broken)


def test_red_and_amber_advice_points_to_the_number_on_the_page():
    for code, advice in instrument().self_care.items():
        for level in ("amber", "red"):
            assert "number on this page" in advice.at(level), f"{code} {level}"


def test_no_advice_tells_her_to_stop_or_change_treatment():
    for code, advice in instrument().self_care.items():
        for level in ADVICE_LEVELS:
            text = advice.at(level).lower()
            for phrase in (r"stop taking", r"stop your treatment", r"skip your", r"\d+ ?mg\b", r"dose"):
                assert not re.search(phrase, text), f"{code} {level}: {phrase!r}"


def test_advice_is_chosen_by_each_symptoms_own_level():
    questions = instrument()
    flags = [RaisedFlag("uncontrolled_vomiting", Level.RED, "Uncontrolled vomiting", "yes")]
    found = {a.code: a for a in symptom_advice({"fatigue": 1, "pain": 3, "rash": 0}, flags)}
    assert set(found) == {"fatigue", "pain", "nausea", "vomiting"}  # rash at grade 0 needs none
    assert found["fatigue"].level is Level.GREEN and found["fatigue"].text == questions.self_care["fatigue"].green
    assert found["pain"].level is Level.AMBER and found["pain"].text == questions.self_care["pain"].amber
    assert found["vomiting"].level is Level.RED and found["vomiting"].text == questions.self_care["vomiting"].red
    order = [a.level for a in symptom_advice({"fatigue": 1, "pain": 3}, flags)]
    assert order == sorted(order, key=[Level.RED, Level.AMBER, Level.GREEN].index)


@pytest.mark.parametrize("text", [
    "Please call your team today on the number on this page.",  # would sit beside a 24-hour number at night
    "{Call} {Name} on the number on this page.",  # no placeholder but {Call}
])
def test_a_call_to_action_that_ignores_the_routing_is_refused(content, text):
    broken = copy.deepcopy(content)
    broken["self_care"]["rash"]["amber"] = text
    with pytest.raises(ValidationError, match="write the call as"):
        Instrument.model_validate(broken)


def test_an_urgent_answer_about_no_symptom_needs_advice_of_its_own(content):
    broken = copy.deepcopy(content)
    del broken["flag_advice"]["limb_weakness"]
    with pytest.raises(ValidationError, match="red flags with no advice: \\['limb_weakness'\\]"):
        Instrument.model_validate(broken)
