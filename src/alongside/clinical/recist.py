"""RECIST 1.1 response of measured disease.

Implements the Response Evaluation Criteria In Solid Tumours, version 1.1: Eisenhauer EA,
Therasse P, Bogaerts J, et al., "New response evaluation criteria in solid tumours: revised
RECIST guideline (version 1.1)", Eur J Cancer 2009;45:228-247.

- `target_response`: section 4.3.1, the target lesion rules (sum of diameters; lymph nodes by
  their short axis).
- `overall_response`: Table 4 (target disease, with or without non-target disease) and
  Table 5 (non-target disease only).
- `best_overall_response`: section 4.4.1 and Table 3, confirmation of CR and PR and the
  minimum interval for stable disease.

Alongside records the radiologist's measurements; these functions only restate them as RECIST
categories. They do not decide anything about treatment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

__all__ = [
    "Lesion", "target_response", "overall_response", "best_overall_response",
    "PR_DECREASE", "PD_INCREASE", "PD_ABSOLUTE_MM", "NODE_NORMAL_BELOW_MM", "SD_MIN_DAYS",
]

# Section 4.3.1: PR is a decrease of at least 30% in the sum of diameters from the baseline
# sum; PD an increase of at least 20% over the smallest sum on study (baseline included) that is
# also at least 5 mm; in CR every target node has a short axis under 10 mm.
PR_DECREASE = 0.30
PD_INCREASE = 0.20
PD_ABSOLUTE_MM = 5.0
NODE_NORMAL_BELOW_MM = 10.0
# Section 4.4.1 leaves the minimum interval for SD to the protocol, "in general" no less than
# 6-8 weeks; six weeks after baseline is the common choice and ours by default.
SD_MIN_DAYS = 42
# Not RECIST but plausibility, our choice: the longest diameter a measured lesion can have. The
# largest solid tumours reported are a few tens of centimetres across; half a metre is wider than
# a torso, so a size above it is an entry error (cm typed as mm twice, an extra digit).
PLAUSIBLE_LESION_MAX_MM = 500.0
_EPSILON = 1e-9  # measurements are in tenths of a millimetre; this only absorbs float noise

TARGET = ("CR", "PR", "SD", "PD", "NE", "none")
NON_TARGET = ("CR", "non-CR/non-PD", "PD", "NE", "none")
NEW_LESIONS = ("yes", "no", "equivocal")


@dataclass(frozen=True)
class Lesion:
    """A target lesion: its longest diameter, or for a lymph node its short axis, in mm.

    A lesion that has disappeared is recorded as 0 mm; None means it was not measured.
    """

    site: str
    nodal: bool
    diameter_mm: float | None

    def __post_init__(self) -> None:
        if self.diameter_mm is not None and self.diameter_mm < 0:
            raise ValueError(f"The diameter of the lesion at {self.site} cannot be negative ({self.diameter_mm} mm)")


def target_response(baseline: list[Lesion], nadir_sum: float, current: list[Lesion]) -> str:
    """The target lesion response at one assessment: "CR", "PR", "SD", "PD" or "NE".

    `baseline` and `current` list the same target lesions (same sites, nodal or not).
    `nadir_sum` is the smallest sum of diameters so far, baseline included (mm). A lesion not
    measured now makes the response NE, unless the lesions that were measured already show PD.
    """
    for lesion in (*baseline, *current):
        if lesion.diameter_mm is not None and lesion.diameter_mm < 0:
            raise ValueError(f"The diameter of the lesion at {lesion.site} cannot be negative")
    if not baseline:
        raise ValueError("There are no baseline target lesions")
    missing = [lesion.site for lesion in baseline if lesion.diameter_mm is None]
    if missing:
        raise ValueError(f"Baseline target lesions need a diameter: {', '.join(missing)}")
    if Counter((le.site, le.nodal) for le in baseline) != Counter((le.site, le.nodal) for le in current):
        raise ValueError("The current assessment must list the same target lesions as baseline")
    baseline_sum = sum(lesion.diameter_mm for lesion in baseline)
    if nadir_sum < 0:
        raise ValueError(f"The nadir sum cannot be negative ({nadir_sum} mm)")
    if nadir_sum > baseline_sum + _EPSILON:
        raise ValueError(f"The nadir sum ({nadir_sum} mm) cannot exceed the baseline sum ({baseline_sum} mm): "
                         "the nadir includes baseline")

    measured = [lesion.diameter_mm for lesion in current if lesion.diameter_mm is not None]
    current_sum = sum(measured)
    increase = current_sum - nadir_sum
    if increase >= PD_ABSOLUTE_MM - _EPSILON and current_sum >= nadir_sum * (1 + PD_INCREASE) - _EPSILON:
        return "PD"  # unmeasured lesions can only add to the sum
    if len(measured) < len(current):
        return "NE"
    nodes_normal = all(le.diameter_mm < NODE_NORMAL_BELOW_MM for le in current if le.nodal)
    others_gone = all(le.diameter_mm == 0 for le in current if not le.nodal)
    if nodes_normal and others_gone:
        return "CR"
    if current_sum <= baseline_sum * (1 - PR_DECREASE) + _EPSILON:
        return "PR"
    return "SD"


def overall_response(target: str, non_target: str, new_lesions: str) -> str:
    """The overall response at one time point, by RECIST 1.1 Table 4, or Table 5 without targets.

    `target`: "CR", "PR", "SD", "PD", "NE" (not all evaluated) or "none" (no target disease).
    `non_target`: "CR", "non-CR/non-PD", "PD", "NE" (not all evaluated) or "none" (no
    non-target disease). `new_lesions`: "yes", "no" or "equivocal".

    An equivocal new lesion is not progression at this time point (section 4.3.3: follow-up
    decides, and if it is confirmed, PD dates from when it was first seen). Without any disease
    at baseline and no new lesion the answer is "NED". Table 5 answers "non-CR/non-PD" where
    the other tables would say SD.
    """
    if target not in TARGET:
        raise ValueError(f"target must be one of {', '.join(TARGET)}, not {target!r}")
    if non_target not in NON_TARGET:
        raise ValueError(f"non_target must be one of {', '.join(NON_TARGET)}, not {non_target!r}")
    if new_lesions not in NEW_LESIONS:
        raise ValueError(f"new_lesions must be one of {', '.join(NEW_LESIONS)}, not {new_lesions!r}")

    # Rows "PD / any / yes or no", "any / PD / yes or no" and "any / any / yes" of both tables.
    if target == "PD" or non_target == "PD" or new_lesions == "yes":
        return "PD"
    if target == "none":  # Table 5
        return {"CR": "CR", "non-CR/non-PD": "non-CR/non-PD", "NE": "NE", "none": "NED"}[non_target]
    # Table 4. No non-target disease at all counts as nothing left to disappear.
    if target == "CR":
        return "CR" if non_target in ("CR", "none") else "PR"
    if target == "PR":
        return "PR"
    if target == "SD":
        return "SD"
    return "NE"  # target lesions not all evaluated, non-target disease not PD


_RESPONDING = ("CR", "PR")
_STABLE = ("CR", "PR", "SD", "non-CR/non-PD")


def best_overall_response(timepoints: list[tuple[date, str]], confirm_after_days: int = 28, *,
                          baseline_on: date | None = None, sd_min_days: int = SD_MIN_DAYS) -> str:
    """The best overall response over a course of assessments (RECIST 1.1 section 4.4, Table 3).

    `timepoints` are (date, overall response) pairs; only those up to and including the first PD
    count. CR needs a second CR at least `confirm_after_days` later with nothing but CR (or NE)
    between; PR needs a second PR or CR at least that much later with nothing worse than PR
    between (a CR counts as meeting PR). Otherwise stable disease (SD, an unconfirmed response,
    or non-CR/non-PD) counts if seen at least `sd_min_days` after `baseline_on`; when
    `baseline_on` is not given the SD interval cannot be checked and is not applied. Otherwise PD
    if progression was seen, else NE. With no disease at any time point the answer is "NED".
    Returns "CR", "PR", "SD", "non-CR/non-PD", "PD", "NE" or "NED".
    """
    points = sorted(timepoints)
    for _, response in points:
        if response not in ("CR", "PR", "SD", "PD", "NE", "NED", "non-CR/non-PD"):
            raise ValueError(f"{response!r} is not a RECIST overall response")
    if not points:
        return "NE"
    first_pd = next((i for i, (_, r) in enumerate(points) if r == "PD"), None)
    considered = points if first_pd is None else points[: first_pd + 1]
    if all(r == "NED" for _, r in considered):
        return "NED"

    if _confirmed(considered, ("CR",), confirm_after_days):
        return "CR"
    if _confirmed(considered, _RESPONDING, confirm_after_days):
        return "PR"
    stable = [(d, r) for d, r in considered if r in _STABLE]
    if baseline_on is not None:
        stable = [(d, r) for d, r in stable if (d - baseline_on).days >= sd_min_days]
    if stable:
        # Non-target disease only is reported as non-CR/non-PD rather than SD (Table 5 note).
        only_non_target = all(r in ("non-CR/non-PD", "CR") for _, r in stable) and any(
            r == "non-CR/non-PD" for _, r in stable)
        return "non-CR/non-PD" if only_non_target else "SD"
    if first_pd is not None:
        return "PD"
    return "NE"


def _confirmed(points: list[tuple[date, str]], allowed: tuple[str, ...], days: int) -> bool:
    for i, (first_on, first) in enumerate(points):
        if first not in allowed:
            continue
        for later_on, later in points[i + 1:]:
            if later == "NE":
                continue  # a missed or unreadable assessment neither confirms nor breaks
            if later not in allowed:
                break
            if (later_on - first_on).days >= days:
                return True
    return False
