"""Advance care plan documents: uploaded files with their type and date, kept outside the web
root and given out only to people who may read the record, each time audited.

A file is checked by what it contains, not by its name: the first bytes must be those of a PDF,
a JPEG or a PNG, so an executable renamed "plan.pdf" is refused. Its size is counted while it
is read, so an oversized file is refused without being held in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol
from uuid import UUID, uuid4

import filetype
from pydantic import Field

from .access import Action, authorise
from .errors import InvalidInput, NotFound
from .people import Actor
from .records import LongText, PastDate, RecordKind, RecordModel, ShortText, validate
from .vocab import CareDocumentKind

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a scanned plan of a few pages; a service may change it
CHUNK = 64 * 1024
# What a scanned or printed plan is in practice. The magic bytes decide, never the name.
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class CareDocument(RecordModel):
    kind: CareDocumentKind = Field(title="Type of document")
    title: ShortText = Field(title="Title", description="For example 'My advance care plan'")
    dated: PastDate = Field(title="Dated", description="The date on the document")
    notes: LongText | None = Field(None, title="Notes")


# Who may add documents: the team and the person herself (it is her plan).
CARE_DOCUMENTS = RecordKind("care-documents", CareDocument, "Advance care plan document", "Advance care plan documents",
                            "dated", lambda d: d.title, patient_writes=True)


@dataclass(frozen=True)
class StoredDocument:
    id: UUID
    patient_id: UUID
    version: int
    data: CareDocument
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: datetime

    @property
    def download_name(self) -> str:
        return f"{self.data.kind.value}-{self.data.dated.isoformat()}.{ALLOWED_TYPES[self.media_type]}"


class FileStore(Protocol):
    """Where file contents live (store/files.py keeps them under the data directory)."""

    def write(self, patient_id: UUID, document_id: UUID, chunks: Iterator[bytes]) -> None: ...
    def read(self, patient_id: UUID, document_id: UUID) -> Iterator[bytes]: ...
    def remove(self, patient_id: UUID, document_id: UUID) -> None: ...


def media_type_of(head: bytes) -> str | None:
    """The type the content says it is, from its first bytes; None if not one we accept."""
    kind = filetype.guess(head)
    return kind.mime if kind and kind.mime in ALLOWED_TYPES else None


def upload_care_document(uow, actor: Actor, patient_id: UUID, data: dict, content: BinaryIO, files: FileStore,
                         max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES, now: datetime | None = None) -> StoredDocument:
    """Check and keep one document. Nothing is kept when any check fails."""
    authorise(uow, actor, patient_id, Action.WRITE, CARE_DOCUMENTS)
    described = validate(CareDocument, data)
    head = content.read(8192)
    if not head:
        raise InvalidInput("Choose a file to upload", field="file")
    media_type = media_type_of(head)
    if media_type is None:
        raise InvalidInput("This file is not a PDF, JPEG or PNG (its contents were checked, not its name)",
                           field="file")
    document_id = uuid4()
    digest, size = hashlib.sha256(), 0

    def counted() -> Iterator[bytes]:
        nonlocal size
        chunk = head
        while chunk:
            size += len(chunk)
            if size > max_bytes:
                raise InvalidInput(f"This file is larger than {max_bytes // (1024 * 1024)} MB", field="file")
            digest.update(chunk)
            yield chunk
            chunk = content.read(CHUNK)

    # The file is on the disk before the row that describes it is committed, and goes again if
    # that commit never happens, so the record never names a missing file.
    uow.documents.after_rollback(lambda: files.remove(patient_id, document_id))
    try:
        files.write(patient_id, document_id, counted())
        stored = uow.documents.add(document_id, patient_id, described, media_type, size, digest.hexdigest(),
                                   actor.display_name, now)
    except BaseException:
        files.remove(patient_id, document_id)
        raise
    return stored


def authorise_upload(uow, actor: Actor, patient_id: UUID) -> None:
    """For a form sent without a file: refuse an outsider as any upload would be refused."""
    authorise(uow, actor, patient_id, Action.WRITE, CARE_DOCUMENTS)


def list_care_documents(uow, actor: Actor, patient_id: UUID) -> list[StoredDocument]:
    authorise(uow, actor, patient_id, Action.READ, CARE_DOCUMENTS)
    return uow.documents.list(patient_id)


def open_care_document(uow, actor: Actor, patient_id: UUID, document_id: UUID,
                       files: FileStore) -> tuple[StoredDocument, Iterator[bytes]]:
    """A document and its contents, for download; the read is audited with the document's id."""
    authorise(uow, actor, patient_id, Action.READ, CARE_DOCUMENTS, document_id)
    document = uow.documents.get(patient_id, document_id)
    if document is None:
        raise NotFound("No such document in this record")
    return document, files.read(patient_id, document_id)


def remove_care_document(uow, actor: Actor, patient_id: UUID, document_id: UUID, version: int,
                         files: FileStore) -> None:
    authorise(uow, actor, patient_id, Action.WRITE, CARE_DOCUMENTS, document_id)
    if uow.documents.get(patient_id, document_id) is None:
        raise NotFound("No such document in this record")
    uow.documents.delete(patient_id, document_id, version)
    # Only once the deletion is committed: if the commit fails, the document and its file stay.
    uow.documents.after_commit(lambda: files.remove(patient_id, document_id))
