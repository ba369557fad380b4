"""One patient's record as a JSON document, and back: for moving a record or keeping a copy.

The document carries the clinical record only (not accounts, sessions or the audit trail) and
keeps every identifier, so an import into an empty database gives back the same record. Her
messages to the team (with their replies) and her cycle diary (day marks and what the team told
her) are in it too, beside the entries, so her own copy holds everything she wrote; an import
does not yet read those two back.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from . import dose_diary, messages
from .access import Action, authorise
from .result_sharing import shown_to_reader
from .errors import AlreadyExists, InvalidInput
from .people import Actor
from .records import RECORD_KINDS, CancerProfile, LifeDates, PatientDetails, validate

FORMAT = "alongside-record"
FORMAT_VERSION = 1


def export_record(uow, actor: Actor, patient_id: UUID) -> dict[str, Any]:
    relationship = authorise(uow, actor, patient_id, Action.READ, what="export")
    patient = uow.patients.get(patient_id)
    entries = shown_to_reader(uow, relationship, patient_id, uow.records.everything(patient_id))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "patient": {"id": str(patient.id), "details": patient.details.model_dump(mode="json"),
                    "cancer_profile": patient.profile.model_dump(mode="json")},
        "entries": {slug: [_entry_json(e) for e in sorted(items, key=lambda e: str(e.id))]
                    for slug, items in entries.items()},
        "messages": [_entry_json(thread) | {"replies": [_entry_json(reply) for reply in replies]}
                     for thread, replies in messages.threads_with_replies(uow, patient_id)],
        "dose_diary": [{"medication_id": str(medication.id), "medicine": medication.data.name,
                        "marks": [{"id": str(m.id), **m.data.model_dump(mode="json", exclude={"medication_id"}),
                                   "marked_by": m.marked_by.value, "marked_at": m.marked_at.isoformat()} for m in marks],
                        "team_instructions": [{"id": str(i.id), **i.data.model_dump(mode="json"),
                                               "recorded_by": i.recorded_by.value,
                                               "recorded_at": i.recorded_at.isoformat()} for i in instructions]}
                       for medication, marks, instructions in dose_diary.diary_of(uow, patient_id,
                                                                                  entries.get("medicines", []))],
    }


def _entry_json(entry) -> dict[str, Any]:
    return {"id": str(entry.id), **entry.data.model_dump(mode="json")}


def import_record(uow, actor: Actor, document: Any, team_id: UUID | None = None) -> UUID:
    """Validate the whole document first; then write it in the caller's transaction, all or nothing."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInput(f"This is not an {FORMAT} document", field="format")
    if document.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(f"Only format_version {FORMAT_VERSION} can be read", field="format_version")
    patient = document.get("patient") or {}
    patient_id = _uuid(patient.get("id"), "patient.id")
    details = _prefixed("patient.details", lambda: validate(PatientDetails, patient.get("details")))
    profile = _prefixed("patient.cancer_profile", lambda: validate(CancerProfile, patient.get("cancer_profile") or {}))
    # The record was accepted where it was kept, early dates confirmed there; a date before her
    # birth cannot be right anywhere (records.LifeDates).
    life = LifeDates.of(details, profile)
    _prefixed("patient.cancer_profile", lambda: life.check(profile, confirmed=True))
    entries = []
    for slug, items in (document.get("entries") or {}).items():
        if slug not in RECORD_KINDS:
            raise InvalidInput(f"Unknown kind of entry: {slug}", field=f"entries.{slug}")
        for index, item in enumerate(items):
            where = f"entries.{slug}.{index}"
            fields = dict(item)
            entry_id = _uuid(fields.pop("id", None), f"{where}.id")
            entries.append((slug, entry_id, _prefixed(where, lambda: _in_life(life, validate(RECORD_KINDS[slug].model,
                                                                                             fields)))))
    if uow.patients.exists(patient_id):
        raise AlreadyExists("This patient is already in this database", field="patient.id")
    uow.patients.add(patient_id, details, profile)
    if team_id:
        uow.teams.add_to_caseload(team_id, patient_id)
    order = list(RECORD_KINDS)  # treatments come before the dose changes and breaks that refer to them
    for slug, entry_id, model in sorted(entries, key=lambda e: order.index(e[0])):
        uow.records.add(patient_id, RECORD_KINDS[slug], model, entry_id)
    uow.audit.record(actor, "import", patient_id, "patient", patient_id)
    return patient_id


def _in_life(life: LifeDates, model):
    life.check(model, confirmed=True)
    return model


def _uuid(value: Any, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput("Not a valid identifier", field=field) from None


def _prefixed(prefix: str, build):
    try:
        return build()
    except InvalidInput as exc:
        errors = [{"field": f"{prefix}.{e['field']}", "message": e["message"]} for e in exc.errors]
        raise InvalidInput(exc.detail, errors=errors, field=errors[0]["field"] if errors else prefix) from None
