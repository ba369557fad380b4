"""The audit trail records every read and write of patient data; carers see what they were given."""

from __future__ import annotations

from sqlalchemy import select

from alongside.store import tables as t

from ..factories import PASSWORD, sample
from .conftest import sign_in


def audit(engine, patient_id) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(select(t.AuditEventRow.actor_role, t.AuditEventRow.action, t.AuditEventRow.what)
                                  .where(t.AuditEventRow.patient_id == patient_id).order_by(t.AuditEventRow.id))
        return [tuple(r) for r in rows]


def test_reads_and_writes_are_audited_with_who_what_and_which_record(as_user, engine, world):
    nurse = as_user(world.nurse)
    before = len(audit(engine, world.patient_a))
    created = nurse.post(f"/api/v1/patients/{world.patient_a}/scans", json=sample("scans")).json()
    nurse.get(f"/api/v1/patients/{world.patient_a}/scans/{created['id']}")
    nurse.get(f"/patients/{world.patient_a}")
    events = audit(engine, world.patient_a)[before:]
    assert events == [("clinician", "write:granted", "scans"), ("clinician", "read:granted", "scans"),
                      ("clinician", "read:granted", "home"), ("clinician", "read:granted", "alerts"),
                      ("clinician", "read:granted", "supportive-care-prompt"),
                      ("clinician", "read:granted", "result-holds"),
                      ("clinician", "read:granted", "dose-diary"), ("clinician", "read:granted", "medicines")]
    with engine.connect() as connection:
        record_ids = connection.scalars(select(t.AuditEventRow.record_id).where(
            t.AuditEventRow.patient_id == world.patient_a, t.AuditEventRow.what == "scans")).all()
    assert str(record_ids[-1]) == created["id"]


def test_refused_attempts_are_audited_too(as_user, engine, world):
    as_user(world.alice).get(f"/api/v1/patients/{world.patient_b}/lab-results")
    assert ("patient", "read:refused", "lab-results") in audit(engine, world.patient_b)


def test_a_failed_write_leaves_nothing_half_saved(as_user, engine, world):
    nurse = as_user(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/treatment-breaks",
                          json={**sample("treatment-breaks", world.course_b)})  # B's course on A's record
    assert response.status_code == 422
    with engine.connect() as connection:
        assert connection.scalar(select(t.TreatmentBreakRow.id).where(t.TreatmentBreakRow.patient_id == world.patient_a)) is None


def test_a_read_only_carer_reads_but_cannot_write(as_user, world):
    carer = as_user(world.carer)
    assert carer.get(f"/api/v1/patients/{world.patient_a}").json()["given_name"] == "Alice"
    assert carer.post(f"/api/v1/patients/{world.patient_a}/check-ins", json=sample("check-ins")).status_code == 403


def test_a_check_in_carer_writes_check_ins_and_nothing_else(as_user, make_client, world):
    alice = as_user(world.alice)
    link = alice.post(f"/api/v1/patients/{world.patient_a}/carer-invitations",
                      json={"email": "dana@example.org", "access": "read_check_in"}).json()["link"]
    token = link.rsplit("/", 1)[1]
    accept = make_client()
    page = accept.get(f"/invitations/{token}")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = accept.post(f"/invitations/{token}", data={"csrf_token": csrf, "display_name": "Dana", "password": PASSWORD})
    assert response.status_code == 303
    dana = make_client()
    dana.headers.update(sign_in(dana, type("P", (), {"email": "dana@example.org", "password": PASSWORD})))
    assert dana.post(f"/api/v1/patients/{world.patient_a}/check-ins", json=sample("check-ins")).status_code == 201
    assert dana.post(f"/api/v1/patients/{world.patient_a}/goals", json=sample("goals")).status_code == 403
    assert dana.get(f"/api/v1/patients/{world.patient_b}").status_code == 404
    # The link works once.
    again = make_client()
    csrf = again.get(f"/invitations/{token}").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert again.post(f"/invitations/{token}", data={"csrf_token": csrf, "display_name": "Eve",
                                                      "password": PASSWORD}).status_code == 404


def test_only_the_patient_invites_carers(as_user, world):
    for person in (world.nurse, world.carer):
        response = as_user(person).post(f"/api/v1/patients/{world.patient_a}/carer-invitations",
                                        json={"email": "x@example.org", "access": "read"})
        assert response.status_code == 403


def test_the_patient_removes_a_carer(as_user, world):
    alice = as_user(world.alice)
    csrf = alice.headers["X-CSRF-Token"]
    assert alice.post(f"/patients/{world.patient_a}/carers/{world.carer.user_id}/remove",
                      data={"csrf_token": csrf}).status_code == 303
    assert as_user(world.carer).get(f"/api/v1/patients/{world.patient_a}").status_code == 404


def test_the_patient_and_her_team_see_who_used_the_record_and_carers_do_not(as_user, world):
    as_user(world.nurse).get(f"/api/v1/patients/{world.patient_a}/scans")
    log = as_user(world.alice).get(f"/api/v1/patients/{world.patient_a}/access-log")
    assert log.status_code == 200
    newest, *earlier = log.json()
    assert {"actor": "Alice Able", "action": "read:granted", "what": "access-log"}.items() <= newest.items()  # this look
    assert [e["what"] for e in earlier if e["actor"] == "Nina Nurse" and e["action"] == "read:granted"] == ["scans"]
    assert as_user(world.carer).get(f"/api/v1/patients/{world.patient_a}/access-log").status_code == 403
    page = as_user(world.alice).get(f"/patients/{world.patient_a}/access-log")
    assert "Looked at" in page.text and "Nina Nurse" in page.text


def test_the_team_gives_a_patient_one_sign_in(as_user, make_client, world):
    nurse = as_user(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}/account"
    assert nurse.post(url, json={"email": "alice2@example.org", "password": PASSWORD}).status_code == 409  # has one
    other = nurse.post("/api/v1/patients", json={"given_name": "Dot", "family_name": "Day",
                                                 "date_of_birth": "1980-01-01"}).json()
    url = f"/api/v1/patients/{other['id']}/account"
    assert as_user(world.stranger).post(url, json={"email": "dot@example.org", "password": PASSWORD}).status_code == 404
    assert nurse.post(url, json={"email": "dot@example.org", "password": PASSWORD}).status_code == 201
    dot = make_client()
    sign_in(dot, type("P", (), {"email": "dot@example.org", "password": PASSWORD}))
    assert dot.get(f"/api/v1/patients/{other['id']}").json()["given_name"] == "Dot"
