"""The report of an import as a FHIR OperationOutcome: one issue per problem, naming the
resource (Observation/lab-2) and the field (its FHIRPath in the bundle)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ..domain.errors import DomainError
from .resources import validated


@dataclass(frozen=True)
class Issue:
    severity: str  # error | warning | information (FHIR issue-severity)
    code: str  # FHIR issue-type: invalid, not-found, not-supported, informational, ...
    diagnostics: str
    expression: str | None = None

    def as_fhir(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics,
                **({"expression": [self.expression]} if self.expression else {})}


@dataclass
class ImportReport:
    patient_id: UUID | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    issues: list[Issue] = field(default_factory=list)
    set_aside: list[dict[str, Any]] = field(default_factory=list)
    matched: str | None = None  # the existing record she went into, and on what it was matched
    matched_on: str | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def summary(self) -> str:
        if not self.written:
            return f"Nothing imported: {len(self.errors)} resource error(s)"
        into = f"Matched {self.matched}. " if self.matched else ""
        return (into + f"Imported into patient {self.patient_id}: {self.created} new, {self.updated} updated, "
                f"{self.unchanged} unchanged; {len(self.set_aside)} set aside; {len(self.errors)} error(s)")

    def outcome(self) -> dict[str, Any]:
        """The report as an OperationOutcome: one issue per resource problem, then the summary."""
        issues = [i.as_fhir() for i in self.issues] + [Issue("information", "informational", self.summary()).as_fhir()]
        return validated({"resourceType": "OperationOutcome", "issue": issues})


def outcome_for(exc: DomainError) -> dict[str, Any]:
    """A whole-request failure (not a bundle at all, no such patient) as an OperationOutcome."""
    code = {404: "not-found", 403: "forbidden", 401: "login", 409: "conflict"}.get(exc.status, "invalid")
    errors = getattr(exc, "errors", None) or [{"field": exc.field, "message": exc.detail}]
    return validated({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": e["message"],
         **({"expression": [e["field"]]} if e.get("field") else {})} for e in errors]})
