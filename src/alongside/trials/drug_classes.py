"""The drug classes of content/drug_classes.yaml: which agents a class holds, and the wording
trials use for classes and agents, compiled once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml


@dataclass(frozen=True)
class DrugVocabulary:
    classes_of: dict[str, frozenset[str]]         # agent -> class ids
    class_names: dict[str, str]                   # class id -> its name in words
    patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]  # wording -> agents or class ids

    def mentioned(self, text: str) -> tuple[str, ...]:
        """Agents and class ids named in the text, in order of first mention."""
        found = [(m.start(), m.end(), names) for pattern, names in self.patterns for m in pattern.finditer(text)]
        # A mention inside a longer one ("ADC" in "ADC containing a ... topoisomerase I") is
        # the longer one's word, not a class of its own.
        kept = [f for f in found if not any(o[0] <= f[0] and f[1] <= o[1] and (o[1] - o[0]) > (f[1] - f[0]) for o in found)]
        return tuple(dict.fromkeys(name for _, _, names in sorted(kept) for name in names))


@cache
def vocabulary() -> DrugVocabulary:
    data = yaml.safe_load(files("alongside.content").joinpath("drug_classes.yaml").read_text("utf-8"))
    classes: dict[str, set[str]] = {}
    patterns: list[tuple[re.Pattern[str], tuple[str, ...]]] = []
    names: dict[str, str] = {}
    for class_id, spec in data["classes"].items():
        if not spec.get("source") or not spec.get("agents"):
            raise ValueError(f"drug_classes.yaml: class {class_id} needs agents and a source")
        names[class_id] = spec["name"]
        for agent in spec["agents"]:
            classes.setdefault(agent, set()).add(class_id)
            patterns.append((_word(re.escape(agent)), (agent,)))
        patterns.extend((_word(p), (class_id,)) for p in spec["patterns"])
    for agents, aliases in data["aliases"].items():
        patterns.extend((_word(alias), tuple(agents.split("+"))) for alias in aliases)
    return DrugVocabulary({a: frozenset(c) for a, c in classes.items()}, names, tuple(patterns))


def _word(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){pattern}(?![\w-])", re.IGNORECASE)
