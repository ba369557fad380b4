"""The `alongside` command: set up, serve, demo, accounts, migrations, export and import."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from uuid import UUID

import typer

from .domain import accounts, transfer
from .domain.errors import DomainError
from .domain.people import SYSTEM, NewTeam, NewUser
from .domain.records import validate
from .domain.vocab import Role
from .store.database import default_data_dir, default_database_url, make_engine, session_factory
from .store.migrate import upgrade
from .store.unit_of_work import UnitOfWork
from .trials.cli import trials_app

app = typer.Typer(help="Alongside: a care companion for people living with secondary breast cancer.",
                  no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
labs_app = typer.Typer(help="Blood test results.", no_args_is_help=True)
app.add_typer(labs_app, name="labs")
fhir_app = typer.Typer(help="Exchange records as FHIR R4 (mCODE STU4) bundles.", no_args_is_help=True)
app.add_typer(fhir_app, name="fhir")
app.add_typer(trials_app, name="trials")


def _unit_of_work() -> UnitOfWork:
    engine = make_engine()
    upgrade(engine)
    return UnitOfWork(session_factory(engine))


def _team_id(uow, team: str | None):
    """The named team's id, creating the team if it is new; None when no team is named."""
    if not team:
        return None
    return (uow.teams.by_name(team) or accounts.create_team(uow, SYSTEM, NewTeam(name=team))).id


def _fail(exc: DomainError) -> None:
    errors = getattr(exc, "errors", None) or [{"field": exc.field, "message": exc.detail}]
    for error in errors:
        where = f" in {error['field']}" if error["field"] else ""
        typer.secho(f"Error{where}: {error['message']}", err=True, fg="red")
    raise typer.Exit(2)


@app.command()
def init(admin_email: str = typer.Option(None, help="Create a first administrator with this email"),
         admin_name: str = typer.Option("Administrator", help="Their name")) -> None:
    """Create the database (or bring it up to date), and optionally a first administrator."""
    with _unit_of_work() as uow:
        if admin_email:
            password = _password()
            try:
                accounts.create_user(uow, SYSTEM, validate(NewUser, {"email": admin_email, "display_name": admin_name,
                                                                     "role": "admin", "password": password}))
            except DomainError as exc:
                _fail(exc)
            uow.commit()
    typer.echo(f"Database ready: {_safe_url(default_database_url())}")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the database migrations (alembic upgrade)."""
    upgrade(make_engine(), revision)
    typer.echo(f"Database at {revision}: {_safe_url(default_database_url())}")


@user_app.command("create")
def user_create(email: str = typer.Option(...), name: str = typer.Option(..., help="The name people see"),
                role: Role = typer.Option(...), patient: UUID = typer.Option(None, help="For a patient: their record id"),
                team: str = typer.Option(None, help="For a clinician: team name (created if new)"),
                password: str = typer.Option(None, envvar="ALONGSIDE_PASSWORD", help="Prompted for if not given")) -> None:
    """Create an account."""
    with _unit_of_work() as uow:
        try:
            team_id = None
            if team:
                found = uow.teams.by_name(team) or accounts.create_team(uow, SYSTEM, NewTeam(name=team))
                team_id = found.id
            new = validate(NewUser, {"email": email, "display_name": name, "role": role, "patient_id": patient,
                                     "team_id": team_id, "password": password or _password()})
            user = accounts.create_user(uow, SYSTEM, new)
        except DomainError as exc:
            _fail(exc)
        uow.commit()
    typer.echo(f"Created {user.role.value} account {user.email} ({user.id})")


@app.command("export")
def export(patient: UUID = typer.Argument(..., help="The patient's record id"),
           out: Path = typer.Option(None, help="File to write; standard output if not given")) -> None:
    """Write one patient's record as JSON."""
    with _unit_of_work() as uow:
        try:
            document = transfer.export_record(uow, SYSTEM, patient)
        except DomainError as exc:
            _fail(exc)
        uow.commit()
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"Wrote {out}", err=True)
    else:
        sys.stdout.write(text + "\n")


@app.command("report")
def report(patient: UUID = typer.Argument(..., help="The patient's record id"),
           out: Path = typer.Option(..., help="The PDF file to write, for example summary.pdf"),
           time_zone: str = typer.Option("Europe/London", help="Time zone for dates and times")) -> None:
    """Write the clinic summary (one or two A4 pages) as a PDF."""
    from datetime import UTC, datetime

    from .domain import planning
    from .reports.clinic_summary import render_clinic_summary

    now = datetime.now(UTC)
    with _unit_of_work() as uow:
        try:
            summary = planning.clinic_summary(uow, SYSTEM, patient, now.date())
        except DomainError as exc:
            _fail(exc)
        uow.commit()  # the read is audited
    out.write_bytes(render_clinic_summary(summary, now, time_zone))
    typer.echo(f"Wrote {out}", err=True)


@app.command("import")
def import_(path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
            team: str = typer.Option(None, help="Put the patient on this team's caseload")) -> None:
    """Read a record written by `alongside export` into this database, all or nothing."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        typer.secho(f"Error: {path} is not valid JSON ({exc})", err=True, fg="red")
        raise typer.Exit(2) from None
    with _unit_of_work() as uow:
        try:
            patient_id = transfer.import_record(uow, SYSTEM, document, _team_id(uow, team))
        except DomainError as exc:
            _fail(exc)
        uow.commit()
    typer.echo(f"Imported patient {patient_id}")


@labs_app.command("import")
def labs_import(patient: UUID = typer.Argument(..., help="The patient's record id"),
                path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                            help="CSV: taken_on,test,value,unit[,reference_low,reference_high,loinc,laboratory]"),
                confirm_early_dates: bool = typer.Option(False, "--confirm-early-dates",
                                                         help="Keep results dated over a year before the first diagnosis")) -> None:
    """Import blood results from a CSV file, all or nothing; rows already there are skipped."""
    from .clinical.alert_rules import AlertThresholds
    from .domain import results

    with _unit_of_work() as uow, path.open(encoding="utf-8-sig", newline="") as lines:
        try:
            report = results.import_lab_results(uow, SYSTEM, patient, lines, AlertThresholds(),
                                                confirm_early_dates=confirm_early_dates)
        except DomainError as exc:
            _fail(exc)
        except UnicodeDecodeError:
            typer.secho(f"Error: {path} is not UTF-8 text", err=True, fg="red")
            raise typer.Exit(2) from None
        uow.commit()
    typer.echo(f"Imported {report.added} results ({report.already_there} already there); "
               f"{len(report.alerts)} alerts raised")
@fhir_app.command("export")
def fhir_export(patient: UUID = typer.Argument(..., help="The patient's record id"),
                out: Path = typer.Option(None, help="File to write; standard output if not given")) -> None:
    """Write one patient's record as a FHIR R4 Bundle with mCODE STU4 profiles."""
    from .fhir.export import export_bundle

    with _unit_of_work() as uow:
        try:
            bundle = export_bundle(uow, SYSTEM, patient)
        except DomainError as exc:
            _fail(exc)
        uow.commit()
    _write_json(bundle, out)


# A whole bundle is read at once (its references may point anywhere in it). Parsed, JSON takes
# about seven times the file's size (measured: a 27 MB bundle of 50,000 Observations, 194 MB) and
# the import more again, so a bigger file than this is refused before it is read.
MAX_BUNDLE_MEGABYTES = 100


@fhir_app.command("import")
def fhir_import(path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
                patient: UUID = typer.Option(None, help="Import into this existing record (else the bundle's Patient)"),
                team: str = typer.Option(None, help="Put a new patient on this team's caseload"),
                all_or_nothing: bool = typer.Option(False, "--all-or-nothing",
                                                    help="Import nothing if any resource is in error"),
                confirm_early_dates: bool = typer.Option(False, "--confirm-early-dates",
                                                         help="Keep entries dated over a year before the first diagnosis"),
                report: Path = typer.Option(None, help="Write the OperationOutcome here (default: standard output)"),
                set_aside: Path = typer.Option(None, "--set-aside", dir_okay=False,
                                               help="Write what is not read, whole, to this JSON file"),
                max_megabytes: int = typer.Option(MAX_BUNDLE_MEGABYTES, "--max-megabytes", min=1,
                                                  help="Refuse a bigger file (it is read whole, at several times "
                                                       "its size in memory)")) -> None:
    """Read a FHIR R4 Bundle into a record; prints an OperationOutcome, one issue per problem.

    Resources and extensions that are not read are named in the report with the reason, and
    written whole to --set-aside PATH when given (never beside the input, which may be read-only)."""
    from .fhir.importer import import_bundle
    from .fhir.outcome import outcome_for

    if (size := path.stat().st_size) > max_megabytes * 1_000_000:
        _write_json(outcome_for(DomainError(
            f"{path} is {size / 1_000_000:.0f} MB, over the {max_megabytes} MB this import reads at once; split the "
            "bundle by patient, or raise --max-megabytes on a machine with the memory (several times the file)",
            field="Bundle")), report)
        raise typer.Exit(2)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _write_json(outcome_for(DomainError(f"{path} is not JSON ({exc})", field="Bundle")), report)
        raise typer.Exit(2) from None
    except RecursionError:  # "[[[[..." deeper than the parser's stack
        _write_json(outcome_for(DomainError(f"{path} is not FHIR JSON: it is nested too deeply", field="Bundle")), report)
        raise typer.Exit(2) from None
    with _unit_of_work() as uow:
        try:
            result = import_bundle(uow, SYSTEM, document, patient, _team_id(uow, team), all_or_nothing,
                                   confirm_early_dates=confirm_early_dates)
        except DomainError as exc:
            _write_json(outcome_for(exc), report)
            raise typer.Exit(2) from None
        if result.written:
            uow.commit()
    if set_aside is not None:
        set_aside.write_text(json.dumps(result.set_aside, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(f"Set aside: {len(result.set_aside)} written to {set_aside}", err=True)
    _write_json(result.outcome(), report)
    typer.echo(result.summary(), err=True)
    if result.errors:
        raise typer.Exit(1)


def _write_json(document: dict, out: Path | None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"Wrote {out}", err=True)
    else:
        sys.stdout.write(text + "\n")


@app.command("secrets-key")
def secrets_key() -> None:
    """Print a new key for sealing secrets (ALONGSIDE_SECRETS_KEYS). To rotate, put the new key first
    and keep the old one after it until every secret was written again."""
    from .store.sealing import new_key

    typer.echo(new_key())


@app.command("backup")
def backup_(out: Path = typer.Argument(..., dir_okay=False, help="The archive to write, e.g. alongside-2026-11-25.tar.gz"),
            data_dir: Path = typer.Option(None, help="Where the documents are (default: ALONGSIDE_DATA_DIR)")) -> None:
    """Write the database and the uploaded documents to one archive, with a manifest of checksums (safe while serving)."""
    from .store.backup import BackupError, backup

    try:
        manifest = backup(default_database_url(), data_dir or default_data_dir(), out)
    except BackupError as exc:
        typer.secho(f"Error: {exc}", err=True, fg="red")
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {out}: {manifest.database} at migration {manifest.alembic_revision}, "
               f"{sum(manifest.counts.values())} rows, {manifest.documents} documents")


@app.command("restore")
def restore_(archive: Path = typer.Argument(..., dir_okay=False),
             data_dir: Path = typer.Option(None, help="Where the documents go (default: ALONGSIDE_DATA_DIR)"),
             force: bool = typer.Option(False, "--force", help="Replace a database or documents that are not empty"),
             verify_only: bool = typer.Option(False, "--verify-only", help="Check the archive; change nothing")) -> None:
    """Put back a backup written by `alongside backup`, after checking every file in it. Stop the service first."""
    from .store.backup import BackupError, restore, verify

    try:
        if verify_only:
            manifest = verify(archive)
            typer.echo(f"{archive} is whole: {manifest.database} at migration {manifest.alembic_revision}, "
                       f"made {manifest.created_at}, {manifest.documents} documents")
            return
        restored = restore(archive, default_database_url(), data_dir or default_data_dir(), force)
    except BackupError as exc:
        typer.secho(f"Error: {exc}", err=True, fg="red")
        raise typer.Exit(2) from None
    manifest = restored.manifest
    typer.echo(f"Restored {sum(manifest.counts.values())} rows and {manifest.documents} documents "
               f"from the backup made {manifest.created_at}. {restored.advice}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          insecure_cookies: bool = typer.Option(False, help="Allow session cookies over plain HTTP (local use only)"),
          workers: int = typer.Option(1, min=1, max=64, help="Processes serving requests (one per core suits PostgreSQL)"),
          forwarded_allow_ips: str = typer.Option(
              "", help="Comma-separated proxy addresses whose X-Forwarded-For is believed "
                       "(default: ALONGSIDE_FORWARDED_ALLOW_IPS, else none)"),
          ) -> None:
    """Serve Alongside (migrating the database first)."""
    upgrade(make_engine())
    if forwarded_allow_ips:
        os.environ["ALONGSIDE_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    _serve(host, port, cookie_secure=not insecure_cookies, workers=workers)


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000,
         serve_too: bool = typer.Option(True, "--serve/--no-serve", help="Serve after creating the demo")) -> None:
    """Create a realistic synthetic record with a patient, a nurse and an administrator, then serve."""
    from .demo import LOGINS, create_demo

    with _unit_of_work() as uow:
        try:
            create_demo(uow)
        except DomainError as exc:
            _fail(exc)
        uow.commit()
    typer.echo(f"\nAlongside demo: http://{host}:{port}/\n")
    for login in LOGINS:
        typer.echo(f"  {login.role:<10} {login.email:<26} password: {login.password}")
    typer.echo(f"\nDatabase: {_safe_url(default_database_url())}\n")
    if serve_too:
        _serve(host, port, cookie_secure=False)


def _serve(host: str, port: int, cookie_secure: bool, workers: int = 1) -> None:
    import threading

    import uvicorn

    from .web.app import create_app
    from .web.settings import Settings

    if not (os.environ.get("ALONGSIDE_PUBLIC_URL") or os.environ.get("ALONGSIDE_BASE_URL")):
        os.environ["ALONGSIDE_PUBLIC_URL"] = f"http://{host}:{port}"  # links and allowed host: where it listens
    settings = Settings.from_environment()
    settings = Settings.from_environment(cookie_secure=cookie_secure and settings.cookie_secure)
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1 by default, or from
    # anyone with FORWARDED_ALLOW_IPS=*; the app decides from ALONGSIDE_FORWARDED_ALLOW_IPS alone.
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=False, log_level="info")
        return
    # Each worker process builds the app from the environment. The monitor runs once, in this
    # process, rather than in every worker: two monitors could send the same email twice.
    os.environ["ALONGSIDE_COOKIE_SECURE"] = "true" if settings.cookie_secure else "false"
    os.environ["ALONGSIDE_MONITOR_INTERVAL"] = "0"
    if settings.monitor_interval > 0:
        threading.Thread(target=_monitor, args=(settings, False, settings.monitor_interval), daemon=True,
                         name="monitor").start()
    uvicorn.run("alongside.web.app:app", host=host, port=port, workers=workers, proxy_headers=False, log_level="info")


@app.command()
def monitor(once: bool = typer.Option(False, help="Run one pass and exit (for cron)")) -> None:
    """Escalate unacknowledged red alerts, raise missed check-ins, and send queued notifications."""
    from .web.settings import Settings

    settings = Settings.from_environment()
    _monitor(settings, once, max(settings.monitor_interval, 5))


def _monitor(settings, once: bool, interval: float) -> None:
    import time

    from .web.monitor import run_once

    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    while True:
        try:
            typer.echo(run_once(sessions, settings))
        except Exception as exc:  # a pass that fails (the database restarting) must not end the loop
            if once:
                raise
            typer.secho(f"monitor pass failed: {type(exc).__name__}: {exc}", err=True, fg="red")
        if once:
            return
        time.sleep(interval)


def _password() -> str:
    if not sys.stdin.isatty():
        typer.secho("Give a password with --password or ALONGSIDE_PASSWORD", err=True, fg="red")
        raise typer.Exit(2)
    return typer.prompt("Password (at least 12 characters)", hide_input=True, confirmation_prompt=True)


def _safe_url(url: str) -> str:
    """The URL without any password in it, fit for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    app()
