"""Small builders shared by export and import: codings, references, validation through the
fhir.resources R4B models (R4B is identical to R4 for every resource used here)."""

from __future__ import annotations

import json
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fhir.resources.R4B import get_fhir_model_class

from ..domain.vocab import Vocab
from . import codes

def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(*codings: dict | None, text: str | None = None) -> dict[str, Any]:
    found = [c for c in codings if c]
    return {**({"coding": found} if found else {}), **({"text": text} if text else {})}


def ours(value: Vocab, vocabulary: str) -> dict[str, str]:
    return coding(codes.vocab_system(vocabulary), value.value, value.label)


def standard(table: dict, value: Any, system: str = codes.SNOMED) -> dict[str, str] | None:
    entry = table.get(value)
    return coding(system, *entry) if entry else None


def derived_id(patient_id: UUID, what: str) -> str:
    """A stable id for a resource that is not an entry of its own (the primary condition, a receptor)."""
    return str(uuid5(patient_id, what))


def foreign_id(resource_type: str, key: str) -> UUID:
    """Our id for a resource from elsewhere: the same identifier gives the same id on every import."""
    return uuid5(NAMESPACE_URL, f"{codes.OURS}/imported/{resource_type}/{key}")


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Build the resource through its fhir.resources model (raises on anything invalid), as JSON."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return json.loads(model.model_dump_json())


def codes_of(value: Any) -> list[tuple[str | None, str | None]]:
    if not isinstance(value, dict):
        return []
    return [(c.get("system"), c.get("code")) for c in value.get("coding") or [] if isinstance(c, dict)]


def has_code(value: Any, system: str, code: str) -> bool:
    return (system, code) in codes_of(value)


def our_code(value: Any, vocabulary: str) -> str | None:
    system = codes.vocab_system(vocabulary)
    return next((code for s, code in codes_of(value) if s == system), None)


def code_in(value: Any, system: str, table: dict[str, Any]) -> Any:
    return next((table[code] for s, code in codes_of(value) if s == system and code in table), None)
