"""Read a FHIR R4 Bundle (ours, or mCODE-shaped from another system) into a patient's record.

Every write goes through the domain's use cases, so the same validation, authorisation and
audit apply as for a person typing the entry. The whole bundle is read and checked first; then
the valid resources are written in the caller's transaction (or nothing at all, when the caller
asks for all or nothing and any resource is in error). Resources and extensions this adapter
does not read are set aside and reported, never fatal.

Identity: our own bundles carry each entry's UUID as an identifier, and that UUID is reused.
A resource from elsewhere gets a UUID derived from its identifier (or its id), so importing the
same bundle again updates the same entries instead of adding copies.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from uuid import UUID

from ..domain import monitoring, services
from ..domain.errors import DomainError, InvalidInput, NotFound
from ..domain.people import Actor
from ..domain.access import Action, authorise
from ..domain.records import EARLY_DATE_MARGIN, RECORD_KINDS, CancerProfile, PatientDetails, validate
from .outcome import ImportReport, Issue
from .reading import BundleReader, Plan

WRITE_ORDER = ["metastases", "performance-status", "genomic-results", "treatment-courses", "care-team", "goals",
               "decisions", "check-ins", "lab-results", "tumour-markers", "scans"]


def import_bundle(uow, actor: Actor, document: Any, patient_id: UUID | None = None, team_id: UUID | None = None,
                  all_or_nothing: bool = False, *, confirm_early_dates: bool = False,
                  early_date_margin: timedelta = EARLY_DATE_MARGIN) -> ImportReport:
    """Read `document` into the record of `patient_id` (or of the bundle's Patient). The caller
    commits when `report.written`; otherwise nothing was written. Entries dated long before the
    first diagnosis are refused unless `confirm_early_dates`, as when typed (records.LifeDates)."""
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise InvalidInput("This is not a FHIR Bundle: expected a JSON object with \"resourceType\": \"Bundle\"",
                           field="resourceType")
    if not isinstance(document.get("entry", []), list):
        raise InvalidInput("Bundle.entry must be a list", field="Bundle.entry")
    report = ImportReport()
    reader = BundleReader(report)
    resources = reader.parse(document)
    patient_resource = reader.the_patient(resources)
    if patient_id is not None:
        services.read_patient(uow, actor, patient_id)  # authorised and audited; NotFound otherwise
        target = patient_id
    elif patient_resource is not None:
        target = reader.patient_id_of(patient_resource)
    else:
        raise InvalidInput("The bundle has no Patient: name the patient to import into (--patient)", field="patient")
    reader.target = target
    reader.own_bundle = patient_resource is not None and reader.patient_id_of(patient_resource) == target
    plan = reader.plan(resources, patient_resource)
    report.patient_id = target
    if all_or_nothing and report.errors:
        return report
    if plan.details is None and not uow.patients.exists(target):
        # The bundle's Patient could not be read, and there is no record to put the rest in.
        report.issues.append(Issue("error", "required", "No record to import into: the Patient has errors "
                                   "and no existing patient was named (--patient)", "Bundle.entry"))
        return report
    _write(uow, actor, plan, target, team_id, report, all_or_nothing,
           {"confirm_early_date": confirm_early_dates, "early_date_margin": early_date_margin})
    return report


# A Bundle of Observations nests about ten deep (entry, resource, valueQuantity, extension...);
# anything far deeper is not FHIR, and walking it would exhaust the stack of the code that reads it.
MAX_JSON_DEPTH = 64
_TOO_DEEP = f"This is not FHIR JSON: it is nested more than {MAX_JSON_DEPTH} levels deep"


def _depth(document: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON document, found without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


def import_results(uow, actor: Actor, patient_id: UUID, text: str | bytes, field: str = "body", *,
                   confirm_early_dates: bool = False, early_date_margin: timedelta = EARLY_DATE_MARGIN) -> ImportReport:
    """Results sent by a laboratory system into an existing record, as FHIR JSON: one Observation,
    or a Bundle of them. All or nothing, like the CSV import: one bad result and nothing is written.
    Text that is not JSON is refused naming `field`."""
    authorise(uow, actor, patient_id, Action.WRITE, RECORD_KINDS["lab-results"], what="lab-results-import")
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"This is not FHIR JSON: it could not be read as JSON ({exc})", field=field) from None
    except RecursionError:  # "[[[[..." deeper than the parser's stack
        raise InvalidInput(_TOO_DEEP, field=field) from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise InvalidInput(_TOO_DEEP, field=field)
    if isinstance(document, dict) and document.get("resourceType") == "Observation":
        document = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": document}]}
    if isinstance(document, dict) and isinstance(document.get("entry"), list):
        kinds = {(e.get("resource") or {}).get("resourceType") for e in document["entry"] if isinstance(e, dict)}
        if other := sorted(str(k) for k in kinds - {"Observation"}):
            raise InvalidInput(f"Only Observation resources are read here, not {', '.join(other)}: "
                               "import a whole record with `alongside fhir import`", field="Bundle.entry")
    return import_bundle(uow, actor, document, patient_id, all_or_nothing=True,
                         confirm_early_dates=confirm_early_dates, early_date_margin=early_date_margin)


# --- Writing, through the use cases ---------------------------------------------------------

def _write(uow, actor: Actor, plan: Plan, target: UUID, team_id: UUID | None, report: ImportReport,
           all_or_nothing: bool, dates: dict[str, Any]) -> None:
    if plan.details is not None:
        if uow.patients.exists(target):
            # What the bundle does not say (time zone, a phone number) stays as it is here.
            patient = services.read_patient(uow, actor, target)
            try:
                details = validate(PatientDetails, {**patient.details.model_dump(mode="json"), **plan.details})
                if patient.details != details:
                    services.update_patient(uow, actor, target, details, patient.version)
            except DomainError as exc:
                if _refused(uow, report, "Patient", exc, all_or_nothing):
                    return
        else:  # a new record: if she cannot be registered, nothing else can go in either
            services.register_patient(uow, actor, validate(PatientDetails, plan.details), team_id, target)
            report.created += 1
    if plan.profile:
        patient = services.read_patient(uow, actor, target)
        try:
            profile = validate(CancerProfile, {**patient.profile.model_dump(mode="json"), **plan.profile})
            if profile != patient.profile:
                services.update_cancer_profile(uow, actor, target, profile, patient.profile_version)
        except DomainError as exc:  # e.g. a secondary diagnosis here dated before the bundle's first diagnosis
            if _refused(uow, report, "Cancer profile (Condition, receptor Observations)", exc, all_or_nothing):
                return
    for slug, entry_id, model, source in sorted(plan.entries, key=lambda e: WRITE_ORDER.index(e[0])):
        try:
            _write_entry(uow, actor, target, slug, entry_id, model, report, dates)
        except DomainError as exc:  # a rule that needs the stored record; nothing of this resource was written
            if _refused(uow, report, source.name, exc, all_or_nothing, source.path()):
                return
    report.written = True


def _refused(uow, report: ImportReport, what: str, exc: DomainError, all_or_nothing: bool,
             where: str | None = None) -> bool:
    """Report a write the record refused; True when the whole import must stop (and is undone)."""
    fields = [e["field"] for e in getattr(exc, "errors", []) if e.get("field")]
    report.issues.append(Issue("error", "processing", f"{what}: {exc.detail}" + (f" ({', '.join(fields)})" if fields else ""),
                               where))
    if all_or_nothing:
        uow.rollback()
        return True
    return False


def _write_entry(uow, actor: Actor, target: UUID, slug: str, entry_id: UUID, model: Any, report: ImportReport,
                 dates: dict[str, Any]) -> None:
    data = model.model_dump(mode="json")
    if slug == "check-ins":
        existing_before = _existing(uow, actor, target, slug, entry_id)
        monitoring.record_earlier_check_in(uow, actor, target, data, entry_id)
        if existing_before is None:
            report.created += 1
        else:
            report.unchanged += 1  # a check-in is the patient's report as given: never rewritten
        return
    existing = _existing(uow, actor, target, slug, entry_id)
    if existing is None:
        services.add_entry(uow, actor, target, slug, data, entry_id, **dates)
        report.created += 1
    elif existing.data == model:
        report.unchanged += 1
    else:
        services.update_entry(uow, actor, target, slug, entry_id, data, existing.version, **dates)
        report.updated += 1


def _existing(uow, actor: Actor, target: UUID, slug: str, entry_id: UUID):
    try:
        return services.read_entry(uow, actor, target, slug, entry_id)
    except NotFound:
        return None
