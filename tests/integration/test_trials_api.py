"""The trials API on the real database and app: her matches criterion by criterion, saved trials,
one trial, and the reverse view, each refused to those who may not see it, and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alongside.store import tables as t

from .trials_support import HEREDERA, LUNG, NEOADJUVANT, TNBC, add_two_lines, import_fixture_studies, make_her2_positive


@pytest.fixture
def trials_world(engine, new_uow, world, tmp_path):
    import_fixture_studies(engine, tmp_path)
    make_her2_positive(new_uow, world)
    return world


def audit_actions(new_uow, user_id, what):
    with new_uow() as uow:
        return [r.action for r in uow.db.execute(select(t.AuditEventRow).where(
            t.AuditEventRow.actor_id == user_id, t.AuditEventRow.what == what)).scalars()]


def by_id(body) -> dict:
    return {m["nct_id"]: m for m in body["recruiting"] + body["not_recruiting"]}


def test_her_matches_quote_the_cns_sentence_and_turn_after_two_lines(client_for, trials_world, new_uow):
    alice = client_for(trials_world.alice)
    response = alice.get(f"/api/v1/patients/{trials_world.patient_a}/trials")
    assert response.status_code == 200, response.text
    heredera = by_id(response.json())[HEREDERA]
    assert heredera["verdict"] in ("likely_eligible", "possibly_eligible")
    cns = [c for c in heredera["criteria"] if c["kind"] == "brain_metastases"]
    assert cns and cns[0]["outcome"] == "met" and "CNS" in cns[0]["sentence"]
    assert by_id(response.json())[TNBC]["verdict"] == "not_eligible"
    assert by_id(response.json())[NEOADJUVANT]["verdict"] == "not_eligible"
    body = response.json()
    listed_out = [m for m in body["recruiting"] + body["not_recruiting"] if m["verdict"] == "not_eligible"]
    assert body["not_eligible_recruiting"] + body["not_eligible_not_recruiting"] == len(listed_out)
    add_two_lines(new_uow, trials_world)
    after = by_id(alice.get(f"/api/v1/patients/{trials_world.patient_a}/trials").json())[HEREDERA]
    assert after["verdict"] == "not_eligible"
    failed = [c for c in after["criteria"] if c["outcome"] == "not_met"]
    assert failed and all(c["kind"].startswith("prior") for c in failed)
    assert "read:granted" in audit_actions(new_uow, trials_world.alice.user_id, "trial-profile")


def test_filters_narrow_the_list_and_a_bad_one_is_named(client_for, trials_world):
    alice = client_for(trials_world.alice)
    url = f"/api/v1/patients/{trials_world.patient_a}/trials"
    everything = by_id(alice.get(url).json())
    phase3 = by_id(alice.get(url, params={"phase": "PHASE3"}).json())
    assert phase3 and set(phase3) < set(everything) and all("PHASE3" in m["phases"] for m in phase3.values())
    her2 = by_id(alice.get(url, params={"drug_type": "her2_directed"}).json())
    assert HEREDERA in her2 and TNBC not in her2
    near = by_id(alice.get(url, params={"max_km": 300}).json())
    assert all(m["nearest_site"]["distance_km"] <= 300 for m in near.values())
    bad = alice.get(url, params={"phase": "PHASE9"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "phase" in bad.text


def test_saving_shares_with_the_team_and_unsaving_removes(client_for, trials_world):
    alice, nurse = client_for(trials_world.alice), client_for(trials_world.nurse)
    url = f"/api/v1/patients/{trials_world.patient_a}/saved-trials"
    assert alice.post(url, json={"nct_id": HEREDERA, "share_with_team": False}).status_code == 201
    assert [s["nct_id"] for s in alice.get(url).json()] == [HEREDERA]
    assert nurse.get(url).json() == []  # not shared: the team does not see it
    assert alice.post(url, json={"nct_id": HEREDERA, "share_with_team": True}).status_code == 201
    assert [s["shared_with_team"] for s in nurse.get(url).json()] == [True]
    assert alice.delete(f"{url}/{HEREDERA}").status_code == 204
    assert alice.get(url).json() == []


@pytest.mark.parametrize("body, field", [({"nct_id": "12345"}, "nct_id"), ({"nct_id": "NCT99999999"}, "nct_id"),
                                         ({}, "nct_id"), ({"nct_id": HEREDERA, "note": "x" * 1001}, "note")])
def test_a_bad_save_names_the_field_and_saves_nothing(client_for, trials_world, body, field):
    alice = client_for(trials_world.alice)
    url = f"/api/v1/patients/{trials_world.patient_a}/saved-trials"
    response = alice.post(url, json=body)
    assert response.status_code in (404, 422) and response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert alice.get(url).json() == []


@pytest.mark.parametrize("who", ["bella", "stranger", "admin"])
def test_others_cannot_read_or_save_her_trials(client_for, trials_world, new_uow, who):
    other = client_for(getattr(trials_world, who))
    base = f"/api/v1/patients/{trials_world.patient_a}"
    assert other.get(f"{base}/trials").status_code == 404
    assert other.post(f"{base}/saved-trials", json={"nct_id": HEREDERA}).status_code == 404
    with new_uow() as uow:
        refused = uow.db.scalars(select(t.AuditEventRow.action).where(
            t.AuditEventRow.actor_id == getattr(trials_world, who).user_id,
            t.AuditEventRow.patient_id == trials_world.patient_a)).all()
    assert refused and all(a.endswith("refused") for a in refused)


def test_a_carer_who_reads_may_not_save(client_for, trials_world):
    carer = client_for(trials_world.carer)
    base = f"/api/v1/patients/{trials_world.patient_a}"
    assert carer.get(f"{base}/trials").status_code == 200
    assert carer.post(f"{base}/saved-trials", json={"nct_id": HEREDERA}).status_code == 403


def test_one_trial_with_its_criteria(client_for, trials_world):
    body = client_for(trials_world.alice).get(f"/api/v1/trials/{LUNG}").json()
    assert body["nct_id"] == LUNG and any(c["kind"] == "condition" for c in body["criteria"])
    missing = client_for(trials_world.alice).get("/api/v1/trials/NCT00000000")
    assert missing.status_code == 404 and "nct_id" in missing.text


def test_the_reverse_view_is_for_her_team_only_and_its_caseload(client_for, trials_world, new_uow):
    url = f"/api/v1/trials/{HEREDERA}/candidates"
    body = client_for(trials_world.nurse).get(url).json()
    assert body["caseload_size"] == 2
    found = {c["patient_id"]: c for c in body["candidates"]}
    assert str(trials_world.patient_a) in found
    # Bella's record states no receptors: unknown, so possible, never ruled out; the unknowns decide.
    assert found[str(trials_world.patient_b)]["verdict"] == "possibly_eligible"
    assert {c["outcome"] for c in found[str(trials_world.patient_b)]["deciding"]} == {"unknown"}
    assert client_for(trials_world.stranger).get(url).json()["candidates"] == []  # another team's caseload
    for who in ("alice", "carer", "admin"):
        response = client_for(getattr(trials_world, who)).get(url)
        assert response.status_code == 403, who
        assert "read:refused" in audit_actions(new_uow, getattr(trials_world, who).user_id, "trial-candidates")


def test_the_api_is_in_the_openapi_document(client_for, trials_world):
    paths = client_for(trials_world.alice).get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/patients/{patient_id}/trials", "/api/v1/patients/{patient_id}/saved-trials",
                 "/api/v1/patients/{patient_id}/saved-trials/{nct_id}", "/api/v1/trials/{nct_id}",
                 "/api/v1/trials/{nct_id}/candidates"):
        assert path in paths, path
