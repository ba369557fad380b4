"""The urgent-word safety net, group by group (sources in content/urgent_words.yaml and
docs/clinical-rules.md), with the ways people write on a phone, numbers, and negation."""

import pytest
from hypothesis import given, settings, strategies as st

from alongside.clinical.contacts import Level
from alongside.clinical.urgent_words import UrgentWords, WordGroup, read_message, temperatures_in
from alongside.domain.content import urgent_words

WORDS = urgent_words()


def codes(text: str, on_chemo: bool = False) -> dict[str, Level]:
    return {flag.code: flag.level for flag in read_message(text, WORDS, on_chemo)}


# One row per group of the source: a plain way of saying it, and the level it raises.
@pytest.mark.parametrize("text, code, level", [
    # NICE NG151 / UKONS: fever (amber off treatment that lowers white cells, red on it; below)
    ("I think I have a fever", "fever", Level.AMBER),
    ("shivering and hot and cold all night", "fever", Level.AMBER),
    ("I had rigors after the drip", "fever", Level.AMBER),
    # UKONS: breathlessness and chest pain are red
    ("I am short of breath going upstairs", "breathless", Level.RED),
    ("I'm so breathless today", "breathless", Level.RED),
    ("I can't breathe properly", "breathless", Level.RED),
    ("I have chest pain", "chest_pain", Level.RED),
    ("there is a pain in my chest", "chest_pain", Level.RED),
    # NICE NG234 metastatic spinal cord compression: neurology and bladder or bowel are red
    ("my legs feel weak", "spinal_cord", Level.RED),
    ("numbness in my legs since Sunday", "spinal_cord", Level.RED),
    ("I can't walk without help", "spinal_cord", Level.RED),
    ("I have lost control of my bladder", "spinal_cord", Level.RED),
    ("I wet myself this morning", "spinal_cord", Level.RED),
    ("new back pain", "back_pain", Level.AMBER),
    # UKONS, ESMO 2021 brain metastases: confusion, drowsiness, fits red; headache amber
    ("Mum is confused since yesterday", "brain", Level.RED),
    ("very drowsy all day", "brain", Level.RED),
    ("she had a fit", "brain", Level.RED),
    ("I had a seizure", "brain", Level.RED),
    ("the worst headache of my life", "headache_or_eyesight", Level.AMBER),
    ("I have double vision", "headache_or_eyesight", Level.AMBER),
    # UKONS: bleeding red
    ("my gums are bleeding", "bleeding", Level.RED),
    ("black stools since Monday", "bleeding", Level.RED),
    ("I was vomiting blood", "bleeding", Level.RED),
    ("coughing up blood", "bleeding", Level.RED),
    # UKONS: diarrhoea and vomiting amber; unable to keep fluids down red
    ("diarrhoea 6 times today", "vomiting_diarrhoea", Level.AMBER),
    ("I keep being sick", "vomiting_diarrhoea", Level.AMBER),
    ("I can't keep fluids down", "fluids", Level.RED),
    # UKONS: suspected clot amber
    ("my calf is swollen and sore", "clot", Level.AMBER),
    ("swollen leg on the left", "clot", Level.AMBER),
    # jaundice, hypercalcaemia amber
    ("my eyes are yellow", "jaundice", Level.AMBER),
    ("I am very thirsty all the time", "hypercalcaemia", Level.AMBER),
    # UKONS: allergic reaction red
    ("my lips are swollen after the tablet", "allergic_reaction", Level.RED),
    # she says it is an emergency, or is in crisis (NICE NG225)
    ("this is an emergency", "emergency", Level.RED),
    ("some days I want to end my life", "crisis", Level.RED),
])
def test_each_group_raises_its_level(text, code, level):
    assert codes(text).get(code) is level


@pytest.mark.parametrize("text, code", [
    ("FEVER", "fever"), ("Chest Pain", "chest_pain"), ("BREATHLESS", "breathless"),  # capitals
    ("chest pains", "chest_pain"), ("seizures", "brain"), ("having fits", "brain"), ("legs are weak", "spinal_cord"),
    ("diarrhea", "vomiting_diarrhoea"), ("diarrhoea", "vomiting_diarrhoea"),  # US and UK spelling
    ("diarhoea", "vomiting_diarrhoea"), ("diarroea", "vomiting_diarrhoea"),  # common misspellings
    ("brethless", "breathless"), ("breathles", "breathless"), ("breahtless", "breathless"),  # thumbs: missing, swapped
    ("confussed", "brain"), ("temprature is high", "fever"), ("shiverring", "fever"),
    ("I can’t breathe", "breathless"), ("I cant breathe", "breathless"), ("I cannot breathe", "breathless"),
    ("I’m unable to walk", "spinal_cord"), ("Café and then chest pain", "chest_pain"),  # curly apostrophe, accents
    ("jaundiced", "jaundice"), ("anaphylactic reaction", "allergic_reaction"),
])
def test_spellings_capitals_plurals_and_typos(text, code):
    assert code in codes(text)


@pytest.mark.parametrize("text", [
    "no fever", "I don't have a fever", "not breathless at all", "no chest pain today", "never had a fit",
    "my legs aren't weak", "I am not confused", "not bleeding now",
])
def test_a_negation_never_suppresses_a_match(text):
    """A false alarm costs the team a call; a miss can cost a life (docs/clinical-rules.md)."""
    assert codes(text)


@pytest.mark.parametrize("text", [
    "Can you fit me in on Tuesday?", "I need a repeat prescription of letrozole, please", "I am 38 years old",
    "My appointment is at 10.30 on the 14th", "I was sitting in the garden", "My temperature is 36.8, all fine",
    "It fits well", "Could I change my appointment to next week?", "Thank you for yesterday",
])
def test_routine_messages_raise_nothing(text):
    assert codes(text) == {}


# --- Temperatures, judged by the fever rule of red_flags.py (37.5 C or more; 36.0 C or less on treatment)

@pytest.mark.parametrize("text, celsius", [
    ("I have had a temperature of 38.4 since this morning", 38.4),
    ("38.4", 38.4), ("38,4 C", 38.4), ("38,4C", 38.4), ("38.4°C", 38.4), ("38.4 degrees", 38.4),
    ("temp 38", 38.0), ("it was 39 on the thermometer", 39.0), ("38 C", 38.0), ("37.9 celsius", 37.9),
    ("101 F", 38.3), ("101F", 38.3), ("100.4°F", 38.0), ("temp was 102", 38.9), ("35.5 this morning", 35.5),
])
def test_temperatures_are_read_as_she_writes_them(text, celsius):
    assert [r.celsius for r in temperatures_in(text, WORDS)] == [celsius]


@pytest.mark.parametrize("text", ["I am 38 years old", "at 10.30", "took 2 tablets at 08.15", "50 mg",
                                  "weight 68.5 kg", "room 101", "98 steps"])
def test_numbers_that_are_not_temperatures(text):
    assert temperatures_in(text, WORDS) == []


@pytest.mark.parametrize("text, on_chemo, code, level", [
    ("temperature 38.4", True, "temperature_on_chemo", Level.RED),
    ("temperature 38.4", False, "fever", Level.AMBER),
    ("37.5", True, "temperature_on_chemo", Level.RED),  # the threshold itself
    ("35.9", True, "temperature_on_chemo", Level.RED),  # low on treatment
    ("36.0", True, "temperature_on_chemo", Level.RED),
])
def test_a_temperature_raises_the_fever_rule(text, on_chemo, code, level):
    assert codes(text, on_chemo).get(code) is level


@pytest.mark.parametrize("text", ["37.4", "36.1", "temp 36.8", "98.6 F"])
def test_a_normal_temperature_raises_nothing(text):
    assert codes(text, on_chemo=True) == {}


def test_fever_words_are_red_on_treatment_that_lowers_white_cells():
    assert codes("I feel feverish", on_chemo=True)["fever"] is Level.RED
    assert codes("I feel feverish", on_chemo=False)["fever"] is Level.AMBER


def test_the_fever_threshold_is_the_teams():
    assert codes("38.0", on_chemo=False) == {"fever": Level.AMBER}
    flags = read_message("38.0", WORDS, on_myelosuppressive=False, fever_at_or_above=38.5)
    assert flags == []


def test_each_concern_once_red_first_with_her_words():
    flags = read_message("Fever, fever and a fever of 38.9, and I'm a bit sick", WORDS, on_myelosuppressive=True)
    assert [f.code for f in flags].count("fever") == 1
    assert [f.level for f in flags] == sorted((f.level for f in flags), key=[Level.RED, Level.AMBER].index)
    assert next(f for f in flags if f.code == "temperature_on_chemo").value == "38.9 (38.9 C)"


def test_short_words_are_matched_exactly():
    words = UrgentWords(groups=(WordGroup("x", "x", Level.RED, ("fit",)),))
    assert read_message("I feel fat", words, False) == []
    assert read_message("a fit", words, False)[0].code == "x"


# --- As a property: every phrase of every group, however it sits in a message, is caught.

_GROUP_PHRASES = [(group.code, phrase) for group in WORDS.groups for phrase in group.phrases]
_NEUTRAL = st.lists(st.sampled_from(["today", "and", "my", "the", "yesterday", "really", "also", "since", "morning",
                                     "hello", "thanks", "team", "please", "again", "I", "feel"]), max_size=8)
_NEGATIONS = st.sampled_from(["", "no ", "not ", "I don't think I have ", "never ", "no sign of "])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_GROUP_PHRASES), _NEUTRAL, _NEUTRAL, _NEGATIONS, st.booleans())
def test_every_phrase_is_caught_wherever_it_is_and_whatever_precedes_it(group_phrase, before, after, negation, shout):
    code, phrase = group_phrase
    text = " ".join(before) + " " + negation + (phrase.upper() if shout else phrase) + ". " + " ".join(after)
    assert code in codes(text), text
