"""The JSON API through the real app and database: records, errors, sessions, security."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alongside.domain.records import RECORD_KINDS
from alongside.store import tables as t

from ..factories import PASSWORD, sample
from .conftest import sign_in


def api(slug: str, patient_id, entry_id=None) -> str:
    return f"/api/v1/patients/{patient_id}/{slug}" + (f"/{entry_id}" if entry_id else "")


EDITABLE = [slug for slug, kind in RECORD_KINDS.items() if not kind.submitted_only]


@pytest.mark.parametrize("slug", EDITABLE)
def test_a_clinician_creates_reads_updates_and_deletes_every_kind(as_user, world, slug):
    nurse = as_user(world.nurse)
    created = nurse.post(api(slug, world.patient_a), json=sample(slug, world.course_a))
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["version"] == 1 and entry["patient_id"] == str(world.patient_a)
    assert nurse.get(api(slug, world.patient_a, entry["id"])).json() == entry
    assert entry["id"] in [e["id"] for e in nurse.get(api(slug, world.patient_a)).json()]
    fields = {k: entry[k] for k in RECORD_KINDS[slug].model.model_fields}
    updated = nurse.put(api(slug, world.patient_a, entry["id"]), json={**fields, "version": 1})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert nurse.delete(api(slug, world.patient_a, entry["id"]), params={"version": 1}).status_code == 409
    assert nurse.delete(api(slug, world.patient_a, entry["id"]), params={"version": 2}).status_code == 204
    assert nurse.get(api(slug, world.patient_a, entry["id"])).status_code == 404


def test_a_check_in_is_a_report_and_is_never_edited_afterwards(as_user, world):
    nurse = as_user(world.nurse)
    url = api("check-ins", world.patient_b, world.entries_b["check-ins"])
    assert nurse.get(url).status_code == 200
    assert nurse.put(url, json={**sample("check-ins"), "version": 1}).status_code == 405
    assert nurse.delete(url, params={"version": 1}).status_code == 405


def _problem(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    if field:
        assert body["field"] == field or field in [e["field"] for e in body.get("errors", [])]
    return body


PATIENT = {"given_name": "Cara", "family_name": "Cole", "date_of_birth": "1975-01-01"}


@pytest.mark.parametrize("body, field", [
    ({**PATIENT, "nhs_number": "1234567890"}, "nhs_number"),
    ({**PATIENT, "date_of_birth": "2999-01-01"}, "date_of_birth"),
    ({**PATIENT, "sex": "x"}, "sex"),
    ({"given_name": "Cara", "date_of_birth": "1975-01-01"}, "family_name"),
])
def test_bad_patient_input_is_a_problem_naming_the_field_and_saves_nothing(as_user, world, engine, body, field):
    nurse = as_user(world.nurse)
    _problem(nurse.post("/api/v1/patients", json=body), 422, field)
    with engine.connect() as connection:
        assert connection.scalar(select(t.PatientRow.id).where(t.PatientRow.given_name == "Cara")) is None


def test_an_end_date_before_the_start_is_named(as_user, world):
    nurse = as_user(world.nurse)
    body = {**sample("treatment-courses"), "end_date": "2020-01-01"}
    _problem(nurse.post(api("treatment-courses", world.patient_a), json=body), 422, "end_date")


def test_malformed_json_is_a_problem(as_user, world):
    nurse = as_user(world.nurse)
    response = nurse.post(api("goals", world.patient_a), content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_ten_megabyte_body_is_refused_before_it_is_read(as_user, world):
    nurse = as_user(world.nurse)
    body = b'{"in_own_words": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    _problem(nurse.post(api("goals", world.patient_a), content=body, headers={"content-type": "application/json"}),
             413, "body")


def test_a_stale_version_is_a_409_and_the_newer_edit_stays(as_user, world):
    nurse = as_user(world.nurse)
    url = api("goals", world.patient_b, world.entries_b["goals"])
    assert nurse.put(url, json={**sample("goals"), "in_own_words": "Mine", "version": 1}).status_code == 200
    _problem(nurse.put(url, json={**sample("goals"), "in_own_words": "Theirs", "version": 1}), 409, "version")
    assert nurse.get(url).json()["in_own_words"] == "Mine"


def test_patient_details_and_profile_are_versioned_too(as_user, world):
    nurse = as_user(world.nurse)
    record = nurse.get(f"/api/v1/patients/{world.patient_a}").json()
    details = {k: record[k] for k in ("given_name", "family_name", "date_of_birth", "nhs_number")}
    assert nurse.put(f"/api/v1/patients/{world.patient_a}", json={**details, "town": "York", "version": 1}).status_code == 200
    _problem(nurse.put(f"/api/v1/patients/{world.patient_a}", json={**details, "version": 1}), 409, "version")
    profile = nurse.put(f"/api/v1/patients/{world.patient_a}/cancer-profile",
                        json={"her2_status": "ultralow", "er_status": "positive", "version": 1})
    assert profile.status_code == 200
    assert profile.json()["cancer_profile"]["her2_status"] == "ultralow"


def test_a_retried_post_with_its_own_id_is_saved_once(as_user, world):
    patient = as_user(world.alice)
    entry_id = str(uuid.uuid4())
    for _ in range(3):
        response = patient.post(api("goals", world.patient_a), json={**sample("goals"), "id": entry_id})
        assert response.status_code == 201
        assert response.json()["id"] == entry_id
    assert [g["id"] for g in patient.get(api("goals", world.patient_a)).json()] == [entry_id]


def test_changes_without_the_csrf_token_are_refused(make_client, world):
    client = make_client()
    sign_in(client, world.nurse)  # the cookie, but no header
    _problem(client.post(api("goals", world.patient_a), json=sample("goals")), 403, "csrf_token")


def test_requests_without_a_session_are_401(make_client, world):
    _problem(make_client().get(f"/api/v1/patients/{world.patient_a}"), 401, "")


def test_passwords_are_stored_as_argon2id_hashes(engine, world):
    with engine.connect() as connection:
        hashes = connection.scalars(select(t.UserRow.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_the_session_cookie_is_http_only_and_same_site(make_client, world):
    response = make_client().post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_secure_deployment_marks_cookies_secure(database_url, engine, world):
    from fastapi.testclient import TestClient

    from alongside.web.app import create_app
    from alongside.web.settings import Settings

    app = create_app(Settings(database_url=database_url, cookie_secure=True))
    with TestClient(app, base_url="https://testserver") as client:
        response = client.post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD})
        assert "secure" in response.headers["set-cookie"].lower()
        assert response.headers["strict-transport-security"].startswith("max-age=")
    app.state.engine.dispose()


def test_security_headers_are_on_every_response(make_client):
    response = make_client().get("/sign-in")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def test_sessions_expire_after_the_idle_limit(app, make_client, world, engine):
    client = make_client()
    client.headers.update(sign_in(client, world.nurse))
    assert client.get("/api/v1/me").status_code == 200
    with engine.begin() as connection:  # the session was last used longer ago than the idle limit
        then = datetime.now(UTC) - app.state.settings.policy.idle - timedelta(minutes=1)
        connection.execute(t.SessionRow.__table__.update().values(last_seen_at=then, created_at=then))
    assert client.get("/api/v1/me").status_code == 401


def test_signing_out_ends_the_session(as_user, world):
    nurse = as_user(world.nurse)
    assert nurse.delete("/api/v1/session").status_code == 204
    nurse.cookies.clear()
    assert nurse.get("/api/v1/me").status_code == 401


def test_repeated_failed_sign_ins_are_slowed_to_a_429(make_client, world):
    client = make_client()
    for _ in range(5):
        assert client.post("/api/v1/session", json={"email": world.nurse.email, "password": "wrong"}).status_code == 401
    response = client.post("/api/v1/session", json={"email": world.nurse.email, "password": "wrong again"})
    _problem(response, 429, "password")  # the right password still signs in: test_sign_in_and_passwords.py


def test_an_unknown_email_and_a_wrong_password_look_the_same(make_client, world):
    client = make_client()
    unknown = client.post("/api/v1/session", json={"email": "nobody@example.org", "password": "whatever"})
    wrong = client.post("/api/v1/session", json={"email": world.nurse.email, "password": "whatever"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_a_switched_off_account_cannot_sign_in_and_loses_its_sessions(as_user, world):
    nurse = as_user(world.nurse)
    admin = as_user(world.admin)
    assert admin.patch(f"/api/v1/users/{world.nurse.user_id}", json={"active": False}).status_code == 200
    assert nurse.get("/api/v1/me").status_code == 401


def test_the_caseload_lists_the_team_patients_only(as_user, world):
    nurse, stranger = as_user(world.nurse), as_user(world.stranger)
    assert {p["name"] for p in nurse.get("/api/v1/patients").json()["patients"]} == {"Able, Alice", "Baker, Bella"}
    assert stranger.get("/api/v1/patients").json()["total"] == 0
    assert nurse.get("/api/v1/patients", params={"q": "bak"}).json()["total"] == 1
    assert nurse.get("/api/v1/patients", params={"q": "943 476 5919"}).json()["patients"][0]["name"] == "Able, Alice"


def test_the_openapi_document_describes_every_kind(make_client):
    paths = make_client().get("/api/v1/openapi.json").json()["paths"]
    for slug in RECORD_KINDS:
        assert f"/api/v1/patients/{{patient_id}}/{slug}" in paths


def test_the_caseload_shows_current_treatment_last_check_in_and_next_appointment(as_user, world):
    nurse = as_user(world.nurse)
    for starts in ("2031-02-01T10:00:00+00:00", "2030-06-01T09:00:00+00:00", "2020-01-01T09:00:00+00:00"):
        nurse.post(api("appointments", world.patient_a), json={"starts_at": starts, "kind": "oncology_clinic"})
    for when in ("2026-01-05T08:00:00+00:00", "2026-02-05T08:30:00+00:00"):
        nurse.post(api("check-ins", world.patient_a), json={"submitted_at": when, "burden": {"pain": 1}})
    rows = {p["name"]: p for p in nurse.get("/api/v1/patients").json()["patients"]}
    alice = rows["Able, Alice"]
    assert alice["current_treatment"] == "Anastrozole"
    assert alice["last_check_in"] == "2026-02-05T08:30:00+00:00"
    assert alice["next_appointment"] == "2030-06-01T09:00:00+00:00"  # the earliest still to come
