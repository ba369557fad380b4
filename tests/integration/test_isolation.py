"""One person can never see or change another patient's record, through any route.

The routes are read from the app itself, so a route added later is covered (or this test fails
until someone says how to call it).
"""

from __future__ import annotations

import re
import uuid

import pytest

from alongside.domain.people import SYSTEM
from alongside.domain.records import RECORD_KINDS
from alongside.domain.transfer import export_record

from ..factories import sample

OUTSIDERS = ["alice", "carer", "stranger"]  # patient A, A's carer, a clinician of another team
KNOWN_PARAMETERS = {"patient_id", "entry_id", "slug", "carer_id", "check_in_id", "document_id"}


def every_route(routes) -> list:
    """All routes, including those of included routers (newer FastAPI nests them)."""
    found = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        found.extend(every_route(nested.routes) if nested is not None else [route])
    return found


def patient_routes(app) -> list[tuple[str, str]]:
    routes = []
    for route in every_route(app.routes):
        if "{patient_id}" not in getattr(route, "path", ""):
            continue
        unknown = set(re.findall(r"{(\w+)}", route.path)) - KNOWN_PARAMETERS
        assert not unknown, f"{route.path}: teach this test how to fill {unknown}"
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, route.path))
    return routes


def expand(path: str, world) -> list[tuple[str, str | None]]:
    """Concrete URLs for a route pattern, aimed at patient B, with the kind each one touches."""
    parts = path.split("/") + [""]
    slugs = [parts[5 if path.startswith("/api") else 3]] if "{slug}" not in path else list(RECORD_KINDS)
    urls = []
    for slug in slugs:
        slug = slug if slug in RECORD_KINDS else None
        url = path.replace("{patient_id}", str(world.patient_b)).replace("{slug}", slug or "")
        url = url.replace("{entry_id}", str(world.entries_b.get(slug, uuid.uuid4())))
        url = url.replace("{carer_id}", str(world.carer.user_id))
        url = url.replace("{check_in_id}", str(world.entries_b["check-ins"]))
        url = url.replace("{document_id}", str(world.entries_b.get("care-documents", uuid.uuid4())))
        urls.append((url, slug))
    return urls


def payload(url: str, slug: str | None, world) -> dict:
    """A valid body for the route, so that the authorisation check is what refuses it."""
    if slug is not None:
        return {**sample(slug, world.course_b), "version": 1}
    if url.endswith("/account"):
        return {"email": "spy@example.org", "password": "long enough password"}
    if "carer" in url:
        return {"email": "spy@example.org", "access": "read_check_in"}
    if url.endswith("cancer-profile") or url.endswith("cancer-profile/edit"):
        return {"her2_status": "positive", "version": 1}
    return {"given_name": "X", "family_name": "Y", "date_of_birth": "1970-01-01", "version": 1}


def record_of_b(new_uow, world) -> dict:
    with new_uow() as uow:
        return export_record(uow, SYSTEM, world.patient_b)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_api_route_gives_an_outsider_patient_b(app, as_user, new_uow, world, who):
    client = as_user(getattr(world, who))
    before = record_of_b(new_uow, world)
    checked = 0
    for method, path in patient_routes(app):
        if not path.startswith("/api/"):
            continue
        for url, slug in expand(path, world):
            body = payload(url, slug, world)
            if method == "POST":
                body.pop("version", None)
            response = client.request(method, url, json=body if method in ("POST", "PUT") else None,
                                      params={"version": 1} if method == "DELETE" else None)
            assert response.status_code in (403, 404), f"{who} {method} {url} -> {response.status_code} {response.text[:300]}"
            assert "Baker" not in response.text and "Bella" not in response.text
            checked += 1
    assert checked >= 5 * len(RECORD_KINDS)
    assert record_of_b(new_uow, world) == before


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_page_gives_an_outsider_patient_b(app, as_user, new_uow, world, who):
    client = as_user(getattr(world, who))
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    before = record_of_b(new_uow, world)
    for method, path in patient_routes(app):
        if path.startswith("/api/"):
            continue
        for url, slug in expand(path, world):
            form = {k: str(v) for k, v in payload(url, slug, world).items()} | {"csrf_token": csrf}
            response = client.request(method, url, data=form if method == "POST" else None)
            assert response.status_code in (403, 404), f"{who} {method} {url} -> {response.status_code} {response.text[:300]}"
            assert "Baker" not in response.text
    assert record_of_b(new_uow, world) == before


def test_only_clinicians_see_a_caseload_and_only_admins_manage_accounts(as_user, world):
    alice, carer, nurse = as_user(world.alice), as_user(world.carer), as_user(world.nurse)
    for client in (alice, carer):
        assert client.get("/api/v1/patients").status_code == 403
        assert client.get("/caseload").status_code == 403
    for client in (alice, carer, nurse):
        assert client.get("/api/v1/users").status_code == 403
        assert client.get("/admin/users").status_code == 403
        assert client.post("/api/v1/users", json={"email": "x@example.org", "display_name": "X", "role": "admin",
                                                  "password": "long enough password"}).status_code == 403


def test_an_administrator_cannot_read_clinical_records(as_user, world):
    admin = as_user(world.admin)
    assert admin.get(f"/api/v1/patients/{world.patient_b}").status_code == 404
    assert admin.get(f"/patients/{world.patient_b}").status_code == 404


def test_the_patient_and_her_team_do_see_her_record(as_user, world):
    for person in (world.bella, world.nurse):
        response = as_user(person).get(f"/patients/{world.patient_b}")
        assert response.status_code == 200
        assert "Bella" in response.text


def invalid(body: dict) -> dict:
    """The same form with every answer wrong: validation must not run before the check does."""
    return {k: "" for k in body} | {"email": "bad", "password": "short", "given_name": "", "date_of_birth": "1970-13-45",
                                    "her2_status": "nonsense", "version": "1"}


def refusals_of(engine, patient_id) -> int:
    from sqlalchemy import func, select

    from alongside.store import tables as t

    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(t.AuditEventRow).where(
            t.AuditEventRow.patient_id == patient_id, t.AuditEventRow.action.like("%:refused")))


@pytest.mark.parametrize("who", OUTSIDERS + ["admin"])
def test_no_page_gives_an_outsider_patient_b_even_with_an_invalid_form(app, as_user, new_uow, world, engine, who):
    """Issue 13 item 1: a bad form posted to B's pages once came back with B's name, her carers'
    emails or her sign-in email, unaudited. Every refusal is now audited and shows nothing of hers."""
    client = as_user(getattr(world, who))
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    before = record_of_b(new_uow, world)
    secrets_of_b = ["Bella", "Baker", "9990000018", world.bella.email]
    posted = 0
    for method, path in patient_routes(app):
        if path.startswith("/api/") or method != "POST":
            continue
        for url, slug in expand(path, world):
            refused_before = refusals_of(engine, world.patient_b)
            form = invalid(payload(url, slug, world)) | {"csrf_token": csrf}
            response = client.post(url, data=form)
            assert response.status_code in (403, 404), f"{who} POST {url} -> {response.status_code} {response.text[:300]}"
            leaked = [s for s in secrets_of_b if s in response.text]
            assert not leaked, f"{who} POST {url} showed {leaked}"
            assert refusals_of(engine, world.patient_b) > refused_before, f"{who} POST {url}: refusal not audited"
            posted += 1
    assert posted >= len(RECORD_KINDS)
    assert record_of_b(new_uow, world) == before


def test_an_administrator_cannot_open_a_record_by_making_a_patient_login_for_it(as_user, make_client, world):
    """Issue 13 item 2: an administrator made a patient login for A's record, signed in as it
    and exported the record. Only her own team opens a patient's sign-in."""
    admin = as_user(world.admin)
    refused = admin.post("/api/v1/users", json={"email": "spy@example.org", "display_name": "Spy", "role": "patient",
                                                 "patient_id": str(world.patient_a), "password": "long enough password"})
    assert refused.status_code == 422 and refused.json()["field"] == "role", refused.text
    linked = admin.post("/api/v1/users", json={"email": "spy2@example.org", "display_name": "Spy", "role": "carer",
                                                "patient_id": str(world.patient_a), "password": "long enough password"})
    assert linked.status_code == 422
    spy = make_client()
    assert spy.post("/api/v1/session", json={"email": "spy@example.org", "password": "long enough password"}).status_code == 401
    listed = admin.get("/api/v1/users")
    assert listed.status_code == 200 and str(world.patient_a) not in listed.text and str(world.patient_b) not in listed.text
    registered = admin.post("/api/v1/patients", json={"given_name": "New", "family_name": "Person",
                                                       "date_of_birth": "1970-01-01"})
    assert registered.status_code == 403
