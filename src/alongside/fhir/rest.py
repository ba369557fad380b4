"""The read-only FHIR REST interface's use of the record: read, search by patient and date,
and the CapabilityStatement. Each read is authorised and audited like every other read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from .. import __version__
from ..domain.access import Action, authorise
from ..domain.errors import InvalidInput
from ..domain.people import Actor
from ..domain.vocab import Role
from .export import collection, record_resources
from .resources import validated

# The resource types searchable by patient and date, and the element each one's date is in.
SEARCHABLE: dict[str, tuple[str, ...]] = {
    "Condition": ("onsetDateTime",),
    "Observation": ("effectiveDateTime",),
    "MedicationRequest": ("authoredOn",),
    "QuestionnaireResponse": ("authored",),
}
PREFIXES = ("ge", "le", "gt", "lt", "eq")


@dataclass(frozen=True)
class DateFilter:
    prefix: str
    day: str  # YYYY-MM-DD: dates are compared to the day

    @classmethod
    def parse(cls, text: str) -> DateFilter:
        prefix, value = (text[:2], text[2:]) if text[:2] in PREFIXES else ("eq", text)
        try:
            datetime.fromisoformat(value[:10])
        except ValueError:
            raise InvalidInput(f"'{text}' is not a date search: use for example ge2025-01-01", field="date") from None
        return cls(prefix, value[:10])

    def admits(self, day: str) -> bool:
        return {"ge": day >= self.day, "le": day <= self.day, "gt": day > self.day, "lt": day < self.day,
                "eq": day == self.day}[self.prefix]


def read_patient_resource(uow, actor: Actor, patient_id: UUID) -> dict[str, Any]:
    relationship = authorise(uow, actor, patient_id, Action.READ, what="fhir:Patient")
    return record_resources(uow, patient_id, relationship, style="rest")[0]


def everything(uow, actor: Actor, patient_id: UUID) -> dict[str, Any]:
    """Patient/{id}/$everything: the whole record as a searchset, linked by urn:uuid so it can be imported."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="fhir:$everything")
    return collection(record_resources(uow, patient_id, relationship), "searchset")


def search(uow, actor: Actor, resource_type: str, patient: str | None, dates: list[str],
           base_url: str | None = None) -> dict[str, Any]:
    if resource_type not in SEARCHABLE:
        raise InvalidInput(f"{resource_type} is not searchable here", field="resourceType")
    patient_id = _patient_of(actor, patient)
    filters = [DateFilter.parse(d) for d in dates]
    relationship = authorise(uow, actor, patient_id, Action.READ, what=f"fhir:{resource_type}")
    found = []
    for resource in record_resources(uow, patient_id, relationship, style="rest"):
        if resource["resourceType"] != resource_type:
            continue
        day = next((str(resource[k])[:10] for k in SEARCHABLE[resource_type] if resource.get(k)), None)
        if filters and (day is None or not all(f.admits(day) for f in filters)):
            continue
        found.append(resource)
    return collection(found, "searchset", base_url)


def _patient_of(actor: Actor, patient: str | None) -> UUID:
    if not patient:
        if actor.role is Role.PATIENT and actor.patient_id:
            return actor.patient_id
        raise InvalidInput("Search by patient: give ?patient=<id>", field="patient")
    try:
        return UUID(patient.removeprefix("Patient/"))
    except ValueError:
        raise InvalidInput("Not a patient id", field="patient") from None


def capability_statement(base_url: str) -> dict[str, Any]:
    search_params = [{"name": "patient", "type": "reference"}, {"name": "date", "type": "date",
                                                                "documentation": "Prefixes ge, le, gt, lt, eq; to the day"}]
    resources = [{"type": "Patient", "interaction": [{"code": "read"}],
                  "operation": [{"name": "everything",
                                 "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}],
                  "supportedProfile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-patient"]}]
    resources += [{"type": name, "interaction": [{"code": "search-type"}], "searchParam": search_params}
                  for name in SEARCHABLE]
    return validated({
        "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": datetime.now(UTC).date().isoformat(), "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
        "software": {"name": "Alongside", "version": __version__},
        "implementation": {"description": "Alongside read-only FHIR R4 interface (mCODE STU4)", "url": base_url},
        "implementationGuide": ["http://hl7.org/fhir/us/mcode/ImplementationGuide/hl7.fhir.us.mcode"],
        "rest": [{"mode": "server", "security": {"description": "Signed-in session (the same sign-in as the app); "
                                                                "a patient reads their own record, a clinician their "
                                                                "team's caseload; every read is audited."},
                  "resource": resources}],
    })
