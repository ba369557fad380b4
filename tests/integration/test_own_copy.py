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
