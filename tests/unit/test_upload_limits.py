"""Uploads: a file's type is read from its content, and a huge body is refused before it is read."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from alongside.domain.documents import media_type_of
from alongside.web.security import SecurityMiddleware


@pytest.mark.parametrize("head, expected", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00", None),  # a Windows program
    (b"\x7fELF\x02\x01\x01\x00", None),  # a Linux program
    (b"PK\x03\x04\x14\x00\x06\x00", None),  # a zip (or Word) file: not a type we keep
    (b"<html><script>alert(1)</script>", None),
])
def test_the_type_comes_from_the_first_bytes(head, expected):
    assert media_type_of(head + b"\x00" * 300) == expected


def call(path: str, length: int) -> tuple[int, bool]:
    """Send a request declaring `length` bytes; report the status and whether the app was reached."""
    reached = {"app": False}
    sent = []

    async def app(scope, receive, send):
        reached["app"] = True

    async def receive():
        raise AssertionError("the body was read")

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"content-length", str(length).encode())]}
    middleware = SecurityMiddleware(app, 1_000_000, False, 10 * 1024 * 1024)
    # In a thread of its own: a worker that ran a browser test first still has Playwright's loop
    # running in this one, and asyncio.run refuses to start a second loop beside it.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, middleware(scope, receive, send)).result()
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    return status, reached["app"]


def test_a_200_mb_upload_is_refused_from_its_declared_length_without_reading_it():
    assert call("/patients/x/documents/upload", 200 * 1024 * 1024) == (413, False)


def test_uploads_get_their_own_limit_and_other_forms_keep_the_small_one():
    assert call("/patients/x/documents/upload", 5 * 1024 * 1024) == (None, True)
    assert call("/patients/x/record/goals/new", 5 * 1024 * 1024) == (413, False)


def test_a_message_with_a_photo_gets_the_upload_limit_and_a_huge_one_is_refused_unread():
    assert call("/patients/x/messages", 5 * 1024 * 1024) == (None, True)
    assert call("/api/v1/patients/x/messages/y/photos", 5 * 1024 * 1024) == (None, True)
    assert call("/patients/x/messages", 200 * 1024 * 1024) == (413, False)
    assert call("/patients/x/messages/y/replies", 5 * 1024 * 1024) == (413, False)  # a reply carries no photo
