"""A second factor (issue 17, item 8): TOTP codes from an authenticator app (pyotp), set up with
a QR code and confirmed by a code, ten recovery codes shown once and stored hashed, asked for
after the password; a code accepted once only, within one step either side; wrong codes count
towards the sign-in limits; required of staff by a setting; reset by an administrator."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from alongside.domain import second_factor
from alongside.store import tables as t

from ..factories import PASSWORD
from .test_account_recovery import NOW, POLICY, audit, running_service
from .test_pages import csrf_of, page_sign_in

STEP = timedelta(seconds=30)
REQUIRED = replace(POLICY, require_second_factor_for_staff=True)


@pytest.fixture
def service(database_url, engine):
    with running_service(database_url) as running:
        yield running


@pytest.fixture
def strict_service(database_url, engine):
    with running_service(database_url, REQUIRED) as running:
        yield running


def secret_on(page: str) -> str:
    return re.search(r"<code>([A-Z2-7 ]{20,})</code>", page).group(1).replace(" ", "")


def recovery_codes_on(page: str) -> list[str]:
    return re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", page)


def code_at(secret: str, moment) -> str:
    return pyotp.TOTP(secret).at(moment)


def next_code(secret: str) -> str:
    """The code of the step after now's: accepted (one step ahead) and later than the one that
    confirmed the set-up, whichever side of a step boundary the server reads the time."""
    return code_at(secret, datetime.now(UTC) + STEP)


def enrol(service, person) -> tuple[str, list[str]]:
    """Set up the second factor from the account page; returns the secret and the recovery codes."""
    client = service.client()
    page_sign_in(client, person)
    page = client.get("/account/second-factor").text
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn on the server
    secret = secret_on(page)
    done = client.post("/account/second-factor", data={"csrf_token": csrf_of(page), "code": code_at(secret, datetime.now(UTC))})
    assert done.status_code == 200, done.text
    return secret, recovery_codes_on(done.text)


def password_step(client, person):
    token = csrf_of(client.get("/sign-in").text)
    return client.post("/sign-in", data={"csrf_token": token, "email": person.email, "password": person.password,
                                          "next": "/caseload"})


def code_step(client, code: str):
    return client.post("/sign-in/second-factor", data={"code": code, "next": "/caseload"})


def test_setting_up_needs_a_right_code_before_it_is_on(service, world):
    client = service.client()
    page_sign_in(client, world.nurse)
    page = client.get("/account/second-factor").text
    assert "Set up your second factor" in page
    secret = secret_on(page)
    assert client.get("/account/second-factor").text.count(secret[:4]) >= 1  # a reload shows the same key
    wrong = client.post("/account/second-factor", data={"csrf_token": csrf_of(page), "code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    # Not on yet: the password alone still signs in.
    assert password_step(service.client(), world.nurse).headers["location"] == "/caseload"
    done = client.post("/account/second-factor", data={"csrf_token": csrf_of(page), "code": code_at(secret, datetime.now(UTC))})
    assert done.status_code == 200 and len(recovery_codes_on(done.text)) == 10


def test_sign_in_asks_for_the_code_after_the_password_and_lets_the_right_one_in(service, world):
    secret, _ = enrol(service, world.nurse)
    browser = service.client()
    asked = password_step(browser, world.nurse)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/sign-in/second-factor")
    assert "alongside_session" not in browser.cookies  # no session on the password alone
    assert "Type your code" in browser.get(asked.headers["location"]).text
    signed_in = code_step(browser, next_code(secret))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/caseload"
    assert browser.get("/caseload").status_code == 200


def test_a_wrong_code_is_refused_and_counted_as_a_failed_sign_in(service, world, engine):
    enrol(service, world.nurse)
    browser = service.client()
    password_step(browser, world.nurse)
    wrong = code_step(browser, "123456")
    assert wrong.status_code == 401 and "not right" in wrong.text
    with engine.connect() as connection:
        failures = connection.scalars(select(t.SignInAttemptRow.email).where(t.SignInAttemptRow.succeeded.is_(False))).all()
    assert failures == [world.nurse.email]


def test_a_code_is_accepted_once_only(service, world):
    client = service.client()
    page_sign_in(client, world.nurse)
    page = client.get("/account/second-factor").text
    secret = secret_on(page)
    confirming = code_at(secret, datetime.now(UTC))
    client.post("/account/second-factor", data={"csrf_token": csrf_of(page), "code": confirming})
    browser = service.client()
    password_step(browser, world.nurse)
    assert code_step(browser, confirming).status_code == 401  # the code that confirmed the set-up is spent
    code = next_code(secret)
    assert code_step(browser, code).status_code == 303
    again = service.client()
    password_step(again, world.nurse)
    assert code_step(again, code).status_code == 401  # replayed


def _enrolled(new_uow, person, at):
    """Set up straight through the use cases, at a chosen moment; returns the secret."""
    with new_uow() as uow:
        user = uow.users.get(person.user_id)
        secret = second_factor.start_enrolment(uow, user).secret
        second_factor.confirm_enrolment(uow, user, code_at(secret, at), at)
        uow.commit()
    return secret


@pytest.mark.parametrize("offset, accepted", [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_a_code_one_step_either_side_is_accepted_but_not_two(new_uow, world, offset, accepted):
    """RFC 6238 section 5.2: one step of drift either way. Set up ten steps before, so every
    step here is later than the last accepted."""
    moment = NOW + 10 * STEP
    secret = _enrolled(new_uow, world.nurse, NOW)
    with new_uow() as uow:
        user = uow.users.get(world.nurse.user_id)
        assert second_factor.check_code(uow, user, code_at(secret, moment + offset * STEP), moment) is accepted


def test_an_earlier_step_than_the_last_accepted_is_refused_even_within_the_window(new_uow, world):
    secret = _enrolled(new_uow, world.nurse, NOW)
    with new_uow() as uow:
        user = uow.users.get(world.nurse.user_id)
        assert second_factor.check_code(uow, user, code_at(secret, NOW + STEP), NOW)  # one ahead: taken
        assert not second_factor.check_code(uow, user, code_at(secret, NOW), NOW)  # now's, but older than that
        assert not second_factor.check_code(uow, user, code_at(secret, NOW + STEP), NOW + STEP)  # the same again


def test_a_recovery_code_signs_in_once(service, world, engine):
    _, codes = enrol(service, world.nurse)
    browser = service.client()
    password_step(browser, world.nurse)
    assert code_step(browser, codes[3].upper()).status_code == 303  # typed in capitals still counts
    again = service.client()
    password_step(again, world.nurse)
    assert code_step(again, codes[3]).status_code == 401
    with engine.connect() as connection:
        hashes = connection.scalars(select(t.RecoveryCodeRow.code_hash)).all()
    assert len(hashes) == 10 and all(h.startswith("$argon2") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert len(audit(engine, "recovery-code-used")) == 1


def test_wrong_codes_count_towards_the_sign_in_limit(service, world):
    secret, _ = enrol(service, world.nurse)
    browser = service.client()
    password_step(browser, world.nurse)
    for _ in range(POLICY.max_failures_per_email):
        assert code_step(browser, "111111").status_code == 401
    assert code_step(browser, "111111").status_code == 429
    assert code_step(browser, next_code(secret)).status_code == 429  # the right code: a new browser waits too


def test_the_api_takes_the_code_with_the_password(service, world):
    secret, _ = enrol(service, world.nurse)
    client = service.client()
    missing = client.post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD})
    assert missing.status_code == 401 and missing.json()["field"] == "code"
    signed_in = client.post("/api/v1/session", json={"email": world.nurse.email, "password": PASSWORD,
                                                      "code": next_code(secret)})
    assert signed_in.status_code == 200 and signed_in.json()["user"]["second_factor"] is True


def test_when_required_staff_set_it_up_at_their_next_sign_in(strict_service, world):
    browser = strict_service.client()
    asked = password_step(browser, world.nurse)
    assert asked.headers["location"].startswith("/sign-in/second-factor")
    page = browser.get(asked.headers["location"]).text
    assert "Set up your second factor" in page and 'src="data:image/svg+xml' in page
    assert browser.get("/caseload").status_code in (303, 401)  # nothing opens before it is set up
    secret = secret_on(page)
    done = code_step(browser, code_at(secret, datetime.now(UTC)))
    assert done.status_code == 200 and len(recovery_codes_on(done.text)) == 10
    assert browser.get("/caseload").status_code == 200
    api = strict_service.client().post("/api/v1/session", json={"email": world.stranger.email, "password": PASSWORD})
    assert api.status_code == 403 and api.json()["field"] == "code"


def test_when_required_a_patient_still_signs_in_with_her_password(strict_service, world):
    client = strict_service.client()
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"csrf_token": token, "email": world.alice.email, "password": PASSWORD})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_when_required_staff_cannot_turn_it_off_but_a_patient_can(strict_service, world):
    nurse = strict_service.client()
    asked = password_step(nurse, world.nurse)
    code_step(nurse, code_at(secret_on(nurse.get(asked.headers["location"]).text), datetime.now(UTC)))
    page = nurse.get("/account/second-factor").text
    assert "It is on" in page and "Turn it off" not in page
    assert nurse.post("/account/second-factor/off", data={"csrf_token": csrf_of(page)}).status_code == 422
    _, codes = enrol(strict_service, world.alice)
    alice = strict_service.client()
    password_step(alice, world.alice)
    assert code_step(alice, codes[0]).status_code == 303
    page = alice.get("/account/second-factor").text
    assert "Turn it off" in page
    assert alice.post("/account/second-factor/off", data={"csrf_token": csrf_of(page)}).status_code == 303
    assert "Set up your second factor" in alice.get("/account/second-factor").text


def test_an_administrator_resets_a_lost_second_factor_and_it_is_audited(service, world, engine):
    enrol(service, world.nurse)
    admin = service.client(world.admin)
    reset = admin.post(f"/api/v1/users/{world.nurse.user_id}/second-factor/reset")
    assert reset.status_code == 200 and reset.json()["second_factor"] is False
    assert password_step(service.client(), world.nurse).headers["location"] == "/caseload"
    (event,) = audit(engine, "second-factor-reset")
    assert event.actor_id == world.admin.user_id and event.record_id == world.nurse.user_id
    assert service.client(world.nurse).post(f"/api/v1/users/{world.alice.user_id}/second-factor/reset").status_code == 403


def test_the_second_step_expires(service, world, engine):
    secret, _ = enrol(service, world.nurse)
    browser = service.client()
    password_step(browser, world.nurse)
    with engine.begin() as connection:  # five minutes pass
        connection.execute(update(t.AccountTokenRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    late = code_step(browser, next_code(secret))
    assert late.status_code == 303 and late.headers["location"] == "/sign-in"
