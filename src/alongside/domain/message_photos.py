"""A photo sent with a message to the team (a rash, a swollen arm, a sore mouth): kept in the
documents store beside her advance care plan documents, tied to its thread, and given out only
to those who may read the thread, each time audited.

Checked like a document, by its content and its size (domain/documents.py), and then once more
by opening it as an image (Pillow): only JPEG and PNG, the two every browser shows, so the team
can see it in the thread. (A phone's HEIC photo is sent as JPEG by the browser's own file picker
on iPhones; one sent as HEIC is refused with that said.) Before it is kept it is drawn again
from its pixels, turned the way the camera held it: nothing of the file but the picture is
kept, so no location, camera, time or hidden content travels with it (hazard H53).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO
from uuid import UUID, uuid4

from PIL import Image, ImageOps, UnidentifiedImageError

from .access import Action, authorise
from .documents import (
    ALLOWED_TYPES, CHUNK, DEFAULT_MAX_UPLOAD_BYTES, CareDocument, FileStore, StoredDocument, media_type_of,
)
from .errors import InvalidInput, NotFound
from .people import Actor
from .vocab import CareDocumentKind

PHOTO_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
# A photo from a phone is 12 to 50 megapixels; beyond this it is refused rather than decoded
# (a small file can claim a huge picture: a "decompression bomb").
MAX_PIXELS = 60_000_000
FIELD = "photo"


def read_photo(content: BinaryIO, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> tuple[bytes, str]:
    """The photo drawn again from its pixels with no metadata, and its type; InvalidInput
    (field "photo") if it is too large, not a JPEG or PNG by its content, or not a picture."""
    head = content.read(8192)
    if not head:
        raise InvalidInput("Choose a photo to send, or send the message without one", field=FIELD)
    media_type = _media_type_of(head)
    if media_type is None:
        raise InvalidInput("This file is not a JPEG or PNG photo (its contents were checked, not its name). "
                           "Choose the photo again", field=FIELD)
    data, chunk = bytearray(), head
    while chunk:  # counted while it is read: an oversized photo is never held whole
        data += chunk
        if len(data) > max_bytes:
            raise InvalidInput(f"This photo is larger than {max_bytes // (1024 * 1024)} MB", field=FIELD)
        chunk = content.read(CHUNK)
    return _redrawn(bytes(data), media_type), media_type


def _media_type_of(head: bytes) -> str | None:
    found = media_type_of(head)
    return found if found in PHOTO_TYPES else None


def _redrawn(data: bytes, media_type: str) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[PHOTO_TYPES[media_type]]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise InvalidInput("This photo has too many pixels to show; send a smaller copy", field=FIELD)
                upright = ImageOps.exif_transpose(image)  # the picture as the camera held it
                if upright.mode not in ("RGB", "RGBA", "L", "LA"):
                    upright = upright.convert("RGBA" if "transparency" in upright.info or "A" in upright.mode else "RGB")
                # A new image from the pixels alone: no EXIF, XMP, ICC, text chunks or comments.
                pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise InvalidInput("This photo could not be opened as a picture. Choose it again", field=FIELD) from None
    out = io.BytesIO()
    if media_type == "image/jpeg":
        pixels.convert("RGB" if pixels.mode != "L" else "L").save(out, "JPEG", quality=90)
    else:
        pixels.save(out, "PNG", optimize=True)
    return out.getvalue()


def keep_photo(uow, actor: Actor, patient_id: UUID, thread_id: UUID, photo: bytes, media_type: str,
               files: FileStore, sent_at: datetime) -> StoredDocument:
    """Keep a checked photo (from `read_photo`) as a document of her record tied to the thread.
    The caller has authorised writing the message. The file is removed again if the transaction
    never commits."""
    document_id = uuid4()
    described = CareDocument.model_validate({"kind": CareDocumentKind.OTHER, "title": "Photo sent with a message",
                                             "dated": sent_at.date()}, context={"stored": True})
    uow.documents.after_rollback(lambda: files.remove(patient_id, document_id))
    files.write(patient_id, document_id, iter([photo]))
    stored = uow.documents.add(document_id, patient_id, described, media_type, len(photo),
                               hashlib.sha256(photo).hexdigest(), actor.display_name, sent_at)
    uow.documents.link_to_thread(thread_id, document_id, patient_id)
    return stored


def open_message_photo(uow, actor: Actor, patient_id: UUID, thread_id: UUID, document_id: UUID,
                       files: FileStore) -> tuple[StoredDocument, Iterator[bytes]]:
    """A thread's photo and its contents, for whoever may read the thread; audited with its id."""
    from .messages import MESSAGES

    authorise(uow, actor, patient_id, Action.READ, MESSAGES, document_id, what="message-photo")
    photo = uow.documents.photo_of_thread(patient_id, thread_id, document_id)
    if photo is None:
        raise NotFound("No such photo in this message")
    return photo, files.read(patient_id, document_id)


def photo_name(photo: StoredDocument) -> str:
    return f"photo-{photo.created_at:%Y-%m-%d}.{ALLOWED_TYPES[photo.media_type]}"
