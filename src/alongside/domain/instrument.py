"""The check-in instrument, read from content/check_in.yaml and validated at start-up."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Attribute = Literal["frequency", "severity", "interference"]


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


class Instrument(_Strict):
    recall: str
    scales: dict[Attribute, list[str]]
    symptoms: list[Symptom]
    burden: Burden
    advice: dict[Literal["red", "amber", "green"], str]
    self_care: dict[str, str]

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
        return self

    def symptom(self, code: str) -> Symptom | None:
        return next((s for s in self.symptoms if s.code == code), None)


@cache
def instrument() -> Instrument:
    text = files("alongside.content").joinpath("check_in.yaml").read_text(encoding="utf-8")
    return Instrument.model_validate(yaml.safe_load(text))
