"""Staff single sign-on (issue 17, item 9) against a real OpenID provider run by the tests
(tests/oidc/provider.js: panva's oidc-provider), through the real app and database.

Each test walks the provider's own login and consent pages as a browser would, then brings its
answer back to Alongside. The refusals are made by the provider spoiling the ID token on the
wire (tests/oidc_provider.py), or by the answer being tampered with on its way back."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alongside.domain import account_admin, accounts
from alongside.domain.accounts import SessionPolicy
from alongside.domain.errors import NotSignedIn
from alongside.domain.people import SYSTEM, NewTeam, NewUser
from alongside.domain.single_sign_on import ClaimMapping
from alongside.domain.vocab import Role
from alongside.store import tables as t
from alongside.web.app import create_app
from alongside.web.settings import Settings, SingleSignOnSettings
from alongside.web.single_sign_on import COULD_NOT_CHECK, START_AGAIN

from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, TEAM, running_provider

APP = "http://testserver"
PROVIDER_NAME = "Hospital Login"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with running_provider(APP, tmp_path_factory.mktemp("oidc") / "provider.log") as running:
        yield running


def sso_settings(provider, **mapping) -> SingleSignOnSettings:
    return SingleSignOnSettings(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                provider_name=PROVIDER_NAME, scopes=("openid", "email", "profile", "groups"),
                                mapping=ClaimMapping(**mapping))


@pytest.fixture
def make_app(database_url, engine, provider):
    apps = []

    def make(**mapping):
        app = create_app(Settings(database_url=database_url, cookie_secure=False, public_url=APP,
                                  single_sign_on=sso_settings(provider, **mapping)))
        apps.append(app)
        return TestClient(app, base_url=APP, follow_redirects=False)

    yield make
    for app in apps:
        app.state.engine.dispose()


@pytest.fixture
def team(new_uow):
    with new_uow() as uow:
        made = accounts.create_team(uow, SYSTEM, NewTeam(name=TEAM))
        uow.commit()
    return made


def _hidden_and_action(page: str) -> tuple[str, dict[str, str]]:
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page).group(1))
    fields = {name: unescape(value) for name, value in
              re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    return action, fields


def through_provider(client: TestClient, login: str, next_page: str = "/caseload", tamper=None) -> httpx.Response:
    """Start at Alongside, sign in at the provider's own pages as `login`, and bring the answer
    back (through `tamper(query) -> query` if given). Returns Alongside's answer to the callback."""
    start = client.get("/sign-in/oidc", params={"next": next_page})
    assert start.status_code == 303, start.text
    url = start.headers["location"]
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        for _ in range(12):
            if url.startswith(APP):
                break
            response = browser.get(url)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["location"])
                continue
            assert response.status_code == 200, response.text
            action, fields = _hidden_and_action(response.text)
            if 'name="login"' in response.text:
                fields |= {"login": login, "password": "the provider's own check"}
            posted = browser.post(urljoin(url, action), data=fields)
            assert posted.status_code in (302, 303), posted.text
            url = urljoin(url, posted.headers["location"])
    assert url.startswith(APP + "/sign-in/oidc/callback"), url
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    if tamper:
        query = tamper(query)
    return client.get("/sign-in/oidc/callback?" + urlencode(query))


def audit_actions(engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [(r.action, r.what) for r in connection.execute(
            select(t.AuditEventRow.action, t.AuditEventRow.what).order_by(t.AuditEventRow.id))]


def user_and_teams(engine, email: str):
    with engine.connect() as connection:
        user = connection.execute(select(t.UserRow).where(t.UserRow.email == email)).one_or_none()
        teams = set(connection.scalars(select(t.TeamRow.name).join(t.TeamMemberRow, t.TeamMemberRow.team_id == t.TeamRow.id)
                                       .where(t.TeamMemberRow.user_id == user.id))) if user else set()
    return user, teams


def test_a_nurse_whose_groups_name_the_team_gets_a_clinician_account_on_it_and_reaches_the_caseload(
        make_app, team, engine, provider):
    client = make_app()
    answer = through_provider(client, "nurse.sso")
    assert answer.status_code == 303 and answer.headers["location"] == "/caseload", answer.text
    assert client.get("/caseload").status_code == 200
    user, teams = user_and_teams(engine, "nurse.sso@hospital.example")
    assert (user.role, user.display_name, teams) == ("clinician", "Robin Okafor", {TEAM})
    assert [a for a in audit_actions(engine) if a[0].startswith("sso")] == [
        ("sso-create", "user"), ("sso-join-team", "team"), ("sso-sign-in", "session")]


def test_the_pkce_verifier_is_sent_and_matches_the_s256_challenge(make_app, team, provider):
    assert through_provider(make_app(), "nurse.sso").status_code == 303
    seen = provider.last_requests()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(seen["token"]["code_verifier"].encode()).digest()).rstrip(b"=")
    assert seen["authorization"]["code_challenge_method"] == "S256"
    assert seen["authorization"]["code_challenge"] == challenge.decode()
    assert seen["authorization"]["nonce"] and seen["authorization"]["state"]


def test_a_second_sign_in_is_the_same_account(make_app, team, engine):
    through_provider(make_app(), "nurse.sso")
    through_provider(make_app(), "nurse.sso")
    with engine.connect() as connection:
        assert connection.scalar(select(t.UserRow.id).where(t.UserRow.email == "nurse.sso@hospital.example"))
        assert len(list(connection.scalars(select(t.UserIdentityRow.user_id)))) == 1
    assert [a for a, _ in audit_actions(engine)].count("sso-create") == 1


def test_an_account_with_the_verified_email_and_the_same_role_is_linked_not_copied(make_app, team, new_uow, engine):
    with new_uow() as uow:
        made = accounts.create_user(uow, SYSTEM, NewUser(email="nurse.sso@hospital.example", display_name="Robin O",
                                                         role=Role.CLINICIAN, password="a long passphrase for robin"))
        uow.commit()
    assert through_provider(make_app(), "nurse.sso").status_code == 303
    user, teams = user_and_teams(engine, "nurse.sso@hospital.example")
    assert user.id == made.id and teams == {TEAM}
    assert ("sso-link", "user") in audit_actions(engine)


def test_an_administrator_account_with_that_email_is_not_taken_over(make_app, team, new_uow, engine):
    with new_uow() as uow:
        accounts.create_user(uow, SYSTEM, NewUser(email="nurse.sso@hospital.example", display_name="Robin Admin",
                                                  role=Role.ADMIN, password="a long passphrase for robin"))
        uow.commit()
    answer = through_provider(make_app(), "nurse.sso")
    assert answer.status_code == 403 and "cannot be joined" in unescape(answer.text)
    assert ("sso-refused", "email-not-linked") in audit_actions(engine)


@pytest.mark.parametrize("login, reason, words", [
    ("porter", "no-team", "does not name a team"),
    ("no.role", "no-role", "does not give you a role"),
    ("it.admin", "no-role", "does not give you a role"),  # no claim makes an administrator unless configured
])
def test_groups_that_map_to_no_team_or_no_staff_role_are_refused_with_a_clear_page(
        make_app, team, engine, login, reason, words):
    client = make_app()
    answer = through_provider(client, login)
    assert answer.status_code == 403 and words in unescape(answer.text) and "Sign in with Hospital Login" in unescape(answer.text)
    assert client.get("/caseload").status_code == 303  # to the sign-in page: no session
    assert ("sso-refused", reason) in audit_actions(engine)
    assert user_and_teams(engine, f"{login}@hospital.example")[0] is None


def test_an_administrator_by_claim_only_when_the_service_names_the_values(make_app, engine):
    answer = through_provider(make_app(admin_values=("alongside-admin",)), "it.admin", next_page="/admin/users")
    assert answer.status_code == 303
    assert user_and_teams(engine, "it.admin@hospital.example")[0].role == "admin"


def test_unknown_people_are_refused_when_the_service_does_not_create_accounts(make_app, team, engine):
    answer = through_provider(make_app(create_accounts=False), "nurse.sso")
    assert answer.status_code == 403 and "Ask your administrator to make one" in unescape(answer.text)
    assert ("sso-refused", "no-account") in audit_actions(engine)


@pytest.mark.parametrize("spoil, reason", [
    ("signature", "bad-signature"), ("audience", "bad-aud"), ("nonce", "bad-nonce"), ("expired", "bad-exp")])
def test_an_id_token_with_a_bad_signature_audience_nonce_or_expiry_is_refused(
        make_app, team, engine, provider, spoil, reason):
    client = make_app()
    provider.spoil_next_id_token(spoil)
    answer = through_provider(client, "nurse.sso")
    assert answer.status_code == 403 and COULD_NOT_CHECK in unescape(answer.text)
    assert client.get("/caseload").status_code == 303
    assert ("sso-refused", reason) in audit_actions(engine)
    assert user_and_teams(engine, "nurse.sso@hospital.example")[0] is None


def test_an_answer_whose_state_was_changed_is_refused_before_the_code_is_used(make_app, team, engine, provider):
    client = make_app()
    before = provider.last_requests()["token"]
    answer = through_provider(client, "nurse.sso", tamper=lambda q: q | {"state": "made-up-by-an-attacker"})
    assert answer.status_code == 403 and START_AGAIN in unescape(answer.text)
    assert provider.last_requests()["token"] == before  # the code was never swapped for tokens
    assert ("sso-refused", "bad-state") in audit_actions(engine)


def test_an_answer_brought_to_another_browser_is_refused(make_app, team, engine):
    """Login CSRF: an attacker's own code and state, given to a victim's browser, find no sign-in started there."""
    attacker, victim = make_app(), make_app()
    stolen = {}

    def keep(query):
        stolen.update(query)
        return query | {"state": "x"}  # the attacker does not use it

    through_provider(attacker, "nurse.sso", tamper=keep)
    answer = victim.get("/sign-in/oidc/callback?" + urlencode(stolen))
    assert answer.status_code == 403 and START_AGAIN in unescape(answer.text)
    assert victim.get("/caseload").status_code == 303


def test_the_session_expires_and_needs_csrf_like_a_password_session(make_app, team, new_uow):
    client = make_app()
    through_provider(client, "nurse.sso")
    assert client.post("/sign-out").status_code == 403  # no CSRF token
    token = client.cookies.get("alongside_session")
    with new_uow() as uow:
        session, _ = accounts.resume_session(uow, token, SessionPolicy())
        with pytest.raises(NotSignedIn):
            accounts.resume_session(uow, token, SessionPolicy(), now=session.created_at + timedelta(hours=13))


def test_signing_out_ends_the_session_and_offers_the_providers_sign_out(make_app, team, provider):
    client = make_app()
    through_provider(client, "nurse.sso")
    page = client.get("/caseload").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    out = client.post("/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert client.get("/caseload").status_code == 303
    signed_out = client.get(out.headers["location"]).text
    link = unescape(re.search(r'href="([^"]+)">sign out of Hospital Login too', signed_out).group(1))
    assert link.startswith(f"{provider.issuer}/session/end?") and "client_id=alongside" in link


def test_the_button_shows_only_when_single_sign_on_is_set_up(make_app, database_url, engine):
    assert "Sign in with Hospital Login" in make_app().get("/sign-in").text
    plain = create_app(Settings(database_url=database_url, cookie_secure=False))
    try:
        with TestClient(plain, base_url=APP) as client:
            assert "Sign in with" not in client.get("/sign-in").text
            assert client.get("/sign-in/oidc", follow_redirects=False).status_code == 404
    finally:
        plain.state.engine.dispose()


# --- The account behind a provider's identity, through the use case on the real database -------

ISSUER = "https://login.hospital.example"


def _identity(subject: str = "robin", **claims):
    from alongside.domain.single_sign_on import ProviderIdentity
    base = {"email": "robin@hospital.example", "email_verified": True, "name": "Robin",
            "groups": ["alongside-clinician", "alongside-team-secondary-breast-care-demo-hospital"]}
    return ProviderIdentity(ISSUER, subject, base | claims)


def _sign_in(new_uow, identity, mapping=ClaimMapping()):
    from alongside.domain.single_sign_on import sign_in_with_provider
    with new_uow() as uow:
        signed_in = sign_in_with_provider(uow, identity, mapping)
        uow.commit()
    return signed_in.user


def test_a_clinician_moved_to_another_team_leaves_the_old_caseload_at_the_next_sign_in(new_uow, team, engine):
    with new_uow() as uow:
        accounts.create_team(uow, SYSTEM, NewTeam(name="Acute Oncology"))
        uow.commit()
    _sign_in(new_uow, _identity())
    assert user_and_teams(engine, "robin@hospital.example")[1] == {TEAM}
    _sign_in(new_uow, _identity(groups=["alongside-clinician", "alongside-team-acute-oncology"]))
    assert user_and_teams(engine, "robin@hospital.example")[1] == {"Acute Oncology"}
    assert ("sso-leave-team", "team") in audit_actions(engine)


def test_a_role_the_claims_no_longer_give_is_refused_not_changed(new_uow, team, engine):
    from alongside.domain.single_sign_on import SignInRefused
    _sign_in(new_uow, _identity())
    with pytest.raises(SignInRefused) as refused:
        _sign_in(new_uow, _identity(groups=["alongside-admin"]), ClaimMapping(admin_values=("alongside-admin",)))
    assert refused.value.reason == "role-differs"
    assert user_and_teams(engine, "robin@hospital.example")[0].role == "clinician"
    assert ("sso-refused", "role-differs") in audit_actions(engine)


def test_a_switched_off_account_is_refused(new_uow, team, engine):
    from alongside.domain.single_sign_on import SignInRefused
    user = _sign_in(new_uow, _identity())
    with new_uow() as uow:
        admin = accounts.create_user(uow, SYSTEM, NewUser(email="admin@hospital.example", display_name="Admin",
                                                          role=Role.ADMIN, password="a long admin passphrase"))
        account_admin.set_user_active(uow, accounts.actor_for(admin), user.id, False)
        uow.commit()
    with pytest.raises(SignInRefused) as refused:
        _sign_in(new_uow, _identity())
    assert refused.value.reason == "switched-off"


def test_the_same_email_from_another_subject_does_not_open_the_linked_account(new_uow, team, engine):
    """Once linked, an account answers to its issuer and subject only; a second person at the
    provider given the same email (reused, or typed wrongly) is not let into it."""
    from alongside.domain.single_sign_on import SignInRefused
    _sign_in(new_uow, _identity())
    with pytest.raises(SignInRefused):
        _sign_in(new_uow, _identity(subject="someone-else"))
    assert ("sso-refused", "email-not-linked") in audit_actions(engine)


def test_a_person_who_cancels_at_the_provider_is_told_and_nothing_is_swapped(make_app, team, engine, provider):
    before = provider.last_requests()["token"]
    answer = through_provider(make_app(), "nurse.sso",
                              tamper=lambda q: {"error": "access_denied", "state": q["state"], "iss": q["iss"]})
    assert answer.status_code == 403 and "did not sign you in" in unescape(answer.text)
    assert provider.last_requests()["token"] == before
    assert ("sso-refused", "provider-error:access_denied") in audit_actions(engine)


def test_a_provider_that_does_not_answer_is_said_plainly(database_url, engine):
    from tests.browser.support import free_port
    closed = SingleSignOnSettings(issuer=f"http://127.0.0.1:{free_port()}", client_id=CLIENT_ID,
                                  client_secret=CLIENT_SECRET, provider_name=PROVIDER_NAME)
    app = create_app(Settings(database_url=database_url, cookie_secure=False, public_url=APP, single_sign_on=closed))
    try:
        with TestClient(app, base_url=APP, follow_redirects=False) as client:
            answer = client.get("/sign-in/oidc")
            assert answer.status_code == 502 and "did not answer" in unescape(answer.text)
            assert "password" in client.get("/sign-in").text  # the password form is still there
    finally:
        app.state.engine.dispose()
    assert ("sso-refused", "provider-unreachable") in audit_actions(engine)


def test_a_new_signing_key_at_the_provider_is_fetched_and_trusted(database_url, engine, team, tmp_path):
    """A provider rotating its keys: the same issuer restarted with a new key. Alongside holds the
    old key set, finds no key for the new token, fetches the keys again and signs the nurse in."""
    from tests.browser.support import free_port
    port = free_port()
    with running_provider(APP, tmp_path / "first.log", port=port) as first:
        app = create_app(Settings(database_url=database_url, cookie_secure=False, public_url=APP,
                                  single_sign_on=sso_settings(first)))
        assert through_provider(TestClient(app, base_url=APP, follow_redirects=False), "nurse.sso").status_code == 303
    try:
        with running_provider(APP, tmp_path / "second.log", port=port):
            answer = through_provider(TestClient(app, base_url=APP, follow_redirects=False), "nurse.sso")
            assert answer.status_code == 303, unescape(answer.text)
    finally:
        app.state.engine.dispose()
