"""Getting back into an account and managing accounts (issue 17, item 7): a password reset by an
emailed link, asked for by the person or sent by her team, through the real app, database and a
real SMTP server (aiosmtpd); and an administrator's unlock, role, team and switch, each audited."""

from __future__ import annotations

import re
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select

from alongside.domain.accounts import SessionPolicy
from alongside.notify import NotifySettings
from alongside.store import tables as t
from alongside.web.app import create_app
from alongside.web.settings import Settings

from ..factories import PASSWORD
from .conftest import sign_in
from .test_pages import csrf_of, page_sign_in

NEW_PASSWORD = "lantern orchard pebble violin"
LINK = re.compile(r"https://alongside\.example/reset-password/([\w-]+)")
POLICY = SessionPolicy()
# The app's clock starts now (sessions are checked against the real time), at the start of a
# 30-second step so that a test's codes do not straddle two.
NOW = datetime.fromtimestamp(int(time.time()) // 30 * 30 + 1, UTC)


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message.get_content()))
        return "250 OK"

    def links_to(self, email: str) -> list[str]:
        return [LINK.search(text).group(0) for to, text in self.messages if to == [email]]


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Service:
    app: object
    inbox: Inbox
    clock: Clock
    clients: list = field(default_factory=list)

    def client(self, person=None) -> TestClient:
        client = TestClient(self.app, base_url="http://testserver", follow_redirects=False)
        self.clients.append(client)
        if person is not None:
            client.headers.update(sign_in(client, person))
        return client


@contextmanager
def running_service(database_url: str, policy: SessionPolicy = POLICY):
    """The app on a clock the test moves, sending email to a real local SMTP server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox, clock = Inbox(), Clock()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(Settings(database_url=database_url, cookie_secure=False, clock=clock, policy=policy,
                              public_url="https://alongside.example",
                              notify=NotifySettings(smtp_host="127.0.0.1", smtp_port=port,
                                                    base_url="https://alongside.example")))
    running = Service(app, inbox, clock)
    try:
        yield running
    finally:
        for client in running.clients:
            client.close()
        app.state.engine.dispose()
        controller.stop()


@pytest.fixture
def service(database_url, engine):
    with running_service(database_url) as running:
        yield running


def ask_for_reset(client: TestClient, email: str):
    token = csrf_of(client.get("/forgotten-password").text)
    return client.post("/forgotten-password", data={"csrf_token": token, "email": email})


def path_of(link: str) -> str:
    return link.removeprefix("https://alongside.example")


def set_password(client: TestClient, link: str, password: str):
    return client.post(path_of(link), data={"password": password})


def audit(engine, action: str) -> list[t.AuditEventRow]:
    with engine.connect() as connection:
        return list(connection.execute(select(t.AuditEventRow).where(t.AuditEventRow.action == action)))


# --- A reset by email -------------------------------------------------------------------------

def test_the_sign_in_page_offers_a_forgotten_password_link(service):
    assert 'href="/forgotten-password"' in service.client().get("/sign-in").text


def test_a_reset_link_sets_a_new_password_once_and_signs_the_account_out_everywhere(service, world, engine):
    elsewhere = service.client(world.nurse)
    assert elsewhere.get("/api/v1/me").status_code == 200
    browser = service.client()
    assert ask_for_reset(browser, world.nurse.email).status_code == 200
    (link,) = service.inbox.links_to(world.nurse.email)
    assert browser.get(path_of(link)).status_code == 200

    weak = set_password(browser, link, "password1234")
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    own_name = set_password(browser, link, "nina nurse example")
    assert own_name.status_code == 422 and "built from your name or email" in own_name.text
    assert browser.get(path_of(link)).status_code == 200  # a refused password does not use the link up

    done = set_password(browser, link, NEW_PASSWORD)
    assert done.status_code == 200 and "Your new password is set" in done.text
    assert elsewhere.get("/api/v1/me").status_code == 401  # every session of the account has ended
    assert set_password(browser, link, "another long passphrase here").status_code == 404  # once only
    assert browser.get(path_of(link)).status_code == 404

    old = service.client().post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD})
    assert old.status_code == 401
    new = service.client().post("/api/v1/session", json={"email": world.nurse.email, "password": NEW_PASSWORD})
    assert new.status_code == 200
    assert [row.record_id for row in audit(engine, "reset-password")] == [world.nurse.user_id]


def test_only_the_digest_of_the_token_is_stored(service, world, engine):
    ask_for_reset(service.client(), world.alice.email)
    token = LINK.search(service.inbox.messages[0][1]).group(1)
    with engine.connect() as connection:
        stored = list(connection.scalars(select(t.AccountTokenRow.token_digest)))
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def _answer_text(response, email: str) -> str:
    """The page without what differs by design: the email typed and the form's fresh token."""
    return re.sub(r'value="[^"]{20,}"', "", response.text).replace(email, "EMAIL")


def test_an_email_with_no_account_gets_the_same_answer_and_no_email(service, world):
    known = ask_for_reset(service.client(), world.alice.email)
    unknown = ask_for_reset(service.client(), "nobody.here@example.org")
    assert known.status_code == unknown.status_code == 200
    assert _answer_text(known, world.alice.email) == _answer_text(unknown, "nobody.here@example.org")
    assert "a link to choose a new" in known.text
    assert [to for to, _ in service.inbox.messages] == [[world.alice.email]]


def test_a_switched_off_account_is_answered_alike_and_sent_nothing(service, world):
    admin = service.client(world.admin)
    assert admin.patch(f"/api/v1/users/{world.alice.user_id}", json={"active": False}).status_code == 200
    assert ask_for_reset(service.client(), world.alice.email).status_code == 200
    assert service.inbox.messages == []


def test_a_link_stops_working_after_its_lifetime(service, world):
    ask_for_reset(service.client(), world.alice.email)
    (link,) = service.inbox.links_to(world.alice.email)
    service.clock.now = NOW + POLICY.reset_link_lifetime - timedelta(seconds=1)
    assert service.client().get(path_of(link)).status_code == 200
    service.clock.now = NOW + POLICY.reset_link_lifetime
    late = set_password(service.client(), link, NEW_PASSWORD)
    assert late.status_code == 404 and "expired or has already been used" in late.text


def test_a_newer_link_ends_the_older_one(service, world):
    ask_for_reset(service.client(), world.alice.email)
    ask_for_reset(service.client(), world.alice.email)
    first, second = service.inbox.links_to(world.alice.email)
    assert set_password(service.client(), first, NEW_PASSWORD).status_code == 404
    assert set_password(service.client(), second, NEW_PASSWORD).status_code == 200


def test_signing_in_with_the_password_ends_a_pending_link(service, world):
    ask_for_reset(service.client(), world.alice.email)
    (link,) = service.inbox.links_to(world.alice.email)
    service.client(world.alice)  # she remembered it
    assert set_password(service.client(), link, NEW_PASSWORD).status_code == 404


def test_at_most_three_reset_emails_an_hour_go_to_one_account(service, world):
    answers = [ask_for_reset(service.client(), world.alice.email).status_code for _ in range(5)]
    assert answers == [200] * 5
    assert len(service.inbox.links_to(world.alice.email)) == POLICY.max_reset_emails_per_hour
    service.clock.now = NOW + timedelta(hours=1, seconds=1)
    ask_for_reset(service.client(), world.alice.email)
    assert len(service.inbox.links_to(world.alice.email)) == POLICY.max_reset_emails_per_hour + 1


def test_a_bad_email_is_refused_on_the_form_keeping_what_was_typed(service):
    response = ask_for_reset(service.client(), "not an email")
    assert response.status_code == 422 and 'value="not an email"' in response.text


def test_a_reset_frees_an_account_that_guessers_had_slowed(service, world):
    guesser = service.client()
    for _ in range(POLICY.max_failures_per_email + 1):
        guesser.post("/api/v1/session", json={"email": world.alice.email, "password": "wrong wrong wrong"})
    ask_for_reset(service.client(), world.alice.email)
    set_password(service.client(), service.inbox.links_to(world.alice.email)[0], NEW_PASSWORD)
    fresh = service.client().post("/api/v1/session", json={"email": world.alice.email, "password": NEW_PASSWORD})
    assert fresh.status_code == 200


# --- Her team sends the link ------------------------------------------------------------------

def test_her_nurse_sends_her_a_link_and_never_sees_the_password(service, world, engine):
    nurse = service.client(world.nurse)
    sent = nurse.post(f"/api/v1/patients/{world.patient_a}/account/password-reset")
    assert sent.status_code == 202 and sent.json() == {"expires_in_minutes": 30}
    assert "reset-password" not in sent.text
    (link,) = service.inbox.links_to(world.alice.email)
    assert set_password(service.client(), link, NEW_PASSWORD).status_code == 200
    (event,) = audit(engine, "send-password-reset")
    assert event.actor_id == world.nurse.user_id and event.patient_id == world.patient_a


def test_the_record_s_sign_in_page_sends_the_link(service, world):
    nurse = service.client()
    page_sign_in(nurse, world.nurse)
    page = nurse.get(f"/patients/{world.patient_a}/account")
    assert "Email a password reset link" in page.text
    sent = nurse.post(f"/patients/{world.patient_a}/account/password-reset", data={"csrf_token": csrf_of(page.text)})
    assert sent.status_code == 303
    assert "has been emailed" in nurse.get(sent.headers["location"]).text
    assert len(service.inbox.links_to(world.alice.email)) == 1


@pytest.mark.parametrize("who", ["stranger", "carer", "bella", "admin"])
def test_no_one_outside_her_team_can_send_her_a_link(service, world, who):
    response = service.client(getattr(world, who)).post(f"/api/v1/patients/{world.patient_a}/account/password-reset")
    assert response.status_code in (403, 404)
    assert service.inbox.messages == []


# --- An administrator's controls --------------------------------------------------------------

def test_switching_an_account_off_ends_its_sessions_at_once_and_on_lets_it_back(service, world, engine):
    nurse = service.client(world.nurse)
    admin = service.client(world.admin)
    assert admin.patch(f"/api/v1/users/{world.nurse.user_id}", json={"active": False}).json()["active"] is False
    assert nurse.get("/api/v1/me").status_code == 401
    again = service.client().post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD})
    assert again.status_code == 401
    assert admin.patch(f"/api/v1/users/{world.nurse.user_id}", json={"active": True}).status_code == 200
    assert service.client().post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD}).status_code == 200
    (off,) = audit(engine, "deactivate")
    assert off.actor_id == world.admin.user_id and off.record_id == world.nurse.user_id
    assert off.detail == "nurse@example.org: switched off"


def test_the_only_administrator_cannot_be_switched_off_or_made_a_clinician(service, world, new_uow):
    from alongside.domain import accounts
    from alongside.domain.people import SYSTEM, NewUser
    from alongside.domain.vocab import Role

    with new_uow() as uow:
        second = accounts.create_user(uow, SYSTEM, NewUser(email="second@example.org", display_name="Sam Second",
                                                          role=Role.ADMIN, password=PASSWORD))
        uow.commit()
    admin = service.client(world.admin)
    assert admin.patch(f"/api/v1/users/{second.id}", json={"active": False}).status_code == 200
    demote = admin.patch(f"/api/v1/users/{world.admin.user_id}", json={"role": "clinician"})
    assert demote.status_code == 422 and demote.json()["errors"][0]["field"] == "role"
    assert "only active administrator" in demote.json()["errors"][0]["message"]
    own = admin.patch(f"/api/v1/users/{world.admin.user_id}", json={"active": False})
    assert own.status_code == 422
    # With a second one on again, one may be made a clinician.
    assert admin.patch(f"/api/v1/users/{second.id}", json={"active": True}).status_code == 200
    assert admin.patch(f"/api/v1/users/{second.id}", json={"role": "clinician"}).json()["role"] == "clinician"
    assert admin.get("/api/v1/me").status_code == 200


def test_an_administrator_changes_a_role_and_teams_and_each_change_is_audited(service, world, engine):
    admin = service.client(world.admin)
    moved = admin.patch(f"/api/v1/users/{world.nurse.user_id}", json={"team_ids": [str(world.other_team_id)]})
    assert moved.status_code == 200
    nurse = service.client(world.nurse)
    assert nurse.get(f"/api/v1/patients/{world.patient_a}").status_code == 404  # not her team's any more
    (teams,) = audit(engine, "change-teams")
    assert teams.actor_id == world.admin.user_id and teams.detail == "nurse@example.org: teams Team Two"
    promoted = admin.patch(f"/api/v1/users/{world.nurse.user_id}", json={"role": "admin"})
    assert promoted.json()["role"] == "admin"
    assert nurse.get("/api/v1/me").status_code == 401  # signed out with the old role
    (role,) = audit(engine, "change-role")
    assert role.detail == "nurse@example.org: role clinician -> admin"


@pytest.mark.parametrize("who, role", [("alice", "clinician"), ("carer", "admin"), ("nurse", "patient"), ("nurse", "carer")])
def test_a_patient_s_or_carer_s_account_and_staff_never_swap(service, world, who, role):
    response = service.client(world.admin).patch(f"/api/v1/users/{getattr(world, who).user_id}", json={"role": role})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "role"


def test_an_unknown_team_is_refused_naming_the_field(service, world):
    response = service.client(world.admin).patch(f"/api/v1/users/{world.nurse.user_id}",
                                                 json={"team_ids": ["00000000-0000-4000-8000-000000000000"]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "team_ids"


def test_an_administrator_unlocks_an_account_slowed_by_failures(service, world, engine):
    for _ in range(POLICY.max_failures_per_email + 1):
        service.client().post("/api/v1/session", json={"email": world.nurse.email, "password": "wrong wrong wrong"})
    slowed = service.client().post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD})
    assert slowed.status_code == 429
    admin = service.client()
    page_sign_in(admin, world.admin)
    page = admin.get(f"/admin/users/{world.nurse.user_id}")
    assert "locked" in page.text
    unlocked = admin.post(f"/admin/users/{world.nurse.user_id}/unlock", data={"csrf_token": csrf_of(page.text)})
    assert unlocked.status_code == 200 and "6 failed sign-ins forgotten" in unlocked.text
    assert service.client().post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD}).status_code == 200
    (event,) = audit(engine, "unlock")
    assert event.actor_id == world.admin.user_id and event.record_id == world.nurse.user_id


def test_the_account_page_changes_role_and_teams_and_shows_a_refusal_on_the_page(service, world):
    admin = service.client()
    page_sign_in(admin, world.admin)
    page = admin.get(f"/admin/users/{world.nurse.user_id}")
    token = csrf_of(page.text)
    saved = admin.post(f"/admin/users/{world.nurse.user_id}",
                       data={"csrf_token": token, "role": "clinician", "teams_shown": "1",
                             f"team:{world.team_id}": "on", f"team:{world.other_team_id}": "on"})
    assert saved.status_code == 303
    shown = admin.get(f"/admin/users/{world.nurse.user_id}").text
    assert shown.count("checked") == 2
    refused = admin.post(f"/admin/users/{world.admin.user_id}", data={"csrf_token": token, "role": "clinician"})
    assert refused.status_code == 422 and "only active administrator" in refused.text
    switched = admin.post(f"/admin/users/{world.nurse.user_id}/active", data={"csrf_token": token, "active": "false"})
    assert switched.status_code == 303 and "Switched off" in admin.get(f"/admin/users/{world.nurse.user_id}").text


@pytest.mark.parametrize("who", ["nurse", "alice", "carer"])
def test_only_an_administrator_manages_accounts(service, world, who):
    client = service.client(getattr(world, who))
    assert client.patch(f"/api/v1/users/{world.stranger.user_id}", json={"active": False}).status_code == 403
    assert client.post(f"/api/v1/users/{world.stranger.user_id}/unlock").status_code == 403
    assert client.get(f"/admin/users/{world.stranger.user_id}").status_code == 403
