"""Accounts and sessions through the real app and database (issue 13, items 10-13): sign-in
throttling that never refuses the right password, the client address behind proxies, links built
from the public URL, and passwords that are not easy to guess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alongside.domain import accounts
from alongside.domain.accounts import SessionPolicy
from alongside.domain.errors import InvalidInput, NotSignedIn, TooManyAttempts
from alongside.store import tables as t
from alongside.web.app import create_app
from alongside.web.settings import Settings

from tests.browser.support import free_port

from ..factories import PASSWORD

SESSION = "/api/v1/session"
POLICY = SessionPolicy()


def _wrong(client: TestClient, email: str, **headers: str):
    return client.post(SESSION, json={"email": email, "password": "not the password at all"}, headers=headers)


def _clients_counted(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(t.SignInAttemptRow.client)))


# --- 10. Lock-out by anyone -------------------------------------------------------------------

def _signed_in_before(make_client, person) -> TestClient:
    """Her own browser, which has signed in before and so holds its device cookie."""
    own = make_client()
    assert own.post(SESSION, json={"email": person.email, "password": PASSWORD}).status_code == 200
    assert own.cookies.get("alongside_device")
    return own


def test_five_wrong_passwords_for_an_email_do_not_refuse_the_right_one_from_her_own_browser(make_client, world):
    own = _signed_in_before(make_client, world.nurse)
    guesser = make_client()
    for _ in range(POLICY.max_failures_per_email):
        assert _wrong(guesser, world.nurse.email).status_code == 401
    slowed = _wrong(guesser, world.nurse.email)
    assert slowed.status_code == 429 and 0 < int(slowed.headers["Retry-After"]) <= 15 * 60
    assert "Try again in" in slowed.json()["detail"]
    # The guesser is stopped even when a guess is right: otherwise the limit would stop nobody.
    assert guesser.post(SESSION, json={"email": world.nurse.email, "password": PASSWORD}).status_code == 429
    right = own.post(SESSION, json={"email": world.nurse.email, "password": PASSWORD})
    assert right.status_code == 200, right.text  # it used to be 429 for 15 minutes: anyone could lock her out


def test_the_sign_in_page_also_lets_the_right_password_in_after_failures(make_client, world):
    client = _signed_in_before(make_client, world.nurse)
    csrf = client.get("/sign-in").text.split('name="csrf_token" value="')[1].split('"')[0]
    for _ in range(POLICY.max_failures_per_email + 1):
        client.post("/sign-in", data={"csrf_token": csrf, "email": world.nurse.email, "password": "wrong wrong wrong"})
    response = client.post("/sign-in", data={"csrf_token": csrf, "email": world.nurse.email, "password": PASSWORD})
    assert response.status_code == 303


def test_21_failures_from_one_address_do_not_block_the_right_password_of_anyone_behind_it(make_client, world):
    colleagues = {person.email: _signed_in_before(make_client, person) for person in (world.nurse, world.alice)}
    client = make_client()
    for index in range(POLICY.max_failures_per_client):
        assert _wrong(client, f"guess{index}@example.org").status_code == 401
    assert _wrong(client, "one.more@example.org").status_code == 429  # the 21st wrong one is slowed
    for email, browser in colleagues.items():  # colleagues behind the same hospital proxy still get in
        assert browser.post(SESSION, json={"email": email, "password": PASSWORD}).status_code == 200
    # A browser new to the account waits out the window while the address is being used to guess.
    assert client.post(SESSION, json={"email": world.nurse.email, "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("attempts", [12])
def test_concurrent_wrong_attempts_get_no_more_past_the_limit_than_it_allows(new_uow, world, attempts):
    """Each attempt in its own thread and transaction, all at once: counted one after another,
    exactly `max_failures_per_email` are told "do not match" and the rest are slowed."""
    start, outcomes, lock = threading.Barrier(attempts), [], threading.Lock()

    def attempt(index: int) -> None:
        with new_uow() as uow:
            start.wait()
            try:
                accounts.sign_in(uow, world.nurse.email, f"wrong guess {index}", f"10.0.0.{index}", POLICY)
                outcome = "signed in"
            except NotSignedIn:
                outcome = "counted"
            except TooManyAttempts:
                outcome = "slowed"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == attempts
    assert outcomes.count("counted") == POLICY.max_failures_per_email
    assert outcomes.count("slowed") == attempts - POLICY.max_failures_per_email
    with new_uow() as uow:
        with pytest.raises(TooManyAttempts):  # the right password from a browser new to the account
            accounts.sign_in(uow, world.nurse.email, PASSWORD, "10.0.0.99", POLICY)
        email, stored_hash = world.nurse.email, uow.users.credentials(world.nurse.email)[1]
        own = accounts.device_token(uow.users.credentials(email)[0].id, stored_hash)
        signed_in = accounts.sign_in(uow, email, PASSWORD, "10.0.0.99", POLICY, device=own)
        assert signed_in.user.email == world.nurse.email


# --- 11. X-Forwarded-For from anyone ----------------------------------------------------------

def test_with_no_trusted_proxy_x_forwarded_for_is_ignored_and_the_peer_is_counted(make_client, engine, world):
    client = make_client()
    for index in range(POLICY.max_failures_per_client):
        assert _wrong(client, f"guess{index}@example.org", **{"X-Forwarded-For": f"203.0.113.{index}"}).status_code == 401
    # A new address in the header every time does not reset the count: it is the connection's.
    assert _wrong(client, "one.more@example.org", **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    assert _clients_counted(engine) == {"testclient"}


def test_a_named_proxy_is_believed(database_url, engine, world):
    app = create_app(Settings(database_url=database_url, cookie_secure=False, forwarded_allow_ips=("testclient",)))
    try:
        with TestClient(app) as client:
            assert _wrong(client, world.nurse.email, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 401
    finally:
        app.state.engine.dispose()
    assert _clients_counted(engine) == {"203.0.113.7"}


def test_alongside_serve_believes_no_proxy_unless_told(database_url, engine, world, tmp_path):
    """uvicorn on its own believes X-Forwarded-For from 127.0.0.1; `alongside serve` does not."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ALONGSIDE_DATABASE_URL": database_url, "ALONGSIDE_MONITOR_INTERVAL": "0"}
    env.pop("ALONGSIDE_FORWARDED_ALLOW_IPS", None)
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "alongside.cli", "serve", "--host", "127.0.0.1",
                                    "--port", str(port), "--insecure-cookies"], env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        answer = httpx.post(base + SESSION, json={"email": world.nurse.email, "password": "not the password"},
                            headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30)
        assert answer.status_code == 401, answer.text
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert _clients_counted(engine) == {"127.0.0.1"}


# --- 12. Links from the Host header -----------------------------------------------------------

def test_a_request_for_an_unknown_host_is_refused(make_client):
    assert make_client().get("/sign-in", headers={"Host": "evil.example"}).status_code == 400
    assert make_client().get("/sign-in").status_code == 200


def test_an_invitation_link_starts_with_the_public_url_whatever_the_host(database_url, engine, world):
    public = "https://alongside.example"
    app = create_app(Settings(database_url=database_url, cookie_secure=False, public_url=public))
    try:
        with TestClient(app, base_url="http://testserver") as alice:
            alice.headers["X-CSRF-Token"] = alice.post(SESSION, json={"email": world.alice.email,
                                                                       "password": PASSWORD}).json()["csrf_token"]
            link = alice.post(f"/api/v1/patients/{world.patient_a}/carer-invitations",
                              json={"email": "dana@example.org", "access": "read"}).json()["link"]
            assert link.startswith(public + "/invitations/")
            page = alice.post(f"/patients/{world.patient_a}/carers",
                              data={"csrf_token": alice.headers["X-CSRF-Token"], "email": "erin@example.org",
                                    "access": "read"})
            assert page.status_code == 200, page.text
            assert public + "/invitations/" in page.text and "testserver/invitations" not in page.text
            assert alice.get("/sign-in", headers={"Host": "alongside.example"}).status_code == 200
            assert alice.get("/sign-in", headers={"Host": "evil.example"}).status_code == 400
    finally:
        app.state.engine.dispose()


# --- 13. Guessable passwords ------------------------------------------------------------------

COMMON = "This password is too easy to guess: it is on lists of common passwords"
OWN = "This password is too easy to guess: it is built from your name or email"


@pytest.mark.parametrize("password, reason", [
    ("password1234", COMMON),
    ("qwertyuiop123", COMMON),
    ("dot.day@example.org", OWN),
    ("dotday1980!!", OWN),
])
def test_the_team_cannot_give_a_guessable_first_password(as_user, world, password, reason):
    nurse = as_user(world.nurse)
    other = nurse.post("/api/v1/patients", json={"given_name": "Dot", "family_name": "Day",
                                                 "date_of_birth": "1980-01-01"}).json()
    response = nurse.post(f"/api/v1/patients/{other['id']}/account",
                          json={"email": "dot.day@example.org", "password": password})
    assert response.status_code == 422, response.text
    assert reason in response.text and response.json()["field"] == "password"


def test_a_password_built_from_her_name_is_refused_when_her_sign_in_is_opened(as_user, world):
    nurse = as_user(world.nurse)
    other = nurse.post("/api/v1/patients", json={"given_name": "Dorothea", "family_name": "Dayton",
                                                 "date_of_birth": "1980-01-01"}).json()
    response = nurse.post(f"/api/v1/patients/{other['id']}/account",
                          json={"email": "dd@example.org", "password": "DorotheaDayton1"})
    assert response.status_code == 422 and OWN in response.text


def test_an_administrator_cannot_give_a_guessable_password(as_user, world):
    admin = as_user(world.admin)
    response = admin.post("/api/v1/users", json={"email": "nora.nurse@example.org", "display_name": "Nora Nurse",
                                                 "role": "clinician", "password": "nora.nurse2026"})
    assert response.status_code == 422 and OWN in response.text
    response = admin.post("/api/v1/users", json={"email": "nora.nurse@example.org", "display_name": "Nora Nurse",
                                                 "role": "clinician", "password": "password1234"})
    assert response.status_code == 422 and COMMON in response.text
    good = admin.post("/api/v1/users", json={"email": "nora.nurse@example.org", "display_name": "Nora Nurse",
                                             "role": "clinician", "password": PASSWORD})
    assert good.status_code == 201, good.text


def test_a_carer_accepting_an_invitation_is_told_why_on_the_form(as_user, make_client, world):
    alice = as_user(world.alice)
    link = alice.post(f"/api/v1/patients/{world.patient_a}/carer-invitations",
                      json={"email": "dana.dunn@example.org", "access": "read"}).json()["link"]
    token = link.rsplit("/", 1)[1]
    carer = make_client()
    page = carer.get(f"/invitations/{token}")
    for password, reason in (("dana.dunn@example.org", OWN), ("password1234", COMMON)):
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        page = carer.post(f"/invitations/{token}", data={"csrf_token": csrf, "display_name": "Dana", "password": password})
        assert page.status_code == 422 and reason in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert carer.post(f"/invitations/{token}", data={"csrf_token": csrf, "display_name": "Dana",
                                                     "password": PASSWORD}).status_code == 303


def test_changing_a_password_refuses_a_guessable_one(new_uow, world):
    with new_uow() as uow:
        user = uow.users.get(world.nurse.user_id)
        with pytest.raises(InvalidInput) as refused:
            accounts.change_password(uow, accounts.actor_for(user), PASSWORD, user.email)
        assert OWN in str(refused.value) and refused.value.field == "new_password"


def test_the_factories_and_demo_passwords_pass(world):
    from alongside.demo import LOGINS
    from alongside.domain.passwords import password_problem

    assert password_problem(PASSWORD, email=world.nurse.email, name="Nina Nurse") is None
    assert all(password_problem(login.password, email=login.email) is None for login in LOGINS)
