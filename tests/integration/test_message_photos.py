"""A photo sent with a message (issue 18 item 4): through the real app and database, checked by
content and size, kept in the documents store without its metadata, shown to the team in the
thread with the documents' authorisation and audit, never on the documents page (hazard H53)."""

from __future__ import annotations

import io
import re
import uuid

from PIL import Image
from sqlalchemy import func, select

from alongside.store import tables as t

from ..unit.test_message_photos import GPS_IFD, jpeg_with_location
from .test_monitoring import clocked, lines  # noqa: F401  (an app whose clock a test sets; the team's lines)
from .test_pages import csrf_of
from .test_planning import documents_app, stored_files  # noqa: F401  (an app with a data directory, 1 MB uploads)

TEMPERATURE = "I have had a temperature of 38.4 since this morning"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300


def write(client, world, text: str, photo: bytes | None, name: str = "rash.jpg"):
    page = client.get(f"/patients/{world.patient_a}/messages").text
    files = {"photo": (name, photo, "image/jpeg")} if photo is not None else {"photo": ("", b"", "application/octet-stream")}
    return client.post(f"/patients/{world.patient_a}/messages", files=files,
                       data={"csrf_token": csrf_of(page), "form_id": str(uuid.uuid4()), "category": "side_effect",
                             "text": text})


def rows(engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def test_her_photo_is_kept_without_its_location_and_the_team_sees_it_in_the_thread(documents_app, world, engine):
    make, data_dir = documents_app
    alice, nurse = make(world.alice), make(world.nurse)
    sent = write(alice, world, "This rash came up on my arm yesterday", jpeg_with_location())
    assert sent.status_code == 303, sent.text
    thread_url = sent.headers["location"].split("?")[0]
    (path,) = stored_files(data_dir)
    assert path.parent.name == str(world.patient_a) and b"PhoneCo" not in path.read_bytes()
    page = nurse.get(thread_url).text
    assert "This rash came up on my arm yesterday" in page
    (photo_url,) = set(re.findall(rf'src="({thread_url}/photos/[0-9a-f-]{{36}})"', page))
    shown = nurse.get(photo_url)
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/jpeg" and shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"] == 'inline; filename="photo-2026-11-25.jpg"'
    image = Image.open(io.BytesIO(shown.content))
    assert image.size == (40, 20) and not image.getexif().get_ifd(GPS_IFD)
    photo_id = uuid.UUID(photo_url.rsplit("/", 1)[1])
    with engine.connect() as connection:
        reads = connection.execute(select(t.AuditEventRow.actor_name).where(
            t.AuditEventRow.what == "message-photo", t.AuditEventRow.action == "read:granted",
            t.AuditEventRow.record_id == photo_id)).scalars().all()
    assert reads == ["Nina Nurse"]
    # A photo of a message is not one of her advance care plan documents, nor reached as one.
    assert str(photo_id) not in nurse.get(f"/patients/{world.patient_a}/documents").text
    assert nurse.get(f"/patients/{world.patient_a}/documents/{photo_id}").status_code == 404


def test_another_patient_never_sees_her_photo_and_a_photo_is_only_reached_through_its_thread(documents_app, world,
                                                                                           engine):
    make, _ = documents_app
    alice, bella = make(world.alice), make(world.bella)
    thread_url = write(alice, world, "A sore patch on my leg", jpeg_with_location()).headers["location"].split("?")[0]
    (photo_url,) = set(re.findall(rf'src="({thread_url}/photos/[0-9a-f-]{{36}})"', alice.get(thread_url).text))
    refused = bella.get(photo_url)
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    other = write(alice, world, "Another question", None).headers["location"].split("?")[0]
    photo_id = photo_url.rsplit("/", 1)[1]
    assert alice.get(f"{other}/photos/{photo_id}").status_code == 404  # not a photo of that thread
    with engine.connect() as connection:
        bellas = connection.execute(select(t.AuditEventRow.action).where(
            t.AuditEventRow.actor_id == world.bella.user_id, t.AuditEventRow.patient_id == world.patient_a)).scalars().all()
    assert bellas == ["read:refused"]


def test_a_disguised_photo_is_refused_keeps_what_she_typed_and_still_alerts_on_urgent_words(documents_app, world,
                                                                                          engine):
    make, data_dir = documents_app
    alice = make(world.alice)
    refused = write(alice, world, TEMPERATURE, PROGRAM, name="photo.jpg")
    assert refused.status_code == 422
    assert 'id="e-photo"' in refused.text and "not a JPEG or PNG" in refused.text
    assert TEMPERATURE in refused.text  # what she typed is kept
    assert "call" in refused.text.lower()  # whom to call now, though the message was not sent
    assert rows(engine, t.MessageThreadRow.__table__) == 0 and rows(engine, t.CareDocumentRow.__table__) == 0
    assert stored_files(data_dir) == []
    with engine.connect() as connection:
        assert connection.execute(select(t.AlertRow.rule).where(t.AlertRow.patient_id == world.patient_a)).scalars().all() \
            == ["message"]
    big = write(alice, world, "A photo too large", jpeg_with_location() + b"\x00" * (1024 * 1024))
    assert big.status_code == 422 and "larger than 1 MB" in big.text and "A photo too large" in big.text


def test_the_api_sends_a_photo_with_a_message_and_lists_it_in_the_thread(documents_app, world, engine):
    make, _ = documents_app
    alice, nurse = make(world.alice), make(world.nurse)
    thread = alice.post(f"/api/v1/patients/{world.patient_a}/messages", json={"text": "My mouth is sore, see photo"})
    thread_id = thread.json()["message"]["id"]
    url = f"/api/v1/patients/{world.patient_a}/messages/{thread_id}/photos"
    kept = alice.post(url, files={"photo": ("mouth.jpg", jpeg_with_location(), "image/jpeg")})
    assert kept.status_code == 201, kept.text
    assert kept.json()["media_type"] == "image/jpeg"
    listed = nurse.get(f"/api/v1/patients/{world.patient_a}/messages/{thread_id}").json()["photos"]
    assert [p["id"] for p in listed] == [kept.json()["id"]]
    shown = nurse.get(listed[0]["url"])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    bad = alice.post(url, files={"photo": ("mouth.jpg", PROGRAM, "image/jpeg")})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["field"] == "photo" and "not a JPEG or PNG" in bad.json()["detail"]
    missing = alice.post(url, data={"note": "no file"})
    assert missing.status_code == 422
    assert make(world.bella).post(url, files={"photo": ("x.jpg", jpeg_with_location(), "image/jpeg")}).status_code == 404
