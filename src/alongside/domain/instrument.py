"""The check-in instrument, read from content/check_in.yaml and validated at start-up."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..clinical.red_flags import BY_CODE

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
        return self

    def symptom(self, code: str) -> Symptom | None:
        return next((s for s in self.symptoms if s.code == code), None)


@cache
def instrument() -> Instrument:
    text = files("alongside.content").joinpath("check_in.yaml").read_text(encoding="utf-8")
    return Instrument.model_validate(yaml.safe_load(text))
