"""A timeline kept for a second look (domain/results.py `RECENT_TIMELINES`) is exactly the one a
fresh build gives: after any entry the timeline reads is added, changed or removed, the next
look equals a build with nothing kept. It is never kept for a patient who waits for results, so
what her team looked at cannot reach her; and every look is still authorised and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from alongside.domain import results
from alongside.store import tables as t

from ..factories import sample
from .test_result_sharing import add_held_scan, choose, shows_scan

SPAN = {"span": "all"}


@pytest.fixture(autouse=True)
def nothing_kept():
    results.RECENT_TIMELINES._kept.clear()
    yield
    results.RECENT_TIMELINES._kept.clear()


def look(client, patient_id) -> dict:
    response = client.get(f"/api/v1/patients/{patient_id}/timeline", params=SPAN)
    assert response.status_code == 200, response.text
    return response.json()


def built_afresh(client, patient_id) -> dict:
    results.RECENT_TIMELINES._kept.clear()
    return look(client, patient_id)


def timelines_kept() -> int:
    return len(results.RECENT_TIMELINES._kept)


@pytest.mark.parametrize("slug", results.TIMELINE_KINDS)
def test_adding_changing_or_removing_any_entry_it_reads_is_on_the_next_look(client_for, world, slug):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}/{slug}"
    first = look(nurse, world.patient_a)
    assert look(nurse, world.patient_a) == first and timelines_kept() == 1  # the second look was the kept one

    added = nurse.post(url, json=sample(slug, world.course_a))
    assert added.status_code == 201, added.text
    after_add = look(nurse, world.patient_a)
    assert timelines_kept() == 2
    assert after_add == built_afresh(nurse, world.patient_a)

    entry = added.json()
    body = {k: v for k, v in entry.items() if k not in ("id", "patient_id", "created_at", "updated_at", "kind")}
    changed = nurse.put(f"{url}/{entry['id']}", json=_changed(slug, body))
    assert changed.status_code == 200, changed.text
    after_change = look(nurse, world.patient_a)
    assert after_change == built_afresh(nurse, world.patient_a)

    removed = nurse.delete(f"{url}/{entry['id']}", params={"version": changed.json()["version"]})
    assert removed.status_code == 204, removed.text
    after_remove = look(nurse, world.patient_a)
    assert after_remove == built_afresh(nurse, world.patient_a) == first


def test_a_check_in_sent_is_on_the_next_look(client_for, world):
    nurse, alice = client_for(world.nurse), client_for(world.alice)
    first = look(nurse, world.patient_a)
    sent = alice.post(f"/api/v1/patients/{world.patient_a}/check-ins", json=sample("check-ins"))
    assert sent.status_code == 201, sent.text
    after = look(nurse, world.patient_a)
    assert after != first and after["worst_grade"]
    assert after == built_afresh(nurse, world.patient_a)


def _changed(slug: str, body: dict) -> dict:
    """The same entry with something the timeline shows changed."""
    change = {"treatment-courses": {"name": "Exemestane"}, "treatment-breaks": {"end_date": "2024-06-20"},
              "decisions": {"chosen": "B"}, "tumour-markers": {"value": 88.0}, "lab-results": {"value": 0.4},
              "scans": {"impression": "progressing"}, "medicines": {"name": "Anastrozole"}}[slug]
    return {**body, **change}


def test_a_lab_value_changed_is_the_value_shown_next(client_for, world):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}/lab-results"
    entry = nurse.post(url, json=sample("lab-results")).json()
    values = lambda story: [r["value"] for s in story["labs"] for r in s["readings"]]  # noqa: E731
    assert values(look(nurse, world.patient_a)) == [1.2]
    body = {k: v for k, v in entry.items() if k not in ("id", "patient_id", "created_at", "updated_at", "kind")}
    assert nurse.put(f"{url}/{entry['id']}", json={**body, "value": 0.4}).status_code == 200
    assert values(look(nurse, world.patient_a)) == [0.4]


def test_what_her_team_looked_at_never_reaches_her_while_she_waits_for_a_scan(client_for, world):
    alice, carer, nurse = client_for(world.alice), client_for(world.carer), client_for(world.nurse)
    assert choose(alice, world.patient_a).status_code == 303
    scan_id = add_held_scan(nurse, world.patient_a)
    assert "progressing" in str(look(nurse, world.patient_a))  # her team's look, with the scan
    assert "progressing" in str(look(nurse, world.patient_a))
    kept = timelines_kept()
    for reader in (alice, carer):
        assert "progressing" not in str(look(reader, world.patient_a))
        page = reader.get(f"/patients/{world.patient_a}/timeline", params=SPAN).text
        assert not shows_scan(page, scan_id)
    assert timelines_kept() == kept  # hers was built afresh and not kept


def test_someone_who_sees_everything_shares_the_kept_timeline_and_each_look_is_audited(client_for, world, engine):
    alice, nurse = client_for(world.alice), client_for(world.nurse)

    def looks() -> int:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(t.AuditEventRow).where(
                t.AuditEventRow.patient_id == world.patient_a, t.AuditEventRow.what == "timeline"))

    before = looks()
    story = look(nurse, world.patient_a)
    assert look(alice, world.patient_a) == story  # she has chosen to see everything at once
    assert look(nurse, world.patient_a) == story and timelines_kept() == 1
    assert looks() == before + 3


def test_an_outsider_is_refused_before_anything_kept_is_looked_up(client_for, world):
    nurse, bella = client_for(world.nurse), client_for(world.bella)
    look(nurse, world.patient_a)
    refused = bella.get(f"/api/v1/patients/{world.patient_a}/timeline", params=SPAN)
    assert refused.status_code in (403, 404)
    assert "Anastrozole" not in refused.text


def test_the_number_kept_is_bounded_oldest_first_out():
    kept = results._RecentTimelines(2)
    for number in range(3):
        kept.put(("key", number), f"timeline {number}")
    assert kept.get(("key", 0)) is None
    assert kept.get(("key", 2)) == "timeline 2"
    kept.get(("key", 1))  # the one looked at last stays longest
    kept.put(("key", 3), "timeline 3")
    assert kept.get(("key", 1)) == "timeline 1" and kept.get(("key", 2)) is None
