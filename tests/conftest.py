"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when
ALONGSIDE_TEST_DATABASE_URL is set (CI sets it). PostgreSQL tests run in a schema of their own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from alongside.store.database import make_engine, normalise_url, session_factory
from alongside.store.migrate import upgrade
from alongside.store.sealing import KEYS_ENV, new_key
from alongside.store.tables import Base
from alongside.store.unit_of_work import UnitOfWork

from .factories import World, build_world

POSTGRES_URL = os.environ.get("ALONGSIDE_TEST_DATABASE_URL")
# The key secrets are sealed with (store/sealing.py): one per test process, inherited by the servers
# it starts, rather than a key file written in the home folder. tests/integration/test_sealing.py
# tests the key file itself.
os.environ.setdefault(KEYS_ENV, new_key())
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{normalise_url(url)}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database of each kind, shared by the session and emptied between tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    schema = f"alongside_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(POSTGRES_URL, schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    with engine.begin() as connection:  # leave the database empty for the next test
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def new_uow(engine: Engine) -> Callable[[], UnitOfWork]:
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions)


@pytest.fixture
def world(new_uow) -> World:
    """Two patients on one team, a clinician of that team, one of another team, a carer, an admin."""
    with new_uow() as uow:
        built = build_world(uow)
        uow.commit()
    return built


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def pytest_collection_modifyitems(items):
    # Browser journeys are slowest: run them last so a quick failure shows first.
    items.sort(key=lambda item: "browser" in str(Path(item.fspath)))
