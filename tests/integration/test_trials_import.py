"""Importing ClinicalTrials.gov studies into the real database (SQLite, and PostgreSQL when
configured): files, directories, the bulk zip, the registry's API through a local server, and
every kind of bad input the issue names."""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from alongside.cli import app as cli
from alongside.store import tables as t
from alongside.store.database import session_factory
from alongside.store.unit_of_work import UnitOfWork
from alongside.trials.eligibility_text import EXTRACTOR_VERSION, extract_criteria
from alongside.trials.importer import ImportLimits, ImportRefused, import_path
from alongside.trials.study import parse_study

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov"
STUDY_FILES = sorted(FIXTURES.glob("NCT*.json"))
HEREDERA = "NCT05296798"


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


def stored(sessions) -> dict[str, str]:
    """nct_id -> brief title of every stored study."""
    with UnitOfWork(sessions) as uow:
        return dict(uow.db.execute(select(t.TrialStudyRow.nct_id, t.TrialStudyRow.brief_title)).all())


def site_count(sessions, nct_id: str) -> int:
    with UnitOfWork(sessions) as uow:
        return uow.db.scalar(select(func.count()).select_from(t.TrialSiteRow).where(t.TrialSiteRow.nct_id == nct_id))


def fixture(nct_id: str) -> dict:
    return json.loads((FIXTURES / f"{nct_id}.json").read_text())


def write(path: Path, document: dict | str) -> Path:
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def bulk_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def fixture_entries() -> dict[str, bytes]:
    return {f"ctg-studies/{path.name}": path.read_bytes() for path in STUDY_FILES}


# --- What is accepted ----------------------------------------------------------------------------

def test_one_study_file_is_stored_with_its_sites_and_read_back_as_parsed(sessions):
    summary = import_path(sessions, FIXTURES / f"{HEREDERA}.json")
    assert (summary.added, summary.updated, summary.unchanged, summary.rejected) == (1, 0, 0, [])
    with UnitOfWork(sessions) as uow:
        study, _criteria = uow.trials.get(HEREDERA)
        assert uow.trials.document(HEREDERA) == fixture(HEREDERA)
    assert study == parse_study(fixture(HEREDERA))
    assert site_count(sessions, HEREDERA) == 237


def test_a_directory_is_imported_whole_and_what_is_not_a_study_is_skipped(sessions, tmp_path):
    for path in STUDY_FILES:
        shutil.copy(path, tmp_path)
    shutil.copy(FIXTURES / "SOURCES.md", tmp_path)
    summary = import_path(sessions, tmp_path)
    assert (summary.added, len(summary.rejected)) == (41, 0)
    assert summary.skipped == [str(tmp_path / "SOURCES.md")]
    assert set(stored(sessions)) == {path.stem for path in STUDY_FILES}


def test_the_bulk_zip_is_imported_entry_by_entry(sessions, tmp_path):
    progress = []
    summary = import_path(sessions, bulk_zip(tmp_path / "ctg-studies.zip", fixture_entries()),
                          on_progress=lambda done, total: progress.append((done, total)))
    assert (summary.added, summary.updated, summary.unchanged, len(summary.rejected)) == (41, 0, 0, 0)
    assert len(stored(sessions)) == 41
    assert progress[0] == (1, 41) and progress[-1] == (41, 41)


def test_a_reimport_changes_only_the_study_whose_last_update_moved(sessions, tmp_path):
    for path in STUDY_FILES:
        shutil.copy(path, tmp_path)
    import_path(sessions, tmp_path)
    assert import_path(sessions, tmp_path).unchanged == 41

    moved = fixture(HEREDERA)
    moved["protocolSection"]["identificationModule"]["briefTitle"] = "heredERA, as the registry now titles it"
    moved["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2025-07-01"
    moved["protocolSection"]["contactsLocationsModule"]["locations"] = \
        moved["protocolSection"]["contactsLocationsModule"]["locations"][:3]
    write(tmp_path / f"{HEREDERA}.json", moved)
    same_date = fixture("NCT06103864")
    same_date["protocolSection"]["identificationModule"]["briefTitle"] = "edited without a new date"
    write(tmp_path / "NCT06103864.json", same_date)

    summary = import_path(sessions, tmp_path)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 40)
    titles = stored(sessions)
    assert titles[HEREDERA] == "heredERA, as the registry now titles it"
    assert titles["NCT06103864"] == fixture("NCT06103864")["protocolSection"]["identificationModule"]["briefTitle"]
    assert site_count(sessions, HEREDERA) == 3  # the sites were replaced, not added to


def test_an_older_copy_does_not_overwrite_a_newer_one(sessions, tmp_path):
    import_path(sessions, FIXTURES / f"{HEREDERA}.json")
    older = fixture(HEREDERA)
    older["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2020-01-01"
    older["protocolSection"]["identificationModule"]["briefTitle"] = "an old copy"
    assert import_path(sessions, write(tmp_path / "old.json", older)).unchanged == 1
    assert stored(sessions)[HEREDERA] != "an old copy"


def test_the_same_study_twice_in_one_import_is_read_once_and_said(sessions, tmp_path):
    shutil.copy(FIXTURES / f"{HEREDERA}.json", tmp_path / "a.json")
    shutil.copy(FIXTURES / f"{HEREDERA}.json", tmp_path / "b.json")
    summary = import_path(sessions, tmp_path)
    assert (summary.added, summary.unchanged, len(summary.duplicates)) == (1, 0, 1)
    duplicate = summary.duplicates[0]
    assert (duplicate.nct_id, duplicate.source, duplicate.first_source) == \
        (HEREDERA, str(tmp_path / "b.json"), str(tmp_path / "a.json"))


# --- What is refused, and that the rest goes on ---------------------------------------------------

def test_bad_files_are_each_rejected_with_file_and_reason_and_the_rest_is_imported(sessions, tmp_path):
    shutil.copy(FIXTURES / f"{HEREDERA}.json", tmp_path)
    write(tmp_path / "broken.json", '{"protocolSection": {"identificationModule": ')
    shutil.copy(FIXTURES / "legacy" / "NCT00023673.v1-full-studies.json", tmp_path)
    shutil.copy(FIXTURES / "legacy" / "NCT02513394.xml", tmp_path)
    without = fixture("NCT06103864")
    del without["protocolSection"]["eligibilityModule"]
    write(tmp_path / "no-eligibility.json", without)

    summary = import_path(sessions, tmp_path)
    reasons = {Path(r.source).name: r.reason for r in summary.rejected}
    assert summary.added == 1 and set(stored(sessions)) == {HEREDERA}
    assert reasons["broken.json"].startswith("malformed JSON")
    assert "legacy v1 JSON" in reasons["NCT00023673.v1-full-studies.json"]
    assert reasons["NCT02513394.xml"].startswith("XML")
    assert "NCT06103864 has no eligibility criteria" in reasons["no-eligibility.json"]


def test_a_zip_declaring_more_than_the_limit_is_refused_before_anything_is_expanded(sessions, tmp_path):
    archive = bulk_zip(tmp_path / "big.zip", fixture_entries())
    declared = sum(info.file_size for info in zipfile.ZipFile(archive).infolist())
    with pytest.raises(ImportRefused, match="would expand to .* over the limit"):
        import_path(sessions, archive, ImportLimits(max_expanded_bytes=declared - 1))
    assert stored(sessions) == {}


def test_a_highly_compressed_entry_is_refused_unread_and_the_others_imported(sessions, tmp_path):
    bomb = b'{"protocolSection": {"x": "' + b" " * 20_000_000 + b'"}}'  # 20 MB of spaces: about 1000 to 1
    entries = {"bomb.json": bomb, f"{HEREDERA}.json": (FIXTURES / f"{HEREDERA}.json").read_bytes()}
    summary = import_path(sessions, bulk_zip(tmp_path / "bomb.zip", entries))
    assert summary.added == 1
    [rejection] = summary.rejected
    assert rejection.source.endswith(":bomb.json") and "beyond the limit" in rejection.reason


def test_an_entry_expanding_past_its_declared_size_is_read_no_further_and_rejected(sessions, tmp_path):
    archive = bulk_zip(tmp_path / "lying.zip", {f"{HEREDERA}.json": (FIXTURES / f"{HEREDERA}.json").read_bytes()})
    data = bytearray(archive.read_bytes())
    info = zipfile.ZipFile(archive).infolist()[0]
    # Make both headers declare 100 bytes where the entry expands to far more.
    small = (100).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 22:local + 26] = small
    data[central + 24:central + 28] = small
    archive.write_bytes(bytes(data))
    assert info.file_size > 100
    summary = import_path(sessions, archive)
    assert summary.added == 0 and stored(sessions) == {}
    [rejection] = summary.rejected
    # Reading stops at the declared 100 bytes, whose checksum then fails.
    assert "cannot be read from the zip: Bad CRC-32" in rejection.reason


@pytest.mark.parametrize("name", ["../NCT05296798.json", "ctg/../../NCT05296798.json", "/etc/NCT05296798.json"])
def test_an_entry_climbing_out_or_absolute_is_refused_and_the_others_imported(sessions, tmp_path, name):
    entries = {name: (FIXTURES / f"{HEREDERA}.json").read_bytes(),
               "NCT06103864.json": (FIXTURES / "NCT06103864.json").read_bytes()}
    summary = import_path(sessions, bulk_zip(tmp_path / "climb.zip", entries))
    assert set(stored(sessions)) == {"NCT06103864"}
    [rejection] = summary.rejected
    assert "unsafe name" in rejection.reason


def test_a_study_the_database_refuses_leaves_nothing_of_it_and_its_batch_is_kept(sessions, tmp_path):
    for path in STUDY_FILES[:5]:
        shutil.copy(path, tmp_path)
    refused = fixture(HEREDERA)
    # A lone surrogate: valid JSON, but no database can store it as text. The study row would
    # be written before this site is reached.
    refused["protocolSection"]["contactsLocationsModule"]["locations"][200]["facility"] = "Hospital \ud800"
    write(tmp_path / f"{HEREDERA}.json", refused)
    summary = import_path(sessions, tmp_path)
    assert summary.added == 5
    [rejection] = summary.rejected
    assert rejection.source.endswith(f"{HEREDERA}.json") and "database refused" in rejection.reason
    assert HEREDERA not in stored(sessions) and site_count(sessions, HEREDERA) == 0
    assert len(stored(sessions)) == 5


# --- The command line -----------------------------------------------------------------------------

@pytest.fixture
def run(database_url, engine, monkeypatch):
    monkeypatch.setenv("ALONGSIDE_DATABASE_URL", database_url)

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["trials", *args])
    return invoke


def test_the_import_command_prints_the_summary_numbers(run, tmp_path):
    shutil.copy(FIXTURES / f"{HEREDERA}.json", tmp_path)
    write(tmp_path / "broken.json", "{")
    first = run("import", str(tmp_path), "--json")
    assert first.exit_code == 1, first.output  # a rejection is worth a non-zero status
    summary = json.loads(first.output)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (1, 0, 0)
    assert summary["rejected"] == [{"file": str(tmp_path / "broken.json"), "reason": summary["rejected"][0]["reason"]}]
    again = run("import", str(tmp_path / f"{HEREDERA}.json"))
    assert again.exit_code == 0, again.output
    assert "Added: 0  Updated: 0  Unchanged: 1  Rejected: 0" in again.output


def test_the_import_command_refuses_a_zip_bomb_with_status_2(run, tmp_path):
    result = run("import", str(bulk_zip(tmp_path / "b.zip", fixture_entries())), "--max-expanded-mb", "1")
    assert result.exit_code == 2 and "nothing was expanded" in result.output


class RecordedRegistry:
    """A real HTTP server answering /api/v2/studies with pages made from the fixture studies."""

    def __init__(self, studies: list[dict], fail_page: int | None = None):
        self.studies, self.fail_page, self.requests = studies, fail_page, []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                registry.requests.append((url.path, query))
                status, body = registry.answer(url.path, query)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"

    def answer(self, path: str, query: dict) -> tuple[int, bytes]:
        if path != "/api/v2/studies" or query.get("query.cond") != "breast cancer":
            return 400, b'{"message": "bad request"}'
        size, page = int(query["pageSize"]), int(query.get("pageToken", "page0")[4:])
        if page == self.fail_page:
            return 503, b'{"message": "unavailable"}'
        body = {"studies": self.studies[page * size:(page + 1) * size]}
        if (page + 1) * size < len(self.studies):
            body["nextPageToken"] = f"page{page + 1}"
        return 200, json.dumps(body).encode()

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry_studies() -> list[dict]:
    return [json.loads(path.read_text()) for path in STUDY_FILES]


def test_fetch_pages_through_the_registry_by_next_page_token(run, sessions, registry_studies):
    with RecordedRegistry(registry_studies) as registry:
        result = run("fetch", "--condition", "breast cancer", "--page-size", "15", "--base-url", registry.url, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["pages"], summary["added"]) == (3, 41)
    assert [query.get("pageToken") for _path, query in registry.requests] == [None, "page1", "page2"]
    assert all(query["pageSize"] == "15" for _path, query in registry.requests)
    assert len(stored(sessions)) == 41


def test_fetch_stops_after_max_pages(run, sessions, registry_studies):
    with RecordedRegistry(registry_studies) as registry:
        result = run("fetch", "--page-size", "15", "--max-pages", "2", "--base-url", registry.url)
    assert result.exit_code == 0, result.output
    assert len(registry.requests) == 2 and len(stored(sessions)) == 30


def test_fetch_keeps_what_it_read_when_the_registry_fails_midway(run, sessions, registry_studies, monkeypatch):
    with RecordedRegistry(registry_studies, fail_page=1) as registry:
        monkeypatch.setenv("ALONGSIDE_CTGOV_URL", registry.url)
        result = run("fetch", "--page-size", "15")
    assert result.exit_code == 1
    assert "Stopped after 1 page(s)" in result.output and "503" in result.output
    assert len(stored(sessions)) == 15


# --- What the store gives back: cached criteria, the pre-filter, saved trials ---------------------

def test_the_criteria_are_extracted_once_on_import_and_given_back_as_extracted(sessions):
    import_path(sessions, FIXTURES / f"{HEREDERA}.json")
    with UnitOfWork(sessions) as uow:
        study, criteria = uow.trials.get(HEREDERA, EXTRACTOR_VERSION)
        _same, stale = uow.trials.get(HEREDERA, EXTRACTOR_VERSION + 1)
    assert criteria == extract_criteria(parse_study(fixture(HEREDERA))) and criteria
    assert stale is None  # from another extractor: the caller reads the study again


def test_a_newer_extractor_reads_an_unchanged_study_again_on_reimport(sessions):
    import_path(sessions, FIXTURES / f"{HEREDERA}.json")
    with UnitOfWork(sessions) as uow:
        uow.db.execute(update(t.TrialStudyRow).values(criteria=[], extractor_version=EXTRACTOR_VERSION - 1))
        uow.commit()
    assert import_path(sessions, FIXTURES / f"{HEREDERA}.json").unchanged == 1
    with UnitOfWork(sessions) as uow:
        _study, criteria = uow.trials.get(HEREDERA, EXTRACTOR_VERSION)
    assert criteria and len(criteria) == len(extract_criteria(parse_study(fixture(HEREDERA))))


@pytest.fixture
def all_fixtures(sessions, tmp_path):
    assert import_path(sessions, bulk_zip(tmp_path / "all.zip", fixture_entries())).added == 41


def expected(predicate) -> set[str]:
    return {study.nct_id for study in map(parse_study, map(json.loads, map(Path.read_text, STUDY_FILES)))
            if predicate(study)}


@pytest.mark.parametrize("sex, age", [("female", 52), ("male", 30), ("female", 15), (None, None), ("female", 85)])
def test_the_prefilter_drops_only_studies_whose_sex_or_age_limits_exclude(sessions, all_fixtures, sex, age):
    def fits(study):
        return (study.about_breast_cancer and (sex is None or study.sex in (None, "ALL", sex.upper()))
                and (age is None or ((study.minimum_age_years or 0) <= age <= (study.maximum_age_years or 999))))
    with UnitOfWork(sessions) as uow:
        found = {study.nct_id for study, _criteria in uow.trials.candidates(sex, age)}
    assert found == expected(fits)
    assert found or age == 15  # no breast study here takes a 15-year-old


def test_the_prefilter_by_country_phase_and_recruiting(sessions, all_fixtures):
    with UnitOfWork(sessions) as uow:
        uk = {s.nct_id for s, _ in uow.trials.candidates("female", 52, countries=["United Kingdom"])}
        phase2 = {s.nct_id for s, _ in uow.trials.candidates(None, None, breast_only=False, phases=["PHASE2"])}
        closed = {s.nct_id for s, _ in uow.trials.candidates(None, None, breast_only=False, recruiting=False)}
    assert uk == expected(lambda s: s.about_breast_cancer and s.sex in ("ALL", "FEMALE")
                          and any(site.country == "United Kingdom" for site in s.sites)) and uk
    assert phase2 == expected(lambda s: "PHASE2" in s.phases) and phase2
    assert closed == expected(lambda s: not s.recruiting) and closed


def test_candidates_stream_in_batches_each_with_its_own_sites(sessions, all_fixtures, monkeypatch):
    monkeypatch.setattr("alongside.store.trial_repository.BATCH", 4)
    with UnitOfWork(sessions) as uow:
        streamed = list(uow.trials.candidates(None, None, breast_only=False))
    assert [study.nct_id for study, _ in streamed] == [path.stem for path in STUDY_FILES]
    assert all(study == parse_study(fixture(study.nct_id)) for study, _ in streamed)


def test_a_trial_saved_to_a_record_is_listed_shared_and_removed(sessions, world, all_fixtures):
    patient = world.patient_a
    with UnitOfWork(sessions) as uow:
        uow.trials.save(patient, HEREDERA, "Helen", note="ask about the brain scan")
        saved = uow.trials.save(patient, "NCT06103864", "Helen", share_with_team=True)
        uow.commit()
    assert saved.shared_with_team and saved.brief_title == parse_study(fixture("NCT06103864")).brief_title
    with UnitOfWork(sessions) as uow:
        assert {s.nct_id for s in uow.trials.saved_for(patient)} == {HEREDERA, "NCT06103864"}
        assert [s.nct_id for s in uow.trials.saved_for(patient, shared_only=True)] == ["NCT06103864"]
        assert uow.trials.saved_for(world.patient_b) == []
        again = uow.trials.save(patient, HEREDERA, "Nurse", share_with_team=True, note=None)
        assert (again.saved_by_name, again.shared_with_team, again.note) == ("Nurse", True, None)
        assert uow.trials.unsave(patient, "NCT06103864") and not uow.trials.unsave(patient, "NCT06103864")
        uow.commit()
    with UnitOfWork(sessions) as uow:
        assert [s.nct_id for s in uow.trials.saved_for(patient)] == [HEREDERA]
