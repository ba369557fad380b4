"""One person can never see or change another patient's record, through any route.

The routes are read from the app itself, so a route added later is covered (or this test fails
until someone says how to call it).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest

from alongside.domain import accounts, messages, monitoring, services
from alongside.domain.accounts import SessionPolicy
from alongside.domain.monitoring import MonitoringSettings
from alongside.domain.people import SYSTEM, AcceptInvitation, CarerInvitation
from alongside.domain.records import RECORD_KINDS
from alongside.domain.transfer import export_record

from ..factories import PASSWORD, sample

OUTSIDERS = ["alice", "carer", "stranger"]  # patient A, A's carer, a clinician of another team
KNOWN_PARAMETERS = {"patient_id", "entry_id", "slug", "carer_id", "check_in_id", "document_id", "nct_id", "thread_id",
                    "medication_id", "photo_id"}
NCT_ID = "NCT01234567"  # a trial's registry id: public, and the same whoever asks


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
        url = url.replace("{nct_id}", NCT_ID)
        url = url.replace("{thread_id}", str(world.entries_b.get("messages", uuid.uuid4())))
        url = url.replace("{medication_id}", str(world.entries_b.get("medicines", uuid.uuid4())))  # B's own
        # A photo id under B's real thread: the thread's owner is what is checked first.
        url = url.replace("{photo_id}", str(world.entries_b.get("message-photos", uuid.uuid4())))
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


def give_b_a_message(new_uow, world, text: str = "A question for my team") -> None:
    """B's own thread, so that a message page or operation has a real thread of hers to refuse."""
    with new_uow() as uow:
        bella = accounts.actor_for(uow.users.get(world.bella.user_id))
        world.entries_b["messages"] = messages.send_message(uow, bella, world.patient_b, {"text": text}, None,
                                                            MonitoringSettings()).entry.id
        uow.commit()


def record_of_b(new_uow, world) -> dict:
    with new_uow() as uow:
        return export_record(uow, SYSTEM, world.patient_b)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_page_gives_an_outsider_patient_b(app, as_user, new_uow, world, who):
    client = as_user(getattr(world, who))
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    give_b_a_message(new_uow, world)
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


ADMINISTRATORS_TEAM_PAGES = {"/teams/{team_id}/settings"}


@pytest.mark.parametrize("who", OUTSIDERS + ["admin"])
def test_no_team_page_gives_an_outsider_the_team_of_patient_b(app, as_user, world, who):
    """Pages about a team (its response times) are its clinicians' only; an administrator reads no
    patient data, though she keeps the team's settings (where alerts go: no record's data)."""
    client = as_user(getattr(world, who))
    paths = [r.path for r in every_route(app.routes) if "{team_id}" in getattr(r, "path", "") and not r.path.startswith("/api/")
             and "GET" in r.methods]
    assert paths, "no team page found: this test has nothing to check"
    for path in paths:
        response = client.get(path.replace("{team_id}", str(world.team_id)))
        kept_by_admin = who == "admin" and path in ADMINISTRATORS_TEAM_PAGES
        assert response.status_code in ((200,) if kept_by_admin else (403, 404)), f"{who} GET {path} -> {response.status_code}"
        assert "Baker" not in response.text


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
    give_b_a_message(new_uow, world)
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


# --- Every /api/v1 operation, with good bodies and bad, as everyone without a part in B's record ---

API_PARAMETERS = {"patient_id", "entry_id", "alert_id", "user_id", "team_id", "nct_id", "thread_id", "photo_id"}
NAMING_A_RECORD = ("{patient_id}", "{alert_id}")  # the paths whose answer must not depend on the record existing
# The administrator manages accounts: their names and emails are hers to see (issue 13 item 2 took
# out which record an account opens). Nothing of the record itself is.
ACCOUNT_PATHS = {"/api/v1/users", "/api/v1/users/{user_id}"}
NOT_CALLED = {("DELETE", "/api/v1/session"): "it signs the caller out, and reads nothing of anyone's"}
OTHER_BODIES = {
    "/api/v1/session": {"email": "spy@example.org", "password": "not the password"},
    "/api/v1/patients": {"given_name": "X", "family_name": "Y", "date_of_birth": "1970-01-01"},
    "/api/v1/users": {"email": "spy@example.org", "display_name": "Spy", "role": "carer",
                      "password": "long enough password"},
    "/api/v1/users/{user_id}": {"active": True},
    "/api/v1/teams": {"name": "Spies"},
    "/api/v1/teams/{team_id}/settings": {"notify_email": "spy@example.org"},
    "/api/v1/alerts/{alert_id}/acknowledge": {"version": 1},
    "/api/v1/alerts/{alert_id}/resolve": {"version": 1, "outcome": "advice_given", "notes": "Spoke to her"},
}
CSV = "taken_on,test,value,unit\n2025-01-09,Neutrophils,1.2,10*9/L\n"


@dataclass
class Target:
    """Whose ids fill a path: patient B's, or ids that are no one's."""

    patient_id: uuid.UUID
    entries: dict[str, uuid.UUID]
    alert_id: uuid.UUID


@pytest.fixture
def secrets_of_b(world, new_uow) -> tuple[list[str], list[str], Target]:
    """B's record given things only it holds: her own email, a carer's, words in her entries and an
    alert. Returns what an account's administrator may see, what no outsider may, and B's ids."""
    with new_uow() as uow:
        bella = accounts.actor_for(uow.users.get(world.bella.user_id))
        patient = uow.patients.get(world.patient_b)
        services.update_patient(uow, SYSTEM, world.patient_b,
                                patient.details.model_copy(update={"email": "bella.home@example.org"}), patient.version)
        token = accounts.invite_carer(uow, bella, world.patient_b,
                                      CarerInvitation(email="bert.brother@example.org", access="read"), SessionPolicy())
        accounts.accept_invitation(uow, token, AcceptInvitation(display_name="Bert Brother", password=PASSWORD))
        services.add_entry(uow, bella, world.patient_b, "questions",
                           {"kind": "question", "text": "Could the Zanzibar study take me?", "added_on": "2025-01-07"})
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        monitoring.submit_check_in(uow, nurse, world.patient_b, {"red_flags": {"bleeding": True},
                                                                 "free_text": "an ache behind my left knee"},
                                   None, MonitoringSettings())
        alert_id = uow.alerts.for_patient(world.patient_b)[0].id
        uow.commit()
    give_b_a_message(new_uow, world, "Quixotic hives on my ankle since Tuesday")
    record = ["9990000018", "bella.home@example.org", "Zanzibar", "left knee", "Quixotic"]
    accounts_of_b = ["Bella", "Baker", "bella@example.org", "Bert Brother", "bert.brother@example.org"]
    return accounts_of_b, record, Target(world.patient_b, world.entries_b, alert_id)


def api_operations(app) -> list[tuple[str, str, dict]]:
    """Every operation of the OpenAPI document under /api/v1, so a route added later is called
    too (or this test fails until someone says how to fill its path)."""
    operations = []
    for path, methods in app.openapi()["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        unknown = set(re.findall(r"{(\w+)}", path)) - API_PARAMETERS
        assert not unknown, f"{path}: teach this test how to fill {unknown}"
        operations += [(method.upper(), path, operation) for method, operation in methods.items()
                       if (method.upper(), path) not in NOT_CALLED]
    return operations


def fill(path: str, world, target: Target) -> tuple[str, str | None]:
    parts = path.split("/")
    slug = parts[5] if len(parts) > 5 and parts[5] in RECORD_KINDS else None
    ids = {"patient_id": target.patient_id, "entry_id": target.entries.get(slug, uuid.uuid4()),
           "alert_id": target.alert_id, "user_id": world.bella.user_id, "team_id": world.team_id,
           "nct_id": NCT_ID, "thread_id": target.entries.get("messages", uuid.uuid4()),
           "photo_id": target.entries.get("message-photos", uuid.uuid4())}
    return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path), slug


def nobodys() -> Target:
    return Target(uuid.uuid4(), {slug: uuid.uuid4() for slug in RECORD_KINDS}, uuid.uuid4())


def requests_for(method: str, path: str, operation: dict, url: str, slug: str | None, world) -> dict[str, dict]:
    """The request made with good values, then with each kind of bad one: keyword arguments for
    the client's `request`, by a name to tell them apart."""
    queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        good = {"params": {"version": 1} if method == "DELETE" else {}}
        return {"good": good, "bad query": {"params": {name: "x" * 300 for name in queries + ["version"]}}}
    if "application/json" not in content:  # an import: a file of results
        return {"good": {"content": CSV, "headers": {"content-type": "text/csv"}},
                "a form": {"data": {"taken_on": "2025-01-09"}},
                "not UTF-8": {"content": b"\xff\xfe\x00", "headers": {"content-type": "text/csv"}}}
    good = OTHER_BODIES.get(path) or payload(url, slug, world)
    if method == "POST":
        good = {k: v for k, v in good.items() if k != "version"} if slug else good
    wrong_types = {k: {"not": ["this"]} for k in good} | {"version": "one"}
    return {
        "good": {"json": good},
        "missing fields": {"json": {}},
        "wrong types": {"json": wrong_types, "headers": {"Idempotency-Key": "x" * 300}},
        "a bad email": {"json": good | {k: "not an email" for k in good if "email" in k} | {"email": "not an email"}},
        "over-long strings": {"json": {k: "x" * 5000 if isinstance(v, str) else v for k, v in good.items()}},
        "not JSON": {"content": b'[{"given_name": ', "headers": {"content-type": "application/json"}},
    }


def answer(response) -> tuple:
    """What a response tells, less the address it echoes."""
    try:
        body = response.json()
    except ValueError:
        return response.status_code, response.text
    if isinstance(body, dict):
        body.pop("instance", None)
    return response.status_code, body


@pytest.mark.parametrize("who", OUTSIDERS + ["admin", "nobody"])
def test_no_api_operation_tells_an_outsider_anything_of_patient_b(app, make_client, as_user, new_uow, world, engine,
                                                                   secrets_of_b, who):
    """Issue 13 item 5. Every operation of the API, with a good request and with bad ones, as
    patient A, A's carer, a clinician of another team, the administrator and someone not signed
    in: nothing of B's comes back, a path naming B's record is answered exactly as one naming no
    one's, and each refusal is in B's audit log."""
    client = make_client() if who == "nobody" else as_user(getattr(world, who))
    accounts_of_b, record, target = secrets_of_b
    before = record_of_b(new_uow, world)
    called = 0
    for method, path, operation in api_operations(app):
        url, slug = fill(path, world, target)
        unknown_url, _ = fill(path, world, nobodys())
        names_a_record = any(name in path for name in NAMING_A_RECORD)
        for variant, request in requests_for(method, path, operation, url, slug, world).items():
            where = f"{who} {method} {path} with {variant}"
            refused_before = refusals_of(engine, world.patient_b)
            response = client.request(method, url, **request)
            assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
            secrets = record if who == "admin" and path in ACCOUNT_PATHS else record + accounts_of_b
            leaked = [s for s in secrets if s in response.text]
            assert not leaked, f"{where} showed {leaked}"
            called += 1
            if not names_a_record:
                continue
            assert answer(response) == answer(client.request(method, unknown_url, **request)), \
                f"{where}: answered otherwise than for a record that does not exist"
            if who == "nobody":
                assert response.status_code in (401, 422), f"{where} -> {response.status_code}"
            elif variant != "not JSON":
                # bad JSON is refused before any route's code runs: alike for every id, and no one's record read
                assert response.status_code in (403, 404), f"{where} -> {response.status_code} {response.text[:300]}"
                assert refusals_of(engine, world.patient_b) > refused_before, f"{where}: refusal not audited"
    assert called >= 2 * len(api_operations(app)) >= 2 * 5 * len(RECORD_KINDS)  # each good and bad, every kind
    assert record_of_b(new_uow, world) == before
