"""The FastAPI application: API, pages, static files, error mapping and security middleware."""

from __future__ import annotations

import asyncio
import gc
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import __version__
from ..clinical import units
from ..domain import content, results
from ..domain.check_in_items import check_in_items
from ..domain.errors import DomainError, NotSignedIn
from ..store.database import make_engine, session_factory
from . import (account_pages, api, api_docs, caseload_pages, dose_diary_pages, fhir_api, messages, own_copy, pages, planning, response_times, results_pages,
               second_factor_pages, single_sign_on, team_settings_pages, triage_pages, trials_api, trials_pages)
from . import openapi as openapi_document
from .problems import from_domain_error, from_validation_errors, problem_response
from .monitor import run_forever, start_sender
from .security import SecurityMiddleware
from .settings import Settings

MACHINE_PREFIXES = ("/api/", "/fhir/")
YOUNG_OBJECTS = 50_000  # see prepare_process


def prepare_process() -> None:
    """Load what every request may need, then keep the collector away from it.

    What start-up builds (the UCUM registry above all) lives as long as the process: frozen out
    of the garbage collector's reach, a full collection no longer walks it in the middle of a
    request. That took the five-year timeline's p95 from about 128 ms to 48 ms on the bench.

    The youngest generation is then collected after YOUNG_OBJECTS new objects instead of
    Python's 700. A long page builds tens of thousands of objects that live until its response
    is sent: at 700 the collector ran about 16 times in each five-year timeline, moving them to
    the older generations to be walked again, and a full collection (which found nothing to
    free) landed in one request in eight, the slowest requests' largest cost. Those objects are
    freed by reference counting when the request ends (a served timeline leaves no cycles
    behind), so at YOUNG_OBJECTS a collection is rare; garbage that does hold cycles waits at
    most that many allocations (a few megabytes) to be freed."""
    units.prepare()
    content.urgent_words(), content.message_targets()  # a bad list or target fails the start, not a message
    check_in_items()  # a check-in symptom linked to an unknown medicine fails the start, not a check-in
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, old)


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    await asyncio.to_thread(prepare_process)
    task = None
    if settings.monitor_interval > 0:
        task = asyncio.create_task(run_forever(app.state.sessions, settings))
    sender = start_sender(app.state.sessions, settings) if settings.send_at_commit else None
    yield
    if task:
        task.cancel()
    if sender:
        await asyncio.to_thread(sender.stop)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_environment()
    # FastAPI's own OpenTelemetry is off: it would report paths, patient ids in them, to any
    # collector configured in the process. Nothing about a request leaves the service.
    app = FastAPI(title="Alongside", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
                  openapi_url="/api/v1/openapi.json",
                  description="The shared record and monitoring loop for people living with secondary breast cancer.")
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessions = session_factory(app.state.engine)
    results.RECENT_TIMELINES.resize(settings.kept_timelines)
    app.state.single_sign_on = single_sign_on.provider_for(settings)
    # First: the router tries routes in order, and the baseline should not pay for the others.
    app.add_api_route("/healthz", lambda: {"status": "ok"}, include_in_schema=False)
    app.include_router(messages.api_router)
    app.include_router(api.router)
    app.include_router(messages.router)
    app.include_router(results_pages.router)  # its result tables before the record's other lists
    app.include_router(pages.router)
    app.include_router(triage_pages.router)
    app.include_router(single_sign_on.router)
    app.include_router(caseload_pages.router)
    app.include_router(response_times.router)
    app.include_router(team_settings_pages.router)
    app.include_router(account_pages.router)
    app.include_router(second_factor_pages.router)
    app.include_router(own_copy.router)
    app.include_router(fhir_api.router)
    app.include_router(planning.router)
    app.include_router(dose_diary_pages.router)
    app.include_router(planning.api_router)
    app.include_router(trials_api.router)
    app.include_router(trials_pages.router)
    app.include_router(api_docs.router)  # its own page and assets: FastAPI's would load a CDN's
    openapi_document.install(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    _map_errors(app)
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.max_body_bytes, hsts=settings.cookie_secure,
                       max_upload_bytes=settings.max_upload_bytes)
    # Outermost: a request for another host is refused before anything reads it, and the client's
    # address comes from X-Forwarded-For only when a named proxy sent it (uvicorn's own proxy
    # handling is off in `alongside serve`, so these settings are the only place it is decided).
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=[urlsplit(settings.public_url).hostname,
                                                             *settings.allowed_hosts])
    if settings.forwarded_allow_ips:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(MACHINE_PREFIXES)


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if _wants_json(request):
            return from_domain_error(exc, request.url.path)
        if isinstance(exc, NotSignedIn):
            return pages.sign_in_redirect(request)
        return pages.render(request, "error.html", exc.status, title=exc.title, detail=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return from_validation_errors(exc.errors(), request.url.path)
        return pages.render(request, "error.html", 422, title="Invalid address",
                            detail="This page address is not valid. Go back and try again.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # Logged by the server with its traceback; the person gets no internals.
        if _wants_json(request):
            return problem_response(500, "Internal error", "Something went wrong on our side. Nothing was saved.",
                                    instance=request.url.path)
        return pages.render(request, "error.html", 500, title="Something went wrong",
                            detail="Something went wrong on our side. Nothing was saved. Please try again.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        title = "Not found" if exc.status_code == 404 else "Request could not be completed"
        if _wants_json(request):
            return problem_response(exc.status_code, title, str(exc.detail), instance=request.url.path)
        return pages.render(request, "error.html", exc.status_code, title=title, detail=str(exc.detail))


def __getattr__(name: str):
    """`alongside.web.app:app` for uvicorn: built on first use from the environment."""
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)

