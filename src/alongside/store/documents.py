"""Uploaded documents: their descriptions in the database, their contents as files under the
data directory (never under the web root), named by id only so no uploaded name reaches a path."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session

from ..domain.documents import CHUNK, CareDocument, StoredDocument
from . import tables as t
from .repositories import _check_version, _flush, _Repository


class DocumentRepository(_Repository):
    def add(self, document_id: UUID, patient_id: UUID, data: CareDocument, media_type: str, size: int, sha256: str,
            uploaded_by: str, now: datetime | None = None) -> StoredDocument:
        now = now or datetime.now(UTC)
        row = t.CareDocumentRow(id=document_id, patient_id=patient_id, created_at=now, updated_at=now,
                                media_type=media_type, size_bytes=size, sha256=sha256, uploaded_by=uploaded_by[:100],
                                **data.model_dump(mode="python"))
        self.db.add(row)
        self.db.flush()
        return _document(row)

    def list(self, patient_id: UUID) -> list[StoredDocument]:
        """Her documents, not the photos sent with messages (those are read through their thread)."""
        rows = self.db.scalars(select(t.CareDocumentRow).where(t.CareDocumentRow.patient_id == patient_id, ~_A_PHOTO)
                               .order_by(t.CareDocumentRow.dated.desc(), t.CareDocumentRow.id))
        return [_document(row) for row in rows]

    def get(self, patient_id: UUID, document_id: UUID) -> StoredDocument | None:
        row = self.db.scalars(select(t.CareDocumentRow).where(
            t.CareDocumentRow.id == document_id, t.CareDocumentRow.patient_id == patient_id, ~_A_PHOTO)).first()
        return _document(row) if row is not None else None

    def link_to_thread(self, thread_id: UUID, document_id: UUID, patient_id: UUID) -> None:
        self.db.add(t.MessagePhotoRow(document_id=document_id, thread_id=thread_id, patient_id=patient_id))
        self.db.flush()

    def photos_of_thread(self, patient_id: UUID, thread_id: UUID) -> list[StoredDocument]:
        rows = self.db.scalars(_photos(patient_id, thread_id).order_by(t.CareDocumentRow.created_at,
                                                                       t.CareDocumentRow.id))
        return [_document(row) for row in rows]

    def photo_of_thread(self, patient_id: UUID, thread_id: UUID, document_id: UUID) -> StoredDocument | None:
        row = self.db.scalars(_photos(patient_id, thread_id).where(t.CareDocumentRow.id == document_id)).first()
        return _document(row) if row is not None else None

    def delete(self, patient_id: UUID, document_id: UUID, version: int) -> None:
        row = self.db.get(t.CareDocumentRow, document_id)
        _check_version(row, version, "document")
        self.db.delete(row)
        _flush(self.db, "document")

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed; never if it rolls back."""
        _pending(self.db).on_commit.append(action)

    def after_rollback(self, action: Callable[[], None]) -> None:
        """Run `action` if this transaction rolls back (a failed commit too); never once it commits."""
        _pending(self.db).on_rollback.append(action)


_A_PHOTO = exists().where(t.MessagePhotoRow.document_id == t.CareDocumentRow.id)


def _photos(patient_id: UUID, thread_id: UUID):
    photo = t.MessagePhotoRow
    return (select(t.CareDocumentRow).join(photo, photo.document_id == t.CareDocumentRow.id)
            .where(photo.thread_id == thread_id, photo.patient_id == patient_id,
                   t.CareDocumentRow.patient_id == patient_id))


class _PendingFileActions:
    """What to do to files when a session's transaction ends: the database decides, the files follow."""

    def __init__(self, session: Session):
        self.on_commit: list[Callable[[], None]] = []
        self.on_rollback: list[Callable[[], None]] = []
        event.listen(session, "after_commit", self._committed)
        event.listen(session, "after_rollback", self._rolled_back)

    def _committed(self, _session) -> None:
        self._run(self.on_commit)

    def _rolled_back(self, _session) -> None:
        self._run(self.on_rollback)

    def _run(self, actions: list[Callable[[], None]]) -> None:
        chosen = list(actions)
        self.on_commit.clear()
        self.on_rollback.clear()
        for action in chosen:
            action()


def _pending(session: Session) -> _PendingFileActions:
    pending = session.info.get("alongside.file_actions")
    if pending is None:
        pending = session.info["alongside.file_actions"] = _PendingFileActions(session)
    return pending


def _document(row: t.CareDocumentRow) -> StoredDocument:
    data = CareDocument.model_validate({name: getattr(row, name) for name in CareDocument.model_fields},
                                       context={"stored": True})
    return StoredDocument(row.id, row.patient_id, row.version, data, row.media_type, row.size_bytes, row.sha256,
                          row.uploaded_by, row.created_at)


class LocalFileStore:
    """Files under `root/documents/<patient>/<document>`, readable by the service's user only."""

    def __init__(self, root: Path):
        self.root = Path(root) / "documents"

    def _path(self, patient_id: UUID, document_id: UUID) -> Path:
        return self.root / str(UUID(str(patient_id))) / str(UUID(str(document_id)))

    def write(self, patient_id: UUID, document_id: UUID, chunks: Iterator[bytes]) -> None:
        """Write under a temporary name, then rename; the file and its folder are on the disk
        before this returns, so the commit that follows never describes a file a power cut lost."""
        path = self._path(patient_id, document_id)
        _make_folders(path.parent)
        partial = path.with_suffix(".partial")
        try:
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(path)
            fsync_folder(path.parent)
        finally:
            partial.unlink(missing_ok=True)

    def read(self, patient_id: UUID, document_id: UUID) -> Iterator[bytes]:
        path = self._path(patient_id, document_id)
        if not path.is_file():
            raise FileNotFoundError(path)

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    yield chunk
        return chunks()

    def remove(self, patient_id: UUID, document_id: UUID) -> None:
        self._path(patient_id, document_id).unlink(missing_ok=True)


def _make_folders(folder: Path) -> None:
    """Create the folder and any missing parents, each new one fsynced into its own parent."""
    missing = [folder, *folder.parents]
    missing = [each for each in missing if not each.exists()]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for each in reversed(missing):
        fsync_folder(each.parent)


def fsync_folder(folder: Path) -> None:
    """A rename or a new entry is durable only once its folder is fsynced (POSIX)."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
