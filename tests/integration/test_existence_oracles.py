"""Issue 13 item 3: an entry id, check-in id or NHS number that belongs to a record the asker may
not see is answered as any id or number she may not use would be: the answer names nobody and
tells nothing of the record it belongs to."""

from __future__ import annotations

import uuid

import pytest

from alongside.domain.people import SYSTEM
from alongside.domain.records import RECORD_KINDS
from alongside.domain.transfer import export_record

from ..factories import sample

SECRETS_OF_B = ["Bella", "Baker", "9990000018", "bella@example.org"]
B_NHS_NUMBER = "9990000018"
WRITABLE = [slug for slug, kind in RECORD_KINDS.items() if not kind.submitted_only]


def api(path: str) -> str:
    return f"/api/v1{path}"


def own_patient(client) -> str:
    response = client.post(api("/patients"), json={"given_name": "Cora", "family_name": "Cole",
                                                    "date_of_birth": "1960-03-04"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def record_of_b(new_uow, world) -> dict:
    with new_uow() as uow:
        return export_record(uow, SYSTEM, world.patient_b)


def shows_nothing_of_b(response) -> None:
    leaked = [s for s in SECRETS_OF_B if s in response.text]
    assert not leaked, f"{response.request.url} showed {leaked}"


def problem(response) -> dict:
    body = response.json()
    body.pop("instance", None)  # the address asked, which differs by kind
    return body


@pytest.mark.parametrize("slug", WRITABLE)
def test_an_entry_posted_with_another_patients_entry_id_is_refused_like_any_id_in_use(as_user, world, new_uow, slug):
    """Once a 500 (the insert's IntegrityError). Now a 409 naming the field, the same body as for
    an id of her own record's that she reuses for something else."""
    client = as_user(world.stranger)
    cora = own_patient(client)
    course = client.post(api(f"/patients/{cora}/treatment-courses"), json=sample("treatment-courses")).json()["id"]
    before = record_of_b(new_uow, world)
    body = sample(slug, course)
    theirs = client.post(api(f"/patients/{cora}/{slug}"), json={**body, "id": str(world.entries_b[slug])})
    assert theirs.status_code == 409, theirs.text
    assert theirs.headers["content-type"] == "application/problem+json"
    assert problem(theirs)["field"] == "id"
    shows_nothing_of_b(theirs)
    assert record_of_b(new_uow, world) == before
    assert client.get(api(f"/patients/{cora}/{slug}/{world.entries_b[slug]}")).status_code == 404

    mine = client.post(api(f"/patients/{cora}/{slug}"), json=body).json()["id"]
    other = sample(slug, course) | _different(slug)
    reused = client.post(api(f"/patients/{cora}/{slug}"), json={**other, "id": mine})
    assert reused.status_code == 409, reused.text
    assert problem(reused) == problem(theirs)
    retried = client.post(api(f"/patients/{cora}/{slug}"), json={**body, "id": mine})
    assert retried.status_code == 201 and retried.json()["id"] == mine  # a true retry is still safe


def _different(slug: str) -> dict:
    """One field changed, so the same id now stands for another entry."""
    changes = {"dose-changes": {"change": "Dose raised"}, "treatment-breaks": {"reason": "side_effects"},
               "treatment-courses": {"name": "Letrozole", "line_of_treatment": 2, "start_date": "2024-09-01"},
               "appointments": {"starts_at": "2030-02-15T10:30:00+00:00"}, "lab-results": {"value": 1.9},
               "tumour-markers": {"value": 40.0}, "scans": {"impression": "progressing"},
               "performance-status": {"ecog": 2}, "genomic-results": {"variant": "D538G"},
               "metastases": {"site_detail": "T10 vertebra"}, "care-team": {"name": "Dr Other"},
               "contact-points": {"name": "Day unit"}, "goals": {"in_own_words": "Walking the dog."},
               "decisions": {"chosen": "B"}, "referrals": {"service": "dietitian"},
               "access-requests": {"drug": "Other-mab"}, "questions": {"text": "Can I travel?"},
               "medicines": {"dose_value": 5}, "allergies": {"reaction": "Swollen lips"},
               "body-measurements": {"value": 70.5}}
    return changes[slug]


def test_a_check_in_sent_with_another_patients_check_in_id_says_nothing_of_it(as_user, world, new_uow):
    """It once said the id was 'already used by another record's check-in'."""
    client = as_user(world.stranger)
    cora = own_patient(client)
    before = record_of_b(new_uow, world)
    answers = {"burden": {"pain": 1}}
    as_body = client.post(api(f"/patients/{cora}/check-ins"), json={**answers, "id": str(world.entries_b["check-ins"])})
    as_header = client.post(api(f"/patients/{cora}/check-ins"), json=answers,
                            headers={"Idempotency-Key": str(world.entries_b["check-ins"])})
    for response in (as_body, as_header):
        assert response.status_code == 409, response.text
        shows_nothing_of_b(response)
        assert "another" not in response.json()["detail"].lower()
    assert problem(as_body)["field"] == "id" and problem(as_header)["field"] == "Idempotency-Key"
    assert problem(as_body)["detail"] == problem(as_header)["detail"] == _id_in_use_detail(client, cora)
    assert record_of_b(new_uow, world) == before


def _id_in_use_detail(client, cora: str) -> str:
    """What any other id in use is told: the same words."""
    course = client.post(api(f"/patients/{cora}/goals"), json=sample("goals")).json()["id"]
    reused = client.post(api(f"/patients/{cora}/goals"), json={**sample("goals"), "recorded_on": "2025-02-02",
                                                               "id": course})
    return reused.json()["detail"]


def test_the_check_in_page_says_nothing_of_another_patients_check_in_id(as_user, world, new_uow):
    client = as_user(world.stranger)
    cora = own_patient(client)
    csrf = client.get(api("/me")).json()["csrf_token"]
    before = record_of_b(new_uow, world)
    response = client.post(f"/patients/{cora}/check-in", data={"csrf_token": csrf, "burden.pain": "1",
                                                             "form_id": str(world.entries_b["check-ins"])})
    assert response.status_code == 409, response.text
    shows_nothing_of_b(response)
    assert "another record" not in response.text
    assert record_of_b(new_uow, world) == before


def test_an_nhs_number_held_by_another_team_is_refused_like_a_wrong_one(as_user, world, new_uow, engine):
    """The clinician of another team learns neither that the number is known here nor whose it is;
    the refusal is in B's access log, so her own team can see who tried."""
    client = as_user(world.stranger)
    details = {"given_name": "Cora", "family_name": "Cole", "date_of_birth": "1960-03-04"}
    held = client.post(api("/patients"), json={**details, "nhs_number": B_NHS_NUMBER})
    assert held.status_code == 422, held.text
    shows_nothing_of_b(held)
    assert problem(held)["field"] == "nhs_number"
    assert "already" not in held.text and "registered" not in held.text
    wrong = client.post(api("/patients"), json={**details, "nhs_number": "9990000019"})  # check digit wrong
    assert (held.status_code, problem(held)["title"], problem(held)["type"]) == \
           (wrong.status_code, problem(wrong)["title"], problem(wrong)["type"])
    assert set(problem(held)) == set(problem(wrong)) and problem(held)["detail"] == problem(wrong)["detail"]
    assert _refusals(engine, world.patient_b, world.stranger.user_id) == 1

    cora = own_patient(client)
    edited = client.put(api(f"/patients/{cora}"), json={**details, "nhs_number": B_NHS_NUMBER, "version": 1})
    assert edited.status_code == 422, edited.text
    assert problem(edited) == problem(held)
    shows_nothing_of_b(edited)
    assert _refusals(engine, world.patient_b, world.stranger.user_id) == 2

    csrf = client.get(api("/me")).json()["csrf_token"]
    page = client.post("/patients/new", data={**details, "nhs_number": B_NHS_NUMBER, "csrf_token": csrf})
    assert page.status_code == 422
    assert not [s for s in SECRETS_OF_B if s in page.text and s != B_NHS_NUMBER]  # the form keeps what she typed
    assert "already registered" not in page.text and "cannot be used here" in page.text
    assert record_of_b(new_uow, world)["patient"]["details"]["nhs_number"] == B_NHS_NUMBER


def test_an_nhs_number_already_on_her_own_teams_caseload_is_named_as_such(as_user, world):
    """Her own team may see that record, so she is told it is there rather than left to guess."""
    nurse = as_user(world.nurse)
    response = nurse.post(api("/patients"), json={"given_name": "B", "family_name": "Again",
                                                   "date_of_birth": "1970-05-17", "nhs_number": B_NHS_NUMBER})
    assert response.status_code == 422
    assert problem(response)["field"] == "nhs_number"
    assert "already registered" in response.json()["detail"]


def _refusals(engine, patient_id, actor_id) -> int:
    from sqlalchemy import func, select

    from alongside.store import tables as t

    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(t.AuditEventRow).where(
            t.AuditEventRow.patient_id == patient_id, t.AuditEventRow.actor_id == actor_id,
            t.AuditEventRow.action.like("%:refused")))


def test_a_fresh_id_is_still_taken_as_given(as_user, world):
    client = as_user(world.stranger)
    cora = own_patient(client)
    fresh = str(uuid.uuid4())
    response = client.post(api(f"/patients/{cora}/goals"), json={**sample("goals"), "id": fresh})
    assert response.status_code == 201 and response.json()["id"] == fresh


def test_stopping_treatment_with_another_patients_decision_id_is_refused_like_any_id_in_use(as_user, world, new_uow):
    """The stop decision is stored through the same insert: it was a 500 too."""
    client = as_user(world.stranger)
    cora = own_patient(client)
    before = record_of_b(new_uow, world)
    stop = {"stops_on": "2026-11-20", "decided_on": "2026-11-20", "participants": "Cora and Dr Rao",
            "options_discussed": "Supportive care only", "id": str(world.entries_b["decisions"])}
    response = client.post(api(f"/patients/{cora}/stop-anticancer-treatment"), json=stop)
    assert response.status_code == 409, response.text
    assert problem(response)["field"] == "id"
    shows_nothing_of_b(response)
    assert record_of_b(new_uow, world) == before
