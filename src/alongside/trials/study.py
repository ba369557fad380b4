"""One ClinicalTrials.gov study, read from the registry's API v2 JSON.

Only the fields that matching and the pages use are kept; the importer stores the whole
document beside them. The registry's retired formats (the v1 "FullStudiesResponse" JSON and
the XML download) are refused by name rather than half-read, since their fields differ.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

# Statuses in which a person can still join, or soon will be able to.
RECRUITING_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"})

_NCT_ID = re.compile(r"^NCT\d{8}$")
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
_UNITS_PER_YEAR = {"year": 1, "month": 12, "week": 52.1775, "day": 365.25,
                   "hour": 365.25 * 24, "minute": 365.25 * 24 * 60}


class StudyFormatError(ValueError):
    """The document is not one API v2 study object; the message says why."""


@dataclass(frozen=True)
class Site:
    facility: str | None
    city: str | None
    state: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    status: str | None  # the site's own recruitment status


@dataclass(frozen=True)
class Intervention:
    name: str
    type: str | None
    other_names: tuple[str, ...]


@dataclass(frozen=True)
class Study:
    nct_id: str
    brief_title: str
    official_title: str | None
    brief_summary: str | None
    overall_status: str
    phases: tuple[str, ...]
    study_type: str | None
    conditions: tuple[str, ...]
    keywords: tuple[str, ...]
    interventions: tuple[Intervention, ...]
    sex: str | None
    minimum_age_years: float | None
    maximum_age_years: float | None
    eligibility_text: str | None
    sites: tuple[Site, ...]
    last_update: date | None

    @property
    def recruiting(self) -> bool:
        return self.overall_status in RECRUITING_STATUSES

    @property
    def about_breast_cancer(self) -> bool:
        """Whether the study names breast cancer at all: the store's coarse pre-filter.
        Deliberately loose (a basket trial naming breast among others passes); the matcher
        decides on the condition itself."""
        named = (*self.conditions, *self.keywords, self.brief_title, self.official_title or "")
        return any("breast" in text.lower() for text in named)


def load_study(data: bytes | str) -> Study:
    """Parse a study file's bytes, naming the format when it is not API v2 JSON."""
    return parse_study(load_document(data))


def load_document(data: bytes | str) -> Any:
    """A study file's JSON; the XML format and text that is not JSON are refused by name."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise StudyFormatError("not UTF-8 text (a binary file?)") from None
    if text.lstrip().startswith("<"):
        raise StudyFormatError(
            "XML (the registry's retired XML format); export the study as API v2 JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise StudyFormatError(f"malformed JSON: {error}") from None
    except RecursionError:
        raise StudyFormatError("malformed JSON: nested too deeply") from None


def parse_study(document: Any) -> Study:
    """Read one API v2 study object; raises StudyFormatError naming what is wrong."""
    _refuse_other_formats(document)
    protocol = document["protocolSection"]
    identification = _module(protocol, "identificationModule")
    nct_id = identification.get("nctId")
    if not isinstance(nct_id, str) or not _NCT_ID.match(nct_id):
        raise StudyFormatError(f"identificationModule.nctId is missing or not an NCT id: {nct_id!r}")
    brief_title = identification.get("briefTitle")
    if not isinstance(brief_title, str) or not brief_title.strip():
        raise StudyFormatError("identificationModule.briefTitle is missing")
    status = _module(protocol, "statusModule")
    overall_status = status.get("overallStatus")
    if not isinstance(overall_status, str):
        raise StudyFormatError("statusModule.overallStatus is missing")
    design = _optional_module(protocol, "designModule")
    conditions = _optional_module(protocol, "conditionsModule")
    eligibility = _optional_module(protocol, "eligibilityModule")
    return Study(
        nct_id=nct_id,
        brief_title=brief_title.strip(),
        official_title=_text(identification.get("officialTitle")),
        brief_summary=_text(_optional_module(protocol, "descriptionModule").get("briefSummary")),
        overall_status=overall_status,
        phases=_strings(design.get("phases"), "designModule.phases"),
        study_type=_text(design.get("studyType")),
        conditions=_strings(conditions.get("conditions"), "conditionsModule.conditions"),
        keywords=_strings(conditions.get("keywords"), "conditionsModule.keywords"),
        interventions=_interventions(_optional_module(protocol, "armsInterventionsModule")),
        sex=_text(eligibility.get("sex")),
        minimum_age_years=_age_years(eligibility.get("minimumAge"), "minimumAge"),
        maximum_age_years=_age_years(eligibility.get("maximumAge"), "maximumAge"),
        eligibility_text=_text(eligibility.get("eligibilityCriteria")),
        sites=_sites(_optional_module(protocol, "contactsLocationsModule")),
        last_update=_last_update(status),
    )


def _refuse_other_formats(document: Any) -> None:
    if not isinstance(document, dict):
        raise StudyFormatError(
            f"expected one API v2 study object, found a JSON {type(document).__name__}")
    if "FullStudiesResponse" in document or "FullStudies" in document:
        raise StudyFormatError(
            "legacy v1 JSON (FullStudiesResponse), retired by ClinicalTrials.gov in 2024; "
            "export the study as API v2 JSON")
    if "Study" in document or "ProtocolSection" in document:
        raise StudyFormatError("legacy v1 JSON (Study/ProtocolSection); export as API v2 JSON")
    if "studies" in document:
        raise StudyFormatError(
            "an API v2 search page (a 'studies' list), not one study; import each study")
    if not isinstance(document.get("protocolSection"), dict):
        raise StudyFormatError("not an API v2 study: protocolSection is missing")


def _module(protocol: dict, name: str) -> dict:
    module = protocol.get(name)
    if not isinstance(module, dict):
        raise StudyFormatError(f"protocolSection.{name} is missing")
    return module


def _optional_module(protocol: dict, name: str) -> dict:
    module = protocol.get(name, {})
    if not isinstance(module, dict):
        raise StudyFormatError(f"protocolSection.{name} is not an object")
    return module


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise StudyFormatError(f"{field} is not a list of strings")
    return tuple(value)


def _age_years(value: Any, field: str) -> float | None:
    """'18 Years', '6 Months'; 'N/A' and absence mean no limit."""
    if value is None or value == "N/A":
        return None
    match = _AGE.match(value) if isinstance(value, str) else None
    if match is None:
        raise StudyFormatError(f"eligibilityModule.{field} is not an age: {value!r}")
    return round(float(match.group(1)) / _UNITS_PER_YEAR[match.group(2).lower()], 3)


def _interventions(module: dict) -> tuple[Intervention, ...]:
    found = []
    for entry in module.get("interventions") or ():
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            found.append(Intervention(
                name=entry["name"], type=_text(entry.get("type")),
                other_names=_strings(entry.get("otherNames"), "interventions.otherNames")))
    return tuple(found)


def _sites(module: dict) -> tuple[Site, ...]:
    found = []
    for entry in module.get("locations") or ():
        if not isinstance(entry, dict):
            continue
        point = entry.get("geoPoint") if isinstance(entry.get("geoPoint"), dict) else {}
        found.append(Site(
            facility=_text(entry.get("facility")), city=_text(entry.get("city")),
            state=_text(entry.get("state")), country=_text(entry.get("country")),
            latitude=_coordinate(point.get("lat"), 90), longitude=_coordinate(point.get("lon"), 180),
            status=_text(entry.get("status"))))
    return tuple(found)


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and -limit <= value <= limit:
        return float(value)
    return None


def _last_update(status: dict) -> date | None:
    """The registry gives 'YYYY-MM-DD' or, for some older records, 'YYYY-MM'."""
    struct = status.get("lastUpdatePostDateStruct")
    value = struct.get("date") if isinstance(struct, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise StudyFormatError(f"statusModule.lastUpdatePostDateStruct.date is not a date: {value!r}") from None
