"""Pages for results over time: the tables of blood tests, tumour markers and scans, the timeline,
and importing blood results from a CSV file."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..domain.dates import long_date
from ..domain import reading, result_sharing, results, services
from ..domain.records import RECORD_KINDS, kind, measured_lesions
from ..domain.results import lesion_key
from ..domain.errors import InvalidInput, NeedsConfirming
from ..domain.people import Relationship
from ..domain.records import validate
from ..fhir.importer import import_results
from ..reports import timeline as timeline_charts
from starlette.datastructures import UploadFile

from ..store.unit_of_work import UnitOfWork
from .context import Visit, with_unit_of_work
from .forms import build_form, joined_lesions, lesion_field, parse_form, submitted_values
from .pages import _by_field, _version, _zone, render, see_other

router = APIRouter(include_in_schema=False)
MAX_CSV_BYTES = 1_000_000  # the request body cap; larger files go through `alongside labs import`


# --- Result tables: newest first, grouped by test, paged ---------------------------------------------
# Each test (or marker) shows its newest results; one test at a time pages through all of them.
READINGS_PER_TEST, READINGS_PER_PAGE = 5, 25


@dataclass(frozen=True)
class Page:
    """One page of a table's rows, newest first; `number` is always a page that exists."""

    rows: list
    number: int
    pages: int
    total: int


def paged(rows: list, asked: int, per_page: int) -> Page:
    """The rows of page `asked`; a page past the last is the last (never an empty table)."""
    pages = max(1, -(-len(rows) // per_page))
    number = min(max(asked, 1), pages)
    return Page(rows[(number - 1) * per_page:number * per_page], number, pages, len(rows))


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 10_000 else 1


def _series_page(request: Request, uow, current: Visit, patient_id: UUID, slug: str, every_test: list,
                 rows_of: str, entries: list, **context) -> HTMLResponse:
    """Blood tests and tumour markers: a table per test, or one test's table a page at a time.
    `entries`: the results shown, which their date flags and her team's holds are read from."""
    record = reading.open_record(uow, current.actor, patient_id)
    held = _held(uow, current, patient_id, slug, entries, record.relationship) if entries else None
    uow.commit()
    flags = services.date_flags(record.patient, entries, request.app.state.settings.early_date_margin)
    chosen = request.query_params.get("test")
    shown = [s for s in every_test if s.key == chosen] or every_test
    one_test = len(shown) == 1 and chosen is not None
    asked = _page_number(request.query_params.get("page"))
    tables = [(s, paged(getattr(s, rows_of), asked if one_test else 1, READINGS_PER_PAGE if one_test else READINGS_PER_TEST))
              for s in shown]
    record_kind = kind(slug)
    return render(request, "result_series.html", patient=record.patient, kind=record_kind, every_test=every_test,
                  tables=tables, one_test=one_test, may_write=record.may_write(record_kind), held=held,
                  holdable=slug in result_sharing.HELD_KINDS, flags=flags, **context)


def _held(uow, current: Visit, patient_id: UUID, slug: str, entries: list, relationship):
    """For her team: which of these results are not yet shown to her (the rule of result_sharing)."""
    if relationship not in result_sharing.SEES_EVERYTHING:
        return None
    return result_sharing.results_held(uow, current.actor, patient_id, {slug: entries})


@router.get("/patients/{patient_id}/record/lab-results", response_class=HTMLResponse)
@with_unit_of_work
def blood_tests(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    every_test, lab_entries = results.blood_tests(uow, current.actor, patient_id)
    return _series_page(request, uow, current, patient_id, "lab-results", every_test, "readings",
                        list(lab_entries.values()), mark=results.reading_mark, lab_entries=lab_entries)


@router.get("/patients/{patient_id}/record/tumour-markers", response_class=HTMLResponse)
@with_unit_of_work
def tumour_markers(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    every_marker = results.marker_tables(uow, current.actor, patient_id)
    return _series_page(request, uow, current, patient_id, "tumour-markers", every_marker, "rows",
                        [row.entry for series in every_marker for row in series.rows])


@router.get("/patients/{patient_id}/record/scans", response_class=HTMLResponse)
@with_unit_of_work
def scans(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    readings = results.scan_table(uow, current.actor, patient_id)
    record = reading.open_record(uow, current.actor, patient_id)
    held = _held(uow, current, patient_id, "scans", [r.entry for r in readings], record.relationship)
    uow.commit()
    flags = services.date_flags(record.patient, [r.entry for r in readings], request.app.state.settings.early_date_margin)
    record_kind = kind("scans")
    page = paged(readings, _page_number(request.query_params.get("page")), READINGS_PER_PAGE)
    return render(request, "scans.html", patient=record.patient, kind=record_kind, page=page, held=held,
                  holdable=True, may_write=record.may_write(record_kind), flags=flags)


@router.get("/patients/{patient_id}/timeline", response_class=HTMLResponse)
@with_unit_of_work
def timeline(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork,
             span: str = Query("1y", pattern="^(3m|1y|all)$"), labs: list[str] = Query([])):
    today = request.app.state.settings.clock().date()
    story = results.timeline(uow, current.actor, patient_id, today, span, labs or None)
    patient = services.read_patient(uow, current.actor, patient_id)
    uow.commit()
    return render(request, "timeline.html", patient=patient, timeline=story, charts=timeline_charts.draw(story),
                  spans=results.SPANS, chosen={lab.key for lab in story.labs}, mark=results.reading_mark)


@router.get("/patients/{patient_id}/lab-results/import", response_class=HTMLResponse)
@with_unit_of_work
def import_form(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    patient = reading.open_form(uow, current.actor, patient_id, RECORD_KINDS["lab-results"])
    uow.commit()
    return render(request, "lab_import.html", patient=patient, columns=results.CSV_COLUMNS, errors=[])


@router.post("/patients/{patient_id}/lab-results/import", response_class=HTMLResponse)
@with_unit_of_work
def import_csv(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork,
               files: dict[str, UploadFile], form: dict[str, str]):
    upload = files.get("file")
    settings = request.app.state.settings
    confirmed = "confirm_early_dates" in form
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("Choose a CSV file to import", field="file")
        if upload.filename.lower().endswith(".json"):
            return _import_fhir(request, uow, current, patient_id, upload.file.read(), confirmed)
        text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
        report = results.import_lab_results(uow, current.actor, patient_id, _decoded(text),
                                            settings.monitoring.thresholds, settings.clock(),
                                            confirm_early_dates=confirmed, early_date_margin=settings.early_date_margin)
    except InvalidInput as exc:
        uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        errors = exc.errors or [{"field": exc.field or "file", "message": exc.detail}]
        return render(request, "lab_import.html", 422, patient=patient, columns=results.CSV_COLUMNS,
                      errors=errors, summary=exc.detail, confirm=isinstance(exc, NeedsConfirming))
    uow.commit()
    return see_other(f"/patients/{patient_id}/timeline?imported={report.added}&skipped={report.already_there}")


def _import_fhir(request: Request, uow, current: Visit, patient_id: UUID, body: bytes, confirmed: bool):
    """A FHIR JSON file from a laboratory system: one Observation or a Bundle of them."""
    report = import_results(uow, current.actor, patient_id, body, field="file", confirm_early_dates=confirmed,
                            early_date_margin=request.app.state.settings.early_date_margin)
    if not report.written:
        uow.rollback()
        patient = services.read_patient(uow, current.actor, patient_id)
        uow.commit()
        errors = [{"field": None, "message": issue.diagnostics} for issue in report.errors]
        return render(request, "lab_import.html", 422, patient=patient, columns=results.CSV_COLUMNS,
                      errors=errors, summary="Nothing was imported: the file has problems")
    uow.commit()
    return see_other(f"/patients/{patient_id}/timeline?imported={report.created}&skipped={report.unchanged + report.updated}")


# --- When she sees her results ----------------------------------------------------------------------

@router.get("/patients/{patient_id}/result-sharing", response_class=HTMLResponse)
@with_unit_of_work
def sharing_page(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork):
    page = _sharing_page(request, uow, current, patient_id, None, {})
    uow.commit()
    return page


@router.post("/patients/{patient_id}/result-sharing", response_class=HTMLResponse)
@with_unit_of_work
def change_sharing(request: Request, patient_id: UUID, current: Visit, uow: UnitOfWork, form: dict[str, str]):
    try:
        settings = validate(result_sharing.ResultSharing, parse_form(result_sharing.ResultSharing, form, _zone(request)))
        result_sharing.change_sharing(uow, current.actor, patient_id, settings, _version(form))
    except InvalidInput as exc:
        uow.rollback()
        page = _sharing_page(request, uow, current, patient_id, submitted_values(form), _by_field(exc), 422)
        uow.commit()
        return page
    uow.commit()
    return see_other(f"/patients/{patient_id}/result-sharing?saved=1")


def _sharing_page(request, uow, current, patient_id, values, errors, status=200):
    record = reading.open_record(uow, current.actor, patient_id)
    choice = result_sharing.sharing_choice(uow, current.actor, patient_id)
    values = values if values is not None else choice.settings.model_dump()
    return render(request, "result_sharing.html", status, patient=record.patient, choice=choice, errors=errors,
                  may_change=record.relationship is Relationship.SELF, saved="saved" in request.query_params,
                  fields=build_form(result_sharing.ResultSharing, values, errors, _zone(request)))


@router.post("/patients/{patient_id}/record/{slug}/{entry_id}/discussed")
@with_unit_of_work
def mark_discussed(request: Request, patient_id: UUID, slug: str, entry_id: UUID, current: Visit, uow: UnitOfWork):
    result_sharing.mark_discussed(uow, current.actor, patient_id, slug, entry_id, request.app.state.settings.clock())
    uow.commit()
    return see_other(f"/patients/{patient_id}/record/{slug}#entry-{entry_id}")


def _decoded(text: io.TextIOWrapper):
    try:
        yield from text
    except UnicodeDecodeError:
        raise InvalidInput("The file is not text in UTF-8; save it from your spreadsheet as 'CSV UTF-8'",
                           field="file") from None


def baseline_lesion_fields(request: Request, uow, actor, patient, fields: list, values: dict, entry) -> list:
    """During a line of treatment a scan measures its baseline's lesions: offer a size box for each
    of them instead of typed names (a new baseline, with no line running, is typed as before)."""
    try:
        day = date.fromisoformat(str(values.get("performed_on") or ""))
    except ValueError:
        day = services.local_day(patient, request.app.state.settings.clock())
    line, baseline = reading.scan_baseline(uow, actor, patient.id, day, entry.id if entry else None)
    if baseline is None:
        return fields
    sites = [lesion.site for lesion in measured_lesions(baseline.data.target_lesions)]
    try:
        typed = {lesion_key(m.site): f"{m.diameter_mm:g}"
                 for m in measured_lesions(joined_lesions(values).get("target_lesions"))}
    except ValueError:
        typed = {}
    sizes = {site: typed.get(lesion_key(site), "") for site in sites}
    hint = (f"The target lesions of the baseline scan of {long_date(baseline.data.performed_on)}, before line "
            f"{line.line_of_treatment} ({line.name}). Give each size in mm; leave a box empty if it was not measured.")
    return [lesion_field(f.name, f.label, sites, sizes, hint, f.error) if f.name == "target_lesions" else f
            for f in fields]
