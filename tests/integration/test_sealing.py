"""Secrets sealed at rest (store/sealing.py): the second factor's TOTP secret and a team's webhook
secret are never readable in the database, yet sign-in and signing still work; a value stored
before sealing is sealed by migration 0026; a key can be rotated; the key file is made once,
readable by its owner only. Through the real database, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from alembic import command
from sqlalchemy import select, text

from alongside.store import sealing
from alongside.store import tables as t
from alongside.store.migrate import alembic_config

from .test_alerts_at_commit import TEAM_ADDRESS, red_check_in_emailed, smtp  # noqa: F401
from .test_second_factor import code_step, enrol, next_code, password_step, service  # noqa: F401

SECRET = "a-long-webhook-secret-9f3k"


def stored(engine, table: str, column: str, where: str, value) -> str | None:
    """The value as the database holds it, read as plain text past the sealing column type."""
    with engine.connect() as connection:
        return connection.scalar(text(f"SELECT {column} FROM {table} WHERE {where} = :value"), {"value": value})


def test_a_second_factor_secret_is_sealed_in_the_database_and_still_signs_in(service, world, engine):  # noqa: F811
    secret, _ = enrol(service, world.nurse)
    raw = stored(engine, "user_account", "totp_secret", "email", world.nurse.email)
    assert raw.startswith(sealing.PREFIX) and secret not in raw and secret.lower() not in raw.lower()
    browser = service.client()
    assert password_step(browser, world.nurse).headers["location"].startswith("/sign-in/second-factor")
    assert code_step(browser, next_code(secret)).headers["location"] == "/caseload"


def test_a_webhook_secret_is_sealed_in_the_database(as_user, world, engine):
    response = as_user(world.admin).put(f"/api/v1/teams/{world.team_id}/settings",
                                        json={"notify_email": "team@example.org", "webhook_secret": SECRET})
    assert response.status_code == 200, response.text
    with engine.connect() as connection:  # past the column type: as a copy of the database shows it
        (raw,) = connection.scalars(text("SELECT webhook_secret FROM team WHERE webhook_secret IS NOT NULL")).all()
    assert raw.startswith(sealing.PREFIX) and SECRET not in raw
    with engine.connect() as connection:  # read through the column type, it is the secret again
        assert connection.scalar(select(t.TeamRow.webhook_secret).where(t.TeamRow.id == world.team_id)) == SECRET


def migrate(engine, revision: str, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_migration_seals_what_was_stored_readable_and_going_back_opens_it(engine, world):
    plain_totp = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    migrate(engine, "0025", down=True)
    try:
        with engine.begin() as connection:  # as stored before 0026, past the column type
            connection.execute(text("UPDATE user_account SET totp_secret = :plain WHERE email = :email"),
                               {"plain": plain_totp, "email": world.nurse.email})
            connection.execute(text("UPDATE team SET webhook_secret = :plain"), {"plain": SECRET})
    finally:
        migrate(engine, "head")
    raw_totp = stored(engine, "user_account", "totp_secret", "email", world.nurse.email)
    assert raw_totp.startswith(sealing.PREFIX) and plain_totp not in raw_totp
    with engine.connect() as connection:
        raw_hooks = connection.scalars(text("SELECT webhook_secret FROM team")).all()
        assert raw_hooks and all(r.startswith(sealing.PREFIX) and SECRET not in r for r in raw_hooks)
        users = t.UserRow.__table__
        assert connection.scalar(select(users.c.totp_secret).where(users.c.email == world.nurse.email)) == plain_totp
        assert connection.scalar(select(t.TeamRow.webhook_secret).where(t.TeamRow.id == world.team_id)) == SECRET
    migrate(engine, "0025", down=True)  # and back: readable again, for the code before sealing
    try:
        assert stored(engine, "user_account", "totp_secret", "email", world.nurse.email) == plain_totp
    finally:
        migrate(engine, "head")


def test_a_new_key_first_still_opens_what_the_old_one_sealed_and_a_lost_key_says_so(monkeypatch):
    old = os.environ[sealing.KEYS_ENV]
    sealed_before = sealing.seal(SECRET)
    monkeypatch.setenv(sealing.KEYS_ENV, f"{sealing.new_key()},{old}")
    assert sealing.unseal(sealed_before) == SECRET
    sealed_after = sealing.seal(SECRET)
    monkeypatch.setenv(sealing.KEYS_ENV, sealing.new_key())  # both keys lost
    for value in (sealed_before, sealed_after):
        with pytest.raises(sealing.SecretsKeyError, match="changed or lost"):
            sealing.unseal(value)
    monkeypatch.setenv(sealing.KEYS_ENV, "not a key")
    with pytest.raises(sealing.SecretsKeyError, match="not a Fernet key"):
        sealing.seal(SECRET)


def test_each_seal_differs_and_a_value_stored_before_sealing_reads_as_it_is():
    first, second = sealing.seal(SECRET), sealing.seal(SECRET)
    assert first != second and sealing.unseal(first) == sealing.unseal(second) == SECRET
    assert sealing.unseal("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"


def test_without_keys_in_the_environment_one_key_file_is_made_for_its_owner_alone(monkeypatch, tmp_path):
    monkeypatch.delenv(sealing.KEYS_ENV)
    monkeypatch.setenv("ALONGSIDE_DATA_DIR", str(tmp_path / "data"))
    results: list[str] = []
    workers = [threading.Thread(target=lambda: results.append(sealing.seal(SECRET))) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    key_file = tmp_path / "data" / sealing.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == [sealing.KEY_FILE]  # no drafts left behind
    assert {sealing.unseal(r) for r in results} == {SECRET}  # all eight agreed on one key
    monkeypatch.setenv(sealing.KEYS_ENV, key_file.read_text().strip())
    assert sealing.unseal(results[0]) == SECRET  # the file's key is the one to copy into the environment


def test_with_the_key_lost_a_red_check_in_still_emails_the_team_and_the_sealed_secret_is_kept(
        database_url, world, as_user, smtp, new_uow, monkeypatch, caplog):
    admin = as_user(world.admin)
    saved = admin.put(f"/api/v1/teams/{world.team_id}/settings",
                      json={"notify_email": TEAM_ADDRESS, "webhook_secret": SECRET})
    assert saved.status_code == 200, saved.text
    with new_uow() as uow:
        before = uow.db.scalar(text("SELECT webhook_secret FROM team WHERE webhook_secret IS NOT NULL"))
    monkeypatch.setenv(sealing.KEYS_ENV, sealing.new_key())  # the service restarted with another key
    recipients, message = red_check_in_emailed(database_url, world, smtp)
    assert recipients == [TEAM_ADDRESS] and "RED alert waiting" in message
    assert "does not open with the service's key" in caplog.text
    # Saving the team's settings meanwhile does not overwrite what the right key would open.
    assert admin.put(f"/api/v1/teams/{world.team_id}/settings", json={"notify_email": TEAM_ADDRESS}).status_code == 200
    with new_uow() as uow:
        assert uow.db.scalar(text("SELECT webhook_secret FROM team WHERE webhook_secret IS NOT NULL")) == before
