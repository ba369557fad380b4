"""Matching one person against a synthetic corpus of ClinicalTrials.gov studies (issue 14).

The corpus varies the 41 real fixture studies (new NCT ids, recruiting status, age limits), deterministic from a seed; each study's criteria are extracted once, as the
import caches them. Two ways to match one profile, in the same run:
- pre-filtered: the inverted index of `ScreenedCorpus` rules studies out on the facts the profile
  states, then the candidates are assessed from their cached criteria and ranked;
- naive: every study's criteria extracted from its text and assessed (measured on a sample and
  scaled, since it runs for minutes at 100,000).
Writes its section of docs/benchmarks.md.

    .venv/bin/python bench/trial_match.py [--studies 100000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import random
import time
import resource
from dataclasses import replace
from pathlib import Path

from run import machine, percentile, table, write_section

from alongside.clinical.trial_eligibility import Criterion, CriterionKind, Profile
from alongside.trials.eligibility_text import extract_criteria
from alongside.trials.matcher import ScreenedCorpus, home_of, match, rank
from alongside.trials.study import Study, load_study

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "ctgov"
STATUSES = ["RECRUITING", "RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED"]
PROFILES = {
    "HER2-positive, first line": {"age": 52, "sex": "female", "town": "Leeds", "country": "United Kingdom",
                                  "setting": "metastatic", "er": "positive", "pr": "negative", "her2": "positive", "ecog": 1,
                                  "brain_metastases": "stable", "prior_lines_metastatic": 0,
                                  "prior_treatments": [{"agent": "trastuzumab", "setting": "early"}]},
    "HR-positive after a CDK4/6 inhibitor": {"age": 64, "sex": "female", "town": "Bristol", "country": "United Kingdom",
                                             "setting": "metastatic", "er": "positive", "pr": "positive", "her2": "low",
                                             "ecog": 1, "prior_lines_metastatic": 1, "prior_endocrine_lines_metastatic": 1,
                                             "prior_treatments": [{"agent": "palbociclib", "setting": "metastatic"},
                                                                  {"agent": "letrozole", "setting": "metastatic"}]},
    "little known": {"age": 45, "sex": "female"},
}


def corpus(n: int, seed: int = 14) -> tuple[list[Study], list[list[Criterion]]]:
    rng = random.Random(seed)
    bases = [load_study(p.read_bytes()) for p in sorted(FIXTURES.glob("NCT*.json"))]
    cached = [extract_criteria(b) for b in bases]
    studies, criteria = [], []
    for i in range(n):
        k = i % len(bases)
        base = bases[k]
        low = rng.choice([base.minimum_age_years, 18.0, 21.0, None])
        high = rng.choice([base.maximum_age_years, 75.0, None])
        # Sites are shared with the base study (copies of hundreds of sites per study would need
        # tens of GB); the order among equally fit trials then turns on status and distance.
        study = replace(base, nct_id=f"NCT9{i:07d}", overall_status=rng.choice(STATUSES),
                        minimum_age_years=low, maximum_age_years=high)
        studies.append(study)
        # The cached criteria: the text's from the base, the structured ones for this variant.
        structured = [c for c in extract_criteria(replace(study, eligibility_text=None)) if c.kind in (CriterionKind.age, CriterionKind.sex)]
        criteria.append(structured + [c for c in cached[k] if c.kind not in (CriterionKind.age, CriterionKind.sex)])
    return studies, criteria


def pre_filtered(screened: ScreenedCorpus, profile: Profile, repeat: int) -> tuple[list[float], int, int]:
    home = home_of(profile.town, profile.country)
    times, kept, out = [], 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        matches, out = screened.match_all(profile)
        ranked = rank(matches, home)
        times.append(time.perf_counter() - start)
        kept = len(ranked)
    return times, kept, out


def naive(studies: list[Study], profile: Profile, sample: int) -> float:
    """Seconds per study: extract from the text, then assess, for every study."""
    start = time.perf_counter()
    for study in studies[:sample]:
        match(profile, study, extract_criteria(study))
    return (time.perf_counter() - start) / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studies", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    started = time.perf_counter()
    studies, criteria = corpus(args.studies)
    screened = ScreenedCorpus.build(studies, criteria)
    built = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    home_of("Leeds", "United Kingdom")  # load the gazetteer once, outside the timings
    rows = []
    for name, facts in PROFILES.items():
        profile = Profile.model_validate(facts)
        times, kept, out = pre_filtered(screened, profile, args.repeat)
        per_study = naive(studies, profile, args.naive_sample)
        rows.append([name, f"{out:,}", f"{kept:,}", f"{percentile(times, 0.5) * 1000:.0f}", f"{percentile(times, 0.95) * 1000:.0f}",
                     f"{per_study * 1000:.2f}", f"{per_study * len(studies):.0f}"])
        print(rows[-1], flush=True)
    m = machine()
    text = "\n".join([
        "## Trials: matching one person against the corpus (issue 14)",
        "",
        f"`bench/trial_match.py`: {len(studies):,} synthetic studies varied from the 41 fixtures (ids, status, age limits, "
        f"sites shared with the study they vary), criteria cached as the import caches them; corpus and index built in {built:.0f} s, "
        f"peak resident memory {peak / 1024**2:.0f} MiB. {args.repeat} rounds per profile; the naive baseline "
        f"(extract every study's criteria from its text, then assess) timed on {args.naive_sample:,} studies in the "
        f"same run and scaled to the corpus. {m['CPU']}, Python {m['Python']}.",
        "",
        table(rows, ["profile", "ruled out by the index", "assessed and ranked", "p50 ms", "p95 ms",
                     "naive ms per study", "naive s for the corpus"]),
        "",
        "The index rules a study out only on a criterion whose fact the profile states and which no qualifier softens, so "
        "its result equals the full assessment's (`tests/unit/trials/test_eligibility_text.py::"
        "test_the_pre_filter_rules_out_only_what_the_full_assessment_finds_not_eligible`). A profile that states little "
        "rules little out, and every remaining study is assessed: that row is the worst case.",
    ])
    write_section(args.report, "trial-match", text)


if __name__ == "__main__":
    main()
