"""`alongside trials ...`: import and fetch studies, match a profile, evaluate the matcher."""

from __future__ import annotations

import typer

from . import import_cli, match_cli

trials_app = typer.Typer(help="Clinical trials from ClinicalTrials.gov.", no_args_is_help=True)
import_cli.register(trials_app)
match_cli.register(trials_app)
