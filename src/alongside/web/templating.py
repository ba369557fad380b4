"""Jinja2 environment with the formatting filters pages use. Templates format; they do not compute."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from ..clinical.markers import MARKER_CAVEAT
from ..domain import dates
from ..domain.check_in_items import check_in_words
from ..domain.dates import long_date, weekday_date
from ..domain.nhs_number import format_nhs_number

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
_ZONE = ZoneInfo(os.environ.get("ALONGSIDE_TIME_ZONE", "Europe/London"))


def local_time(value: datetime | None) -> str:
    """A UTC moment as the clock on the wall shows it in the service's time zone, in the house style."""
    return dates.date_and_time(value, _ZONE)


def label(value) -> str:
    if value is None:
        return "Not recorded"
    return getattr(value, "label", str(value))


def value_text(value) -> str:
    """Any field value as a person reads it."""
    if value is None or value == "":
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return long_date(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "None"
    return label(value)


def number(value: float | None) -> str:
    """A measurement as people write it: no trailing zeros, at most three significant decimals."""
    if value is None:
        return ""
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def unit_text(ucum: str) -> str:
    """A UCUM unit as people read it: 10*9/L as ×10⁹/L, umol/L as µmol/L, {1.73_m2} as 1.73 m²."""
    text = re.sub(r"^10\*(\d+)", lambda m: "×10" + m.group(1).translate(_SUPERSCRIPT), ucum)
    text = re.sub(r"\bu(?=mol|g|L|kat)", "µ", text)
    return text.replace("{1.73_m2}", "1.73 m²")


def duration(minutes: float | None) -> str:
    """A time in the unit a team thinks in: minutes up to two hours, hours up to two days, then days."""
    if minutes is None:
        return "-"
    if minutes < 120:
        return f"{minutes:g} min"
    return f"{minutes / 60:.1f} h" if minutes < 48 * 60 else f"{minutes / 1440:.1f} days"


def change(percent: float) -> str:
    """A percentage change in words: 'up 52%', 'down 30%', 'unchanged'."""
    if round(percent) == 0:
        return "about the same"
    return f"{'up' if percent > 0 else 'down'} {abs(percent):.0f}%"


def age_on(born: date, today: date | None = None) -> int:
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


_ACTIONS = {"read:granted": "Looked at", "write:granted": "Changed", "read:refused": "Refused to show",
            "write:refused": "Refused to change", "create": "Created", "import": "Imported",
            "invite-carer": "Invited a carer", "accept-invitation": "Accepted an invitation",
            "remove-carer": "Removed a carer", "sign-in": "Signed in"}


def audit_action(action: str) -> str:
    return _ACTIONS.get(action, action.replace("-", " ").capitalize())


templates.env.filters.update(unit=unit_text, audit_action=audit_action, long_date=long_date, local_time=local_time, weekday_date=weekday_date, label=label,
                             value_text=value_text, number=number, change=change,
                             duration=duration,
                             nhs=lambda v: format_nhs_number(v) if v else "Not recorded", age=age_on)
templates.env.filters["check_in_words"] = check_in_words
templates.env.globals["marker_caveat"] = MARKER_CAVEAT  # every marker view says how to read markers
