"""Checking a bundle's coded elements against the value sets a FHIR package publishes.

The bindings and value sets are read from the package itself (for mCODE, `hl7.fhir.us.mcode`
4.0.0 from the npm registry), never typed in by hand. Each required or extensible binding that
a profile's differential sets is checked on every resource claiming that profile. A value set
defined by a filter (SNOMED CT "is-a 363346000") cannot be expanded without a terminology
server: a code of that system is then reported as not checkable, never guessed in or out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

IN = "in the value set"
NOT_IN = "not in the value set"
NOT_CHECKABLE = "not checkable here"
TEXT_ONLY = "text only"  # no code at all: allowed by an extensible binding when no code fits


@dataclass(frozen=True)
class Finding:
    resource: str  # Observation/abc
    element: str  # Observation.code
    value_set: str
    strength: str  # required | extensible
    verdict: str  # IN | NOT_IN | NOT_CHECKABLE
    detail: str


@dataclass
class _Expansion:
    codes: set[tuple[str, str]]
    whole_systems: set[str]  # an include of a whole code system: any code of it is in
    filtered: dict[str, str]  # system -> the filter that defines its part (not expandable here)


class PackageValueSets:
    """The profiles' bindings and the value sets of one unpacked FHIR package folder."""

    def __init__(self, folder: Path):
        self.bindings: dict[str, list[tuple[str, str, str]]] = {}  # profile URL -> (path, strength, value set)
        self.value_sets: dict[str, dict[str, Any]] = {}
        for path in sorted(Path(folder).glob("*.json")):
            resource = json.loads(path.read_text(encoding="utf-8"))
            if resource.get("resourceType") == "ValueSet":
                self.value_sets[resource["url"]] = resource
            elif resource.get("resourceType") == "StructureDefinition":
                self.bindings[resource["url"]] = [
                    (element["path"], element["binding"]["strength"], element["binding"]["valueSet"].split("|")[0])
                    for element in (resource.get("differential") or {}).get("element", [])
                    if (element.get("binding") or {}).get("strength") in ("required", "extensible")
                    and element["binding"].get("valueSet")]

    def check_bundle(self, bundle: dict[str, Any]) -> list[Finding]:
        findings = []
        for entry in bundle.get("entry") or []:
            resource = entry.get("resource") or {}
            for profile in (resource.get("meta") or {}).get("profile") or []:
                for path, strength, value_set in self.bindings.get(profile, []):
                    for concept in _values_at(resource, path.split(".")[1:]):
                        findings.append(self._check(resource, path, strength, value_set, concept))
        return findings

    def _check(self, resource: dict, path: str, strength: str, url: str, concept: Any) -> Finding:
        name = f"{resource.get('resourceType')}/{resource.get('id')}"
        expansion = self._expand(url, set())
        codings = [(c.get("system"), c.get("code")) for c in (concept or {}).get("coding") or []]
        matched = [f"{s}|{c}" for s, c in codings if (s, c) in expansion.codes or s in expansion.whole_systems]
        if matched:
            return Finding(name, path, url, strength, IN, ", ".join(matched))
        unexpandable = [f"{s}|{c} ({expansion.filtered[s]})" for s, c in codings if s in expansion.filtered]
        if unexpandable:
            return Finding(name, path, url, strength, NOT_CHECKABLE,
                           "the value set is defined by a filter that cannot be expanded without a terminology "
                           "server: " + ", ".join(unexpandable))
        if not codings and strength == "extensible":
            return Finding(name, path, url, strength, TEXT_ONLY, f"no code fits, sent as text: {(concept or {}).get('text')}")
        return Finding(name, path, url, strength, NOT_IN,
                       ", ".join(f"{s}|{c}" for s, c in codings) or f"no coding, text only: {(concept or {}).get('text')}")

    def _expand(self, url: str, seen: set[str]) -> _Expansion:
        expansion = _Expansion(set(), set(), {})
        value_set = self.value_sets.get(url)
        if value_set is None or url in seen:
            return expansion  # a value set not in this package: nothing can be said to be in it
        seen.add(url)
        for include in (value_set.get("compose") or {}).get("include") or []:
            system = include.get("system")
            for inner in include.get("valueSet") or []:
                found = self._expand(inner.split("|")[0], seen)
                expansion.codes |= found.codes
                expansion.whole_systems |= found.whole_systems
                expansion.filtered.update(found.filtered)
            if system is None:
                continue
            if include.get("filter"):
                expansion.filtered[system] = "; ".join(f"{f.get('property')} {f.get('op')} {f.get('value')}"
                                                        for f in include["filter"])
            elif include.get("concept"):
                expansion.codes |= {(system, c["code"]) for c in include["concept"]}
            else:
                expansion.whole_systems.add(system)
        return expansion


def _values_at(node: Any, parts: list[str]) -> Iterator[Any]:
    """The values at a simple FHIRPath (Condition.evidence.code) through lists on the way."""
    if isinstance(node, list):
        for item in node:
            yield from _values_at(item, parts)
        return
    if not parts:
        yield node
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _values_at(node[parts[0]], parts[1:])
