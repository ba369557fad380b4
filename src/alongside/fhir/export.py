"""One patient's record as a FHIR R4 Bundle of mCODE STU4-profiled resources.

Each entry keeps its UUID as resource id and as an identifier, so an import of our own bundle
updates the same entries. What is mapped and what is not, and why: docs/fhir.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from ..clinical.dose_cycles import DoseMark
from ..domain import dose_diary, messages
from ..domain.access import Action, authorise
from ..domain.entries import Entry, Patient
from ..domain.instrument import instrument
from ..domain.people import Actor, Relationship
from ..domain.result_sharing import shown_to_reader
from ..domain.records import CancerProfile, Medication
from ..domain.vocab import DoseSchedule, Role, Her2Status, Modality, ReceptorStatus, StopReason
from ..clinical.body_measures import BODY_MEASURES
from ..clinical.red_flags import RED_FLAGS
from . import codes
from .resources import coding, concept, derived_id, ours, standard, validated

# The record kinds this adapter maps; the rest are listed in docs/fhir.md with the reason.
EXPORTED_KINDS = ["metastases", "performance-status", "genomic-results", "treatment-courses", "care-team", "goals",
                  "decisions", "check-ins", "lab-results", "tumour-markers", "scans", "body-measurements",
                  "medicines", "allergies"]


def export_bundle(uow, actor: Actor, patient_id: UUID) -> dict[str, Any]:
    """The record as a collection Bundle (alongside fhir export, Patient/{id}/$everything)."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="fhir-export")
    return collection(record_resources(uow, patient_id, relationship))


def record_resources(uow, patient_id: UUID, reader: Relationship, style: str = "bundle") -> list[dict[str, Any]]:
    """Every resource of the record that `reader` may see (results she waits for are left out of
    hers), validated. `style` "bundle" links by urn:uuid, "rest" by Type/id. The caller has
    authorised the read."""
    patient = uow.patients.get(patient_id)
    entries = shown_to_reader(uow, reader, patient_id, uow.records.everything(patient_id, EXPORTED_KINDS))
    builder = _Builder(patient, style)
    builder.build(entries)
    for medication, marks, _ in dose_diary.diary_of(uow, patient_id, entries["medicines"]):
        for mark in marks:
            builder.add(builder.medication_administration(medication, mark))
    for thread, replies in messages.threads_with_replies(uow, patient_id):
        builder.add(builder.communication(thread))
        for reply in replies:
            builder.add(builder.communication(reply, thread))
    return builder.out


def collection(resources: list[dict[str, Any]], kind: str = "collection", base_url: str | None = None) -> dict[str, Any]:
    """A Bundle of `resources`: entries named urn:uuid:<id>, or <base_url>/<type>/<id> for a REST search."""
    def full_url(resource: dict[str, Any]) -> str:
        return f"{base_url}/{resource['resourceType']}/{resource['id']}" if base_url else f"urn:uuid:{resource['id']}"

    bundle = {
        "resourceType": "Bundle", "id": str(uuid4()), "type": kind,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "entry": [{"fullUrl": full_url(r), "resource": r} for r in resources],
    }
    if kind == "searchset":
        bundle["total"] = len(resources)
        for entry in bundle["entry"]:
            entry["search"] = {"mode": "match"}
    return validated(bundle)


def _identifier(entry_id: UUID | str) -> list[dict[str, str]]:
    return [{"system": codes.ENTRY_IDENTIFIER, "value": str(entry_id)}]


def _meta(profile: str | None) -> dict[str, Any]:
    return {"meta": {"profile": [codes.PROFILE[profile]]}} if profile else {}


def _note(text: str | None) -> dict[str, Any]:
    return {"note": [{"text": text}]} if text else {}


def _category(code: str) -> dict[str, Any]:
    return {"category": [concept(coding(codes.OBSERVATION_CATEGORY, code))]}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class _Builder:
    patient: Patient
    style: str
    out: list[dict[str, Any]] = field(default_factory=list)

    def ref(self, resource_type: str, resource_id: Any, display: str | None = None) -> dict[str, str]:
        reference = f"urn:uuid:{resource_id}" if self.style == "bundle" else f"{resource_type}/{resource_id}"
        return {"reference": reference, **({"display": display} if display else {})}

    @property
    def subject(self) -> dict[str, Any]:
        return {"subject": self.ref("Patient", self.patient.id)}

    def add(self, resource: dict[str, Any]) -> None:
        self.out.append(validated({k: v for k, v in resource.items() if v not in (None, [], {})}))

    def build(self, entries: dict[str, list[Entry]]) -> list[dict[str, Any]]:
        self.add(self.cancer_patient())
        for entry in sorted(entries["care-team"], key=lambda e: str(e.id)):
            self.add(self.practitioner(entry))
        self.add(self.primary_condition(self.patient.profile))
        for entry in _sorted(entries["metastases"]):
            self.add(self.secondary_condition(entry))
        for name in ("er_status", "pr_status", "her2_status"):
            if (resource := self.receptor(name, self.patient.profile)) is not None:
                self.add(resource)
        builders = {"performance-status": self.ecog, "genomic-results": self.genomic_variant,
                    "tumour-markers": self.tumour_marker, "lab-results": self.lab_result, "scans": self.disease_status,
                    "treatment-courses": self.treatment, "body-measurements": self.body_measurement}
        for slug, build in builders.items():
            for entry in _sorted(entries[slug]):
                self.add(build(entry))
        if entries["check-ins"]:
            self.add(questionnaire())
            for entry in _sorted(entries["check-ins"]):
                self.add(self.questionnaire_response(entry))
        for entry in _sorted(entries["medicines"]):
            self.add(self.medication_statement(entry))
        for entry in _sorted(entries["allergies"]):
            self.add(self.allergy_intolerance(entry))
        if entries["care-team"]:
            self.add(self.care_team(entries["care-team"]))
        for entry in _sorted(entries["goals"]):
            self.add(self.goal(entry))
        for entry in _sorted(entries["decisions"]):
            self.add(self.care_plan(entry))
        return self.out

    # --- The person and her cancer ---------------------------------------------------------

    def cancer_patient(self) -> dict[str, Any]:
        d = self.patient.details
        identifiers = [{"system": codes.PATIENT_IDENTIFIER, "value": str(self.patient.id)}]
        if d.nhs_number:
            identifiers.append({"system": codes.NHS_NUMBER, "value": d.nhs_number})
        if d.hospital_number:
            identifiers.append({"system": codes.HOSPITAL_NUMBER, "value": d.hospital_number})
        telecom = ([{"system": "phone", "value": d.phone}] if d.phone else []) + \
                  ([{"system": "email", "value": d.email}] if d.email else [])
        return {
            "resourceType": "Patient", "id": str(self.patient.id), **_meta("cancer-patient"),
            "identifier": identifiers, "name": [{"family": d.family_name, "given": [d.given_name]}],
            "gender": d.sex.value, "birthDate": d.date_of_birth.isoformat(), "telecom": telecom,
            "address": [{k: v for k, v in (("city", d.town), ("country", d.country)) if v}],
        }

    def primary_condition(self, profile: CancerProfile) -> dict[str, Any]:
        site = concept(coding(codes.SNOMED, *codes.BREAST_SITE))
        if profile.laterality in codes.LATERALITY_SNOMED:
            site["extension"] = [{"url": codes.LATERALITY_QUALIFIER,
                                  "valueCodeableConcept": concept(standard(codes.LATERALITY_SNOMED, profile.laterality),
                                                                  ours(profile.laterality, "laterality"))}]
        code = standard(codes.HISTOLOGY_SNOMED, profile.histology) or coding(codes.SNOMED, *codes.BREAST_CANCER)
        return {
            "resourceType": "Condition", "id": derived_id(self.patient.id, "primary-cancer-condition"),
            **_meta("primary-cancer-condition"), **_clinical_status(),
            "category": [concept(coding("http://terminology.hl7.org/CodeSystem/condition-category",
                                        "problem-list-item"))],
            "code": concept(code, ours(profile.histology, "histology"), text=profile.histology.label),
            "bodySite": [site], **self.subject, "onsetDateTime": _day(profile.primary_diagnosis_date),
            "stage": [{"summary": concept(text=profile.stage_at_diagnosis)}] if profile.stage_at_diagnosis else None,
        }

    def receptor(self, name: str, profile: CancerProfile) -> dict[str, Any] | None:
        status = getattr(profile, name)
        if status in (ReceptorStatus.UNKNOWN, Her2Status.UNKNOWN):
            return None
        loinc = next(code for code, field_name in codes.RECEPTOR_LOINC.items() if field_name == name)
        table = codes.HER2_SNOMED if name == "her2_status" else codes.RECEPTOR_SNOMED
        return {
            "resourceType": "Observation", "id": derived_id(self.patient.id, name), **_meta("tumor-marker-test"),
            "status": "final", **_category("laboratory"),
            "code": concept(coding(codes.LOINC, loinc, codes.RECEPTOR_TEXT[loinc])), **self.subject,
            "effectiveDateTime": _day(profile.primary_diagnosis_date),
            "valueCodeableConcept": concept(standard(table, status), ours(status, name.replace("_", "-")),
                                            text=status.label),
        }

    def secondary_condition(self, entry: Entry) -> dict[str, Any]:
        m = entry.data
        return {
            "resourceType": "Condition", "id": str(entry.id), "identifier": _identifier(entry.id),
            **_meta("secondary-cancer-condition"), **_clinical_status(),
            "code": concept(coding(codes.SNOMED, *codes.SECONDARY_CANCER)),
            "bodySite": [concept(standard(codes.METASTASIS_SITE_SNOMED, m.site), ours(m.site, "metastasis-site"),
                                 text=m.site_detail or m.site.label)],
            **self.subject, "onsetDateTime": _day(m.diagnosed_on),
            "evidence": [{"code": [concept(coding(codes.SNOMED, *codes.BIOPSY))]}] if m.confirmed_by_biopsy else None,
            **_note(m.notes),
        }

    # --- Observations --------------------------------------------------------------------

    def _observation(self, entry: Entry, profile: str | None, category: str, code: dict, on: date | None) -> dict:
        return {"resourceType": "Observation", "id": str(entry.id), "identifier": _identifier(entry.id),
                **_meta(profile), "status": "final", **_category(category), "code": code, **self.subject,
                "effectiveDateTime": _day(on)}

    def ecog(self, entry: Entry) -> dict[str, Any]:
        p = entry.data
        return {**self._observation(entry, "ecog-performance-status", "survey",
                                    concept(coding(codes.LOINC, codes.LOINC_ECOG, "ECOG Performance Status score")),
                                    p.assessed_on),
                "performer": [{"display": p.assessed_by}] if p.assessed_by else None, "valueInteger": p.ecog}

    def genomic_variant(self, entry: Entry) -> dict[str, Any]:
        g = entry.data
        gene = concept(coding(codes.HGNC, codes.GENE_HGNC[g.gene], g.gene.value) if g.gene in codes.GENE_HGNC else None,
                       ours(g.gene, "gene"), text=g.gene.label)
        components = [
            {"code": concept(coding(codes.LOINC, codes.LOINC_GENE_STUDIED, "Gene studied [ID]")),
             "valueCodeableConcept": gene},
            {"code": concept(coding(codes.LOINC, codes.LOINC_SOURCE_CLASS, "Genomic source class [Type]")),
             "valueCodeableConcept": concept(standard(codes.ORIGIN_LOINC, g.origin, codes.LOINC),
                                             ours(g.origin, "genomic-origin"))},
        ]
        if g.variant:
            components.append({"code": concept(coding(codes.LOINC, codes.LOINC_AMINO_ACID_CHANGE,
                                                      "Amino acid change (pHGVS)")),
                               "valueCodeableConcept": concept(text=g.variant)})
        return {**self._observation(entry, "genomic-variant", "laboratory",
                                    concept(coding(codes.LOINC, codes.LOINC_VARIANT, "Genetic variant assessment")),
                                    g.reported_on),
                "valueCodeableConcept": concept(standard(codes.FINDING_LOINC, g.finding, codes.LOINC),
                                                ours(g.finding, "genomic-finding"), text=g.finding.label),
                "method": concept(text=g.test_name) if g.test_name else None, "component": components}

    def tumour_marker(self, entry: Entry) -> dict[str, Any]:
        t = entry.data
        loinc, display = codes.TUMOUR_MARKER_LOINC[t.marker]
        return {**self._observation(entry, "tumor-marker-test", "laboratory",
                                    concept(coding(codes.LOINC, loinc, display), ours(t.marker, "tumour-marker"),
                                            text=t.marker.label), t.taken_on),
                "valueQuantity": _quantity(t.value, t.unit),
                "referenceRange": [{"high": _quantity(t.reference_high, t.unit)}] if t.reference_high is not None else None,
                "performer": [{"display": t.laboratory}] if t.laboratory else None,
                "method": concept(text=t.assay) if t.assay else None}

    def lab_result(self, entry: Entry) -> dict[str, Any]:
        r = entry.data
        reference = {k: _quantity(v, r.unit) for k, v in (("low", r.reference_low), ("high", r.reference_high))
                     if v is not None}
        return {**self._observation(entry, None, "laboratory",
                                    concept(coding(codes.LOINC, r.loinc) if r.loinc else None, text=r.test), r.taken_on),
                "valueQuantity": _quantity(r.value, r.unit), "referenceRange": [reference] if reference else None,
                "performer": [{"display": r.laboratory}] if r.laboratory else None}

    def body_measurement(self, entry: Entry) -> dict[str, Any]:
        m = entry.data
        spec = BODY_MEASURES[m.measure.value]
        return {**self._observation(entry, None, "vital-signs", concept(coding(codes.LOINC, spec.loinc, spec.name)),
                                    m.measured_on),
                "meta": {"profile": [spec.fhir_profile]}, "valueQuantity": _quantity(m.value, m.unit), **_note(m.notes)}

    def disease_status(self, entry: Entry) -> dict[str, Any]:
        s = entry.data
        value = None
        if s.impression:
            value = concept(standard(codes.IMPRESSION_SNOMED, s.impression), ours(s.impression, "scan-impression"),
                            text=s.impression.label)
        return {**self._observation(entry, "cancer-disease-status", "exam",
                                    concept(coding(codes.LOINC, codes.LOINC_DISEASE_STATUS, "Cancer disease progression")),
                                    s.performed_on),
                "extension": [{"url": codes.EVIDENCE_TYPE,
                               "valueCodeableConcept": concept(coding(codes.SNOMED, *codes.IMAGING_EVIDENCE))}],
                "focus": [self.ref("Condition", derived_id(self.patient.id, "primary-cancer-condition"))],
                "valueCodeableConcept": value,
                "dataAbsentReason": None if value else concept(
                    coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown", "Unknown")),
                "method": concept(ours(s.modality, "scan-modality"), text=s.modality.label),
                "bodySite": concept(text=s.body_area) if s.body_area else None, **_note(s.report)}

    # --- Treatment -----------------------------------------------------------------------

    def treatment(self, entry: Entry) -> dict[str, Any]:
        c = entry.data
        extensions = [{"url": codes.PROCEDURE_INTENT,
                       "valueCodeableConcept": concept(standard(codes.INTENT_SNOMED, c.intent), ours(c.intent, "intent"))}]
        if c.line_of_treatment:
            extensions.append({"url": codes.LINE_OF_TREATMENT, "valueInteger": c.line_of_treatment})
        common = {"id": str(entry.id), "identifier": _identifier(entry.id), "extension": extensions, **self.subject,
                  "reasonReference": [self.ref("Condition", derived_id(self.patient.id, "primary-cancer-condition"))],
                  "statusReason": concept(ours(c.stop_reason, "stop-reason"), text=c.stop_reason.label)
                  if c.stop_reason else None, **_note(c.notes)}
        period = {k: v for k, v in (("start", _day(c.start_date)), ("end", _day(c.end_date))) if v}
        if c.modality in codes.PROCEDURE_MODALITIES:
            radiotherapy = c.modality is Modality.RADIOTHERAPY
            return {"resourceType": "Procedure", **common,
                    **_meta("radiotherapy-course-summary" if radiotherapy else "cancer-related-surgical-procedure"),
                    "status": "completed" if c.end_date else "in-progress",
                    "category": concept(ours(c.modality, "modality"), text=c.modality.label),
                    "code": concept(coding(codes.SNOMED, *codes.RADIOTHERAPY_COURSE) if radiotherapy else None,
                                    text=c.name),
                    "performedPeriod": period}
        drug = codes.DRUG_RXNORM.get(c.name.strip().lower())
        return {"resourceType": "MedicationRequest", **common, **_meta("cancer-related-medication-request"),
                "status": _medication_status(c), "intent": "order",
                "category": [concept(standard(codes.MODALITY_SNOMED, c.modality), ours(c.modality, "modality"),
                                     text=c.modality.label)],
                "medicationCodeableConcept": concept(coding(codes.RXNORM, drug, c.name.strip().lower()) if drug else None,
                                                     text=c.name),
                "authoredOn": _day(c.start_date),
                "dosageInstruction": [{"text": c.schedule, "timing": {"repeat": {"boundsPeriod": period}}}]}

    # --- Medicines and allergies -----------------------------------------------------------

    def medication_statement(self, entry: Entry) -> dict[str, Any]:
        """A medicine on her list. Its category (our medicine-purpose code) tells it from an mCODE
        MedicationStatement, which is read as a course of treatment."""
        m = entry.data
        return {"resourceType": "MedicationStatement", "id": str(entry.id), "identifier": _identifier(entry.id),
                "status": "active" if m.stop_date is None else "completed",
                "category": concept(ours(m.purpose, "medicine-purpose"), text=m.purpose.label),
                "medicationCodeableConcept": concept(coding(m.code_system.value, m.code, m.code_display)
                                                     if m.code else None, text=m.name),
                **self.subject,
                "basedOn": [self.ref("MedicationRequest", m.course_id)] if m.course_id else None,
                "effectivePeriod": {k: v for k, v in (("start", _day(m.start_date)), ("end", _day(m.stop_date))) if v},
                "informationSource": {"display": m.prescribed_by} if m.prescribed_by else None,
                "dosage": [_dosage(m)], **_note(m.notes)}

    def allergy_intolerance(self, entry: Entry) -> dict[str, Any]:
        a = entry.data
        reaction = {"manifestation": [concept(text=a.reaction or codes.NO_REACTION_TEXT)], "description": a.reaction,
                    "severity": a.severity.value if a.severity else None}
        return {"resourceType": "AllergyIntolerance", "id": str(entry.id), "identifier": _identifier(entry.id),
                "clinicalStatus": concept(coding(codes.ALLERGY_CLINICAL, a.status.value)),
                "type": a.kind.value, "category": [a.category.value], "criticality": a.criticality.value,
                "code": concept(coding(a.code_system.value, a.code, a.code_display) if a.code else None, text=a.substance),
                "patient": self.ref("Patient", self.patient.id), "recordedDate": _day(a.recorded_on),
                "reaction": [{k: v for k, v in reaction.items() if v}] if a.reaction or a.severity else None,
                **_note(a.notes)}

    def medication_administration(self, medication: Entry, mark: dose_diary.StoredMark) -> dict[str, Any]:
        """One day of her cycle diary: the dose taken (in full or reduced) or missed, as she (or
        whoever marked it) recorded it. Not a record of a dose given by a nurse."""
        m, day = medication.data, mark.data
        taken = day.mark is not DoseMark.MISSED
        return {"resourceType": "MedicationAdministration", "id": str(mark.id), "identifier": _identifier(mark.id),
                "status": "completed" if taken else "not-done",
                "statusReason": None if taken else [concept(text="Marked missed in the cycle diary")],
                "category": concept(coding(codes.MEDICATION_ADMIN_CATEGORY, "community"), text="At home"),
                "medicationCodeableConcept": concept(coding(m.code_system.value, m.code, m.code_display)
                                                     if m.code else None, text=m.name),
                **self.subject, "effectiveDateTime": day.day.isoformat(),
                "performer": [{"actor": self.ref("Patient", self.patient.id)}] if taken else None,
                "supportingInformation": [self.ref("MedicationStatement", medication.id)],
                "dosage": {"text": "A reduced dose, as recorded in the diary"} if day.mark is DoseMark.REDUCED else None,
                "note": [{"text": day.note, "time": mark.marked_at.isoformat()}] if day.note else None}

    def communication(self, entry: Entry, thread: Entry | None = None) -> dict[str, Any]:
        """A message to or from her team; a reply is `inResponseTo` the thread's first message."""
        c = entry.data
        category = (thread or entry).data.category
        from_patient = c.sent_by_role is Role.PATIENT
        return {"resourceType": "Communication", "id": str(entry.id), "identifier": _identifier(entry.id),
                "status": "completed",
                "category": [concept(ours(category, "message-category"), text=category.label)],
                **self.subject, "sent": c.sent_at.isoformat(),
                "inResponseTo": [self.ref("Communication", thread.id)] if thread else None,
                "sender": self.ref("Patient", self.patient.id, c.sent_by) if from_patient else {"display": c.sent_by},
                "payload": [{"contentString": c.text}]}

    # --- Check-ins -----------------------------------------------------------------------

    def questionnaire_response(self, entry: Entry) -> dict[str, Any]:
        c = entry.data
        items = []
        for code, answer in sorted(c.symptoms.items()):
            for attribute in ("frequency", "severity", "interference"):
                if (value := getattr(answer, attribute)) is not None:
                    items.append(_answer(f"symptoms.{code}.{attribute}", "valueInteger", value))
        items += [_answer(f"burden.{code}", "valueInteger", v) for code, v in sorted(c.burden.items())]
        items += [_answer(f"red_flags.{code}", "valueBoolean", v) for code, v in sorted(c.red_flags.items())]
        if c.temperature_c is not None:
            items.append(_answer("temperature_c", "valueDecimal", c.temperature_c))
        if c.free_text:
            items.append(_answer("free_text", "valueString", c.free_text))
        return {"resourceType": "QuestionnaireResponse", "id": str(entry.id),
                "identifier": _identifier(entry.id)[0], "questionnaire": codes.CHECK_IN_QUESTIONNAIRE,
                "status": "completed", **self.subject, "authored": c.submitted_at.isoformat(),
                "extension": [{"url": codes.SUBMITTED_BY, "valueCoding": ours(c.submitted_by, "check-in-by")}],
                "item": items}

    # --- Team, goals, decisions ----------------------------------------------------------

    def practitioner(self, entry: Entry) -> dict[str, Any]:
        m = entry.data
        telecom = ([{"system": "phone", "value": m.phone}] if m.phone else []) + \
                  ([{"system": "email", "value": m.email}] if m.email else [])
        return {"resourceType": "Practitioner", "id": str(entry.id), "identifier": _identifier(entry.id),
                "name": [{"text": m.name}], "telecom": telecom}

    def care_team(self, members: list[Entry]) -> dict[str, Any]:
        participants = [{"role": [concept(ours(m.data.role, "team-role"), text=m.data.role.label)],
                         "member": self.ref("Practitioner", m.id, m.data.name),
                         "onBehalfOf": {"display": m.data.organisation} if m.data.organisation else None}
                        for m in sorted(members, key=lambda e: str(e.id))]
        return {"resourceType": "CareTeam", "id": derived_id(self.patient.id, "care-team"), "status": "active",
                "name": "Care team", **self.subject,
                "participant": [{k: v for k, v in p.items() if v} for p in participants]}

    def goal(self, entry: Entry) -> dict[str, Any]:
        g = entry.data
        return {"resourceType": "Goal", "id": str(entry.id), "identifier": _identifier(entry.id),
                "lifecycleStatus": "active", "category": [concept(ours(g.kind, "goal-kind"), text=g.kind.label)],
                "description": {"text": g.in_own_words}, **self.subject, "startDate": _day(g.recorded_on),
                "expressedBy": self.ref("Patient", self.patient.id)}

    def care_plan(self, entry: Entry) -> dict[str, Any]:
        d = entry.data
        return {"resourceType": "CarePlan", "id": str(entry.id), "identifier": _identifier(entry.id),
                "status": "active", "intent": "plan", "title": d.chosen, "description": d.options_discussed,
                **self.subject, "created": _day(d.decided_on), "contributor": [{"display": d.participants}],
                "extension": [{"url": codes.REVISIT_WHEN, "valueString": d.revisit_when}] if d.revisit_when else None,
                **_note(d.rationale)}


def questionnaire() -> dict[str, Any]:
    """The weekly check-in as a Questionnaire, from content/check_in.yaml (our wording)."""
    questions = instrument()
    items = [{"linkId": f"symptoms.{s.code}.{attribute}", "text": text, "type": "integer"}
             for s in questions.symptoms for attribute, text in s.attributes.items()]
    items += [{"linkId": f"burden.{b.code}", "text": b.label, "type": "integer"} for b in questions.burden.items]
    items += [{"linkId": f"red_flags.{f.code}", "text": f.question, "type": "boolean"} for f in RED_FLAGS]
    items += [{"linkId": "temperature_c", "text": "Temperature (degrees Celsius)", "type": "decimal"},
              {"linkId": "free_text", "text": "Anything else", "type": "text"}]
    return {"resourceType": "Questionnaire", "id": str(derived_id(UUID(int=0), "weekly-check-in")),
            "url": codes.CHECK_IN_QUESTIONNAIRE, "name": "AlongsideWeeklyCheckIn", "title": "Weekly check-in",
            "status": "active", "subjectType": ["Patient"], "item": items}


def _answer(link_id: str, kind: str, value: Any) -> dict[str, Any]:
    return {"linkId": link_id, "answer": [{kind: value}]}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    if unit in codes.UCUM_UNITS:
        return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}
    return {"value": value, "unit": unit}


def _clinical_status() -> dict[str, Any]:
    return {"clinicalStatus": concept(coding(codes.CONDITION_CLINICAL, "active")),
            "verificationStatus": concept(coding(codes.CONDITION_VERIFICATION, "confirmed"))}


def _medication_status(course) -> str:
    if course.end_date is None:
        return "active"
    return "completed" if course.stop_reason in (None, StopReason.COMPLETED) else "stopped"


_PERIODS = {DoseSchedule.DAILY: (1, "d"), DoseSchedule.WEEKLY: (1, "wk")}


def _dosage(m: Medication) -> dict[str, Any]:
    """Dose, route and schedule. Daily, weekly and every N days are FHIR Timing; a cycle is our
    extensions (FHIR Timing has no 'days on, days off'), its days as text as well."""
    repeat: dict[str, Any] = {}
    if m.schedule in _PERIODS:
        repeat = {"frequency": 1, "period": _PERIODS[m.schedule][0], "periodUnit": _PERIODS[m.schedule][1]}
    elif m.schedule is DoseSchedule.EVERY_N_DAYS:
        repeat = {"frequency": 1, "period": m.every_n_days, "periodUnit": "d"}
    cycle = [{"url": codes.CYCLE_START, "valueDate": _day(m.cycle_start_date)},
             {"url": codes.CYCLE_DAYS_ON, "valueInteger": m.cycle_days_on},
             {"url": codes.CYCLE_DAYS_OFF, "valueInteger": m.cycle_days_off}] if m.schedule is DoseSchedule.CYCLE else []
    timing = {"code": concept(ours(m.schedule, "dose-schedule"), text=m.schedule.label),
              **({"repeat": repeat} if repeat else {})}
    dose = [{"doseQuantity": {"value": m.dose_value, "unit": m.dose_unit, "system": codes.UCUM, "code": m.dose_unit}}] \
        if m.dose_value is not None else None
    dosage = {"extension": cycle or None, "text": m.schedule_text, "timing": timing,
              "asNeededBoolean": True if m.schedule is DoseSchedule.AS_NEEDED else None,
              "route": concept(ours(m.route, "medicine-route"), text=m.route.label), "doseAndRate": dose}
    return {k: v for k, v in dosage.items() if v is not None}


def _sorted(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: str(e.id))
