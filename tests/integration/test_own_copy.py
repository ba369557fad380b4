"""Her own copy (issue 16, item 5): the page offers a PDF summary, the record as JSON and a FHIR
bundle; each download is audited, holds what her record holds, leaves out results she is waiting
for (said on the page), and another patient can never download hers."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from alongside.store import tables as t

from .test_transfer_and_cli import empty_database_url  # noqa: F401 (a fixture)

DOWNLOADS = {"summary": "/clinic-summary.pdf", "json": "/copy/record.json", "fhir": "/copy/fhir.json"}
GOAL = "Walking the dog on the beach at Whitby"


def url(world, what: str, patient=None) -> str:
    return f"/patients/{patient or world.patient_a}{DOWNLOADS[what]}"


@pytest.fixture
def record_with_a_goal(client_for, world):
    alice = client_for(world.alice)
    response = alice.post(f"/api/v1/patients/{world.patient_a}/goals",
                          json={"kind": "what_matters", "recorded_on": "2026-11-20", "in_own_words": GOAL})
    assert response.status_code == 201, response.text
    return alice


def test_the_page_offers_three_downloads_and_says_what_happens_to_held_results(record_with_a_goal, world):
    page = record_with_a_goal.get(f"/patients/{world.patient_a}/copy").text
    for what in DOWNLOADS:
        assert f'href="{url(world, what)}"' in page
    assert "left out of these copies too" in page
    assert f'href="/patients/{world.patient_a}/copy">Download your record' in \
        record_with_a_goal.get(f"/patients/{world.patient_a}").text


def test_each_download_holds_her_record_and_is_named_as_an_attachment(record_with_a_goal, world):
    alice = record_with_a_goal
    summary = alice.get(url(world, "summary"))
    assert summary.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(summary.content)).pages)
    assert "Alice Able" in text and "Anastrozole" in text
    document = alice.get(url(world, "json"))
    assert document.headers["content-disposition"] == 'attachment; filename="alongside-able-2026-11-25-record.json"'
    assert [g["in_own_words"] for g in document.json()["entries"]["goals"]] == [GOAL]
    bundle = alice.get(url(world, "fhir"))
    assert bundle.headers["content-type"].startswith("application/fhir+json")
    assert bundle.headers["content-disposition"].endswith('fhir.json"')
    types = {e["resource"]["resourceType"] for e in json.loads(bundle.content)["entry"]}
    assert {"Patient", "Goal", "MedicationStatement"} & types >= {"Patient", "Goal"}


def test_each_download_is_in_her_access_log(record_with_a_goal, world, engine):
    for what in DOWNLOADS:
        assert record_with_a_goal.get(url(world, what)).status_code == 200
    with engine.connect() as connection:
        seen = set(connection.execute(select(t.AuditEventRow.what).where(
            t.AuditEventRow.patient_id == world.patient_a, t.AuditEventRow.action == "read:granted",
            t.AuditEventRow.actor_id == world.alice.user_id)).scalars())
    assert {"clinic-summary", "export", "fhir-export"} <= seen


def test_a_result_she_waits_for_is_left_out_of_every_copy_until_it_is_shown(client_for, world):
    alice, nurse = client_for(world.alice), client_for(world.nurse)
    csrf = alice.get("/api/v1/me").json()["csrf_token"]
    alice.post(f"/patients/{world.patient_a}/result-sharing", data={
        "scans": "at_once", "tumour_markers": "at_once", "blood_tests": "after_discussion", "version": "0",
        "csrf_token": csrf})
    lab = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results", json={
        "taken_on": "2026-11-24", "test": "Haemoglobin", "value": 78, "unit": "g/L"}).json()["id"]
    assert lab not in alice.get(url(world, "json")).text
    assert lab not in alice.get(url(world, "fhir")).text
    assert lab in nurse.get(url(world, "json")).text  # her team's copy holds everything


@pytest.mark.parametrize("what", list(DOWNLOADS))
def test_another_patient_can_never_download_hers(client_for, world, engine, what):
    bella = client_for(world.bella)
    response = bella.get(url(world, what))
    assert response.status_code == 404
    assert "Able" not in response.text
    with engine.connect() as connection:
        refused = connection.execute(select(t.AuditEventRow.action).where(
            t.AuditEventRow.patient_id == world.patient_a, t.AuditEventRow.actor_id == world.bella.user_id)).scalars().all()
    assert refused == ["read:refused"]


# --- Everything she wrote: her messages and her cycle diary (issue 18) ------------------------------

MESSAGE = "Can I have the flu jab while I am on palbociclib?"
REPLY = "Yes: ask your GP surgery, and tell them about your treatment."
BELLAS = "Bella's own question about her scan"


@pytest.fixture
def messages_and_a_diary_mark(client_for, world):
    """Alice writes to her team and the nurse answers; she marks a dose day missed; Bella writes too."""
    from .test_dose_diary import PALBOCICLIB, diary_url, mark

    alice, nurse = client_for(world.alice), client_for(world.nurse)
    medicine = nurse.post(f"/api/v1/patients/{world.patient_a}/medicines", json=PALBOCICLIB).json()["id"]
    assert mark(alice, diary_url(world, medicine), day="2026-11-24", mark="missed",
                note="Sick in the night").status_code == 303
    thread = alice.post(f"/api/v1/patients/{world.patient_a}/messages", json={"text": MESSAGE})
    assert thread.status_code == 201, thread.text
    thread_id = thread.json()["message"]["id"]
    assert nurse.post(f"/api/v1/patients/{world.patient_a}/messages/{thread_id}/replies",
                      json={"text": REPLY}).status_code == 201
    assert client_for(world.bella).post(f"/api/v1/patients/{world.patient_b}/messages",
                                        json={"text": BELLAS}).status_code == 201
    return alice, medicine, thread_id


def test_her_json_copy_holds_her_messages_with_their_replies_and_her_diary_marks(messages_and_a_diary_mark, world):
    alice, medicine, thread_id = messages_and_a_diary_mark
    document = alice.get(url(world, "json")).json()
    [thread] = document["messages"]
    assert (thread["id"], thread["text"], thread["sent_by_role"]) == (thread_id, MESSAGE, "patient")
    assert [(r["text"], r["sent_by_role"]) for r in thread["replies"]] == [(REPLY, "clinician")]
    [diary] = document["dose_diary"]
    assert (diary["medication_id"], diary["medicine"]) == (medicine, "Palbociclib")
    assert [(m["day"], m["mark"], m["note"], m["marked_by"]) for m in diary["marks"]] == [
        ("2026-11-24", "missed", "Sick in the night", "patient")]
    assert BELLAS not in json.dumps(document)


def test_her_fhir_copy_holds_messages_as_communications_and_marks_as_administrations(messages_and_a_diary_mark, world):
    alice, medicine, thread_id = messages_and_a_diary_mark
    bundle = json.loads(alice.get(url(world, "fhir")).content)
    resources = [e["resource"] for e in bundle["entry"]]
    communications = [r for r in resources if r["resourceType"] == "Communication"]
    assert [c["payload"][0]["contentString"] for c in communications] == [MESSAGE, REPLY]
    first, reply = communications
    assert first["sender"]["reference"] == f"urn:uuid:{world.patient_a}" and "inResponseTo" not in first
    assert reply["inResponseTo"] == [{"reference": f"urn:uuid:{thread_id}"}]
    [missed] = [r for r in resources if r["resourceType"] == "MedicationAdministration"]
    assert (missed["status"], missed["effectiveDateTime"], missed["note"][0]["text"]) == (
        "not-done", "2026-11-24", "Sick in the night")
    assert missed["medicationCodeableConcept"]["text"] == "Palbociclib"
    assert missed["supportingInformation"] == [{"reference": f"urn:uuid:{medicine}"}]
    assert BELLAS not in json.dumps(bundle)


def test_her_pdf_summary_names_her_open_message_and_the_missed_dose(messages_and_a_diary_mark, world):
    alice = messages_and_a_diary_mark[0]
    summary = alice.get(url(world, "summary"))
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(summary.content)).pages)
    assert "Open messages to the team" in text and MESSAGE in text
    assert "Cycle diary" in text and "Palbociclib" in text
    assert BELLAS not in text


def test_a_bundle_with_messages_and_marks_still_imports_setting_them_aside_with_the_reason(
        messages_and_a_diary_mark, world, database_url, empty_database_url, tmp_path):
    from .test_transfer_and_cli import run_cli

    exported = tmp_path / "bundle.json"
    assert run_cli(database_url, "fhir", "export", str(world.patient_a), "--out", str(exported)).returncode == 0
    imported = run_cli(empty_database_url, "fhir", "import", str(exported), "--team", "Imported")
    assert imported.returncode == 0, imported.stderr
    assert "Alongside does not read Communication resources" in imported.stdout
    assert "a day of a cycle diary" in imported.stdout
