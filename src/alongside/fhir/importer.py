"""Read a FHIR R4 Bundle (ours, or mCODE-shaped from another system) into a patient's record.

Every write goes through the domain's use cases, so the same validation, authorisation and
audit apply as for a person typing the entry. The whole bundle is read and checked first; then
the valid resources are written in the caller's transaction (or nothing at all, when the caller
asks for all or nothing and any resource is in error). Resources and extensions this adapter
does not read are set aside and reported, never fatal.

Identity: our own bundles carry each entry's UUID as an identifier, and that UUID is reused.
A resource from elsewhere gets a UUID derived from its identifier (or its id), so importing the
same bundle again updates the same entries instead of adding copies.

Patient matching: a bundle's Patient whose identifier (ours, its first one, or its NHS number)
matches an existing record goes into that record only when her name and birth date agree with
it. A disagreement refuses the whole bundle, naming both people, unless the caller names the
record: merging two people's records is the most dangerous thing an import can do.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from uuid import UUID

from ..domain import monitoring, services
from ..domain.errors import Conflict, DomainError, InvalidInput, NotFound
from ..domain.people import Actor, Relationship
from ..domain.access import Action, authorise
from ..domain.records import EARLY_DATE_MARGIN, RECORD_KINDS, CancerProfile, PatientDetails, validate
from .export import EXPORTED_KINDS
from .outcome import ImportReport, Issue
from .reading import BundleReader, Plan, patient_details

# The kinds a bundle can carry, written in the order the export writes them.
WRITE_ORDER = EXPORTED_KINDS


def import_bundle(uow, actor: Actor, document: Any, patient_id: UUID | None = None, team_id: UUID | None = None,
                  all_or_nothing: bool = False, *, confirm_early_dates: bool = False,
                  early_date_margin: timedelta = EARLY_DATE_MARGIN, set_aside_unknown_tests: bool = True) -> ImportReport:
    """Read `document` into the record of `patient_id` (or of the bundle's Patient). The caller
    commits when `report.written`; otherwise nothing was written. Entries dated long before the
    first diagnosis are refused unless `confirm_early_dates`, as when typed (records.LifeDates)."""
    if _depth(document) > MAX_JSON_DEPTH:  # before anything walks it recursively
        raise InvalidInput(_TOO_DEEP, field="Bundle")
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise InvalidInput("This is not a FHIR Bundle: expected a JSON object with \"resourceType\": \"Bundle\"",
                           field="resourceType")
    if not isinstance(document.get("entry", []), list):
        raise InvalidInput("Bundle.entry must be a list", field="Bundle.entry")
    report = ImportReport()
    reader = BundleReader(report, set_aside_unknown_tests=set_aside_unknown_tests)
    resources = reader.parse(document)
    patient_resource = reader.the_patient(resources)
    if patient_id is not None:
        named = services.read_patient(uow, actor, patient_id)  # authorised and audited; NotFound otherwise
        target = patient_id
        report.matched = f"record {target} ({_who(named.details)}), named by the importer"
    elif patient_resource is not None:
        target = _matching_record(uow, actor, reader, patient_resource, report)
    else:
        raise InvalidInput("The bundle has no Patient: name the patient to import into (--patient)", field="patient")
    reader.target = target
    reader.own_bundle = patient_resource is not None and reader.patient_id_of(patient_resource) == target
    reader.same_person = reader.own_bundle or report.matched_on is not None
    plan = reader.plan(resources, patient_resource)
    if patient_id is not None and plan.details is not None:
        _keep_named_person(named.details, plan, report)
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


def _matching_record(uow, actor: Actor, reader: BundleReader, patient_resource, report: ImportReport) -> UUID:
    """The record the bundle's Patient belongs in: an existing one her identifiers match, whose
    name and birth date agree with hers, or a new one. Refuses a match that disagrees."""
    target = reader.patient_id_of(patient_resource)
    given = patient_details(patient_resource.data)
    matched_on = reader.identifier_used(patient_resource) if uow.patients.exists(target) else None
    if matched_on is None and given.get("nhs_number"):
        holder = uow.patients.id_by_nhs_number(given["nhs_number"])
        # A record the importer may not see is left to registration, which refuses the
        # number without saying whose it is (services._refuse_nhs_number_held).
        if holder is not None and uow.access.relationship(actor, holder) is not Relationship.NONE:
            target, matched_on = holder, f"NHS number {given['nhs_number']}"
    if matched_on is None:
        return target
    existing = services.read_patient(uow, actor, target)  # authorised and audited before anything of hers is shown
    if disagreement := _disagreement(existing.details, given):
        raise Conflict(f"Nothing imported: the bundle's Patient matches record {target} on {matched_on}, but "
                       f"{disagreement}: the bundle has {_who(given)}; the record has {_who(existing.details)}. "
                       "If they are the same person, name the record to import into (--patient).",
                       field="Patient")
    report.matched, report.matched_on = f"record {target} ({_who(existing.details)}) on {matched_on}", matched_on
    return target


IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth")
# What must agree for a matched record to be the same person. An NHS number names one person,
# so a record's own that the bundle contradicts disagrees too; what one side leaves out does not.
WHO_SHE_IS = {"the name": ("given_name", "family_name"), "the birth date": ("date_of_birth",),
              "the NHS number": ("nhs_number",)}


def _disagreement(details: PatientDetails, given: dict[str, Any]) -> str | None:
    differs = [what for what, fields in WHO_SHE_IS.items()
               if any(given.get(f) is not None and getattr(details, f) is not None
                      and _same(given[f]) != _same(getattr(details, f)) for f in fields)]
    if not differs:
        return None
    return " and ".join(differs) + (" differ" if len(differs) > 1 else " differs")


def _same(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def _who(details: PatientDetails | dict[str, Any]) -> str:
    fields = details.model_dump() if isinstance(details, PatientDetails) else details
    name = " ".join(str(fields.get(f) or "").strip() for f in ("given_name", "family_name")).strip() or "no name"
    return f"{name}, born {fields.get('date_of_birth') or 'on a date not given'}"


def _keep_named_person(details: PatientDetails, plan: Plan, report: ImportReport) -> None:
    """Into a record the importer named, the record's name and birth date stay as they are."""
    if _disagreement(details, plan.details):
        report.issues.append(Issue("warning", "business-rule",
                                   f"Patient: the bundle has {_who(plan.details)}; the record named for the import has "
                                   f"{_who(details)}, and keeps its name and birth date", "Patient"))
    for name in IDENTITY_FIELDS:
        plan.details.pop(name, None)


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
    return import_bundle(uow, actor, document, patient_id, all_or_nothing=True, set_aside_unknown_tests=False,
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
