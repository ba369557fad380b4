"""HTML forms drawn from the record models, and form posts turned back into model input.

The widget follows the field's type, so a new field on a model appears on its form with no
template change. Values are kept as typed when a form comes back with errors.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..domain.vocab import Vocab

LONG_TEXT = 1000  # fields allowing more characters than this get a text area


@dataclass
class FormField:
    name: str
    label: str
    widget: str  # text, textarea, date, datetime-local, number, checkbox, select, email, tel
    required: bool
    value: str = ""
    hint: str | None = None
    error: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    step: str | None = None


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """The type under Optional (and under Annotated constraints), and whether None was allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unannotated(args[0]), True
    return annotation, False


def _unannotated(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def _max_length(info: FieldInfo) -> int | None:
    """A text field's length limit, whether given on the field or inside an optional Annotated type."""
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):
        if typing.get_origin(arg) is typing.Annotated:
            metadata += list(typing.get_args(arg)[1:])
    for item in metadata:
        limit = getattr(item, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


def _widget(name: str, info: FieldInfo, base: Any) -> str | None:
    if isinstance(base, type) and issubclass(base, Vocab) or base is UUID:
        return "select"
    if base is bool:
        return "checkbox"
    if base is date:
        return "date"
    if base is datetime:
        return "datetime-local"
    if base in (int, float):
        return "number"
    if base is str:
        if name == "email":
            return "email"
        if name == "phone":
            return "tel"
        limit = _max_length(info)
        return "textarea" if limit and limit > LONG_TEXT else "text"
    return None  # structured values (such as check-in answers) are entered elsewhere


def _shown(value: Any, widget: str, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if widget == "datetime-local" and isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(getattr(value, "value", value))


def build_form(model: type[BaseModel], values: dict[str, Any], errors: dict[str, str], zone: ZoneInfo,
               references: dict[str, list[tuple[str, str]]] | None = None) -> list[FormField]:
    fields = []
    for name, info in model.model_fields.items():
        base, optional = _base_type(info.annotation)
        widget = _widget(name, info, base)
        if widget is None:
            continue
        value = values.get(name, info.default if not info.is_required() else None)
        form_field = FormField(name=name, label=info.title or name.replace("_", " ").capitalize(), widget=widget,
                               required=info.is_required() and widget != "checkbox", value=_shown(value, widget, zone),
                               hint=info.description, error=errors.get(name))
        if base is UUID and name in (references or {}):
            form_field.options = references[name]
        elif base is UUID:
            form_field.widget = "text"  # an identifier typed or pasted in
        elif widget == "select":
            form_field.options = [("", "Choose...")] if optional or info.is_required() else []
            form_field.options += [(member.value, member.label) for member in base]
        elif widget == "number":
            form_field.step = "1" if base is int else "any"
        fields.append(form_field)
    return fields


def lesion_field(name: str, label: str, sites: list[str], sizes: dict[str, str], hint: str,
                 error: str | None) -> FormField:
    """A size box for each of the baseline scan's target lesions, in place of typed lesion names:
    a follow-up scan measures the same lesions (see `joined_lesions`)."""
    return FormField(name=name, label=label, widget="lesions", required=False, hint=hint, error=error,
                     options=[(site, sizes.get(site, "")) for site in sites], step="any")


def joined_lesions(form: dict[str, str], name: str = "target_lesions") -> dict[str, str]:
    """The size boxes of a `lesion_field` back into its text, one 'site: size' line per lesion measured."""
    sites = {key.rsplit(".", 1)[1]: value for key, value in form.items() if key.startswith(f"{name}.site.")}
    if not sites:
        return form
    lines = [f"{site}: {form.get(f'{name}.mm.{i}', '').strip()}" for i, site in sorted(sites.items(), key=lambda s: int(s[0]))
             if form.get(f"{name}.mm.{i}", "").strip()]
    return {**form, name: "\n".join(lines)}


CHECK_IN_CHOICE = "check_in."  # a course form's control for one symptom: "", "add" or "remove"


def check_in_items_field(values: dict[str, Any], errors: dict[str, str]) -> FormField:
    """A treatment course's check-in questions: the core symptoms said, and for each other one a
    choice of "as the treatment decides" (saying what it decides for the treatment named), "ask
    it as well" or "do not ask it". Kept in the course's `check_in_added` and `check_in_removed`."""
    from types import SimpleNamespace

    from ..domain.check_in_items import check_in_items, course_defaults, recognised
    from ..domain.instrument import instrument
    from ..domain.vocab import Modality

    items = check_in_items()
    try:
        modality = Modality(getattr(values.get("modality"), "value", values.get("modality")))
    except ValueError:
        modality = None
    course = SimpleNamespace(name=str(values.get("name") or ""), modality=modality)
    named = bool(course.name) and modality is not None
    defaults = course_defaults(course) if named else {}
    known = named and recognised(course)
    added, removed = set(values.get("check_in_added") or ()), set(values.get("check_in_removed") or ())
    options = []
    for symptom in instrument().symptoms:
        if symptom.code in items.core:
            continue
        chosen = values.get(CHECK_IN_CHOICE + symptom.code)
        if chosen is None:
            chosen = "add" if symptom.code in added else "remove" if symptom.code in removed else ""
        if symptom.code in defaults:
            decides = f"asked, with {defaults[symptom.code]}"
        else:
            brings = sorted(items.agents_of(symptom.code)) + [m.label.lower() for m in items.linked[symptom.code].modalities]
            decides = "not asked for this treatment" if known else "asked with " + ", ".join(brings)
        options.append((symptom.code, symptom.label, chosen, decides))
    core = ", ".join(instrument().symptom(code).label for code in items.core)
    hint = (f"Always asked of everyone: {core}, and the urgent questions and temperature. Choose here to "
            "ask another symptom during this treatment, or not to ask one the treatment brings in. "
            "While the treatment named is not one the check-in knows, every symptom is asked.")
    return FormField(name="check_in_removed", label="Check-in questions for this treatment", widget="check_in_items",
                     required=False, hint=hint, options=options,
                     error=errors.get("check_in_removed") or errors.get("check_in_added"))


def parse_form(model: type[BaseModel], form: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    """Form strings to model input: blanks are missing (never zero), times are local to the patient."""
    data: dict[str, Any] = {}
    form = joined_lesions(form)
    if "check_in_added" in model.model_fields:
        choices = {name[len(CHECK_IN_CHOICE):]: value for name, value in form.items() if name.startswith(CHECK_IN_CHOICE)}
        data["check_in_added"] = [code for code, value in choices.items() if value == "add"]
        data["check_in_removed"] = [code for code, value in choices.items() if value == "remove"]
    for name, info in model.model_fields.items():
        base, _ = _base_type(info.annotation)
        widget = _widget(name, info, base)
        if widget is None:
            continue
        if widget == "checkbox":
            data[name] = name in form
            continue
        raw = (form.get(name) or "").strip()
        if raw == "":
            continue
        if widget == "datetime-local":
            try:
                data[name] = datetime.fromisoformat(raw).replace(tzinfo=zone).isoformat()
            except ValueError:
                data[name] = raw  # the model names the field in its error
            continue
        data[name] = raw
    return data


def submitted_values(form: dict[str, str]) -> dict[str, Any]:
    """What the person typed, to put back into the form beside the error messages."""
    return {k: v for k, v in form.items() if k != "csrf_token"}
