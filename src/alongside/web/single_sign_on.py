"""Staff sign-in through the hospital's OpenID provider: the authorisation code flow with PKCE.

OpenID Connect Core 1.0 (section 3.1), RFC 7636 (PKCE, S256 only) and RFC 9207 (the `iss` of
the answer). The provider is found from its discovery document; the ID token's signature is
checked against its published keys (JWKS, fetched again once when it names a key we have not
seen, as a provider rotating its keys does) and its issuer, audience, expiry and nonce against
this sign-in. Authlib makes the requests; joserfc (by the same author) checks the token.

Nothing about the sign-in in progress is stored on the server: its state, nonce, PKCE verifier
and the page to go back to ride in a short-lived HttpOnly cookie scoped to these two paths, so
a callback from another browser (a forged or replayed link) finds no cookie and is refused.
The network calls are made before the unit of work opens: on SQLite the unit of work queues
every other request behind it (store.database.WriterQueue).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, JoseError
from joserfc.jwk import KeySet
from starlette.concurrency import run_in_threadpool

from ..domain import single_sign_on
from ..domain.single_sign_on import ProviderIdentity, SignInRefused
from ..store.unit_of_work import UnitOfWork
from .api import set_session_cookie
from .pages import safe_next, see_other, sign_in_form
from .settings import SingleSignOnSettings

router = APIRouter(include_in_schema=False)
START_PATH = "/sign-in/oidc"
CALLBACK_PATH = "/sign-in/oidc/callback"
PENDING_COOKIE = "alongside_sso"
PENDING_SECONDS = 600  # time to sign in at the provider, its own second factor included
CLOCK_LEEWAY_SECONDS = 60  # between our clock and the provider's
TIMEOUT_SECONDS = 10

COULD_NOT_CHECK = ("Your organisation's sign-in could not be checked, so you have not been signed in. Please try "
                   "again; if it happens again, tell your IT service desk.")
START_AGAIN = "This sign-in was not started from this browser, or it took too long. Please start again."


class SignInFailed(Exception):
    """The protocol failed: `reason` is a short code for the audit log, `detail` is for the person."""

    def __init__(self, reason: str, detail: str = COULD_NOT_CHECK) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    verifier: str
    next: str

    def cookie(self) -> str:
        # state, nonce and verifier are URL-safe base64 (no "."); the page is quoted.
        return ".".join((self.state, self.nonce, self.verifier, quote(self.next, safe="")))

    @classmethod
    def from_cookie(cls, value: str | None) -> PendingSignIn | None:
        parts = (value or "").split(".")
        return cls(*parts[:3], unquote(parts[3])) if len(parts) == 4 and all(parts) else None


class OpenIdProvider:
    """The hospital's provider as its discovery document describes it, read once per process."""

    def __init__(self, settings: SingleSignOnSettings, redirect_uri: str, post_sign_out_uri: str) -> None:
        self.settings, self.redirect_uri, self.post_sign_out_uri = settings, redirect_uri, post_sign_out_uri
        self._lock = threading.Lock()
        self._metadata: dict | None = None
        self._keys: KeySet | None = None

    def metadata(self) -> dict:
        with self._lock:
            if self._metadata is None:
                found = self._get(f"{self.settings.issuer}/.well-known/openid-configuration")
                if found.get("issuer") != self.settings.issuer:  # OpenID Connect Discovery 1.0, 4.3
                    raise SignInFailed("discovery-issuer-differs")
                self._metadata = found
            return self._metadata

    def keys(self, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or refresh:
                self._keys = KeySet.import_key_set(self._get(self._metadata["jwks_uri"]))
            return self._keys

    def _get(self, url: str) -> dict:
        try:
            response = requests.get(url, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as problem:
            raise SignInFailed("provider-unreachable", "Your organisation's sign-in service did not answer. "
                               "Please try again in a moment, or sign in with your password.") from problem

    def _session(self, **token) -> OAuth2Session:
        return OAuth2Session(self.settings.client_id, self.settings.client_secret, scope=" ".join(self.settings.scopes),
                             redirect_uri=self.redirect_uri, code_challenge_method="S256", **token)

    def start(self, next_page: str) -> tuple[str, PendingSignIn]:
        """The provider's address to send the browser to, and what the callback will check."""
        pending = PendingSignIn(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48), next_page)
        with self._session() as session:
            url, _ = session.create_authorization_url(self.metadata()["authorization_endpoint"], state=pending.state,
                                                      nonce=pending.nonce, code_verifier=pending.verifier)
        return url, pending

    def finish(self, pending: PendingSignIn | None, answer: Mapping[str, str]) -> ProviderIdentity:
        """Check the provider's answer, swap its code for tokens and check the ID token."""
        if pending is None or not secrets.compare_digest(answer.get("state", ""), pending.state):
            raise SignInFailed("bad-state", START_AGAIN)
        metadata = self.metadata()
        if answer.get("error"):
            raise SignInFailed(f"provider-error:{answer['error']}"[:60], "Your organisation's sign-in did not sign "
                               "you in. Please try again, or sign in with your password.")
        if "iss" in answer and answer["iss"] != self.settings.issuer:  # RFC 9207: a mix-up of providers
            raise SignInFailed("wrong-issuer")
        with self._session() as session:
            try:
                tokens = session.fetch_token(metadata["token_endpoint"], code=answer.get("code", ""),
                                             code_verifier=pending.verifier, timeout=TIMEOUT_SECONDS)
            except (OAuthError, requests.RequestException, ValueError) as problem:
                raise SignInFailed("code-refused") from problem
            if "id_token" not in tokens:
                raise SignInFailed("no-id-token")
            claims = self.verified_claims(tokens["id_token"], pending.nonce)
            claims = self._with_userinfo(session, claims)
        return ProviderIdentity(issuer=self.settings.issuer, subject=claims["sub"], claims=claims)

    def _with_userinfo(self, session: OAuth2Session, claims: dict) -> dict:
        """Some providers (NHS CIS2) give roles only from the UserInfo endpoint. Its answer counts
        only for the same subject (OpenID Connect Core 5.3.2); the ID token's signed claims win."""
        endpoint = self.metadata().get("userinfo_endpoint")
        if not endpoint:
            return claims
        try:
            response = session.get(endpoint, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            userinfo = response.json()
        except (OAuthError, requests.RequestException, ValueError) as problem:
            raise SignInFailed("userinfo-failed") from problem
        if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
            raise SignInFailed("userinfo-subject-differs")
        return {**userinfo, **claims}

    def verified_claims(self, id_token: str, nonce: str) -> dict:
        """OpenID Connect Core 3.1.3.7: signature by the provider's key, then iss, aud, azp, exp, iat, nonce."""
        algorithms = [a for a in self.metadata().get("id_token_signing_alg_values_supported", ["RS256"])
                      if a != "none" and not a.startswith("HS")]  # never unsigned, nor keyed by our secret
        try:
            token = self._decoded(id_token, algorithms)
        except BadSignatureError as problem:
            raise SignInFailed("bad-signature") from problem
        except (JoseError, ValueError) as problem:
            raise SignInFailed("unreadable-id-token") from problem
        expected = {"essential": True}
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS, iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.client_id}, sub=expected, exp=expected, iat=expected,
            nonce={"essential": True, "value": nonce})
        try:
            registry.validate(token.claims)
        except ClaimError as problem:
            raise SignInFailed(f"bad-{problem.claim}") from problem
        audiences = token.claims["aud"] if isinstance(token.claims["aud"], list) else [token.claims["aud"]]
        if len(audiences) > 1 and token.claims.get("azp") != self.settings.client_id:
            raise SignInFailed("bad-azp")
        return token.claims

    def _decoded(self, id_token: str, algorithms: list[str]):
        try:
            return jwt.decode(id_token, self.keys(), algorithms=algorithms)
        except BadSignatureError:
            raise
        except JoseError:  # signed with a key we have not seen: the provider may have rotated its keys
            return jwt.decode(id_token, self.keys(refresh=True), algorithms=algorithms)

    def end_session_url(self) -> str | None:
        """The provider's own sign-out (RP-Initiated Logout 1.0), if it offers one."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except SignInFailed:
            return None
        if not endpoint:
            return None
        query = urlencode({"client_id": self.settings.client_id, "post_logout_redirect_uri": self.post_sign_out_uri})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def provider_for(settings) -> OpenIdProvider | None:
    """Built once by the app from its settings; None when single sign-on is not configured."""
    if settings.single_sign_on is None:
        return None
    base = settings.public_url.rstrip("/")
    return OpenIdProvider(settings.single_sign_on, base + CALLBACK_PATH, base + "/sign-in")


def _provider(request: Request) -> OpenIdProvider:
    provider = request.app.state.single_sign_on
    if provider is None:
        raise HTTPException(404, "Single sign-on is not set up on this service.")
    return provider


@router.get(START_PATH)
async def start_sign_in(request: Request, next: str = "/") -> Response:
    provider = _provider(request)
    try:
        url, pending = await run_in_threadpool(provider.start, safe_next(next))
    except SignInFailed as failure:
        return await run_in_threadpool(_refused, request, failure.reason, failure.detail)
    response = see_other(url)
    response.set_cookie(PENDING_COOKIE, pending.cookie(), max_age=PENDING_SECONDS, path=START_PATH, httponly=True,
                        secure=request.app.state.settings.cookie_secure, samesite="lax")
    return response


@router.get(CALLBACK_PATH, response_class=HTMLResponse)
async def finish_sign_in(request: Request) -> Response:
    provider = _provider(request)
    pending = PendingSignIn.from_cookie(request.cookies.get(PENDING_COOKIE))
    try:
        identity = await run_in_threadpool(provider.finish, pending, dict(request.query_params))
    except SignInFailed as failure:
        return await run_in_threadpool(_refused, request, failure.reason, failure.detail)
    return await run_in_threadpool(_signed_in, request, identity, pending.next)


def _signed_in(request: Request, identity: ProviderIdentity, next_page: str) -> Response:
    settings = request.app.state.settings
    with UnitOfWork(request.app.state.sessions, serialise=True) as uow:
        try:
            signed_in = single_sign_on.sign_in_with_provider(uow, identity, settings.single_sign_on.mapping)
        except SignInRefused as refusal:
            response = sign_in_form(request, 403, refusal.detail)
        else:
            uow.commit()
            response = see_other(next_page)
            set_session_cookie(request, response, signed_in.token)
    response.delete_cookie(PENDING_COOKIE, path=START_PATH)
    return response


def _refused(request: Request, reason: str, detail: str) -> Response:
    with UnitOfWork(request.app.state.sessions, serialise=True) as uow:
        single_sign_on.record_refusal(uow, None, reason)
    response = sign_in_form(request, 403 if reason != "provider-unreachable" else 502, detail)
    response.delete_cookie(PENDING_COOKIE, path=START_PATH)
    return response
