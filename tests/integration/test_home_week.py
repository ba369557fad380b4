"""The home page reflects her week (issue 16, item 4): the check-in done or due, a saved draft, which
line is open now and when the next opens, her next appointment, and the results new since her
last visit (only those she has chosen to see). Carers see what they may, with navigation."""

from __future__ import annotations

from datetime import timedelta

from .conftest import NOW, sign_in

SCAN = {"performed_on": "2026-11-24", "modality": "ct", "body_area": "Chest", "impression": "stable"}


def home_of(client, world) -> str:
    response = client.get(f"/patients/{world.patient_a}")
    assert response.status_code == 200
    return response.text


def week_of(client, world) -> str:
    page = home_of(client, world)
    return page[page.index('id="week-h"'):page.index("</section>", page.index('id="week-h"'))]


def send_check_in(client, world, days_ago: float) -> None:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    response = client.post(f"/api/v1/patients/{world.patient_a}/check-ins",
                           json={"submitted_at": at, "burden": {"pain": 1}, "red_flags": {"new_back_pain": False}})
    assert response.status_code == 201, response.text


def test_before_any_check_in_it_is_due(client_for, world):
    week = week_of(client_for(world.alice), world)
    assert "No check-in has been sent yet" in week and "Do this week's check-in" in week


def test_after_she_sends_it_the_page_says_done_and_when_the_next_is_due(client_for, world):
    alice = client_for(world.alice)
    send_check_in(alice, world, days_ago=2)
    week = week_of(alice, world)
    assert "This week's check-in is done" in week
    assert "Do this week's check-in" not in week and "Check in again" in week
    assert "The next one is due from 30 November 2026, 10:00" in week  # sent Mon 23 November at 10:00


def test_a_week_after_the_last_one_the_next_is_due(client_for, world):
    alice = client_for(world.alice)
    send_check_in(alice, world, days_ago=8)
    week = week_of(alice, world)
    assert "so this week's is due" in week and "Do this week's check-in" in week


def test_a_saved_draft_is_offered_to_finish(client_for, world):
    alice = client_for(world.alice)
    csrf = alice.get("/api/v1/me").json()["csrf_token"]
    saved = alice.post(f"/patients/{world.patient_a}/check-in",
                       data={"csrf_token": csrf, "action": "save", "burden.pain": "3"})
    assert saved.status_code == 303, saved.text
    week = week_of(alice, world)
    assert "You saved a check-in to finish later" in week and "Finish the check-in" in week
    assert "Do this week's check-in" not in week


def test_the_lines_open_now_and_when_a_closed_one_opens(client_for, world):
    nurse, alice = client_for(world.nurse), client_for(world.alice)
    url = f"/api/v1/patients/{world.patient_a}/contact-points"
    assert nurse.post(url, json={"name": "Breast care nurses", "purpose": "routine", "phone": "01632 960001",
                                 "hours": "mon-fri 9:00-17:00"}).status_code == 201
    assert nurse.post(url, json={"name": "Saturday clinic", "purpose": "routine", "phone": "01632 960002",
                                 "hours": "sat 9:00-12:00"}).status_code == 201
    week = week_of(alice, world)  # the clock: Wednesday 25 November, 10:00
    assert "Breast care nurses: <strong>open now</strong>" in week
    assert "Saturday clinic: closed, opens 28 November 2026, 09:00" in week


def test_her_next_appointment(client_for, world):
    nurse, alice = client_for(world.nurse), client_for(world.alice)
    url = f"/api/v1/patients/{world.patient_a}/appointments"
    for starts in ("2026-12-09T14:00:00+00:00", "2026-12-02T09:30:00+00:00", "2026-11-20T09:30:00+00:00"):
        assert nurse.post(url, json={"starts_at": starts, "kind": "oncology_clinic"}).status_code == 201
    week = week_of(alice, world)
    assert "2 December 2026, 09:30" in week and "9 December" not in week


def test_results_new_since_her_last_visit_leave_out_those_she_waits_for(make_client, client_for, world):
    first = client_for(world.alice)
    assert "Nothing new since" in week_of(first, world)  # the world's making signed her in before
    csrf = first.get("/api/v1/me").json()["csrf_token"]
    first.post(f"/patients/{world.patient_a}/result-sharing",
               data={"scans": "after_discussion", "tumour_markers": "at_once", "blood_tests": "at_once",
                     "version": "0", "csrf_token": csrf})
    nurse = client_for(world.nurse)
    assert nurse.post(f"/api/v1/patients/{world.patient_a}/scans", json=SCAN).status_code == 201
    assert nurse.post(f"/api/v1/patients/{world.patient_a}/tumour-markers",
                      json={"taken_on": "2026-11-24", "marker": "ca15_3", "value": 61.0}).status_code == 201
    again = client_for(world.alice)  # a new sign-in: a new visit
    week = week_of(again, world)
    assert "Tumour marker:" in week and "Scan:" not in week


def test_a_carer_sees_the_week_without_forms_she_cannot_use_and_has_navigation(client_for, world):
    carer = client_for(world.carer)
    page = home_of(carer, world)
    assert "Alice's week" in page
    assert "Do this week's check-in" not in page  # a carer who may only read
    assert 'href="/carer">People I look after' not in page  # one person looked after: nothing to choose
    assert f'href="/patients/{world.patient_a}">Alice&#39;s home</a>' in page
    assert f'href="/patients/{world.patient_a}/record/lab-results">Results</a>' in page
