"""Export and import of one record, through the `alongside` command, on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text

from alongside.domain.people import SYSTEM
from alongside.domain.transfer import export_record, import_record
from alongside.domain.errors import AlreadyExists, InvalidInput
from alongside.store.database import make_engine, session_factory
from alongside.store.unit_of_work import UnitOfWork

from ..conftest import POSTGRES_URL, _with_search_path


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ALONGSIDE_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "alongside.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A second, empty database of the same kind as the one under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"alongside_empty_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield _with_search_path(POSTGRES_URL, schema)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_export_then_import_into_an_empty_database_round_trips_exactly(database_url, empty_database_url, world, tmp_path):
    exported = tmp_path / "record.json"
    result = run_cli(database_url, "export", str(world.patient_b), "--out", str(exported))
    assert result.returncode == 0, result.stderr
    document = json.loads(exported.read_text())
    assert sum(len(v) for v in document["entries"].values()) >= 17
    result = run_cli(empty_database_url, "import", str(exported), "--team", "Imported")
    assert result.returncode == 0, result.stderr
    again = run_cli(empty_database_url, "export", str(world.patient_b))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == document


def test_importing_the_same_record_twice_is_refused_and_changes_nothing(new_uow, world):
    with new_uow() as uow:
        document = export_record(uow, SYSTEM, world.patient_b)
    with new_uow() as uow, pytest.raises(AlreadyExists):
        import_record(uow, SYSTEM, document)


def test_a_bad_document_names_the_bad_entry_and_imports_nothing(new_uow, world):
    with new_uow() as uow:
        document = export_record(uow, SYSTEM, world.patient_b)
    document["patient"]["id"] = str(uuid.uuid4())
    document["patient"]["details"]["nhs_number"] = None
    document["entries"]["scans"][0]["modality"] = "telepathy"
    with new_uow() as uow, pytest.raises(InvalidInput) as caught:
        import_record(uow, SYSTEM, document)
    assert caught.value.errors[0]["field"] == "entries.scans.0.modality"
    with new_uow() as uow:
        assert not uow.patients.exists(uuid.UUID(document["patient"]["id"]))


def test_the_command_line_reports_bad_json_plainly(database_url, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result = run_cli(database_url, "import", str(bad))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr


def test_user_create_from_the_command_line(database_url, engine):
    result = run_cli(database_url, "user", "create", "--email", "Cli@Example.org", "--name", "Cli Nurse",
                     "--role", "clinician", "--team", "Night team", "--password", "a long enough password")
    assert result.returncode == 0, result.stderr
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT role FROM user_account WHERE email = 'cli@example.org'")) == "clinician"
    short = run_cli(database_url, "user", "create", "--email", "b@example.org", "--name", "B", "--role", "admin",
                    "--password", "short")
    assert short.returncode == 2 and "password" in short.stderr


def test_db_upgrade_from_empty_works(empty_database_url):
    result = run_cli(empty_database_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    engine = make_engine(empty_database_url)
    with UnitOfWork(session_factory(engine)) as uow:
        assert uow.users.list() == []
    engine.dispose()


def test_the_demo_refuses_a_database_it_did_not_make(database_url, world, engine):
    result = run_cli(database_url, "demo", "--no-serve")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "did not make" in result.stderr and "password" not in result.stdout
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM user_account WHERE email = 'jo.pearce@example.org'")) == 0


def test_the_demo_runs_on_a_new_database_and_again_on_the_one_it_made(empty_database_url):
    first = run_cli(empty_database_url, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "helen@example.org" in first.stdout
    again = run_cli(empty_database_url, "demo", "--no-serve")  # `make demo` a second time
    assert again.returncode == 0, again.stderr
