"""The check-in instrument, read from content/check_in.yaml and validated at start-up."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from string import Formatter

from ..clinical.red_flags import BY_CODE, TEMPERATURE_FLAGS

Attribute = Literal["frequency", "severity", "interference"]
AdviceLevel = Literal["red", "amber", "green"]
ADVICE_LEVELS: tuple[AdviceLevel, ...] = ("green", "amber", "red")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Symptom(_Strict):
    code: str
    label: str
    attributes: dict[Attribute, str] = Field(min_length=1)


class BurdenItem(_Strict):
    code: str
    label: str


class Burden(_Strict):
    intro: str
    items: list[BurdenItem]


class SelfCare(_Strict):
    """One symptom's advice at each level, and the red-flag questions that are about it.

    Each level is optional here so that the instrument can say which one is missing."""

    flags: tuple[str, ...] = ()
    green: str | None = Field(None, min_length=1)
    amber: str | None = Field(None, min_length=1)
    red: str | None = Field(None, min_length=1)

    def at(self, level: str) -> str:
        return getattr(self, level)


class Instrument(_Strict):
    recall: str
    scales: dict[Attribute, list[str]]
    symptoms: list[Symptom]
    burden: Burden
    advice: dict[AdviceLevel, str]
    self_care: dict[str, SelfCare]
    flag_advice: dict[str, str]

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        if any(len(labels) != 5 for labels in self.scales.values()):
            raise ValueError("every scale has five answers, scored 0 to 4")
        codes = [s.code for s in self.symptoms]
        if len(set(codes)) != len(codes):
            raise ValueError("symptom codes must be unique")
        unknown = set(self.self_care) - set(codes)
        if unknown:
            raise ValueError(f"self-care advice for unknown symptoms: {sorted(unknown)}")
        # Every level can apply to every symptom (a team may set severe symptoms to red), so a
        # missing text would leave her with nothing to read at the moment it matters.
        missing = [f"{code}: {level}" for code in codes for level in ADVICE_LEVELS
                   if code not in self.self_care or not self.self_care[code].at(level)]
        if missing:
            raise ValueError("every symptom needs self-care advice for green, amber and red; missing "
                             + ", ".join(missing))
        flags = {flag for advice in self.self_care.values() for flag in advice.flags}
        if flags - set(BY_CODE):
            raise ValueError(f"self-care advice names unknown red flags: {sorted(flags - set(BY_CODE))}")
        # An urgent answer about no symptom asked gets advice of its own, or she would read none.
        unlinked = (set(BY_CODE) | set(TEMPERATURE_FLAGS)) - flags
        if unlinked - set(self.flag_advice):
            raise ValueError(f"red flags with no advice: {sorted(unlinked - set(self.flag_advice))}")
        if set(self.flag_advice) - unlinked:
            raise ValueError(f"advice for unknown or linked red flags: {sorted(set(self.flag_advice) - unlinked)}")
        self._words_follow_routing()
        return self

    def _words_follow_routing(self) -> None:
        """Every call to action that depends on the hour is the {Call} placeholder, filled in from
        the routing, so no text says "call your team today" beside a 24-hour number at night."""
        texts = list(self.advice.values()) + list(self.flag_advice.values()) + [
            advice.at(level) for advice in self.self_care.values() for level in ADVICE_LEVELS]
        for text in texts:
            if "team today" in text.lower() or set(_placeholders(text)) - {"Call"}:
                raise ValueError(f"write the call as {{Call}}, and use no other placeholder: {text[:60]}...")

    def symptom(self, code: str) -> Symptom | None:
        return next((s for s in self.symptoms if s.code == code), None)


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(text) if name is not None]


@cache
def instrument() -> Instrument:
    text = files("alongside.content").joinpath("check_in.yaml").read_text(encoding="utf-8")
    return Instrument.model_validate(yaml.safe_load(text))
