"""Patient-facing content kept as data (content/*.yaml), validated when first read."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptGroup(_Strict):
    heading: str = Field(min_length=1)
    questions: list[str] = Field(min_length=1)


def _read(name: str):
    return yaml.safe_load(files("alongside.content").joinpath(name).read_text(encoding="utf-8"))


@cache
def prompt_questions() -> tuple[PromptGroup, ...]:
    """The prompt list offered before an appointment (content/questions.yaml)."""
    return tuple(TypeAdapter(list[PromptGroup]).validate_python(_read("questions.yaml")))


class AccessRoutes(_Strict):
    name: str
    intro: str
    routes: dict[str, str]


class SupportService(_Strict):
    name: str = Field(min_length=1)
    phone: str | None = Field(None, pattern=r"^[0-9+() -]+$")
    about: str | None = None


class Support(_Strict):
    national: dict[str, list[SupportService]] = Field(default_factory=dict)
    teams: dict[str, list[SupportService]] = Field(default_factory=dict)


@cache
def access_routes() -> dict[str, AccessRoutes]:
    """Plain-words explanations of each access route, per country (content/access_routes.yaml)."""
    from .vocab import AccessRoute

    countries = TypeAdapter(dict[str, AccessRoutes]).validate_python(_read("access_routes.yaml"))
    for code, country in countries.items():
        missing = {r.value for r in AccessRoute} - set(country.routes)
        if missing:
            raise ValueError(f"access_routes.yaml: {code} does not explain {sorted(missing)}")
    return countries


@cache
def support(path: str | None = None) -> Support:
    """National helplines and teams' local services (content/support.yaml, or a file of one's own)."""
    from pathlib import Path

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if path else _read("support.yaml")
    return Support.model_validate(data)


class _UrgentWordGroup(_Strict):
    code: str = Field(pattern=r"^[a-z_]+$")
    concern: str = Field(min_length=1)
    level: str = Field(pattern=r"^(red|amber)$")
    level_on_myelosuppressive: str | None = Field(None, pattern=r"^(red|amber)$")
    phrases: list[str] = Field(min_length=1)


class _UrgentWordsFile(_Strict):
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    temperature_words: list[str] = Field(min_length=1)
    groups: list[_UrgentWordGroup] = Field(min_length=1)


@cache
def urgent_words(path: str | None = None):
    """The words a message is read for before it is sent (content/urgent_words.yaml, or a team's
    own file), refused at start-up if a group repeats a code or has a phrase with no words."""
    from pathlib import Path

    from ..clinical.contacts import Level
    from ..clinical.urgent_words import UrgentWords, WordGroup, normalised

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if path else _read("urgent_words.yaml")
    parsed = _UrgentWordsFile.model_validate(data)
    codes = [g.code for g in parsed.groups]
    if len(set(codes)) != len(codes):
        raise ValueError("urgent_words.yaml: each group needs a code of its own")
    for group in parsed.groups:
        if empty := [p for p in group.phrases if not normalised(str(p))]:
            raise ValueError(f"urgent_words.yaml: {group.code} has a phrase with no words: {empty}")
    return UrgentWords(
        groups=tuple(WordGroup(g.code, g.concern, Level(g.level), tuple(str(p) for p in g.phrases),
                               Level(g.level_on_myelosuppressive) if g.level_on_myelosuppressive else None)
                     for g in parsed.groups),
        synonyms={canonical: tuple(variants) for canonical, variants in parsed.synonyms.items()},
        temperature_words=tuple(parsed.temperature_words))


@cache
def message_targets(path: str | None = None) -> dict[str, int]:
    """Working days within which the team aims to answer each kind of message (content/messages.yaml,
    or a team's own file): local policy, set by the team. Every category needs one."""
    from pathlib import Path

    from .vocab import MessageCategory

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if path else _read("messages.yaml")
    targets = TypeAdapter(dict[str, int]).validate_python(data["targets_in_working_days"])
    missing = {c.value for c in MessageCategory} - set(targets)
    if missing or any(days < 0 for days in targets.values()):
        raise ValueError(f"messages.yaml: every kind of message needs a target of 0 or more working days "
                         f"(missing: {sorted(missing)})")
    return targets

class FeverRuleMedicine(_Strict):
    agent: str = Field(min_length=2, pattern=r"^[a-z][a-z -]+$")
    aliases: tuple[str, ...] = ()
    source: str = Field(min_length=5)


class FeverRuleMedicines(_Strict):
    """The medicines that count as treatment lowering white cells for the fever rule."""

    medicines: tuple[FeverRuleMedicine, ...] = Field(min_length=1)

    def named_in(self, *texts: str | None) -> str | None:
        """The agent one of `texts` names (a medicine's name, its code's name, a course's name),
        matched as a whole word ignoring case; None when none is named."""
        words = " ".join(t for t in texts if t).lower()
        for medicine in self.medicines:
            for name in (medicine.agent, *medicine.aliases):
                if re.search(rf"(?<![a-z]){re.escape(name.lower())}(?![a-z])", words):
                    return medicine.agent
        return None


@cache
def fever_rule_medicines() -> FeverRuleMedicines:
    """content/fever_rule_medicines.yaml, sources in docs/clinical-rules.md."""
    return FeverRuleMedicines.model_validate(_read("fever_rule_medicines.yaml"))
