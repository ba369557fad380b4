"""Clinical trials in the store: registry studies with their sites and cached criteria, and the
trials saved to a patient's record.

Studies are public registry data. Saved trials are patient data: reach them only through the
domain's use cases, which authorise and audit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import delete, exists, func, or_, select

from ..clinical.trial_eligibility import Criterion
from ..trials.study import Intervention, Site, Study
from . import tables as t
from .repositories import _Repository

UpsertOutcome = Literal["added", "updated", "unchanged"]
BATCH = 500  # studies read per query while streaming candidates


@dataclass(frozen=True)
class SavedTrial:
    patient_id: UUID
    nct_id: str
    brief_title: str
    saved_at: datetime
    saved_by_id: UUID | None
    saved_by_name: str
    shared_with_team: bool
    note: str | None


@dataclass(frozen=True)
class StoredState:
    """What the importer needs to decide whether a study must be written again."""

    last_update: date | None
    extractor_version: int | None


class TrialRepository(_Repository):
    # --- studies ---------------------------------------------------------------------------

    def state(self, nct_id: str) -> StoredState | None:
        row = self.db.execute(select(t.TrialStudyRow.last_update, t.TrialStudyRow.extractor_version)
                              .where(t.TrialStudyRow.nct_id == nct_id)).first()
        return StoredState(row.last_update, row.extractor_version) if row else None

    def upsert(self, study: Study, document: dict, criteria: list[dict] | None, version: int | None,
               now: datetime | None = None) -> UpsertOutcome:
        """Add a new study; replace a stored one only when the registry's last-update date
        moved on. An unchanged study still takes criteria from a newer extractor."""
        now = now or datetime.now(UTC)
        row = self.db.get(t.TrialStudyRow, study.nct_id)
        if row is None:
            self.db.add(t.TrialStudyRow(nct_id=study.nct_id, imported_at=now,
                                        **_columns(study, document, criteria, version, now)))
            self.db.flush()  # the study first: its sites point at it
            self._put_sites(study)
            return "added"
        if not _moved_on(row.last_update, study.last_update):
            if _newer(version, row.extractor_version):
                row.criteria, row.extractor_version, row.updated_at = criteria, version, now
                self.db.flush()
            return "unchanged"
        for name, value in _columns(study, document, criteria, version, now).items():
            setattr(row, name, value)
        self.db.execute(delete(t.TrialSiteRow).where(t.TrialSiteRow.nct_id == study.nct_id))
        self._put_sites(study)
        self.db.flush()
        return "updated"

    def refresh_criteria(self, nct_id: str, criteria: list[dict], version: int) -> None:
        row = self.db.get(t.TrialStudyRow, nct_id)
        if row is not None and _newer(version, row.extractor_version):
            row.criteria, row.extractor_version, row.updated_at = criteria, version, datetime.now(UTC)
            self.db.flush()

    def get(self, nct_id: str, extractor_version: int | None = None) -> tuple[Study, list[Criterion] | None] | None:
        """The study and its cached criteria; the criteria are None when none are stored or,
        given `extractor_version`, when they came from another version (extract them again)."""
        row = self.db.get(t.TrialStudyRow, nct_id)
        if row is None:
            return None
        return _study(row.study, self._sites_of([nct_id]).get(nct_id, ())), _criteria(row, extractor_version)

    def document(self, nct_id: str) -> dict | None:
        """The registry's document as imported."""
        return self.db.scalar(select(t.TrialStudyRow.document).where(t.TrialStudyRow.nct_id == nct_id))

    def count(self) -> int:
        return self.db.scalar(select(func.count()).select_from(t.TrialStudyRow))

    def fingerprint(self) -> tuple:
        """Changes whenever a study is added, updated or re-extracted: for caches of the corpus."""
        row = self.db.execute(select(func.count(), func.max(t.TrialStudyRow.updated_at),
                                     func.min(t.TrialStudyRow.extractor_version),
                                     func.max(t.TrialStudyRow.extractor_version))).one()
        return tuple(row)

    def nct_ids(self) -> list[str]:
        return list(self.db.scalars(select(t.TrialStudyRow.nct_id).order_by(t.TrialStudyRow.nct_id)))

    def candidates(self, sex: str | None, age: float | None, breast_only: bool = True,
                   recruiting: bool | None = None, countries: Iterable[str] | None = None,
                   phases: Iterable[str] | None = None,
                   extractor_version: int | None = None) -> Iterator[tuple[Study, list[Criterion] | None]]:
        """Studies that pass the structured pre-filter, streamed in batches (never all in memory).

        Only facts that rule a study out beyond doubt are used: a study that states no sex or
        age limit passes, and an unknown `sex` or `age` filters nothing.
        """
        query = select(t.TrialStudyRow.nct_id, t.TrialStudyRow.study, t.TrialStudyRow.criteria,
                       t.TrialStudyRow.extractor_version)
        for condition in _prefilter(sex, age, breast_only, recruiting, countries, phases):
            query = query.where(condition)
        after = ""
        while True:
            rows = self.db.execute(query.where(t.TrialStudyRow.nct_id > after)
                                   .order_by(t.TrialStudyRow.nct_id).limit(BATCH)).all()
            if not rows:
                return
            sites = self._sites_of([row.nct_id for row in rows])
            for row in rows:
                yield _study(row.study, sites.get(row.nct_id, ())), _criteria(row, extractor_version)
            after = rows[-1].nct_id

    def _put_sites(self, study: Study) -> None:
        if study.sites:
            self.db.execute(t.TrialSiteRow.__table__.insert(), [
                {"nct_id": study.nct_id, **{name: _clip(name, value) for name, value in dataclasses.asdict(site).items()}}
                for site in study.sites])

    def _sites_of(self, nct_ids: list[str]) -> dict[str, tuple[Site, ...]]:
        found: dict[str, list[Site]] = {}
        site = t.TrialSiteRow
        rows = self.db.execute(select(site.nct_id, site.facility, site.city, site.state, site.country,
                                      site.latitude, site.longitude, site.status)
                               .where(site.nct_id.in_(nct_ids)).order_by(site.nct_id, site.id))
        for row in rows:
            found.setdefault(row.nct_id, []).append(Site(row.facility, row.city, row.state, row.country,
                                                         row.latitude, row.longitude, row.status))
        return {nct_id: tuple(sites) for nct_id, sites in found.items()}

    # --- saved to a patient's record -------------------------------------------------------

    def save(self, patient_id: UUID, nct_id: str, by_name: str, by_id: UUID | None = None,
             note: str | None = None, share_with_team: bool = False, now: datetime | None = None) -> SavedTrial:
        """Save (or save again, replacing the note and sharing) a trial on a patient's record."""
        row = self.db.get(t.SavedTrialRow, (patient_id, nct_id))
        if row is None:
            row = t.SavedTrialRow(patient_id=patient_id, nct_id=nct_id)
            self.db.add(row)
        row.saved_at, row.saved_by_id, row.saved_by_name = now or datetime.now(UTC), by_id, by_name[:100]
        row.shared_with_team, row.note = share_with_team, note
        self.db.flush()
        return next(saved for saved in self.saved_for(patient_id) if saved.nct_id == nct_id)

    def saved_for(self, patient_id: UUID, shared_only: bool = False) -> list[SavedTrial]:
        saved = t.SavedTrialRow
        query = (select(saved, t.TrialStudyRow.brief_title).join(t.TrialStudyRow)
                 .where(saved.patient_id == patient_id).order_by(saved.saved_at.desc(), saved.nct_id))
        if shared_only:
            query = query.where(saved.shared_with_team.is_(True))
        return [SavedTrial(row.patient_id, row.nct_id, title, row.saved_at, row.saved_by_id, row.saved_by_name,
                           row.shared_with_team, row.note) for row, title in self.db.execute(query)]

    def unsave(self, patient_id: UUID, nct_id: str) -> bool:
        result = self.db.execute(delete(t.SavedTrialRow).where(t.SavedTrialRow.patient_id == patient_id,
                                                               t.SavedTrialRow.nct_id == nct_id))
        return result.rowcount > 0


def _columns(study: Study, document: dict, criteria: list[dict] | None, version: int | None,
             now: datetime) -> dict[str, Any]:
    return {
        "brief_title": study.brief_title, "last_update": study.last_update,
        "overall_status": study.overall_status[:40], "recruiting": study.recruiting,
        "phases": "|" + "|".join(study.phases) + "|" if study.phases else "",
        "sex": study.sex, "minimum_age_years": study.minimum_age_years,
        "maximum_age_years": study.maximum_age_years, "breast": study.about_breast_cancer,
        "document": document, "study": _study_json(study), "criteria": criteria,
        "extractor_version": version, "updated_at": now,
    }


def _prefilter(sex, age, breast_only, recruiting, countries, phases) -> list:
    row = t.TrialStudyRow
    conditions = []
    if breast_only:
        conditions.append(row.breast.is_(True))
    if recruiting is not None:
        conditions.append(row.recruiting.is_(recruiting))
    if sex:
        conditions.append(or_(row.sex.is_(None), row.sex == "ALL", row.sex == sex.upper()))
    if age is not None:
        conditions.append(or_(row.minimum_age_years.is_(None), row.minimum_age_years <= age))
        conditions.append(or_(row.maximum_age_years.is_(None), row.maximum_age_years >= age))
    if phases:
        conditions.append(or_(*(row.phases.contains(f"|{phase}|", autoescape=True) for phase in phases)))
    if countries:
        site = t.TrialSiteRow
        conditions.append(exists().where(site.nct_id == row.nct_id, site.country.in_(list(countries))))
    return conditions


def _moved_on(stored: date | None, incoming: date | None) -> bool:
    return incoming is not None and (stored is None or incoming > stored)


def _newer(version: int | None, stored: int | None) -> bool:
    return version is not None and (stored is None or version > stored)


_SITE_TEXT_LIMITS = {"city": 200, "state": 200, "country": 100, "status": 40}


def _clip(name: str, value: Any) -> Any:
    """Registry text longer than its column is cut rather than refusing the whole study."""
    limit = _SITE_TEXT_LIMITS.get(name)
    return value[:limit] if limit and isinstance(value, str) else value


def _study_json(study: Study) -> dict[str, Any]:
    fields = dataclasses.asdict(study)
    del fields["sites"]
    fields["last_update"] = study.last_update.isoformat() if study.last_update else None
    return fields


def _study(fields: dict[str, Any], sites: tuple[Site, ...]) -> Study:
    values = dict(fields)
    values["last_update"] = date.fromisoformat(values["last_update"]) if values["last_update"] else None
    values["interventions"] = tuple(Intervention(item["name"], item["type"], tuple(item["other_names"]))
                                    for item in values["interventions"])
    for name in ("phases", "conditions", "keywords"):
        values[name] = tuple(values[name])
    return Study(**values, sites=sites)


def _criteria(row: Any, extractor_version: int | None) -> list[Criterion] | None:
    if row.criteria is None or (extractor_version is not None and row.extractor_version != extractor_version):
        return None
    return [Criterion.model_validate(criterion) for criterion in row.criteria]
