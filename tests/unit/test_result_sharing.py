"""The rule of when a result is shown to her, case by case, and as a property: her team's view is
never narrowed, and only results (never alerts, contacts or other entries) are ever held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, strategies as st

from alongside.domain.entries import Entry
from alongside.domain.errors import InvalidInput
from alongside.domain.people import Relationship
from alongside.domain.records import RECORD_KINDS, validate
from alongside.domain.result_sharing import (
    HELD_KINDS, ResultSharing, SharingChoice, holds, released_at, shown_to_reader,
)
from alongside.domain.vocab import ResultRelease

CHOSEN = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def entry(slug: str, added: datetime) -> Entry:
    return Entry(uuid4(), uuid4(), slug, 1, None, added, added)


def choice(**settings) -> SharingChoice:
    return SharingChoice(ResultSharing(**settings), {slug: CHOSEN for slug in HELD_KINDS}, 1, CHOSEN, "Alice")


@pytest.mark.parametrize("settings, days_later, discussed, held", [
    ({}, 0, False, False),  # at once, the default
    ({"scans": "after_discussion"}, 0, False, True),
    ({"scans": "after_discussion"}, 59, False, True),  # no time limit: only a discussion releases it
    ({"scans": "after_discussion"}, 0, True, False),
    ({"scans": "after_days", "scans_days": 7}, 6, False, True),
    ({"scans": "after_days", "scans_days": 7}, 7, False, False),
    ({"scans": "after_days", "scans_days": 7}, 0, True, True),  # days alone: a discussion does not shorten them
    ({"scans": "discussion_or_days", "scans_days": 7}, 1, True, False),  # discussed first
    ({"scans": "discussion_or_days", "scans_days": 7}, 7, False, False),  # the days first
    ({"scans": "discussion_or_days", "scans_days": 7}, 3, False, True),
])
def test_when_a_scan_added_after_her_choice_is_held(settings, days_later, discussed, held):
    added = CHOSEN + timedelta(hours=1)
    scan = entry("scans", added)
    found = holds(choice(**settings), {scan.id: added} if discussed else {}, {"scans": [scan]},
                  added + timedelta(days=days_later))
    assert (scan.id in found) is held


def test_a_result_added_before_she_chose_stays_in_view():
    older = entry("scans", CHOSEN - timedelta(minutes=1))
    assert holds(choice(scans="after_discussion"), {}, {"scans": [older]}, CHOSEN) == {}


def test_a_hold_says_until_when():
    scan = entry("lab-results", CHOSEN + timedelta(days=1))
    hold = holds(choice(blood_tests="discussion_or_days", blood_tests_days=10), {}, {"lab-results": [scan]},
                 CHOSEN + timedelta(days=2))[scan.id]
    assert hold.until == scan.created_at + timedelta(days=10) and hold.until_discussed


@pytest.mark.parametrize("settings, field", [
    ({"scans": "after_days"}, "scans_days"),
    ({"tumour_markers": "discussion_or_days"}, "tumour_markers_days"),
    ({"blood_tests": "after_days", "blood_tests_days": 61}, "blood_tests_days"),
    ({"blood_tests": "after_days", "blood_tests_days": 0}, "blood_tests_days"),
])
def test_days_are_needed_from_1_to_60_and_the_error_names_the_field(settings, field):
    with pytest.raises(InvalidInput) as raised:
        validate(ResultSharing, settings)
    assert [e["field"] for e in raised.value.errors] == [field]


class _Sharing:
    def __init__(self, chosen: SharingChoice):
        self.chosen = chosen

    def choice(self, patient_id):
        return self.chosen

    def discussed_at(self, patient_id):
        return {}


class _Uow:
    def __init__(self, chosen: SharingChoice):
        self.result_sharing = _Sharing(chosen)


releases = st.sampled_from(list(ResultRelease))


@given(scans=releases, markers=releases, bloods=releases, days=st.integers(1, 60),
       ages=st.lists(st.integers(-100, 100 * 24), min_size=1, max_size=12),
       slugs=st.lists(st.sampled_from(list(RECORD_KINDS)), min_size=1, max_size=12))
def test_her_team_sees_everything_and_nothing_but_results_is_ever_held(scans, markers, bloods, days, ages, slugs):
    chosen = choice(scans=scans, scans_days=days, tumour_markers=markers, tumour_markers_days=days,
                    blood_tests=bloods, blood_tests_days=days)
    entries: dict[str, list[Entry]] = {}
    for slug, hours in zip(slugs, ages):
        entries.setdefault(slug, []).append(entry(slug, CHOSEN + timedelta(hours=hours)))
    now = CHOSEN + timedelta(days=3)
    uow = _Uow(chosen)
    for team in (Relationship.CARE_TEAM, Relationship.OPERATOR):
        assert shown_to_reader(uow, team, uuid4(), entries, now) == entries
    for reader in (Relationship.SELF, Relationship.CARER_READ, Relationship.CARER_CHECK_IN):
        shown = shown_to_reader(uow, reader, uuid4(), entries, now)
        for slug, items in entries.items():
            if slug not in HELD_KINDS:
                assert shown[slug] == items
            else:
                kept = {e.id for e in shown[slug]}
                assert all(e.id in kept for e in items if e.created_at < CHOSEN)  # never taken away


def test_a_result_comes_into_view_when_discussed_or_when_its_days_run_out():
    scan = entry("scans", CHOSEN + timedelta(days=1))
    talked = scan.created_at + timedelta(days=2)
    either = choice(scans="discussion_or_days", scans_days=5)
    assert released_at(either, {scan.id: talked}, scan) == talked
    assert released_at(either, {}, scan) == scan.created_at + timedelta(days=5)
    assert released_at(choice(scans="after_discussion"), {}, scan) is None
    assert released_at(choice(), {}, scan) == scan.created_at
