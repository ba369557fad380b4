from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from alongside.web.app import create_app
from alongside.web.settings import Settings


NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday morning: the clock of `client_for`


@pytest.fixture
def app(database_url, engine):
    app = create_app(Settings(database_url=database_url, cookie_secure=False))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def make_client(app):
    """A fresh browser-like client (own cookie jar) per call."""
    clients = []

    def make() -> TestClient:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def sign_in(client: TestClient, person) -> dict[str, str]:
    """Sign in through the API; returns the headers a changing request must carry."""
    response = client.post("/api/v1/session", json={"email": person.email, "password": person.password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


@pytest.fixture
def as_user(make_client):
    def login(person):
        client = make_client()
        client.headers.update(sign_in(client, person))
        return client
    return login


@pytest.fixture
def client_for(database_url, engine):
    """Signed-in clients of an app whose clock reads NOW."""
    app = create_app(Settings(database_url=database_url, cookie_secure=False, clock=lambda: NOW))
    clients = []

    def make(person) -> TestClient:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        client.headers.update(sign_in(client, person))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    app.state.engine.dispose()
