"""A synthetic ClinicalTrials.gov corpus: N studies made by varying the 41 real fixture studies
(new NCT ids, a shuffled subset of their sites, other last-update dates, conditions in another
order, some criteria sentences reworded), written as a bulk-download zip, one JSON file each."""

from __future__ import annotations

import argparse
import json
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ctgov"
# Rewordings the eligibility text reader must take in its stride: same meaning, other words.
REWORDINGS = [("ECOG performance status of 0 or 1", "ECOG performance status 0-1"),
              ("Eastern Cooperative Oncology Group", "ECOG"), ("≥", ">="), ("metastatic", "Metastatic")]


def vary(document: dict, index: int, rng: random.Random) -> dict:
    study = json.loads(json.dumps(document))  # a deep copy
    protocol = study["protocolSection"]
    protocol["identificationModule"]["nctId"] = f"NCT{90_000_000 + index:08d}"
    status = protocol["statusModule"]
    status["lastUpdatePostDateStruct"] = {"date": (date(2020, 1, 1) + timedelta(days=rng.randrange(2000))).isoformat(),
                                          "type": "ACTUAL"}
    locations = protocol.get("contactsLocationsModule", {}).get("locations")
    if locations:
        rng.shuffle(locations)
        del locations[rng.randint(1, len(locations)):]
    conditions = protocol.get("conditionsModule", {}).get("conditions")
    if conditions:
        rng.shuffle(conditions)
    eligibility = protocol.get("eligibilityModule", {})
    if eligibility.get("eligibilityCriteria"):
        old, new = rng.choice(REWORDINGS)
        eligibility["eligibilityCriteria"] = eligibility["eligibilityCriteria"].replace(old, new)
    return study


def generate(path: Path, studies: int, seed: int = 14) -> Path:
    rng = random.Random(seed)
    sources = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("NCT*.json"))]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index in range(studies):
            study = vary(sources[index % len(sources)], index, rng)
            archive.writestr(f"ctg-studies/{study['protocolSection']['identificationModule']['nctId']}.json",
                             json.dumps(study))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--studies", type=int, default=100_000)
    args = parser.parse_args()
    print(generate(args.out, args.studies))
