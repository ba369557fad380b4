"""Webhook URLs through the API and the outbox: refused at the edge unless https to a public
address or a host the administrator allowed, and checked again before each send."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from fastapi.testclient import TestClient

from alongside.notify import NotifySettings, send_due
from alongside.web.app import create_app
from alongside.web.settings import Settings

from .conftest import sign_in


def settings_of(world) -> str:
    return f"/api/v1/teams/{world.team_id}/settings"


@pytest.fixture
def admin_allowing(database_url, engine, world):
    """An administrator's client on an app that allows the given webhook hosts."""
    apps, clients = [], []

    def make(*hosts: str) -> TestClient:
        app = create_app(Settings(database_url=database_url, cookie_secure=False,
                                  notify=NotifySettings(webhook_allowed_hosts=frozenset(hosts))))
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        client.headers.update(sign_in(client, world.admin))
        apps.append(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for app in apps:
        app.state.engine.dispose()


@pytest.mark.parametrize("url", ["http://example.org/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest",
                                 "https://10.0.0.1/hook", "https://[::1]/hook", "https://localhost/hook",
                                 "https://[::ffff:192.168.0.1]/hook"])
def test_a_webhook_to_plain_http_or_a_non_public_address_is_refused_naming_it(admin_allowing, world, url):
    admin = admin_allowing()
    response = admin.put(settings_of(world), json={"webhook_url": url})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "webhook_url"
    (team,) = [t for t in admin.get("/api/v1/teams").json() if t["id"] == str(world.team_id)]
    assert team["webhook_url"] is None  # nothing was saved


def test_a_host_the_administrator_allows_may_be_private_and_plain_http(admin_allowing, world):
    response = admin_allowing("127.0.0.1").put(settings_of(world), json={"webhook_url": "http://127.0.0.1:9/hook"})
    assert response.status_code == 200, response.text
    assert admin_allowing("127.0.0.1").put(settings_of(world),
                                           json={"webhook_url": "https://10.0.0.1/hook"}).status_code == 422


def test_a_name_that_does_not_resolve_is_refused(admin_allowing, world, monkeypatch):
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    response = admin_allowing().put(settings_of(world), json={"webhook_url": "https://hooks.example.org/"})
    assert response.status_code == 422 and response.json()["field"] == "webhook_url"
    assert "could not be found" in response.json()["detail"]


@pytest.fixture
def receiver():
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, received
    server.shutdown()


def queue_red_alert(client_for, world):
    response = client_for(world.alice).post(f"/api/v1/patients/{world.patient_a}/check-ins",
                                            json={"red_flags": {"bleeding": True}})
    assert response.status_code == 201, response.text


def test_a_name_that_resolves_elsewhere_by_the_time_of_sending_is_not_posted_to(
        admin_allowing, client_for, world, new_uow, receiver, monkeypatch):
    """DNS rebinding: public when saved, the server's own loopback when sent."""
    port, received = receiver
    real = socket.getaddrinfo
    answer = {"hooks.example.org": "93.184.215.14"}

    def resolve(host, *args, **kwargs):
        return real(answer.get(host, host), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert admin_allowing().put(settings_of(world), json={"webhook_url": f"https://hooks.example.org:{port}/hook"}
                                ).status_code == 200
    queue_red_alert(client_for, world)
    answer["hooks.example.org"] = "127.0.0.1"
    with new_uow() as uow:
        assert send_due(uow, NotifySettings()) == (0, 1)
        (row,) = uow.notifications.all()
        error = row.last_error
    assert received == [] and "127.0.0.1" in error and "not a public address" in error


def test_a_stored_url_no_longer_allowed_is_not_posted_to(admin_allowing, client_for, world, new_uow, receiver):
    port, received = receiver
    assert admin_allowing("127.0.0.1").put(settings_of(world), json={"webhook_url": f"http://127.0.0.1:{port}/hook"}
                                           ).status_code == 200
    queue_red_alert(client_for, world)
    with new_uow() as uow:
        assert send_due(uow, NotifySettings()) == (0, 1)  # the allow-list no longer names it
    assert received == []
    with new_uow() as uow:
        assert send_due(uow, NotifySettings(webhook_allowed_hosts=frozenset({"127.0.0.1"}))) == (1, 0)
    assert len(received) == 1
