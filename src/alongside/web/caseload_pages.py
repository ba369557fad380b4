"""The clinician's caseload page: sorted and filtered by a GET form (no JavaScript needed), a
page at a time. Thin handler: parse the form, call the use case, render."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..domain import caseload as use_case
from ..domain import reading
from ..domain.caseload import ALERT_FILTER_WORDS, LINE_CHOICES, SORT_WORDS, CaseloadQuery, SortBy
from ..domain.errors import InvalidInput
from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work
from .pages import render

router = APIRouter(include_in_schema=False)


@router.get("/caseload", response_class=HTMLResponse)
@with_unit_of_work
def caseload(request: Request, current: Visit, uow: UnitOfWork, q: str = Query("", max_length=100),
             alerts: str = Query("", max_length=10), weeks: str = Query("", max_length=10),
             line: str = Query("", max_length=10), sort: str = Query("", max_length=20),
             order: str = Query("", max_length=10), page: int = Query(1, ge=1, le=100000)):
    asked = {"q": q, "alerts": alerts, "weeks": weeks, "line": line, "sort": sort, "order": order}
    errors, status = {}, 200
    try:
        query = CaseloadQuery.from_form(**asked)
    except InvalidInput as exc:  # the form comes back with what was typed and the field named
        errors, status, query = {exc.field: exc.detail}, 422, CaseloadQuery(text=q.strip())
    size = use_case.PAGE_SIZE
    result = use_case.caseload(uow, current.actor, query, request.app.state.settings.clock(), (page - 1) * size, size)
    teams = reading.own_team_names(uow, current.actor)
    uow.commit()
    return render(request, "caseload.html", status, page=result, number=page, asked=asked, query=query,
                  errors=errors, teams=teams, links=_links(query, asked, page), alert_words=ALERT_FILTER_WORDS,
                  line_choices=LINE_CHOICES)


def _links(query: CaseloadQuery, asked: dict[str, str], page: int) -> dict:
    """The URLs the page links to, each keeping the filters: one per column heading (sorting by
    it, or turning its order round if it is the sort already) and the previous and next page."""
    filters = {k: v for k, v in asked.items() if k in ("q", "alerts", "weeks", "line") and v}
    sorted_by = {"sort": query.sort.value, **({"order": "reverse"} if query.reverse else {})}

    def url(**params) -> str:
        return "/caseload?" + urlencode({k: v for k, v in params.items() if v})

    headings = []
    for column, words in SORT_WORDS.items():
        current = column is query.sort
        turned = "" if (current and query.reverse) or not current else "reverse"
        headings.append({"column": column.value, "words": words, "url": url(**filters, sort=column.value, order=turned),
                         "aria_sort": _aria_sort(column, query) if current else None})
    return {"headings": {h["column"]: h for h in headings},
            "previous": url(**filters, **sorted_by, page=str(page - 1)),
            "next": url(**filters, **sorted_by, page=str(page + 1))}


def _aria_sort(column: SortBy, query: CaseloadQuery) -> str:
    # The natural order of the alert column is worst first, which is descending.
    descending_naturally = column is SortBy.ALERTS
    return "descending" if descending_naturally != query.reverse else "ascending"
