"""`alongside trials import PATH` and `alongside trials fetch`: studies into the store."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import typer

from ..store.database import make_engine, session_factory
from ..store.migrate import upgrade
from .importer import ImportLimits, ImportRefused, ImportSummary, Sources, StudySource, import_sources, open_sources

API_V2 = "https://clinicaltrials.gov/api/v2"
# The registry allows up to 1,000 studies a page; 100 keeps each response a few MB.
DEFAULT_PAGE_SIZE = 100
PROGRESS_FROM = 50  # files; a shorter import needs no bar


def register(app: typer.Typer) -> None:
    """Add this module's commands to `alongside trials`."""
    app.command("import")(import_command)
    app.command("fetch")(fetch_command)


def import_command(
        path: Path = typer.Argument(..., help="A study's API v2 JSON file, a directory of them, or the bulk download zip"),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
        max_expanded_mb: int = typer.Option(2048, help="Refuse a zip whose entries would expand beyond this"),
) -> None:
    """Import ClinicalTrials.gov studies; a study already stored is updated only when the
    registry's last-update date moved on."""
    limits = ImportLimits(max_expanded_bytes=max_expanded_mb * 1024**2)
    try:
        sources = open_sources(path, limits)
    except ImportRefused as error:
        typer.echo(f"Refused: {error}", err=True)
        raise typer.Exit(2)
    summary = _run(sources)
    _report(summary, as_json)
    if summary.rejected:
        raise typer.Exit(1)


def fetch_command(
        condition: str = typer.Option("breast cancer", help="The registry's condition search (query.cond)"),
        page_size: int = typer.Option(DEFAULT_PAGE_SIZE, min=1, max=1000, help="Studies per page"),
        max_pages: int = typer.Option(0, min=0, help="Stop after this many pages (0: all)"),
        base_url: str = typer.Option(API_V2, envvar="ALONGSIDE_CTGOV_URL", help="The API v2 base URL"),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
) -> None:
    """Page through the live ClinicalTrials.gov API v2 and import what it returns."""
    pages = RegistryPages(base_url, condition, page_size, max_pages)
    summary = _run(Sources(0, pages.studies(), []))
    _report(summary, as_json, pages=pages.fetched)
    if pages.failure:
        typer.echo(f"Stopped after {pages.fetched} page(s): {pages.failure}", err=True)
        raise typer.Exit(1)
    if summary.rejected:
        raise typer.Exit(1)


class RegistryPages:
    """The API v2 search, one page at a time, following nextPageToken. A network or HTTP
    failure ends the pages (the studies already read are still imported) and is kept."""

    def __init__(self, base_url: str, condition: str, page_size: int, max_pages: int):
        self.url = base_url.rstrip("/") + "/studies"
        self.params = {"query.cond": condition, "pageSize": page_size, "format": "json"}
        self.max_pages = max_pages
        self.fetched = 0
        self.failure: str | None = None

    def studies(self) -> Iterator[StudySource]:
        token = None
        with httpx.Client(timeout=60, headers={"User-Agent": "alongside (trials fetch)"}) as client:
            while not self.max_pages or self.fetched < self.max_pages:
                page = self._page(client, token)
                if page is None:
                    return
                for index, study in enumerate(page.get("studies") or ()):
                    yield StudySource(f"page {self.fetched} study {index + 1}",
                                      lambda study=study: json.dumps(study).encode())
                token = page.get("nextPageToken")
                if not token:
                    return

    def _page(self, client: httpx.Client, token: str | None) -> dict | None:
        params = dict(self.params, **({"pageToken": token} if token else {}))
        try:
            response = client.get(self.url, params=params)
            response.raise_for_status()
            page = response.json()
        except (httpx.HTTPError, ValueError) as error:
            self.failure = f"{self.url}: {error}"
            return None
        if not isinstance(page, dict):
            self.failure = f"{self.url}: the response is not an API v2 page"
            return None
        self.fetched += 1
        return page


def _run(sources: Sources) -> ImportSummary:
    engine = make_engine()
    upgrade(engine)
    try:
        with _progress(sources.total) as on_progress:
            return import_sources(session_factory(engine), sources, on_progress)
    finally:
        engine.dispose()


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal for a long import; nothing in a pipe or a log."""
    if not sys.stderr.isatty() or os.environ.get("CI") or (total and total < PROGRESS_FROM):
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("Importing studies", total=total or None)
        yield lambda done, _total: progress.update(task, completed=done)


def _report(summary: ImportSummary, as_json: bool, pages: int | None = None) -> None:
    if as_json:
        typer.echo(json.dumps({**summary.as_dict(), **({"pages": pages} if pages is not None else {})}, indent=2))
        return
    if pages is not None:
        typer.echo(f"Pages read: {pages}")
    typer.echo(f"Added: {summary.added}  Updated: {summary.updated}  Unchanged: {summary.unchanged}  "
               f"Rejected: {len(summary.rejected)}")
    for rejection in summary.rejected:
        typer.echo(f"  rejected {rejection.source}: {rejection.reason}")
    for duplicate in summary.duplicates:
        typer.echo(f"  {duplicate.source}: {duplicate.nct_id} again (first in {duplicate.first_source}); read once")
    if summary.skipped:
        typer.echo(f"Not studies, skipped: {len(summary.skipped)} file(s)")
