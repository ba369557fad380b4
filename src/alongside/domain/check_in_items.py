"""Which symptoms the check-in asks: the core ones always, and those the treatment in force brings
in (content/check_in_items.yaml), with what the team chose for each line.

The rule, and why (docs/clinical-rules.md, "Symptoms asked follow the treatment"; hazard H55):
- the core symptoms are asked of everyone, every week; no team choice removes one;
- a course counts from its start until `after_stop_days` after it stopped;
- each course in force adds the symptoms linked to the medicines its name names (or to its
  type), plus those its team added, less the linked ones its team removed;
- no course in force, or a medicine treatment whose name names no medicine known here: the
  treatment is not known, so every symptom is asked;
- a medicine on her medicine list adds the symptoms linked to it while it is taken and for
  `after_stop_days` after it stopped, though no course names it (a tablet recorded only there). It
  only ever adds: a medicine known or not never narrows what is asked. One that is part of a
  course (`course_id`) follows that course's team choice.
Courses add up: a symptom one course's team removed is still asked when another course brings it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Iterable, Protocol
from uuid import UUID

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .instrument import instrument
from .vocab import Modality

# Treatment types with no medicine to name: their course is known without one.
_NO_MEDICINE = frozenset({Modality.RADIOTHERAPY, Modality.SURGERY, Modality.BONE_STRENGTHENING})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Link(_Strict):
    medicines: tuple[str, ...] = ()  # generic names, or class ids of content/drug_classes.yaml
    modalities: tuple[Modality, ...] = ()
    source: str = Field(min_length=10)


class CheckInItems(_Strict):
    after_stop_days: int = Field(ge=0, le=365)
    core: tuple[str, ...] = Field(min_length=1)
    linked: dict[str, Link]

    @model_validator(mode="after")
    def _every_symptom_once(self) -> CheckInItems:
        codes = [s.code for s in instrument().symptoms]
        named = list(self.core) + list(self.linked)
        unknown = sorted(set(named) - set(codes))
        if unknown:
            raise ValueError(f"check_in_items.yaml: unknown symptoms {unknown}")
        if set(self.core) & set(self.linked):
            raise ValueError(f"check_in_items.yaml: core and linked both {sorted(set(self.core) & set(self.linked))}")
        # A symptom neither core nor linked would never be asked of anyone on a known treatment.
        if set(codes) - set(named):
            raise ValueError(f"check_in_items.yaml: say whether each symptom is core or linked; "
                             f"missing {sorted(set(codes) - set(named))}")
        known = _classes() | _agents()
        for code, link in self.linked.items():
            if not link.medicines and not link.modalities:
                raise ValueError(f"check_in_items.yaml: {code} is linked to nothing")
            if set(link.medicines) - known:
                raise ValueError(f"check_in_items.yaml: {code} names medicines not in drug_classes.yaml: "
                                 f"{sorted(set(link.medicines) - known)}")
        return self

    def agents_of(self, code: str) -> frozenset[str]:
        """The generic medicines that bring this symptom in (class ids read as their agents)."""
        link = self.linked.get(code)
        if link is None:
            return frozenset()
        classes = _class_agents()
        return frozenset(agent for name in link.medicines for agent in classes.get(name, (name,)))


@cache
def check_in_items() -> CheckInItems:
    text = files("alongside.content").joinpath("check_in_items.yaml").read_text(encoding="utf-8")
    return CheckInItems.model_validate(yaml.safe_load(text))


@cache
def _class_agents() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(files("alongside.content").joinpath("drug_classes.yaml").read_text("utf-8"))
    return {class_id: tuple(spec["agents"]) for class_id, spec in data["classes"].items()}


def _classes() -> set[str]:
    return set(_class_agents())


def _agents() -> set[str]:
    from .trials import drug_names  # the course-name reader of domain/trials.py (imported late: it needs services)

    return {agent for _, names in drug_names().patterns for agent in names}


class Medicine(Protocol):
    """What the rule reads of a medicine on her list (domain/records.py `Medication`)."""

    name: str
    start_date: date | None
    stop_date: date | None
    course_id: UUID | None


class Course(Protocol):
    """What the rule reads of a treatment course (domain/records.py `TreatmentCourse`)."""

    modality: Modality
    name: str
    start_date: date
    end_date: date | None
    check_in_added: list[str]
    check_in_removed: list[str]


@dataclass(frozen=True)
class SymptomsAsked:
    codes: tuple[str, ...]                 # in the instrument's order
    treatment_known: bool                  # False: no course in force, or one not recognised: all asked
    why: dict[str, str]                    # code -> "always asked", "capecitabine", "added by the team"

    def __contains__(self, code: str) -> bool:
        return code in self.codes


def every_symptom() -> SymptomsAsked:
    codes = tuple(s.code for s in instrument().symptoms)
    return SymptomsAsked(codes, False, {code: "asked of everyone while the treatment is not known" for code in codes})


def in_force(course: Course, on: date, after_stop_days: int | None = None) -> bool:
    return _taken(course.start_date, course.end_date, on, after_stop_days)


def _taken(start: date | None, stop: date | None, on: date, after_stop_days: int | None = None) -> bool:
    """From its start (or, not given, as long as it is on the list) until `after_stop_days` after it stopped."""
    days = check_in_items().after_stop_days if after_stop_days is None else after_stop_days
    return (start is None or start <= on) and (stop is None or on <= stop + timedelta(days=days))


def _agents_in(name: str) -> tuple[str, ...]:
    from .trials import agents_in  # imported late: domain/trials.py needs services, which need monitoring

    return agents_in(name)


def course_defaults(course: Course) -> dict[str, str]:
    """The linked symptoms a course brings in by itself, each with why (the medicine or its type)."""
    items = check_in_items()
    found = _by_medicine(course.name)
    for code, link in items.linked.items():
        if code not in found and course.modality in link.modalities:
            found[code] = course.modality.label.lower()
    return found


def _by_medicine(name: str | None) -> dict[str, str]:
    """The linked symptoms of the medicines a name names, each with those medicines."""
    items = check_in_items()
    agents = set(_agents_in(name or ""))
    found = {}
    for code in items.linked:
        if by_medicine := sorted(agents & items.agents_of(code)):
            found[code] = ", ".join(by_medicine)
    return found


def recognised(course: Course) -> bool:
    """The course says what is given: it names a known medicine, or its type needs none."""
    return course.modality in _NO_MEDICINE or bool(_agents_in(course.name or ""))


def symptoms_asked(courses: Iterable[Course], on: date, medicines: Iterable[Medicine] = (),
                   course_ids: Iterable[UUID | None] | None = None) -> SymptomsAsked:
    """The symptoms to ask on `on`, from the courses on her record and her medicine list (see the
    module's docstring). `course_ids`, in the order of `courses`, lets a medicine find its course."""
    items = check_in_items()
    courses = list(courses)
    current = [c for c in courses if in_force(c, on, items.after_stop_days)]
    if not current or not all(recognised(c) for c in current):
        return every_symptom()
    why = {code: "always asked" for code in items.core}
    for course in current:
        chosen = {code: f"with {reason}" for code, reason in course_defaults(course).items()
                  if code not in course.check_in_removed}
        chosen |= {code: "added by the team" for code in course.check_in_added}
        for code, reason in chosen.items():
            why.setdefault(code, reason)
    course_of = dict(zip(course_ids, courses)) if course_ids is not None else {}
    for medicine in medicines:
        if not _taken(medicine.start_date, medicine.stop_date, on, items.after_stop_days):
            continue
        removed = course_of[medicine.course_id].check_in_removed if medicine.course_id in course_of else []
        for code, reason in _by_medicine(medicine.name).items():
            if code not in removed:
                why.setdefault(code, f"with {reason} (on the medicine list)")
    codes = tuple(s.code for s in instrument().symptoms if s.code in why)
    return SymptomsAsked(codes, True, {code: why[code] for code in codes})


def check_in_words(course: Course) -> str:
    """What a course makes the check-in ask beyond the core questions, and what its team chose,
    as a sentence for the course's place in the record."""
    def named(codes) -> str:
        return ", ".join(instrument().symptom(code).label.lower() for code in codes)

    if not recognised(course):
        return "Every symptom is asked: the check-in does not know this treatment's medicines"
    brings = {code: reason for code, reason in course_defaults(course).items() if code not in course.check_in_removed}
    added = [code for code in course.check_in_added if code not in brings]
    parts = [f"also asks about {named([code])} (with {reason})" for code, reason in brings.items()]
    parts += [f"added by the team: {named(added)}"] if added else []
    parts += [f"not asked, as the team chose: {named(course.check_in_removed)}"] if course.check_in_removed else []
    words = "; ".join(parts) or "only the questions asked of everyone"
    return words[0].upper() + words[1:]


def check_team_choice(added: list[str], removed: list[str]) -> str | None:
    """Why a team's choice for a course cannot stand (the field named first), or None.

    Returns "field: message" so that records.py can raise its own field error."""
    codes = {s.code for s in instrument().symptoms}
    for field, chosen in (("check_in_added", added), ("check_in_removed", removed)):
        if unknown := [c for c in chosen if c not in codes]:
            return f"{field}: These are not symptoms the check-in asks: {', '.join(unknown)}"
    core = check_in_items().core
    if kept := [c for c in removed if c in core]:
        labels = ", ".join(instrument().symptom(c).label for c in kept)
        return f"check_in_removed: {labels} is always asked and cannot be removed from the check-in"
    if both := sorted(set(added) & set(removed)):
        return f"check_in_removed: A symptom cannot be both added and removed: {', '.join(both)}"
    return None
