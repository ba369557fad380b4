"""Import ClinicalTrials.gov studies: one API v2 study file, a directory of them, or the
registry's bulk download zip (one JSON file per study).

Streamed: one study is in memory at a time, whatever the size of the corpus. Idempotent: a
study already stored is written again only when its last-update date moved on. Each study is
written whole or not at all (with its batch, or alone if the database refuses one), so one bad file is a rejection with its
reason while the rest of the import goes on.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from ..store.unit_of_work import UnitOfWork
from .study import Study, StudyFormatError, load_document, parse_study

from .eligibility_text import EXTRACTOR_VERSION, extract_criteria

STUDY_SUFFIXES = (".json", ".xml")  # .xml is read only to be refused by name
COMMIT_EVERY = 100  # studies per transaction (held in memory until written)
CHUNK = 1 << 16
# The driver's own encoding errors (a lone surrogate in a site's name) are not wrapped by SQLAlchemy.
_REFUSED_BY_DATABASE = (SQLAlchemyError, UnicodeError)


@dataclass(frozen=True)
class ImportLimits:
    # The registry's whole bulk download expands to about 10 GB for ~500,000 studies; a breast
    # cancer export is far smaller. 2 GB is refused before anything is expanded.
    max_expanded_bytes: int = 2 * 1024**3
    # One study's JSON: the largest real records (hundreds of sites) are a few MB.
    max_study_bytes: int = 64 * 1024**2
    # JSON with many sites compresses about 10-30 to 1; a bomb compresses by thousands.
    max_compression_ratio: float = 200.0


class ImportRefused(ValueError):
    """The whole source is refused before anything is read from it (a zip bomb, not a zip)."""


@dataclass(frozen=True)
class Rejection:
    source: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    source: str
    nct_id: str
    first_source: str


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    # The same study a second time in one import: read once, counted once, listed here.
    duplicates: list[Duplicate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files that are not studies (README.md...)

    @property
    def read(self) -> int:
        return self.added + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [{"file": r.source, "reason": r.reason} for r in self.rejected],
                "duplicates": [{"file": d.source, "nct_id": d.nct_id, "first_file": d.first_source}
                               for d in self.duplicates],
                "skipped": self.skipped}


@dataclass(frozen=True)
class StudySource:
    """One file to import: its name for the summary, and how to read its bytes (or why not)."""

    name: str
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Sources:
    total: int
    items: Iterator[StudySource]
    skipped: list[str]


def import_path(sessions: sessionmaker, path: Path, limits: ImportLimits = ImportLimits(),
                on_progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Import a study file, a directory or a zip; `on_progress(done, total)` after each file."""
    sources = open_sources(Path(path), limits)
    return import_sources(sessions, sources, on_progress)


def import_sources(sessions: sessionmaker, sources: Sources,
                   on_progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    summary = ImportSummary(skipped=list(sources.skipped))
    first_seen: dict[str, str] = {}
    with UnitOfWork(sessions) as uow:
        batch: list[_Ready] = []
        for done, source in enumerate(sources.items, start=1):
            ready = _prepare(uow, source, summary, first_seen)
            if ready is not None:
                batch.append(ready)
            if len(batch) >= COMMIT_EVERY:
                _write(uow, batch, summary)
                batch = []
            if on_progress:
                on_progress(done, sources.total)
        _write(uow, batch, summary)
    return summary


@dataclass(frozen=True)
class _Ready:
    """A study read, checked and with its criteria, waiting to be written."""

    source: str
    study: Study
    document: dict
    criteria: list[dict]


def _prepare(uow: UnitOfWork, source: StudySource, summary: ImportSummary,
             first_seen: dict[str, str]) -> _Ready | None:
    """Read and check one file; None when there is nothing to write (rejected, duplicate, unchanged)."""
    try:
        document = load_document(source.read())
        study = parse_study(document)
        _check_matchable(study)
    except StudyFormatError as error:
        summary.rejected.append(Rejection(source.name, str(error)))
        return None
    if study.nct_id in first_seen:
        summary.duplicates.append(Duplicate(source.name, study.nct_id, first_seen[study.nct_id]))
        return None
    first_seen[study.nct_id] = source.name
    state = uow.trials.state(study.nct_id)
    moved_on = state is None or (study.last_update is not None and
                                 (state.last_update is None or study.last_update > state.last_update))
    # A newer extractor reads the stored studies again, though the registry's record is the same.
    stale_criteria = state is not None and (state.extractor_version is None
                                            or state.extractor_version < EXTRACTOR_VERSION)
    if not moved_on and not stale_criteria:
        summary.unchanged += 1
        return None
    try:
        criteria = _criteria(study)
    except Exception as error:  # a fault in the extractor must not stop the import; say which study
        summary.rejected.append(Rejection(source.name, f"{study.nct_id}: its criteria could not be read ({error})"))
        return None
    return _Ready(source.name, study, document, criteria)


def _write(uow: UnitOfWork, batch: list[_Ready], summary: ImportSummary) -> None:
    """One transaction for the batch. If the database refuses any study, the batch is undone
    and written again one study per transaction, so only the refused one is left out."""
    try:
        outcomes = [uow.trials.upsert(ready.study, ready.document, ready.criteria, EXTRACTOR_VERSION)
                    for ready in batch]
        uow.commit()
    except _REFUSED_BY_DATABASE:
        uow.rollback()
        outcomes = [outcome for ready in batch if (outcome := _write_alone(uow, ready, summary))]
    for outcome in outcomes:
        setattr(summary, outcome, getattr(summary, outcome) + 1)


def _write_alone(uow: UnitOfWork, ready: _Ready, summary: ImportSummary) -> str | None:
    try:
        outcome = uow.trials.upsert(ready.study, ready.document, ready.criteria, EXTRACTOR_VERSION)
        uow.commit()
        return outcome
    except _REFUSED_BY_DATABASE as error:
        uow.rollback()
        first_line = str(error).splitlines()[0][:200]
        summary.rejected.append(Rejection(ready.source, f"{ready.study.nct_id}: the database refused it ({first_line})"))
        return None


def _check_matchable(study: Study) -> None:
    # Without its criteria a study could only ever be matched on sex and age, which would look
    # like a fit it is not; so it is not stored at all, and the summary says why.
    if study.eligibility_text is None:
        raise StudyFormatError(f"{study.nct_id} has no eligibility criteria "
                               "(protocolSection.eligibilityModule.eligibilityCriteria), so it cannot be matched")


def _criteria(study: Study) -> list[dict]:
    return [criterion.model_dump(mode="json") for criterion in extract_criteria(study)]


# --- Where the studies come from ---------------------------------------------------------------

def open_sources(path: Path, limits: ImportLimits = ImportLimits()) -> Sources:
    if path.is_dir():
        return _directory(path, limits)
    if zipfile.is_zipfile(path):
        return _zip(path, limits)
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file or directory")
    return Sources(1, iter([StudySource(str(path), lambda: _read_file(path, limits))]), [])


def _directory(root: Path, limits: ImportLimits) -> Sources:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    studies = [p for p in files if p.suffix.lower() in STUDY_SUFFIXES]
    skipped = [str(p) for p in files if p.suffix.lower() not in STUDY_SUFFIXES]
    items = (StudySource(str(p), lambda p=p: _read_file(p, limits)) for p in studies)
    return Sources(len(studies), items, skipped)


def _read_file(path: Path, limits: ImportLimits) -> bytes:
    if path.stat().st_size > limits.max_study_bytes:
        raise StudyFormatError(f"larger than {limits.max_study_bytes} bytes, more than any one study")
    return path.read_bytes()


def _zip(path: Path, limits: ImportLimits) -> Sources:
    """Entries are checked from the zip's directory before a byte of them is expanded."""
    archive = zipfile.ZipFile(path)
    entries = [info for info in archive.infolist() if not info.is_dir()]
    declared = sum(info.file_size for info in entries)
    if declared > limits.max_expanded_bytes:
        archive.close()
        raise ImportRefused(f"{path}: its entries would expand to {declared:,} bytes, over the "
                            f"limit of {limits.max_expanded_bytes:,}; nothing was expanded")
    studies, skipped = [], []
    for info in entries:
        if PurePosixPath(info.filename).suffix.lower() in STUDY_SUFFIXES:
            studies.append(info)
        else:
            skipped.append(f"{path}:{info.filename}")

    def items() -> Iterator[StudySource]:
        with archive:
            for info in studies:
                yield StudySource(f"{path}:{info.filename}", lambda info=info: _read_entry(archive, info, limits))
    return Sources(len(studies), items(), skipped)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ImportLimits) -> bytes:
    _check_entry_name(info.filename)
    if info.file_size > limits.max_study_bytes:
        raise StudyFormatError(f"declares {info.file_size:,} bytes, more than any one study")
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > limits.max_compression_ratio:
        raise StudyFormatError(f"compressed {ratio:,.0f} to 1, beyond the limit of "
                               f"{limits.max_compression_ratio:,.0f} (a zip bomb?); not expanded")
    chunks, size = [], 0
    try:
        with archive.open(info) as entry:
            while chunk := entry.read(CHUNK):
                size += len(chunk)
                if size > info.file_size:  # never trust the declared size past what it said
                    raise StudyFormatError("expands beyond its declared size; not read further")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as error:
        raise StudyFormatError(f"cannot be read from the zip: {error}") from None
    return b"".join(chunks)


def _check_entry_name(name: str) -> None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise StudyFormatError(f"unsafe name {name!r} (absolute, or climbing out with '..'); not read")
