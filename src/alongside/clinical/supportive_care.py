"""When to prompt the team to consider a referral to supportive or palliative care.

Rule: symptom burden has stayed high over the last `consecutive` check-ins in a row, where a
check-in counts as high when any ESAS-r style 0-10 item is `item_at_or_above` or more, or the
items add up to `total_at_or_above` or more.

Sources and conventions:
- 7 or more out of 10 is the "severe" band of ESAS scores (Selby et al., J Pain Symptom Manage
  2010), and severe physical or emotional symptoms (7-10 of 10) are among the criteria for
  referral to specialist palliative care agreed by Hui et al., "Referral criteria for
  outpatient specialty palliative cancer care: an international consensus", Lancet Oncol 2016;
- NICE CSG4 (Improving supportive and palliative care for adults with cancer, 2004) asks teams
  to assess needs regularly and refer when needs persist;
- the total of 40 (of 90 for the nine ESAS-r items) and "3 check-ins in a row" are conventions
  of this project, chosen so that one bad week does not prompt; they are not validated cut-offs
  and a team should set its own.
It prompts the team only; it is never shown to the person as an alarm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SupportiveCareThresholds:
    item_at_or_above: int = 7
    total_at_or_above: int = 40
    consecutive: int = 3


@dataclass(frozen=True)
class HighBurden:
    """Why one check-in counted as high."""

    severe_items: tuple[tuple[str, int], ...]  # items at or above the threshold, highest first
    total: int


@dataclass(frozen=True)
class SupportiveCarePrompt:
    reports: tuple[HighBurden, ...]  # the qualifying check-ins, oldest first


def high_burden(burden: Mapping[str, int], thresholds: SupportiveCareThresholds = SupportiveCareThresholds()
                ) -> HighBurden | None:
    """Whether one check-in's 0-10 items show high burden. Unanswered items are absent, not 0,
    so a short check-in can still count through one severe item but rarely through its total."""
    severe = tuple(sorted(((k, v) for k, v in burden.items() if v >= thresholds.item_at_or_above),
                          key=lambda item: -item[1]))
    total = sum(burden.values())
    if severe or total >= thresholds.total_at_or_above:
        return HighBurden(severe, total)
    return None


def supportive_care_prompt(reports: Sequence[Mapping[str, int]],
                           thresholds: SupportiveCareThresholds = SupportiveCareThresholds()
                           ) -> SupportiveCarePrompt | None:
    """`reports`: each check-in's 0-10 items, oldest first. Prompt when the last
    `consecutive` reports all show high burden."""
    if thresholds.consecutive < 1 or len(reports) < thresholds.consecutive:
        return None
    found = [high_burden(report, thresholds) for report in reports[-thresholds.consecutive:]]
    if all(found):
        return SupportiveCarePrompt(tuple(found))
    return None
