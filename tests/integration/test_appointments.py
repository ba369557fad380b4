"""Appointments through the HTTP app and the real database: results attached to the visit they
came from, reminders before an appointment over a real SMTP server, and "since the last
appointment" counted from the last consultation."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from html import unescape

import pytest
from aiosmtpd.controller import Controller

from alongside.notify import NotifySettings, send_appointment_reminders

from .conftest import NOW


def api(world, slug: str) -> str:
    return f"/api/v1/patients/{world.patient_a}/{slug}"


def cards(html: str, section: str) -> list[str]:
    """The text of each appointment card in the 'Coming up' or 'Past' section, tags stripped."""
    part = html.split(f'<h2 id="{section}">', 1)[1].split("</section>", 1)[0]
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", card)).split()) for card in part.split('<li class="card">')[1:]]


@pytest.fixture
def visits(client_for, world):
    """Patient A: a blood test and a scan with their results, a clinic the same day as the bloods,
    bloods the day before (no appointment), and a blood test next week."""
    nurse = client_for(world.nurse)
    for slug, body in [
        ("appointments", {"starts_at": "2026-11-20T09:00:00+00:00", "kind": "blood_test", "location": "Day unit"}),
        ("appointments", {"starts_at": "2026-11-20T14:00:00+00:00", "kind": "oncology_clinic", "with_whom": "Dr Rao"}),
        ("appointments", {"starts_at": "2026-11-10T11:00:00+00:00", "kind": "scan"}),
        ("appointments", {"starts_at": "2026-12-02T09:30:00+00:00", "kind": "blood_test"}),
        ("lab-results", {"taken_on": "2026-11-20", "test": "Neutrophils", "value": 1.1, "unit": "10*9/L",
                         "reference_low": 2.0, "reference_high": 7.5}),
        ("tumour-markers", {"taken_on": "2026-11-20", "marker": "ca15_3", "value": 48}),
        ("lab-results", {"taken_on": "2026-11-19", "test": "Platelets", "value": 190, "unit": "10*9/L"}),
        ("scans", {"performed_on": "2026-11-10", "modality": "ct", "impression": "stable"}),
    ]:
        response = nurse.post(api(world, slug), json=body)
        assert response.status_code == 201, response.text
    return nurse


def test_results_attach_to_the_appointment_they_came_from(visits, client_for, world):
    page = client_for(world.alice).get(f"/patients/{world.patient_a}/record/appointments")
    assert page.status_code == 200
    upcoming, past = cards(page.text, "upcoming"), cards(page.text, "past")
    assert len(upcoming) == 1 and "2 December 2026, 09:30" in upcoming[0] and "Results from this appointment" not in upcoming[0]
    assert [card.split(" ")[0] for card in past] == ["Oncology", "Blood", "Scan"]  # latest first
    clinic, bloods, scan = past
    assert "Neutrophils 1.1 10*9/L (below the normal range)" in bloods and "CA 15-3" in bloods
    assert "Platelets" not in page.text  # taken the day before: no appointment produced it
    assert "Results from this appointment" not in clinic  # a clinic produces no results of its own
    assert "Results from this appointment" in scan and "CT" in scan and "Stable" in scan


def test_a_blood_test_without_results_says_so(client_for, world):
    nurse = client_for(world.nurse)
    nurse.post(api(world, "appointments"), json={"starts_at": "2026-11-18T09:00:00+00:00", "kind": "blood_test"})
    (card,) = cards(nurse.get(f"/patients/{world.patient_a}/record/appointments").text, "past")
    assert "No results from this day are in the record yet." in card


def test_another_patient_never_sees_these_appointments(visits, client_for, world):
    assert client_for(world.bella).get(f"/patients/{world.patient_a}/record/appointments").status_code == 404


def test_preparation_counts_from_the_last_consultation_not_the_last_blood_test(client_for, world):
    nurse = client_for(world.nurse)
    for slug, body in [
        ("appointments", {"starts_at": "2026-11-10T14:00:00+00:00", "kind": "oncology_clinic"}),
        ("appointments", {"starts_at": "2026-11-20T09:00:00+00:00", "kind": "blood_test"}),
        ("lab-results", {"taken_on": "2026-11-15", "test": "Platelets", "value": 190, "unit": "10*9/L"}),
        ("lab-results", {"taken_on": "2026-11-05", "test": "Haemoglobin", "value": 121, "unit": "g/L"}),
    ]:
        assert nurse.post(api(world, slug), json=body).status_code == 201
    page = client_for(world.alice).get(f"/patients/{world.patient_a}/appointment-preparation")
    assert page.status_code == 200
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
    # Since the clinic on 10 November: the platelets are new to the team, the haemoglobin is not,
    # and the blood test on 20 November does not reset the count.
    assert "Platelets 190" in text and "Haemoglobin 121" not in text


# --- Reminders --------------------------------------------------------------------------------

class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, f"Subject: {message['Subject']}\n{message.get_content()}"))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, NotifySettings(smtp_host="127.0.0.1", smtp_port=port, base_url="https://alongside.example")
    controller.stop()


def test_an_appointment_is_reminded_once_a_day_before_and_again_if_it_moves(client_for, world, new_uow, smtp):
    inbox, settings = smtp
    nurse = client_for(world.nurse)
    tomorrow = nurse.post(api(world, "appointments"), json={
        "starts_at": "2026-11-26T09:30:00+00:00", "kind": "scan", "location": "Radiology"}).json()
    nurse.post(api(world, "appointments"), json={"starts_at": "2026-11-28T10:30:00+00:00", "kind": "oncology_clinic"})
    nurse.post(api(world, "appointments"), json={"starts_at": "2026-11-24T10:30:00+00:00", "kind": "blood_test"})
    with new_uow() as uow:
        assert send_appointment_reminders(uow, settings, NOW) == 1  # only tomorrow's, not the past one or Saturday's
        assert send_appointment_reminders(uow, settings, NOW + timedelta(hours=1)) == 0  # never twice
    ((recipients, text),) = inbox.messages
    assert recipients == ["alice@example.org"]
    assert "Thursday 26 November 2026, 09:30" in text
    assert f"https://alongside.example/patients/{world.patient_a}/appointment-preparation" in text
    assert "Radiology" not in text and "scan" not in text.lower() and "Alice" not in text  # no clinical detail

    moved = {k: v for k, v in tomorrow.items() if k in ("kind", "location")} | {
        "starts_at": "2026-11-26T11:00:00+00:00", "version": tomorrow["version"]}
    assert nurse.put(f"{api(world, 'appointments')}/{tomorrow['id']}", json=moved).status_code == 200
    with new_uow() as uow:
        assert send_appointment_reminders(uow, settings, NOW + timedelta(hours=2)) == 1  # the new time is reminded
    assert "26 November 2026, 11:00" in inbox.messages[-1][1]


def test_reminders_use_the_service_time_zone(client_for, world, new_uow, smtp):
    inbox, settings = smtp
    # 09:00 UTC on 1 July is 10:00 in London (BST).
    client_for(world.nurse).post(api(world, "appointments"), json={"starts_at": "2027-07-01T09:00:00+00:00",
                                                                    "kind": "blood_test"})
    with new_uow() as uow:
        assert send_appointment_reminders(uow, settings, datetime(2027, 6, 30, 12, 0, tzinfo=UTC)) == 1
    assert "Thursday 1 July 2027, 10:00" in inbox.messages[0][1]


def test_a_failed_send_is_tried_again_on_the_next_pass(client_for, world, new_uow, smtp):
    inbox, settings = smtp
    client_for(world.nurse).post(api(world, "appointments"), json={"starts_at": "2026-11-26T09:30:00+00:00",
                                                                    "kind": "oncology_clinic"})
    unreachable = NotifySettings(smtp_host="127.0.0.1", smtp_port=1, timeout_seconds=2)
    with new_uow() as uow:
        assert send_appointment_reminders(uow, unreachable, NOW) == 0
        assert send_appointment_reminders(uow, settings, NOW + timedelta(minutes=5)) == 1
    assert len(inbox.messages) == 1
