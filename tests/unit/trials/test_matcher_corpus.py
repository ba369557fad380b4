"""The corpus fast path (`ScreenedCorpus.ranked`) gives exactly what matching and ranking every
study in full gives: the same verdicts, the same order, the same full matches for what is shown."""

import json
import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from alongside.clinical.trial_eligibility import Profile, Verdict
from alongside.trials.eligibility_text import extract_criteria
from alongside.trials.matcher import ScreenedCorpus, home_of, match, nearest_site, rank
from alongside.trials.study import Site, load_study

FIXTURES = Path(__file__).parents[2] / "fixtures"
STUDIES = [load_study(p.read_bytes()) for p in sorted((FIXTURES / "ctgov").glob("NCT*.json"))]
PATIENTS = [p["profile"] for p in json.loads((FIXTURES / "trials" / "evaluation.json").read_text())["patients"]]
# Some stated facts and little else, with and without a home town the gazetteer knows.
SPARSE = [{}, {"age": 45, "sex": "female"}, {"sex": "male", "town": "Glasgow", "country": "United Kingdom"},
          {"setting": "early", "er": "low", "pr": "low", "her2": "ultralow", "town": "Paris", "country": "France"}]


@pytest.fixture(scope="module")
def corpus() -> ScreenedCorpus:
    return ScreenedCorpus.build(STUDIES, [extract_criteria(s) for s in STUDIES])


@pytest.mark.parametrize("facts", PATIENTS + SPARSE)
def test_the_fast_path_ranks_and_builds_exactly_what_the_full_match_does(corpus, facts):
    profile = Profile.model_validate(facts)
    home = home_of(profile.town, profile.country)
    full = rank([match(profile, s, c) for s, c in zip(corpus.studies, corpus.criteria)], home)
    fast = corpus.ranked(profile, home)
    assert fast.matches() + fast.not_eligible() == full
    assert fast.count(Verdict.not_eligible) == sum(m.verdict is Verdict.not_eligible for m in full)
    assert fast.matches(0, 3) == [m for m in full if m.verdict is not Verdict.not_eligible][:3]


def test_criteria_that_differ_only_in_their_sentence_are_one_rule_and_each_study_keeps_its_own(corpus):
    base = next(s for s in STUDIES if extract_criteria(s))
    criteria = extract_criteria(base)
    reworded = [c.model_copy(update={"sentence": c.sentence + " (reworded)"}) for c in criteria]
    twins = ScreenedCorpus.build([base, replace(base, nct_id="NCT99999999")], [criteria, reworded])
    assert len(twins.rules) == len({c.model_dump_json(exclude={"sentence", "inclusion"}) for c in criteria})
    shown = twins.ranked(Profile(), None)
    built = {m.nct_id: m for m in shown.matches() + shown.not_eligible()}
    assert [r.criterion.sentence for r in built["NCT99999999"].results] == [c.sentence for c in reworded]


def test_a_home_town_reuses_its_nearest_sites_and_a_new_one_is_measured_afresh(corpus):
    profile = Profile.model_validate(PATIENTS[0])
    leeds, paris = home_of("Leeds", "United Kingdom"), home_of("Paris", "France")
    first = corpus.ranked(profile, leeds).matches()
    assert corpus.ranked(profile, leeds).matches() == first
    in_paris = corpus.ranked(profile, paris).matches()
    assert in_paris == rank([m for m in (match(profile, s, c) for s, c in zip(corpus.studies, corpus.criteria))
                             if m.verdict is not Verdict.not_eligible], paris)


@pytest.mark.parametrize("sites", [
    (),  # no sites at all
    (Site("Unmapped", "Leeds", None, "United Kingdom", None, None, None),  # her country, none located: no distance
     Site("Paris site", "Paris", None, "France", 48.85, 2.35, None)),
    (Site("Paris site", "Paris", None, "France", 48.85, 2.35, None),  # none in her country: every site
     Site("Lyon site", "Lyon", None, "France", 45.76, 4.84, None)),
    (Site("London", "London", None, "United Kingdom", 51.5, -0.12, None),  # her country's nearest, not Paris's
     Site("Paris site", "Paris", None, "France", 48.85, 2.35, None),
     Site("Leeds", "Leeds", None, "United Kingdom", 53.8, -1.55, None)),
])
def test_the_nearest_site_over_arrays_is_the_one_the_full_search_finds(sites):
    leeds = home_of("Leeds", "United Kingdom")
    study = replace(STUDIES[0], sites=sites)
    fast = ScreenedCorpus.build([study], [[]])
    assert fast.nearest(0, leeds) == nearest_site(sites, leeds)


def test_nearest_sites_over_many_random_lists_are_the_full_search_s_even_with_sites_at_one_place():
    rng = random.Random(14)
    towns = [("United Kingdom", 53.8, -1.55), ("United Kingdom", 51.5, -0.12), ("France", 48.85, 2.35), ("Spain", 40.4, -3.7)]
    lists = []
    for _ in range(300):
        chosen = [rng.choice(towns) for _ in range(rng.randint(0, 12))]
        lists.append(tuple(Site(f"site {k}", None, None, country, None if rng.random() < 0.1 else lat + rng.choice([0, 0, 0.37]),
                                lon + rng.choice([0, 0, -0.21]), None) for k, (country, lat, lon) in enumerate(chosen)))
    studies = [replace(STUDIES[0], nct_id=f"NCT9{i:07d}", sites=sites) for i, sites in enumerate(lists)]
    corpus = ScreenedCorpus.build(studies, [[] for _ in studies])
    for home in (home_of("Leeds", "United Kingdom"), home_of("Madrid", "Spain"), home_of("Berlin", "Germany")):
        expected = [nearest_site(s, home) for s in lists]
        assert corpus.distances(home, np.arange(len(studies))).tolist() == [math.inf if e is None else e[1] for e in expected]
        assert [corpus.nearest(i, home) for i in range(len(studies))] == expected
