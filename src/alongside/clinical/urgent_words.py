"""The safety net under a message to the team: urgent words and red-flag symptoms, read before
it is sent, so that she is told whom to call now and the team is alerted at once.

A message is not a triage call, and she may not say "red flag" in so many words, so the net is
cast wide: each group of words (content/urgent_words.yaml, sources in docs/clinical-rules.md)
is matched ignoring capitals, accents, apostrophes, plurals, up to two words between the words
of a phrase ("pain in my chest"), and one slip of the thumb in a long word ("temprature",
"breathles"). Temperatures are read as numbers too ("38.4", "38,4 C", "101 F") and judged by the
fever rule of `red_flags.py`, not by a copy of it.

A negation never suppresses a match: "no fever but 38.4" and "I'm not breathless" both alert.
Reading negation right is hard ("no, I can't breathe"), and the costs are not alike: a false
alarm costs the team a call, a miss can cost a life.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from .contacts import Level
from .red_flags import FEVER_AT_OR_ABOVE_C, LOW_TEMPERATURE_AT_OR_BELOW_C, PLAUSIBLE_TEMPERATURE_C, RaisedFlag, raised_flags

# Words of a phrase may have this many other words between them: "pain in my chest" is "pain chest".
MAX_GAP = 2
# A word this long (after its plural is taken off) also matches with one letter missing, added,
# changed or two swapped. Shorter words are matched exactly: "fit" is one slip from "fat".
FUZZY_FROM_LETTERS = 7
# A number this near a temperature word ("temp", "fever") is read as a temperature.
TEMPERATURE_CONTEXT_WORDS = 4
# A decimal number in this range with no unit ("it's 38.4 now") is read as degrees Celsius.
BARE_DECIMAL_CELSIUS = (35.0, 42.9)
FAHRENHEIT_RANGE = (86.0, 113.0)


@dataclass(frozen=True)
class WordGroup:
    """Words that each mean one concern, at one triage level."""

    code: str
    concern: str  # what the team reads
    level: Level
    phrases: tuple[str, ...]
    # The level while she is on treatment that lowers white cells (the fever rule says when).
    level_on_myelosuppressive: Level | None = None


@dataclass(frozen=True)
class UrgentWords:
    groups: tuple[WordGroup, ...]
    # Ways of saying the same thing, read as the first: {"cannot": ("cant", "unable to")}.
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    temperature_words: tuple[str, ...] = ("temperature", "temp", "fever")


def read_message(text: str, words: UrgentWords, on_myelosuppressive: bool,
                 fever_at_or_above: float = FEVER_AT_OR_ABOVE_C,
                 low_at_or_below: float = LOW_TEMPERATURE_AT_OR_BELOW_C) -> list[RaisedFlag]:
    """Every urgent concern a message raises, once each, the most urgent first. A flag's value
    is what she wrote that raised it."""
    tokens = _tokens(text, words)
    found = [flag for group in words.groups if (flag := _group_flag(group, tokens, on_myelosuppressive))]
    found += _temperature_flags(text, words, on_myelosuppressive, fever_at_or_above, low_at_or_below)
    return _most_urgent_each(found)


# --- Words ---------------------------------------------------------------------------------------

def normalised(text: str) -> str:
    """Lower case, accents off, apostrophes gone ("can’t" is "cant"), one space between words."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"['`]", "", plain)
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def _tokens(text: str, words: UrgentWords) -> list[str]:
    return _with_synonyms(normalised(text), words).split()


def _with_synonyms(plain: str, words: UrgentWords) -> str:
    for canonical, variants in words.synonyms.items():
        pattern = _variants_pattern(tuple(normalised(v) for v in variants))
        plain = pattern.sub(canonical, plain)
    return plain


@lru_cache(maxsize=256)
def _variants_pattern(variants: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(variants, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(v) for v in longest_first) + r")\b")


def _group_flag(group: WordGroup, tokens: list[str], on_myelosuppressive: bool) -> RaisedFlag | None:
    for phrase in group.phrases:
        if (span := _find_phrase(normalised(phrase).split(), tokens)) is not None:
            level = group.level_on_myelosuppressive if on_myelosuppressive and group.level_on_myelosuppressive else group.level
            start, end = span
            return RaisedFlag(group.code, level, group.concern, " ".join(tokens[start:end + 1]))
    return None


def _find_phrase(phrase: list[str], tokens: list[str]) -> tuple[int, int] | None:
    """Where the phrase's words come in order, each within MAX_GAP words of the last."""
    for start, token in enumerate(tokens):
        if _same_word(token, phrase[0]) and (end := _rest_of_phrase(phrase[1:], tokens, start)) is not None:
            return start, end
    return None


def _rest_of_phrase(rest: list[str], tokens: list[str], after: int) -> int | None:
    if not rest:
        return after
    for position in range(after + 1, min(len(tokens), after + 2 + MAX_GAP)):
        if _same_word(tokens[position], rest[0]) and (end := _rest_of_phrase(rest[1:], tokens, position)) is not None:
            return end
    return None


@lru_cache(maxsize=65536)
def _same_word(token: str, word: str) -> bool:
    if token == word or _singular(token) == _singular(word):
        return True
    # A slip may fall on a final s ("breathles"), so both spellings are tried as written too.
    return len(word) >= FUZZY_FROM_LETTERS and len(token) >= FUZZY_FROM_LETTERS - 1 and (
        _one_slip(token, word) or _one_slip(_singular(token), _singular(word)))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _one_slip(a: str, b: str) -> bool:
    """One letter missing, added or changed, or two neighbours swapped (they share a deletion)."""
    if abs(len(a) - len(b)) > 1:
        return False
    deletions_a, deletions_b = _deletions(a), _deletions(b)
    return a in deletions_b or b in deletions_a or bool(deletions_a & deletions_b)


@lru_cache(maxsize=65536)
def _deletions(word: str) -> frozenset[str]:
    return frozenset(word[:i] + word[i + 1:] for i in range(len(word)))


# --- Temperatures ----------------------------------------------------------------------------------

_TEMPERATURE = re.compile(
    r"(?<![\d.,])(?P<whole>\d{2,3})(?:[.,](?P<tenths>\d{1,2}))?(?![\d]|[.,]\d)"
    r"\s*(?P<degrees>°|º|˚|deg\b|degrees?\b)?\s*(?P<unit>c\b|f\b|celsius\b|centigrade\b|fahrenheit\b)?",
    re.IGNORECASE)


@dataclass(frozen=True)
class TemperatureReading:
    celsius: float
    written: str  # as she wrote it


def temperatures_in(text: str, words: UrgentWords) -> list[TemperatureReading]:
    """Every number in the text that is a body temperature: with a unit or degree sign, near a
    temperature word, or a bare decimal such as 38.4. Fahrenheit is converted; a number that
    cannot be a body temperature (30-45 C) is not one."""
    plain = unicodedata.normalize("NFKC", text)
    context = {normalised(w) for w in words.temperature_words}
    readings = []
    for match in _TEMPERATURE.finditer(plain):
        celsius = _as_celsius(match, _near_temperature_word(plain, match, context))
        low, high = PLAUSIBLE_TEMPERATURE_C
        if celsius is not None and low <= celsius <= high:
            readings.append(TemperatureReading(round(celsius, 1), match.group(0).strip()))
    return readings


def _as_celsius(match: re.Match[str], near_word: bool) -> float | None:
    value = float(match["whole"] + ("." + match["tenths"] if match["tenths"] else ""))
    unit = (match["unit"] or "").lower()
    if unit.startswith("f") or (not unit and FAHRENHEIT_RANGE[0] <= value <= FAHRENHEIT_RANGE[1]
                                and (match["degrees"] or near_word)):
        return (value - 32) * 5 / 9
    if unit or match["degrees"] or near_word:
        return value
    if match["tenths"] and BARE_DECIMAL_CELSIUS[0] <= value <= BARE_DECIMAL_CELSIUS[1]:
        return value
    return None


def _near_temperature_word(text: str, match: re.Match[str], context: set[str]) -> bool:
    before = normalised(text[:match.start()]).split()[-TEMPERATURE_CONTEXT_WORDS:]
    after = normalised(text[match.end():]).split()[:TEMPERATURE_CONTEXT_WORDS]
    return any(_same_word(token, word) for token in before + after for word in context)


def _temperature_flags(text: str, words: UrgentWords, on_myelosuppressive: bool, fever_at_or_above: float,
                       low_at_or_below: float) -> Iterator[RaisedFlag]:
    for reading in temperatures_in(text, words):
        for flag in raised_flags({}, reading.celsius, on_myelosuppressive, fever_at_or_above, low_at_or_below):
            yield RaisedFlag(flag.code, flag.level, flag.concern, f"{reading.written} ({flag.value})")


_RANK = {Level.RED: 0, Level.AMBER: 1, Level.GREEN: 2}


def _most_urgent_each(flags: Iterable[RaisedFlag]) -> list[RaisedFlag]:
    """One flag per concern code, the most urgent reading of it; red first."""
    kept: dict[str, RaisedFlag] = {}
    for flag in flags:
        if flag.code not in kept or _RANK[flag.level] < _RANK[kept[flag.code].level]:
            kept[flag.code] = flag
    return sorted(kept.values(), key=lambda f: _RANK[f.level])
