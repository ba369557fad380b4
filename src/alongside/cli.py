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
from .store.database import default_database_url, make_engine, session_factory
from .store.migrate import upgrade
from .store.unit_of_work import UnitOfWork

app = typer.Typer(help="Alongside: a care companion for people living with secondary breast cancer.",
                  no_args_is_help=True, add_completion=False)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")


def _unit_of_work() -> UnitOfWork:
    engine = make_engine()
    upgrade(engine)
    return UnitOfWork(session_factory(engine))


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
                role: Role = typer.Option(...), patient: UUID = typer.Option(None, help="For a patient: her record id"),
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
            team_id = None
            if team:
                team_id = (uow.teams.by_name(team) or accounts.create_team(uow, SYSTEM, NewTeam(name=team))).id
            patient_id = transfer.import_record(uow, SYSTEM, document, team_id)
        except DomainError as exc:
            _fail(exc)
        uow.commit()
    typer.echo(f"Imported patient {patient_id}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          insecure_cookies: bool = typer.Option(False, help="Allow session cookies over plain HTTP (local use only)")) -> None:
    """Serve Alongside (migrating the database first)."""
    upgrade(make_engine())
    _serve(host, port, cookie_secure=not insecure_cookies)


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000,
         serve_too: bool = typer.Option(True, "--serve/--no-serve", help="Serve after creating the demo")) -> None:
    """Create a realistic synthetic record with a patient, a nurse and an administrator, then serve."""
    from .demo import LOGINS, create_demo

    with _unit_of_work() as uow:
        create_demo(uow)
        uow.commit()
    typer.echo(f"\nAlongside demo: http://{host}:{port}/\n")
    for login in LOGINS:
        typer.echo(f"  {login.role:<10} {login.email:<26} password: {login.password}")
    typer.echo(f"\nDatabase: {_safe_url(default_database_url())}\n")
    if serve_too:
        _serve(host, port, cookie_secure=False)


def _serve(host: str, port: int, cookie_secure: bool) -> None:
    import uvicorn

    from .web.app import create_app
    from .web.settings import Settings

    settings = Settings.from_environment()
    settings = Settings.from_environment(cookie_secure=cookie_secure and settings.cookie_secure)
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=True, log_level="info")


@app.command()
def monitor(once: bool = typer.Option(False, help="Run one pass and exit (for cron)")) -> None:
    """Escalate unacknowledged red alerts, raise missed check-ins, and send queued notifications."""
    import time

    from .web.monitor import run_once
    from .web.settings import Settings

    settings = Settings.from_environment()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    while True:
        summary = run_once(sessions, settings)
        typer.echo(summary)
        if once:
            return
        time.sleep(max(settings.monitor_interval, 5))


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
