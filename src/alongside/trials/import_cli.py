"""Placeholder until its commands land in this session (issue 14)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to `alongside trials`."""
