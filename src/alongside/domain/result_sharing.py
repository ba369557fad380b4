"""The patient's say over when she sees her results: at once, after her team has talked them
through with her, after a number of days, or whichever of those two comes first.

One function, `shown_to_reader`, decides what a reader sees of her scans, tumour markers and
blood tests; every read path that gathers results for a page, a chart, a download or an API
answer passes them through it. Her team always sees everything, and sees what is held and until
when. Alerts and whom to call are never held: they are not results, and no read of them comes
through here (docs/safety/hazard-log.md).

A hold applies to results added to the record after she chose it for that kind: what she has
already been able to read is not taken away, and a history imported when she joins is not held.
Days are counted from the moment a result was added (its `created_at`, stamped by the store with
the real time), so every comparison here is made against the real time too, never a page's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pydantic import Field, model_validator

from .access import Action, authorise
from .entries import Entry
from .errors import AccessDenied, InvalidInput, NotFound, VersionConflict
from .people import Actor, Relationship
from .records import RECORD_KINDS, RecordModel, _FieldError
from .vocab import ResultRelease

MAX_HOLD_DAYS = 60
# The kinds of result she can hold, each with the name of its fields in ResultSharing.
HELD_KINDS = {"scans": "scans", "tumour-markers": "tumour_markers", "lab-results": "blood_tests"}
SEES_EVERYTHING = (Relationship.CARE_TEAM, Relationship.OPERATOR)

_DAYS_HINT = f"From 1 to {MAX_HOLD_DAYS}, counted from the day the result is added to your record"


class ResultSharing(RecordModel):
    """Her choice for each kind of result, as the settings form shows it."""

    scans: ResultRelease = Field(ResultRelease.AT_ONCE, title="Scan results")
    scans_days: int | None = Field(None, ge=1, le=MAX_HOLD_DAYS, title="Days to wait for scan results",
                                   description=_DAYS_HINT)
    tumour_markers: ResultRelease = Field(ResultRelease.AT_ONCE, title="Tumour marker results")
    tumour_markers_days: int | None = Field(None, ge=1, le=MAX_HOLD_DAYS, title="Days to wait for tumour markers",
                                            description=_DAYS_HINT)
    blood_tests: ResultRelease = Field(ResultRelease.AT_ONCE, title="Blood test results")
    blood_tests_days: int | None = Field(None, ge=1, le=MAX_HOLD_DAYS, title="Days to wait for blood tests",
                                         description=_DAYS_HINT)

    @model_validator(mode="after")
    def _days_when_waiting(self) -> ResultSharing:
        for name in HELD_KINDS.values():
            if getattr(self, name).waits_days and getattr(self, f"{name}_days") is None:
                raise _FieldError(f"{name}_days", f"Say how many days to wait (1 to {MAX_HOLD_DAYS})")
        return self

    def release(self, slug: str) -> tuple[ResultRelease, int | None]:
        name = HELD_KINDS[slug]
        release = getattr(self, name)
        return release, getattr(self, f"{name}_days") if release.waits_days else None


@dataclass(frozen=True)
class SharingChoice:
    """Her stored choice: the settings, since when each kind has been held, who changed it last."""

    settings: ResultSharing
    since: dict[str, datetime]  # slug -> when she began holding that kind
    version: int
    changed_at: datetime | None
    changed_by: str | None


NO_CHOICE = SharingChoice(ResultSharing(), {}, 0, None, None)


@dataclass(frozen=True)
class Discussion:
    entry_id: UUID
    kind: str
    discussed_at: datetime
    discussed_by: str


@dataclass(frozen=True)
class Hold:
    """A result kept from her for now: until it is discussed, until a moment, or either."""

    entry: Entry
    until: datetime | None
    until_discussed: bool


# --- The rule ---------------------------------------------------------------------------------

def released_at(choice: SharingChoice, discussed: dict[UUID, datetime], entry: Entry) -> datetime | None:
    """When a result comes (or came) into her view: when it was added, unless she was waiting for
    its kind then; then when it was discussed or its days ran out, whichever is first. None while
    it waits for a discussion with no days to run out."""
    release, days = choice.settings.release(entry.kind)
    since = choice.since.get(entry.kind)
    if release is ResultRelease.AT_ONCE or since is None or entry.created_at < since:
        return entry.created_at  # in her record before she chose to wait: she could already read it
    moments = [entry.created_at + timedelta(days=days)] if days else []
    if release.waits_for_discussion and entry.id in discussed:
        moments.append(max(discussed[entry.id], entry.created_at))
    return min(moments, default=None)


def holds(choice: SharingChoice, discussed: dict[UUID, datetime], entries: dict[str, list[Entry]],
          now: datetime) -> dict[UUID, Hold]:
    """The results among `entries` held from her at `now`, by entry id; `discussed` gives when
    each discussed result was marked."""
    held = {}
    for slug in HELD_KINDS.keys() & entries.keys():
        release, days = choice.settings.release(slug)
        for entry in entries[slug]:
            shown = released_at(choice, discussed, entry)
            if shown is None or shown > now:
                until = entry.created_at + timedelta(days=days) if days else None
                held[entry.id] = Hold(entry, until, release.waits_for_discussion)
    return held


def shown_from(uow, patient_id: UUID, entries: dict[str, list[Entry]]) -> dict[UUID, datetime]:
    """When each result among `entries` came into her view (those still held are left out)."""
    choice = uow.result_sharing.choice(patient_id) or NO_CHOICE
    discussed = uow.result_sharing.discussed_at(patient_id)
    moments = {e.id: released_at(choice, discussed, e) for slug in HELD_KINDS.keys() & entries.keys()
               for e in entries[slug]}
    return {entry_id: at for entry_id, at in moments.items() if at is not None}


def shown_to_reader(uow, relationship: Relationship, patient_id: UUID, entries: dict[str, list[Entry]],
                    now: datetime | None = None) -> dict[str, list[Entry]]:
    """`entries` (by kind) as this reader may see them: everything for her team; for her and her
    carers, without the results she has chosen to wait for. The one place the rule is applied."""
    if relationship in SEES_EVERYTHING or not HELD_KINDS.keys() & entries.keys():
        return entries
    held = _holds_now(uow, patient_id, entries, now)
    if not held:
        return entries
    return {slug: [e for e in items if e.id not in held] for slug, items in entries.items()}


def may_hold(uow, relationship: Relationship, patient_id: UUID) -> bool:
    """True when some result may be held from this reader: she (or her carer) has chosen to
    wait for a kind of result. False means `shown_to_reader` shows this reader everything."""
    return relationship not in SEES_EVERYTHING and not _all_at_once(uow.result_sharing.choice(patient_id) or NO_CHOICE)


def _all_at_once(choice: SharingChoice) -> bool:
    return all(choice.settings.release(slug)[0] is ResultRelease.AT_ONCE for slug in HELD_KINDS)


def _holds_now(uow, patient_id: UUID, entries: dict[str, list[Entry]], now: datetime | None) -> dict[UUID, Hold]:
    choice = uow.result_sharing.choice(patient_id) or NO_CHOICE
    if _all_at_once(choice):
        return {}
    return holds(choice, uow.result_sharing.discussed_at(patient_id), entries, now or datetime.now(UTC))


def refuse_if_held(uow, relationship: Relationship, patient_id: UUID, entry: Entry, now: datetime | None = None) -> None:
    """One result read by id: a held one is not there for her yet (404, as a missing one)."""
    if not shown_to_reader(uow, relationship, patient_id, {entry.kind: [entry]}, now)[entry.kind]:
        raise NotFound("No such entry")


# --- Use cases ----------------------------------------------------------------------------------

def sharing_choice(uow, actor: Actor, patient_id: UUID) -> SharingChoice:
    """Her choice, for her to change and for her team (and carers) to see."""
    authorise(uow, actor, patient_id, Action.READ, what="result-sharing")
    return uow.result_sharing.choice(patient_id) or NO_CHOICE


def change_sharing(uow, actor: Actor, patient_id: UUID, settings: ResultSharing, version: int,
                   now: datetime | None = None) -> SharingChoice:
    """Only she changes it: it is her say. A kind newly held is held from now on."""
    relationship = authorise(uow, actor, patient_id, Action.READ, what="result-sharing")
    if relationship is not Relationship.SELF:
        uow.audit.record(actor, "write:refused", patient_id, "result-sharing")
        uow.commit()
        raise AccessDenied("Only the patient chooses when to see results")
    now = now or datetime.now(UTC)
    old = uow.result_sharing.choice(patient_id) or NO_CHOICE
    if version != old.version:
        raise VersionConflict("Your choice was changed elsewhere since this page was opened. Reload it.",
                              field="version")
    since = {}
    for slug in HELD_KINDS:
        if settings.release(slug)[0] is ResultRelease.AT_ONCE:
            continue
        was_held = old.settings.release(slug)[0] is not ResultRelease.AT_ONCE
        since[slug] = old.since[slug] if was_held and slug in old.since else now
    uow.result_sharing.put(patient_id, settings, since, now, actor, old.version)
    uow.audit.record(actor, "write:granted", patient_id, "result-sharing")
    return uow.result_sharing.choice(patient_id)


def mark_discussed(uow, actor: Actor, patient_id: UUID, slug: str, entry_id: UUID,
                   now: datetime | None = None) -> Discussion:
    """Her team records that a result has been talked through with her; a result held until then
    is released. Marking it again keeps the first mark (a retry changes nothing)."""
    # Written as a change to the record as a whole, which only her team may make (access.permits).
    authorise(uow, actor, patient_id, Action.WRITE, record_id=entry_id, what="result-discussed")
    if slug not in HELD_KINDS:
        raise InvalidInput("Only scans, tumour markers and blood tests are marked as discussed", field="kind")
    uow.records.get(patient_id, RECORD_KINDS[slug], entry_id)  # 404 if it is not hers
    return uow.result_sharing.mark_discussed(patient_id, slug, entry_id, now or datetime.now(UTC), actor)


@dataclass(frozen=True)
class ResultsHeld:
    """What the team sees: her choice, the results held from her now, and the ones discussed."""

    choice: SharingChoice
    held: dict[UUID, Hold]
    discussed: dict[UUID, Discussion]


def results_held(uow, actor: Actor, patient_id: UUID, entries: dict[str, list[Entry]] | None = None,
                 now: datetime | None = None) -> ResultsHeld:
    """For the team (and for her, who sees her own choice): which results are held, until when.
    `entries` are results the caller has already read; all of them when None."""
    authorise(uow, actor, patient_id, Action.READ, what="result-holds")
    if entries is None:
        entries = uow.records.everything(patient_id, list(HELD_KINDS))
    choice = uow.result_sharing.choice(patient_id) or NO_CHOICE
    discussed = uow.result_sharing.discussions(patient_id)
    at = {entry_id: d.discussed_at for entry_id, d in discussed.items()}
    return ResultsHeld(choice, holds(choice, at, entries, now or datetime.now(UTC)), discussed)
