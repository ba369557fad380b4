"""A real OpenID provider for the single sign-on tests: tests/oidc/provider.js (panva's
oidc-provider) run by Node.js on a free port, with its own login page and the people below.

`make test` runs `npm ci` in tests/oidc first; without node_modules these tests fail saying so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.browser.support import free_port

FOLDER = Path(__file__).parent / "oidc"
CLIENT_ID = "alongside"
CLIENT_SECRET = "a-test-secret-known-only-to-the-tests"
TEAM = "Secondary Breast Care, Demo Hospital"  # the demo's team; its slug names its group
TEAM_GROUP = "alongside-team-secondary-breast-care-demo-hospital"
# The provider's people: a login (its subject) -> the claims it gives.
PEOPLE = {
    "nurse.sso": {"email": "nurse.sso@hospital.example", "email_verified": True, "name": "Robin Okafor",
                  "groups": [TEAM_GROUP, "alongside-clinician", "some-other-group"]},
    "porter": {"email": "porter@hospital.example", "email_verified": True, "name": "Pat Porter",
               "groups": ["estates", "alongside-clinician"]},
    "no.role": {"email": "no.role@hospital.example", "email_verified": True, "name": "Nell Role",
                "groups": [TEAM_GROUP]},
    "it.admin": {"email": "it.admin@hospital.example", "email_verified": True, "name": "Ira Admin",
                 "groups": ["alongside-admin"]},
}


@dataclass(frozen=True)
class RunningProvider:
    issuer: str

    def spoil_next_id_token(self, how: str) -> None:
        """"signature", "audience", "nonce" or "expired" (tests/oidc/provider.js)."""
        httpx.post(f"{self.issuer}/test-control", params={"spoil": how}).raise_for_status()

    def last_requests(self) -> dict:
        return httpx.get(f"{self.issuer}/test-control").json()


@contextmanager
def running_provider(public_url: str, log: Path, port: int | None = None) -> Iterator[RunningProvider]:
    """The provider, with Alongside at `public_url` as its one client; its output goes to `log`.
    Each start makes a new signing key (so a restart on the same port is a key rotation)."""
    if not (FOLDER / "node_modules" / "oidc-provider").exists():
        raise RuntimeError("tests/oidc has no node_modules: run `npm ci` there (make test does)")
    port = port or free_port()
    accounts = log.resolve().with_suffix(".people.json")
    accounts.write_text(json.dumps(PEOPLE))
    env = dict(os.environ, PORT=str(port), CLIENT_ID=CLIENT_ID, CLIENT_SECRET=CLIENT_SECRET,
               REDIRECT_URI=f"{public_url}/sign-in/oidc/callback", POST_LOGOUT_REDIRECT_URI=f"{public_url}/sign-in",
               ACCOUNTS_FILE=str(accounts))
    with log.open("w") as output:
        process = subprocess.Popen([shutil.which("node") or "node", "provider.js"], cwd=FOLDER, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_for(issuer, process, log)
        yield RunningProvider(issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(issuer: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider stopped: {log.read_text()}")
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the OpenID provider did not answer: {log.read_text()}")
