"""Reading a FHIR Bundle into a plan of what to write, checking every resource first.

Pure: no database. Each resource becomes entries for the record (validated by the domain's own
models), an error naming the resource and field, or something set aside with the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from uuid import UUID, uuid5

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from ..clinical.body_measures import BODY_MEASURES
from ..clinical.lab_tests import identify
from ..clinical.units import UnitError, parse_unit
from ..domain.errors import InvalidInput
from ..domain.records import RECORD_KINDS, CancerProfile, PatientDetails, in_canonical_unit, validate
from ..domain.vocab import (
    AllergyCategory, AllergyCriticality, AllergyKind, AllergyStatus, CheckInBy, DoseSchedule, GenomicFinding,
    GenomicOrigin, Gene, GoalKind, Her2Status, Histology, Intent, Laterality, MedicineRoute, MetastasisSite, Modality,
    ReceptorStatus, ScanImpression, ScanModality, StopReason, TeamRole, TumourMarker,
)
from . import codes
from .outcome import ImportReport, Issue
from .resources import code_in, codes_of, foreign_id, has_code, our_code

KNOWN_EXTENSIONS = {codes.PROCEDURE_INTENT, codes.LINE_OF_TREATMENT, codes.REVISIT_WHEN, codes.SUBMITTED_BY,
                    codes.EVIDENCE_TYPE, codes.LATERALITY_QUALIFIER, codes.HISTOLOGY_MORPHOLOGY}


@dataclass
class Resource:
    index: int
    full_url: str | None
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return self.data.get("resourceType", "")

    @property
    def name(self) -> str:
        return f"{self.type}/{self.data.get('id') or self.full_url or f'entry {self.index}'}"

    def path(self, field_path: str = "") -> str:
        return f"Bundle.entry[{self.index}].resource" + (f".{field_path}" if field_path else "")


class _Skip(Exception):
    """This resource is not read: set it aside with the reason."""


class _Bad(Exception):
    """This resource is in error at a field."""

    def __init__(self, field_path: str, message: str, code: str = "invalid"):
        super().__init__(message)
        self.field_path, self.message, self.code = field_path, message, code


@dataclass
class Plan:
    """What the bundle asks to write, checked before anything is written."""

    details: dict[str, Any] | None = None  # the Patient's fields the bundle gives, checked
    profile: dict[str, Any] = field(default_factory=dict)
    entries: list[tuple[str, UUID, Any, Resource]] = field(default_factory=list)


@dataclass
class BundleReader:
    report: ImportReport
    target: UUID | None = None
    own_bundle: bool = False  # the bundle's Patient has the target's own id: our UUIDs are hers
    same_person: bool = False  # the bundle's Patient is the target's person: her details are read
    # In a whole record, a measurement of a test Alongside does not know (Oncotype DX, pack-years)
    # is set aside; results sent by a laboratory are all or nothing, and it is an error there.
    set_aside_unknown_tests: bool = True
    by_reference: dict[str, Resource] = field(default_factory=dict)
    team_roles: dict[int, dict[str, Any]] = field(default_factory=dict)  # Practitioner entry index -> role
    # TNM parts read so far, (clinical|pathological, group|T|N|M, value, edition): one stage line.
    stage_parts: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def error(self, resource: Resource | None, field_path: str, message: str, code: str = "invalid") -> None:
        name = resource.name if resource else "Bundle"
        where = resource.path(field_path) if resource else field_path
        self.report.issues.append(Issue("error", code, f"{name}: {field_path + ': ' if field_path else ''}{message}",
                                        where))

    def set_aside(self, resource: Resource, reason: str, what: Any = None) -> None:
        self.report.issues.append(Issue("warning", "not-supported", f"{resource.name}: {reason}; kept aside",
                                        resource.path()))
        self.report.set_aside.append({"resource": resource.name, "reason": reason,
                                      "content": what if what is not None else resource.data})

    def parse(self, document: dict[str, Any]) -> list[Resource]:
        resources = []
        for index, entry in enumerate(document.get("entry") or []):
            data = entry.get("resource") if isinstance(entry, dict) else None
            resource = Resource(index, entry.get("fullUrl") if isinstance(entry, dict) else None, data or {})
            if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
                self.error(resource, "resourceType", "Each entry needs a resource with a resourceType")
                continue
            try:
                model_class = get_fhir_model_class(data["resourceType"])
            except (KeyError, ValueError, LookupError):
                self.error(resource, "resourceType", f"'{data['resourceType']}' is not a FHIR R4 resource type")
                continue
            try:
                model_class.model_validate(data)
            except ValidationError as exc:
                for problem in exc.errors()[:5]:
                    where = ".".join(str(part) for part in problem["loc"] if part != "__root__")
                    self.error(resource, where, problem["msg"])
                continue
            except Exception as exc:  # fhir.resources raises plain errors for some malformed input
                self.error(resource, "", f"Not a valid {data['resourceType']}: {exc}")
                continue
            resources.append(resource)
            for key in filter(None, (resource.full_url, f"{resource.type}/{data.get('id')}" if data.get("id") else None)):
                self.by_reference[key] = resource
        return resources

    def the_patient(self, resources: list[Resource]) -> Resource | None:
        patients = [r for r in resources if r.type == "Patient"]
        for extra in patients[1:]:
            self.error(extra, "", "A bundle can hold one patient's record only; this second Patient is not read")
            resources.remove(extra)
        return patients[0] if patients else None

    def patient_id_of(self, resource: Resource) -> UUID:
        for identifier in resource.data.get("identifier") or []:
            if identifier.get("system") == codes.PATIENT_IDENTIFIER:
                try:
                    return UUID(identifier.get("value"))
                except (TypeError, ValueError):
                    pass
        return foreign_id("Patient", _stable_key(resource))

    def identifier_used(self, resource: Resource) -> str:
        """In words, what `patient_id_of` derived her record id from."""
        for identifier in resource.data.get("identifier") or []:
            if identifier.get("system") == codes.PATIENT_IDENTIFIER:
                return f"its Alongside patient id {identifier.get('value')}"
        first = next(iter(_identifiers(resource.data)), None)
        if first and first.get("value"):
            return f"identifier {first['value']} ({first.get('system') or 'no system'})"
        return f"its resource id {resource.data.get('id') or resource.full_url or f'entry {resource.index}'}"

    def resolve(self, reference: Any) -> Resource | None:
        if not isinstance(reference, dict) or not reference.get("reference"):
            return None
        ref = reference["reference"]
        if ref in self.by_reference:
            return self.by_reference[ref]
        tail = "/".join(ref.rstrip("/").split("/")[-2:])  # an absolute URL ending in Type/id
        return self.by_reference.get(tail)

    def entry_id(self, resource: Resource) -> UUID:
        for identifier in _identifiers(resource.data):
            if identifier.get("system") == codes.ENTRY_IDENTIFIER:
                try:
                    ours = UUID(identifier.get("value"))
                except (TypeError, ValueError):
                    break
                # Our own UUIDs are kept for our own patient; into another patient they are renamed.
                return ours if self.own_bundle else uuid5(self.target, str(ours))
        return foreign_id(resource.type, f"{self.target}/{_stable_key(resource)}")

    # --- the plan ---

    def plan(self, resources: list[Resource], patient: Resource | None) -> Plan:
        plan = Plan()
        if patient is not None and (self.own_bundle or self.same_person):
            given = patient_details(patient.data)
            if self._checked(patient, PatientDetails, given, PATIENT_FIELDS) is not None:
                plan.details = {k: v for k, v in given.items() if v is not None}
        practitioners: list[Resource] = []
        mappers: dict[str, Callable[[Resource], list[tuple[str, dict, dict]] | None]] = {
            "Condition": self.condition, "Observation": self.observation, "MedicationRequest": self.medication,
            "MedicationStatement": self.medication, "MedicationAdministration": self.administration,
            "Procedure": self.procedure, "QuestionnaireResponse": self.check_in, "Goal": self.goal,
            "CarePlan": self.decision, "AllergyIntolerance": self.allergy,
        }
        for resource in resources:
            if resource is patient:
                self._extensions(resource)
                continue
            try:
                self._modifiers(resource)
                if resource.type != "Practitioner":
                    self._subject(resource, patient)
                if resource.type == "Practitioner":
                    practitioners.append(resource)
                    continue
                if resource.type == "CareTeam":
                    self.care_team(resource)
                    continue
                if resource.type == "Questionnaire" and resource.data.get("url") == codes.CHECK_IN_QUESTIONNAIRE:
                    continue  # ours: the instrument is in content/check_in.yaml
                if resource.type not in mappers:
                    raise _Skip(f"Alongside does not read {resource.type} resources")
                self._extensions(resource)
                for slug, data, fields in mappers[resource.type](resource) or []:
                    if slug == "profile":
                        plan.profile.update(data)
                        continue
                    model = self._checked(resource, RECORD_KINDS[slug].model, data, fields)
                    if model is not None:
                        plan.entries.append((slug, self.entry_id(resource), model, resource))
            except _Skip as skip:
                self.set_aside(resource, str(skip))
            except _Bad as bad:
                self.error(resource, bad.field_path, bad.message, bad.code)
        if self.stage_parts and "stage_at_diagnosis" not in plan.profile:
            plan.profile["stage_at_diagnosis"] = stage_text(self.stage_parts)
        if plan.profile:
            try:
                validate(CancerProfile, plan.profile)
            except InvalidInput as exc:
                for e in exc.errors:
                    self.error(None, e["field"], e["message"])
                plan.profile = {}
        self._team_members(practitioners, plan)
        return plan

    def _checked(self, resource: Resource, model: type, data: dict, fields: dict[str, str]):
        try:
            return validate(model, data)
        except InvalidInput as exc:
            for e in exc.errors:
                top = (e["field"] or "").split(".")[0]
                self.error(resource, fields.get(top, top), e["message"])
            return None

    def _modifiers(self, resource: Resource) -> None:
        unknown = [e.get("url") for e in _all_extensions(resource.data, "modifierExtension")]
        if unknown:
            raise _Skip(f"it has a modifier extension Alongside does not understand ({', '.join(map(str, unknown))}),"
                        " which may change its meaning")

    def _extensions(self, resource: Resource) -> None:
        for extension in resource.data.get("extension") or []:
            if extension.get("url") not in KNOWN_EXTENSIONS:
                self.report.issues.append(Issue("warning", "not-supported",
                                                f"{resource.name}: extension {extension.get('url')} is not read; kept aside",
                                                resource.path("extension")))
                self.report.set_aside.append({"resource": resource.name, "reason": "unknown extension",
                                              "content": extension})

    def _subject(self, resource: Resource, patient: Resource | None) -> None:
        for name in ("subject", "patient"):
            reference = resource.data.get(name)
            if not isinstance(reference, dict) or "reference" not in reference:
                continue
            found = self.resolve(reference)
            if found is None and patient is not None:
                raise _Bad(f"{name}.reference", f"refers to {reference['reference']}, which is not in this bundle",
                           "not-found")
            if found is not None and found is not patient:
                raise _Bad(f"{name}.reference", "refers to someone other than this bundle's Patient")

    def _must_resolve(self, resource: Resource, path: str, reference: Any) -> Resource | None:
        if isinstance(reference, dict) and reference.get("reference"):
            found = self.resolve(reference)
            if found is None:
                raise _Bad(f"{path}.reference", f"refers to {reference['reference']}, which is not in this bundle",
                           "not-found")
            return found
        return None

    # --- Conditions ---

    def condition(self, r: Resource) -> list:
        data = r.data
        profiles = (data.get("meta") or {}).get("profile") or []
        code = data.get("code")
        site = (data.get("bodySite") or [None])[0]
        secondary = codes.PROFILE["secondary-cancer-condition"] in profiles or \
            has_code(code, codes.SNOMED, codes.SECONDARY_CANCER[0]) or \
            code_in(code, codes.SNOMED, codes.SECONDARY_DISORDER_SNOMED) is not None
        primary = codes.PROFILE["primary-cancer-condition"] in profiles or \
            code_in(code, codes.SNOMED, codes.reverse(codes.HISTOLOGY_SNOMED)) is not None or \
            has_code(code, codes.SNOMED, codes.BREAST_CANCER[0])
        if secondary:
            found = _vocab(MetastasisSite, our_code(site, "metastasis-site")) or \
                code_in(site, codes.SNOMED, codes.reverse(codes.METASTASIS_SITE_SNOMED)) or \
                code_in(code, codes.SNOMED, codes.SECONDARY_DISORDER_SNOMED) or MetastasisSite.OTHER
            text = (site or {}).get("text") or (code or {}).get("text")
            biopsy = any(has_code(c, codes.SNOMED, codes.BIOPSY[0]) for e in data.get("evidence") or []
                         for c in e.get("code") or [])
            return [("metastases", {"site": found, "site_detail": text if text and text != found.label else None,
                                    "diagnosed_on": _date(data.get("onsetDateTime")), "confirmed_by_biopsy": biopsy,
                                    "notes": _notes(data)}, METASTASIS_FIELDS)]
        if primary:
            profile: dict[str, Any] = {}
            histology = _vocab(Histology, our_code(code, "histology")) or \
                code_in(code, codes.SNOMED, codes.reverse(codes.HISTOLOGY_SNOMED))
            morphology = next((e.get("valueCodeableConcept") for e in data.get("extension") or []
                               if e.get("url") == codes.HISTOLOGY_MORPHOLOGY), None)
            histology = histology or code_in(morphology, codes.SNOMED, codes.HISTOLOGY_MORPHOLOGY_SNOMED)
            if histology:
                profile["histology"] = histology
            if side := code_in(code, codes.SNOMED, codes.PRIMARY_DISORDER_LATERALITY):
                profile["laterality"] = side
            for extension in (site or {}).get("extension") or []:
                if extension.get("url") == codes.LATERALITY_QUALIFIER:
                    value = extension.get("valueCodeableConcept")
                    laterality = _vocab(Laterality, our_code(value, "laterality")) or \
                        code_in(value, codes.SNOMED, codes.reverse(codes.LATERALITY_SNOMED))
                    if laterality:
                        profile["laterality"] = laterality
            if data.get("onsetDateTime"):
                profile["primary_diagnosis_date"] = _date(data["onsetDateTime"])
            if stage := next((s["summary"]["text"] for s in data.get("stage") or []
                              if (s.get("summary") or {}).get("text")), None):
                profile["stage_at_diagnosis"] = stage
            return [("profile", profile, {})]
        raise _Skip("a condition other than a primary or secondary breast cancer")

    # --- Observations ---

    def observation(self, r: Resource) -> list:
        data = r.data
        code = data.get("code")
        on = _date(data.get("effectiveDateTime") or (data.get("effectivePeriod") or {}).get("start") or data.get("issued"))
        if data.get("status") in ("entered-in-error", "cancelled"):
            raise _Skip(f"its status is {data['status']}")
        receptor = code_in(code, codes.LOINC, codes.RECEPTOR_LOINC_READ)
        if receptor:
            return [("profile", {receptor: self._receptor(r, receptor, data.get("valueCodeableConcept"))}, {})]
        if has_code(code, codes.LOINC, codes.LOINC_ECOG):
            score = data.get("valueInteger")
            if score is None:
                score = code_in(data.get("valueCodeableConcept"), codes.LOINC, codes.ECOG_LOINC_ANSWERS)
            performer = (data.get("performer") or [{}])[0].get("display")
            return [("performance-status", {"assessed_on": on, "ecog": score, "assessed_by": performer},
                     {"assessed_on": "effectiveDateTime", "ecog": "valueInteger"})]
        if has_code(code, codes.LOINC, codes.LOINC_VARIANT):
            return [("genomic-results", self._variant(data, on), GENOMIC_FIELDS)]
        if has_code(code, codes.LOINC, codes.LOINC_DISEASE_STATUS):
            value = data.get("valueCodeableConcept")
            impression = _vocab(ScanImpression, our_code(value, "scan-impression")) or \
                code_in(value, codes.SNOMED, codes.reverse(codes.IMPRESSION_SNOMED))
            modality = _vocab(ScanModality, our_code(data.get("method"), "scan-modality")) or ScanModality.OTHER
            return [("scans", {"performed_on": on, "modality": modality, "impression": impression,
                               "body_area": (data.get("bodySite") or {}).get("text"), "report": _notes(data)},
                     {"performed_on": "effectiveDateTime", "impression": "valueCodeableConcept"})]
        loinc = next((c for s, c in codes_of(code) if s == codes.LOINC), None)
        if loinc in codes.RECEPTOR_MEASUREMENT_LOINC:
            raise _Skip("a receptor measurement (a percentage, intensity or copy number): Alongside reads "
                        "receptor status from a positive or negative result only")
        if measure := _BODY_MEASURE_BY_LOINC.get(loinc):
            value, unit = self._quantity(data.get("valueQuantity"))
            return [("body-measurements", {"measured_on": on, "measure": measure, "value": value, "unit": unit,
                                           "notes": _notes(data)},
                     {"measured_on": "effectiveDateTime", "value": "valueQuantity.value", "unit": "valueQuantity.code"})]
        if loinc in codes.VITAL_SIGNS_LOINC or _category(data, "vital-signs"):
            raise _Skip(f"a vital sign ({codes.VITAL_SIGNS_LOINC.get(loinc, 'vital signs')}): Alongside's record "
                        "has no place for vital signs yet")
        marker = _vocab(TumourMarker, our_code(code, "tumour-marker")) or \
            code_in(code, codes.LOINC, {loinc: m for m, (loinc, _) in codes.TUMOUR_MARKER_LOINC.items()})
        quantity = data.get("valueQuantity")
        if marker:
            value, unit = self._quantity(quantity)
            return [("tumour-markers", {"taken_on": on, "marker": marker, "value": value, "unit": unit,
                                        "reference_high": _range(data, unit)[1],
                                        "laboratory": _performer(data), "assay": (data.get("method") or {}).get("text")},
                     LAB_FIELDS)]
        if quantity is not None:
            test = (code or {}).get("text") or next((c.get("display") for c in (code or {}).get("coding") or []
                                                      if c.get("display")), None) or loinc
            if self.set_aside_unknown_tests and identify_lab_test(test, loinc) is None:
                raise _Skip(f"a measurement that is not a blood test Alongside knows ({test})")
            value, unit = self._quantity(quantity)
            if self.set_aside_unknown_tests and (impossible := _impossible_result(test, loinc, value, unit)):
                raise _Skip(impossible)
            low, high = _range(data, unit)
            return [("lab-results", {"taken_on": on, "test": test, "loinc": loinc, "value": value, "unit": unit,
                                     "reference_low": low, "reference_high": high, "laboratory": _performer(data)},
                     LAB_FIELDS)]
        if part := code_in(code, codes.SNOMED, codes.TNM_SNOMED):
            return self._stage_part(data, part)
        if any(p.startswith(codes.MCODE + "mcode-tnm-") for p in (data.get("meta") or {}).get("profile") or []):
            raise _Skip("a TNM stage or category Alongside does not recognise by its code")
        raise _Skip("an observation Alongside has no place for")

    def _stage_part(self, data: dict, part: tuple[str, str]) -> list:
        value = _stage_value(data.get("valueCodeableConcept"))
        if value is None:
            raise _Skip("a TNM category with no value (not applicable or not known)")
        edition = re.search(r"\b(\d+)(?:st|nd|rd|th) edition", json.dumps(data.get("method") or {}))
        self.stage_parts.append((*part, value, f"AJCC {edition.group(1)}th edition" if edition else None))
        return []

    def _quantity(self, quantity: Any) -> tuple[Any, str | None]:
        if not isinstance(quantity, dict) or quantity.get("value") is None:
            raise _Bad("valueQuantity", "A result needs a value with its unit")
        system, unit = quantity.get("system"), quantity.get("code") or quantity.get("unit")
        if system not in (None, codes.UCUM):
            raise _Bad("valueQuantity.system", f"Units must be UCUM ({codes.UCUM}), not {system}")
        try:  # any valid UCUM unit: the record converts it to the test's own unit, or names it
            parse_unit(unit)
        except UnitError as exc:
            raise _Bad("valueQuantity.code", f"'{unit}' is not a UCUM unit: {exc}") from None
        return float(quantity["value"]), unit

    def _receptor(self, r: Resource, field_name: str, value: Any) -> Any:
        vocabulary = Her2Status if field_name == "her2_status" else ReceptorStatus
        ours = _vocab(vocabulary, our_code(value, field_name.replace("_", "-")))
        if ours:
            return ours
        text = ((value or {}).get("text") or "").lower().replace(" ", "-")
        if vocabulary is Her2Status:
            if "ultralow" in text:
                return Her2Status.ULTRALOW
            if "her2-low" in text or text.startswith("low"):
                return Her2Status.LOW
        found = code_in(value, codes.SNOMED, codes.reverse(codes.RECEPTOR_SNOMED)) or \
            code_in(value, codes.LOINC, codes.RECEPTOR_LOINC_ANSWERS)
        if vocabulary is ReceptorStatus:
            return found or ReceptorStatus.UNKNOWN
        if found is ReceptorStatus.POSITIVE:
            return Her2Status.POSITIVE
        if found is ReceptorStatus.NEGATIVE:
            self.report.issues.append(Issue(
                "warning", "incomplete", f"{r.name}: HER2 'negative' does not say whether the cancer is HER2-low, "
                "-ultralow or 0; recorded as HER2-negative with that left to be checked", r.path("valueCodeableConcept")))
            return Her2Status.NEGATIVE
        return Her2Status.UNKNOWN

    def _variant(self, data: dict, on: Any) -> dict[str, Any]:
        """mCODE STU1-STU4 and Genomics Reporting variants: the gene, origin and change are read from
        whichever component carries them, each as a coding, a text or a plain string."""
        found: dict[str, Any] = {}
        change: dict[str, str] = {}
        for component in data.get("component") or []:
            value = component.get("valueCodeableConcept")
            what = next((c for s, c in codes_of(component.get("code")) if s == codes.LOINC), None)
            if what == codes.LOINC_GENE_STUDIED:
                found["gene"] = _gene(value)
            elif what == codes.LOINC_SOURCE_CLASS:
                found["origin"] = _vocab(GenomicOrigin, our_code(value, "genomic-origin")) or \
                    code_in(value, codes.LOINC, codes.reverse(codes.ORIGIN_LOINC)) or \
                    _vocab(GenomicOrigin, (_words(component) or "").strip().casefold())
            elif what in codes.LOINC_VARIANT_DESCRIPTIONS and (words := _words(component)):
                change.setdefault(what, words)
        variant = next((change[c] for c in codes.LOINC_VARIANT_DESCRIPTIONS if c in change), None)
        if variant is not None:
            found["variant"] = variant[:200]
        value = data.get("valueCodeableConcept")
        found["finding"] = _vocab(GenomicFinding, our_code(value, "genomic-finding")) or \
            code_in(value, codes.LOINC, codes.reverse(codes.FINDING_LOINC))
        return {"reported_on": on, "test_name": (data.get("method") or {}).get("text"), **found}

    # --- Treatment ---

    def _course(self, r: Resource, name: str | None, start: Any, end: Any, modality: Modality | None) -> dict:
        data = r.data
        for i, reason in enumerate(data.get("reasonReference") or []):
            self._must_resolve(r, f"reasonReference[{i}]", reason)
        extensions = {e.get("url"): e for e in data.get("extension") or []}
        intent_value = (extensions.get(codes.PROCEDURE_INTENT) or {}).get("valueCodeableConcept")
        intent = _vocab(Intent, our_code(intent_value, "intent")) or \
            code_in(intent_value, codes.SNOMED, codes.reverse(codes.INTENT_SNOMED)) or Intent.DISEASE_CONTROL
        stop = _vocab(StopReason, our_code(data.get("statusReason"), "stop-reason"))
        if stop is None and end and data.get("status") == "stopped":
            stop = StopReason.OTHER
        return {"modality": modality or Modality.OTHER, "name": name, "intent": intent, "start_date": _date(start),
                "end_date": _date(end), "stop_reason": stop,
                "line_of_treatment": (extensions.get(codes.LINE_OF_TREATMENT) or {}).get("valueInteger"),
                "notes": _notes(data)}

    def medication(self, r: Resource) -> list:
        data = r.data
        if data.get("status") in ("entered-in-error", "cancelled", "draft", "not-taken", "intended"):
            raise _Skip(f"its status is {data['status']}")
        if r.type == "MedicationStatement" and our_code(data.get("category"), "medicine-purpose"):
            return self.medicine(r)
        drug = data.get("medicationCodeableConcept")
        if drug is None:
            medication = self._must_resolve(r, "medicationReference", data.get("medicationReference"))
            drug = (medication.data.get("code") if medication else None) or \
                {"text": (data.get("medicationReference") or {}).get("display")}
        name = drug.get("text") or next((c.get("display") for c in drug.get("coding") or [] if c.get("display")), None)
        rxnorm = {v: k for k, v in codes.DRUG_RXNORM.items()}
        ingredient = code_in(drug, codes.RXNORM, rxnorm) or (name or "").strip().lower()
        category = (data.get("category") or [None])[0]
        modality = _vocab(Modality, our_code(category, "modality")) or \
            code_in(category, codes.SNOMED, codes.reverse(codes.MODALITY_SNOMED)) or codes.DRUG_MODALITY.get(ingredient)
        # A MedicationStatement (mCODE STU1 and STU2) says when in effectivePeriod, how in dosage.
        dosage = (data.get("dosageInstruction") or data.get("dosage") or [{}])[0]
        bounds = ((dosage.get("timing") or {}).get("repeat") or {}).get("boundsPeriod") or \
            data.get("effectivePeriod") or {}
        start = bounds.get("start") or data.get("authoredOn") or data.get("effectiveDateTime")
        course = self._course(r, name, start, bounds.get("end"), modality)
        return [("treatment-courses", {**course, "schedule": dosage.get("text")}, COURSE_FIELDS)]

    def medicine(self, r: Resource) -> list:
        """A MedicationStatement of ours (its category our medicine-purpose code): a medicine on
        her list, its code kept as it was (system, code, display), checked as any typed code is."""
        data = r.data
        drug = data.get("medicationCodeableConcept") or {}
        code = next(iter(drug.get("coding") or []), {})
        dosage = (data.get("dosage") or [{}])[0]
        repeat = (dosage.get("timing") or {}).get("repeat") or {}
        schedule = _vocab(DoseSchedule, our_code((dosage.get("timing") or {}).get("code"), "dose-schedule"))
        cycle = {e.get("url"): e for e in dosage.get("extension") or []}
        dose = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity") or {}
        based_on = next(iter(data.get("basedOn") or []), None)
        course = self._must_resolve(r, "basedOn[0]", based_on) if based_on else None
        period = data.get("effectivePeriod") or {}
        return [("medicines", {
            "name": drug.get("text") or code.get("display"), "code_system": code.get("system"),
            "code": code.get("code"), "code_display": code.get("display"),
            "purpose": our_code(data.get("category"), "medicine-purpose"),
            "dose_value": dose.get("value"), "dose_unit": dose.get("code") or dose.get("unit"),
            "route": _vocab(MedicineRoute, our_code(dosage.get("route"), "medicine-route")) or MedicineRoute.OTHER,
            "schedule": schedule or DoseSchedule.DAILY,
            "every_n_days": repeat.get("period") if schedule is DoseSchedule.EVERY_N_DAYS else None,
            "cycle_start_date": _date((cycle.get(codes.CYCLE_START) or {}).get("valueDate")),
            "cycle_days_on": (cycle.get(codes.CYCLE_DAYS_ON) or {}).get("valueInteger"),
            "cycle_days_off": (cycle.get(codes.CYCLE_DAYS_OFF) or {}).get("valueInteger"),
            "start_date": _date(period.get("start")), "stop_date": _date(period.get("end")),
            "prescribed_by": (data.get("informationSource") or {}).get("display"),
            "course_id": self.entry_id(course) if course else None, "notes": _notes(data)}, MEDICINE_FIELDS)]

    def allergy(self, r: Resource) -> list:
        data = r.data
        if has_code(data.get("verificationStatus"), ALLERGY_VERIFICATION, "entered-in-error"):
            raise _Skip("it was entered in error")
        substance = data.get("code") or {}
        code = next(iter(substance.get("coding") or []), {})
        reaction = next(iter(data.get("reaction") or []), {})
        described = reaction.get("description") or "; ".join(
            m.get("text") for m in reaction.get("manifestation") or [] if m.get("text") and m.get("text") != codes.NO_REACTION_TEXT)
        status = next((c for s, c in codes_of(data.get("clinicalStatus")) if s == codes.ALLERGY_CLINICAL), None)
        return [("allergies", {
            "substance": substance.get("text") or code.get("display"), "code_system": code.get("system"),
            "code": code.get("code"), "code_display": code.get("display"),
            "kind": data.get("type") or AllergyKind.ALLERGY,
            "category": next(iter(data.get("category") or []), AllergyCategory.MEDICATION),
            "reaction": described or None, "severity": reaction.get("severity"),
            "criticality": data.get("criticality") or AllergyCriticality.UNABLE_TO_ASSESS,
            "status": status or AllergyStatus.ACTIVE, "recorded_on": _date(data.get("recordedDate")),
            "notes": _notes(data)}, ALLERGY_FIELDS)]

    def administration(self, r: Resource) -> list:
        if has_code((r.data.get("category") or {}), codes.MEDICATION_ADMIN_CATEGORY, "community") and r.data.get(
                "supportingInformation"):
            raise _Skip("a day of a cycle diary (a dose taken at home): Alongside keeps the diary, it does not "
                        "read it back from FHIR")
        raise _Skip("one dose given: Alongside keeps the course of treatment, read from its MedicationRequest")

    def procedure(self, r: Resource) -> list:
        data = r.data
        profiles = (data.get("meta") or {}).get("profile") or []
        category = data.get("category")
        modality = _vocab(Modality, our_code(category, "modality"))
        if modality is None:
            if codes.PROFILE["radiotherapy-course-summary"] in profiles or codes.RADIATION_PROCEDURE_STU1 in profiles or \
                    has_code(data.get("code"), codes.SNOMED, codes.RADIOTHERAPY_COURSE[0]):
                modality = Modality.RADIOTHERAPY
            elif codes.PROFILE["cancer-related-surgical-procedure"] in profiles or \
                    has_code(category, codes.SNOMED, codes.SURGICAL_PROCEDURE[0]):
                modality = Modality.SURGERY
            else:
                raise _Skip("a procedure that is neither cancer surgery nor a radiotherapy course")
        code = data.get("code") or {}
        # A code without display or text (mCODE's radiotherapy course summary) is named by its kind.
        name = code.get("text") or next((c.get("display") for c in code.get("coding") or [] if c.get("display")),
                                        None) or modality.label
        period = data.get("performedPeriod") or {}
        start = period.get("start") or data.get("performedDateTime")
        end = period.get("end") or (data.get("performedDateTime") if data.get("status") == "completed" else None)
        return [("treatment-courses", self._course(r, name, start, end, modality),
                 {**COURSE_FIELDS, "start_date": "performedPeriod.start", "end_date": "performedPeriod.end",
                  "name": "code"})]

    # --- Check-ins, team, goals, decisions ---

    def check_in(self, r: Resource) -> list:
        data = r.data
        if data.get("questionnaire") != codes.CHECK_IN_QUESTIONNAIRE:
            raise _Skip("a questionnaire response to a questionnaire other than Alongside's check-in")
        check_in: dict[str, Any] = {"submitted_at": data.get("authored"), "symptoms": {}, "burden": {}, "red_flags": {}}
        for extension in data.get("extension") or []:
            if extension.get("url") == codes.SUBMITTED_BY:
                check_in["submitted_by"] = (extension.get("valueCoding") or {}).get("code")
        for i, item in enumerate(data.get("item") or []):
            answer = (item.get("answer") or [{}])[0]
            value = next((v for k, v in answer.items() if k.startswith("value")), None)
            parts = (item.get("linkId") or "").split(".")
            if parts[0] == "symptoms" and len(parts) == 3:
                check_in["symptoms"].setdefault(parts[1], {})[parts[2]] = value
            elif parts[0] in ("burden", "red_flags") and len(parts) == 2:
                check_in[parts[0]][parts[1]] = value
            # "wellbeing" alone is the old 0 worst - 10 best item of earlier exports; the model
            # reads it as burden.wellbeing = 10 minus it (records.CheckIn).
            elif len(parts) == 1 and parts[0] in ("temperature_c", "wellbeing", "free_text"):
                check_in[parts[0]] = value
            else:
                raise _Bad(f"item[{i}].linkId", f"'{item.get('linkId')}' is not a question of Alongside's check-in")
        check_in.setdefault("submitted_by", CheckInBy.PATIENT)
        return [("check-ins", check_in, {"submitted_at": "authored", "symptoms": "item", "burden": "item",
                                         "red_flags": "item"})]

    def care_team(self, r: Resource) -> None:
        self._extensions(r)
        for i, participant in enumerate(r.data.get("participant") or []):
            member = self._must_resolve(r, f"participant[{i}].member", participant.get("member"))
            if member is None or member.type != "Practitioner":
                continue
            role = (participant.get("role") or [None])[0]
            self.team_roles[member.index] = {
                "role": _vocab(TeamRole, our_code(role, "team-role")) or TeamRole.OTHER,
                "organisation": (participant.get("onBehalfOf") or {}).get("display")}

    def _team_members(self, practitioners: list[Resource], plan: Plan) -> None:
        """A practitioner is read as a member of her care team only when a CareTeam of hers names them."""
        for resource in practitioners:
            team = self.team_roles.get(resource.index)
            if team is None:
                self.set_aside(resource, "a practitioner who is not on this patient's care team")
                continue
            self._extensions(resource)
            name = (resource.data.get("name") or [{}])[0]
            text = name.get("text") or " ".join([*(name.get("prefix") or []), *(name.get("given") or []),
                                                 name.get("family") or ""]).strip()
            telecom = {t.get("system"): t.get("value") for t in reversed(resource.data.get("telecom") or [])}
            data = {"name": text, "phone": telecom.get("phone"), "email": telecom.get("email"), **team}
            model = self._checked(resource, RECORD_KINDS["care-team"].model, data, {"name": "name"})
            if model is not None:
                plan.entries.append(("care-team", self.entry_id(resource), model, resource))

    def goal(self, r: Resource) -> list:
        data = r.data
        category = (data.get("category") or [None])[0]
        return [("goals", {"kind": _vocab(GoalKind, our_code(category, "goal-kind")) or GoalKind.OTHER,
                           "recorded_on": _date(data.get("startDate") or data.get("statusDate")),
                           "in_own_words": (data.get("description") or {}).get("text")},
                 {"recorded_on": "startDate", "in_own_words": "description.text"})]

    def decision(self, r: Resource) -> list:
        data = r.data
        if not data.get("title"):
            raise _Skip("a care plan without a title, which Alongside cannot read as a decision")
        revisit = next((e.get("valueString") for e in data.get("extension") or [] if e.get("url") == codes.REVISIT_WHEN),
                       None)
        participants = "; ".join(c.get("display") for c in data.get("contributor") or [] if c.get("display"))
        return [("decisions", {"decided_on": _date(data.get("created")), "participants": participants or "Not recorded",
                               "options_discussed": data.get("description") or "Not recorded",
                               "chosen": data["title"], "rationale": _notes(data), "revisit_when": revisit},
                 {"decided_on": "created", "chosen": "title", "options_discussed": "description"})]


# Our field -> the FHIR element it comes from, so an error names the field in the bundle.
PATIENT_FIELDS = {"given_name": "name.given", "family_name": "name.family", "date_of_birth": "birthDate",
                  "sex": "gender", "nhs_number": "identifier", "phone": "telecom", "email": "telecom",
                  "country": "address.country", "town": "address.city"}
METASTASIS_FIELDS = {"site": "bodySite", "site_detail": "bodySite.text", "diagnosed_on": "onsetDateTime", "notes": "note"}
GENOMIC_FIELDS = {"gene": "component.where(code.coding.code='48018-6')",
                  "origin": "component.where(code.coding.code='48002-0')", "finding": "valueCodeableConcept",
                  "reported_on": "effectiveDateTime"}
_BODY_MEASURE_BY_LOINC = {spec.loinc: measure for measure, spec in BODY_MEASURES.items()}
LAB_FIELDS = {"taken_on": "effectiveDateTime", "test": "code", "value": "valueQuantity.value",
              "unit": "valueQuantity.code", "loinc": "code.coding", "reference_low": "referenceRange.low",
              "reference_high": "referenceRange.high", "laboratory": "performer", "marker": "code"}
MEDICINE_FIELDS = {"name": "medicationCodeableConcept.text", "code_system": "medicationCodeableConcept.coding.system",
                   "code": "medicationCodeableConcept.coding.code", "purpose": "category",
                   "dose_value": "dosage.doseAndRate.doseQuantity.value", "dose_unit": "dosage.doseAndRate.doseQuantity.code",
                   "route": "dosage.route", "schedule": "dosage.timing.code", "every_n_days": "dosage.timing.repeat.period",
                   "cycle_start_date": "dosage.extension", "cycle_days_on": "dosage.extension",
                   "cycle_days_off": "dosage.extension", "start_date": "effectivePeriod.start",
                   "stop_date": "effectivePeriod.end", "prescribed_by": "informationSource.display",
                   "course_id": "basedOn", "notes": "note"}
ALLERGY_FIELDS = {"substance": "code.text", "code_system": "code.coding.system", "code": "code.coding.code",
                  "kind": "type", "category": "category", "reaction": "reaction.description",
                  "severity": "reaction.severity", "criticality": "criticality", "status": "clinicalStatus",
                  "recorded_on": "recordedDate", "notes": "note"}
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
COURSE_FIELDS = {"name": "medicationCodeableConcept", "start_date": "dosageInstruction.timing.repeat.boundsPeriod.start",
                 "end_date": "dosageInstruction.timing.repeat.boundsPeriod.end", "schedule": "dosageInstruction.text",
                 "line_of_treatment": "extension", "notes": "note", "stop_reason": "statusReason"}


def patient_details(data: dict[str, Any]) -> dict[str, Any]:
    name = (data.get("name") or [{}])[0]
    given = (name.get("given") or [None])[0]
    family = name.get("family")
    if not (given and family) and name.get("text"):
        given, _, family = name["text"].rpartition(" ")
    identifiers = {i.get("system"): i.get("value") for i in data.get("identifier") or []}
    telecom = {t.get("system"): t.get("value") for t in reversed(data.get("telecom") or [])}
    address = (data.get("address") or [{}])[0]
    country = address.get("country")
    if isinstance(country, str):  # FHIR allows a code or a name ("United States" in mCODE's examples)
        country = codes.COUNTRY_NAMES.get(country.strip().casefold(), country.strip())
    gender = data.get("gender") or "unknown"
    return {"given_name": given, "family_name": family, "date_of_birth": data.get("birthDate"), "sex": gender,
            "nhs_number": identifiers.get(codes.NHS_NUMBER), "hospital_number": identifiers.get(codes.HOSPITAL_NUMBER),
            "phone": telecom.get("phone"), "email": telecom.get("email"), "town": address.get("city"),
            **({"country": country} if isinstance(country, str) and len(country) == 2 else {})}


def _gene(value: Any) -> Gene:
    """Our code, an HGNC id under any of the systems in use (genenames.org with or without /geneId),
    or the gene's symbol as its display or text."""
    ours = _vocab(Gene, our_code(value, "gene"))
    if ours:
        return ours
    by_id = {hgnc: gene for gene, hgnc in codes.GENE_HGNC.items()}
    for system, code in codes_of(value):
        if "genenames.org" in (system or "") and code in by_id:
            return by_id[code]
    symbols = [(value or {}).get("text")] + [c.get("display") for c in (value or {}).get("coding") or []]
    by_symbol = {gene.value.casefold(): gene for gene in Gene if gene is not Gene.OTHER}
    return next((by_symbol[s.strip().casefold()] for s in symbols if s and s.strip().casefold() in by_symbol), Gene.OTHER)


def _words(component: dict[str, Any]) -> str | None:
    """A component's value as words: a string, or a concept's text, display or code."""
    if isinstance(component.get("valueString"), str):
        return component["valueString"]
    value = component.get("valueCodeableConcept") or {}
    return value.get("text") or next((c.get("display") or c.get("code") for c in value.get("coding") or []
                                      if c.get("display") or c.get("code")), None)


def _category(data: dict[str, Any], category: str) -> bool:
    return any(has_code(c, codes.OBSERVATION_CATEGORY, category) for c in data.get("category") or [])


def _impossible_result(test: str | None, loinc: str | None, value: float, unit: str) -> str | None:
    """Why a whole record's result cannot be kept: a value no one could have (a unit a thousand
    out). Set aside, named, rather than stored wrong or stopping her record; a laboratory's own
    results import refuses it instead, all or nothing."""
    known = identify_lab_test(test, loinc)
    try:
        canonical = in_canonical_unit(known, value, unit) if known else None
    except ValueError:  # a unit of the wrong kind: the record's own check names it
        return None
    if canonical is None or known.possible(canonical):
        return None
    return (f"{value:g} {unit} is not a possible {known.name.lower()} result, so it was not imported; "
            "check the number and the unit with the laboratory")


def identify_lab_test(test: str | None, loinc: str | None):
    return (identify(loinc) if loinc else None) or (identify(test) if test else None)


def _vocab(vocabulary, code: str | None):
    try:
        return vocabulary(code) if code is not None else None
    except ValueError:
        return None


def _date(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) else None


def _stage_value(value: Any) -> str | None:
    """'IIB' from 'American Joint Committee on Cancer stage IIB (qualifier value)', 'cT3' from its
    category; None for a data-absent-reason."""
    value = value or {}
    words = value.get("text") or next((c.get("display") or c.get("code") for c in value.get("coding") or []
                                       if c.get("system") != "http://terminology.hl7.org/CodeSystem/data-absent-reason"),
                                      None)
    if not words:
        return None
    words = re.sub(r"\s*\(qualifier value\)$", "", words)
    return re.sub(r"^(American Joint Committee on Cancer|AJCC)\s+(stage\s+)?", "", words, flags=re.I).strip() or None


def stage_text(parts: list[tuple[str, str, str, str | None]]) -> str:
    """One line for the profile: 'Clinical IIB (cT3 cN0 cM0); pathological IIB (pT3 pN0), AJCC 8th edition'."""
    described = []
    for kind in ("clinical", "pathological"):
        mine = {which: value for k, which, value, _ in parts if k == kind}
        categories = " ".join(mine[c] for c in ("T", "N", "M") if c in mine)
        if mine:
            group = mine.get("group", "stage group not given")
            described.append(f"{kind} {group}" + (f" ({categories})" if categories else ""))
    editions = sorted({edition for *_, edition in parts if edition})
    text = "; ".join(described)
    return (text[:1].upper() + text[1:] + (f", {', '.join(editions)}" if editions else ""))[:200]


def _notes(data: dict[str, Any]) -> str | None:
    texts = [n.get("text") for n in data.get("note") or [] if n.get("text")]
    return "\n\n".join(texts) or None


def _performer(data: dict[str, Any]) -> str | None:
    return next((p.get("display") for p in data.get("performer") or [] if p.get("display")), None)


def _range(data: dict[str, Any], unit: str | None) -> tuple[Any, Any]:
    reference = (data.get("referenceRange") or [{}])[0]
    low, high = (reference.get(k) or {} for k in ("low", "high"))
    for bound, name in ((low, "low"), (high, "high")):
        if bound and (bound.get("code") or bound.get("unit")) not in (None, unit):
            raise _Bad(f"referenceRange.{name}", "The normal range is in a different unit from the result")
    return low.get("value"), high.get("value")


def _identifiers(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Identifiers as a list (QuestionnaireResponse has one, not a list)."""
    value = data.get("identifier")
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


def _stable_key(resource: Resource) -> str:
    first = next(iter(_identifiers(resource.data)), None)
    if first and first.get("value"):
        return f"{first.get('system')}|{first['value']}"
    return resource.data.get("id") or resource.full_url or f"entry-{resource.index}"


def _all_extensions(node: Any, key: str):
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, list):
                yield from value
            else:
                yield from _all_extensions(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _all_extensions(item, key)
