"""The cycle diary through the HTTP app and the real database: marking days (one mark a day,
replaced when marked again), what the team told her, who may mark, adherence for the team, and
dose day reminders over a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from uuid import UUID

import pytest

from alongside.domain import accounts, dose_diary
from alongside.notify import send_dose_reminders
from alongside.domain.vocab import CarerAccess

from ..factories import _carer
from .conftest import NOW
from .test_appointments import smtp  # noqa: F401  (the real SMTP server fixture)
from .test_audit_and_carers import audit
from .test_pages import csrf_of
from .test_planning import pdf_text

# NOW is Wednesday 25 November 2026. Day 1 of cycle 1 on 12 October: cycle 1 ran to 8 November,
# cycle 2 started on 9 November and today is its day 17, a dose day.
DAY_ONE = "2026-10-12"
TODAY = "2026-11-25"
PALBOCICLIB = {"name": "Palbociclib", "purpose": "anticancer", "dose_value": 125, "dose_unit": "mg",
               "schedule": "cycle", "cycle_days_on": 21, "cycle_days_off": 7, "start_date": DAY_ONE}


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def day_line(html: str, day: str) -> str:
    return text_of(html.split(f'id="day-{day}"', 1)[1].split("</li>", 1)[0])


@pytest.fixture
def medicine(client_for, world):
    response = client_for(world.nurse).post(f"/api/v1/patients/{world.patient_a}/medicines", json=PALBOCICLIB)
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


def diary_url(world, medicine_id) -> str:
    return f"/patients/{world.patient_a}/medicines/{medicine_id}/diary"


def mark(client, url: str, **fields) -> object:
    token = csrf_of(client.get(url).text)
    return client.post(url, data={"csrf_token": token, **fields})


def test_she_sees_this_cycle_with_each_day_in_words(client_for, world, medicine):
    page = client_for(world.alice).get(diary_url(world, medicine))
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Your diary: Palbociclib" in text and "21 days on, then 7 days off: a 28-day cycle" in text
    assert "Cycle 2: 9 November 2026 to 6 December 2026" in text
    assert "cycle 2, day 17" in text and "A dose day" in text
    assert "Today" in day_line(page.text, TODAY) and "Day 17: dose day" in day_line(page.text, TODAY)
    assert "Day 22: day off" in day_line(page.text, "2026-11-30")
    assert "Still to come" in day_line(page.text, "2026-11-26")
    assert "Not recorded" in day_line(page.text, "2026-11-24")
    assert "does not tell you whether to take, hold or change a dose" in text
    assert f'href="{diary_url(world, medicine)}?cycle=1"' in page.text  # the previous cycle is reachable


def test_a_day_marked_again_replaces_its_mark(client_for, world, medicine, new_uow):
    alice, url = client_for(world.alice), diary_url(world, medicine)
    first = mark(alice, url, day="2026-11-24", mark="missed", note="Felt sick")
    assert first.status_code == 303
    assert "Missed" in day_line(alice.get(first.headers["location"]).text, "2026-11-24")
    assert mark(alice, url, day="2026-11-24", mark="taken").status_code == 303
    assert mark(alice, url, day="2026-11-24", mark="taken").status_code == 303  # a retry: still one mark
    with new_uow() as uow:
        marks = uow.dose_diary.marks(world.patient_a, medicine)
    assert [(m.data.day, m.data.mark.value, m.data.note) for m in marks] == [(date(2026, 11, 24), "taken", None)]
    assert "Taken" in day_line(alice.get(url).text, "2026-11-24")


def test_a_day_to_come_or_before_day_1_is_refused_and_the_form_keeps_what_was_typed(client_for, world, medicine,
                                                                                   new_uow):
    alice, url = client_for(world.alice), diary_url(world, medicine)
    future = mark(alice, url, day="2026-11-26", mark="taken", note="Ahead of time")
    assert future.status_code == 422
    assert "only mark today or a day that has passed" in future.text and 'value="Ahead of time"' in future.text
    before = mark(alice, url, day="2026-10-11", mark="taken")
    assert before.status_code == 422 and "starts on 12 October 2026" in before.text
    assert mark(alice, url, day="2026-11-20", mark="maybe").status_code == 422
    with new_uow() as uow:
        assert uow.dose_diary.marks(world.patient_a, medicine) == []


def test_only_on_a_medicine_of_hers_and_only_by_those_allowed(client_for, world, medicine, new_uow):
    alice = client_for(world.alice)
    bellas = f"/patients/{world.patient_a}/medicines/{world.entries_b['medicines']}/diary"
    assert alice.get(bellas).status_code == 404  # B's medicine is not in A's record
    assert client_for(world.bella).get(diary_url(world, medicine)).status_code == 404
    reader = client_for(world.carer)  # may read A's record, not check in for her
    page = reader.get(diary_url(world, medicine))
    assert page.status_code == 200 and "Mark a day" not in page.text
    token = csrf_of(page.text)
    assert reader.post(diary_url(world, medicine), data={"csrf_token": token, "day": TODAY,
                                                         "mark": "taken"}).status_code == 403
    with new_uow() as uow:
        helper = _carer(uow, world.patient_a, world.alice, "cara@example.org", CarerAccess.READ_CHECK_IN)
        uow.commit()
    helping = client_for(helper)
    assert mark(helping, diary_url(world, medicine), day=TODAY, mark="reduced").status_code == 303
    assert "marked by a carer" in day_line(helping.get(diary_url(world, medicine)).text, TODAY)


def test_every_mark_is_audited(client_for, world, medicine, engine):
    alice = client_for(world.alice)
    before = len(audit(engine, world.patient_a))
    mark(alice, diary_url(world, medicine), day=TODAY, mark="taken")
    events = audit(engine, world.patient_a)[before:]
    assert ("patient", "read:granted", "dose-diary") in events
    assert ("patient", "write:granted", "dose-diary") in events


def test_what_the_team_told_her_pauses_the_days_it_covers(client_for, world, medicine):
    alice = client_for(world.alice)
    url = f"/patients/{world.patient_a}/medicines/{medicine}/team-told-me"
    token = csrf_of(alice.get(url).text)
    form = {"csrf_token": token, "told_on": "2026-11-16", "kind": "pause", "starting": "2026-11-16",
            "in_their_words": "Stop until the blood count recovers", "form_id": "6f1c2a3e-0000-4000-8000-000000000001"}
    assert alice.post(url, data=form).status_code == 303
    assert alice.post(url, data=form).status_code == 303  # posted twice: kept once
    restart = {**form, "kind": "restart", "told_on": "2026-11-22", "starting": "2026-11-23", "in_their_words": "",
               "form_id": "6f1c2a3e-0000-4000-8000-000000000002"}
    assert alice.post(url, data=restart).status_code == 303
    page = alice.get(diary_url(world, medicine)).text
    assert "paused, as your team said" in day_line(page, "2026-11-18")
    assert "paused" not in day_line(page, "2026-11-23")
    assert text_of(page).count("the team said") == 2
    # 9 to 25 November is 17 dose days, of which 16 to 22 November (7) were paused.
    assert "of 10 dose days: 0 taken, 0 missed, 0 lower dose, 10 not recorded" in text_of(page)
    bad = alice.post(url, data={**form, "starting": "2026-11-20", "until": "2026-11-19",
                                "form_id": "6f1c2a3e-0000-4000-8000-000000000003"})
    assert bad.status_code == 422 and "cannot be before the start date" in bad.text


def test_the_team_sees_adherence_per_cycle(client_for, world, medicine, new_uow):
    alice, url = client_for(world.alice), diary_url(world, medicine)
    for day, how in [("2026-10-20", "taken"), ("2026-10-21", "missed"), ("2026-11-24", "reduced"), (TODAY, "taken")]:
        assert mark(alice, url, day=day, mark=how).status_code == 303
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        (found,) = dose_diary.cycle_diaries(uow, nurse, world.patient_a, NOW)
    latest, first = found.cycles
    assert (latest.cycle, latest.taken, latest.reduced, latest.not_recorded, latest.dose_days_so_far) == (2, 1, 1, 15, 17)
    assert (first.cycle, first.taken, first.missed, first.not_recorded, first.dose_days_so_far) == (1, 1, 1, 19, 21)
    record = client_for(world.nurse).get(f"/patients/{world.patient_a}")
    assert "Cycle 2: 1 taken, 0 missed, 1 lower dose, 15 not recorded of 17 dose days so far" in text_of(record.text)
    summary = " ".join(pdf_text(client_for(world.nurse).get(f"/patients/{world.patient_a}/clinic-summary.pdf").content)
                       .split())
    assert "Cycle diary" in summary
    assert "Palbociclib 2 (from 9 November 2026) 1 0 1 15 17" in summary
    assert "1 (from 12 October 2026) 1 1 0 19 21" in summary


# --- Reminders ---------------------------------------------------------------------------------

def choose_reminders(client, world, medicine, wanted: bool):
    url = diary_url(world, medicine)
    token = csrf_of(client.get(url).text)
    response = client.post(f"/patients/{world.patient_a}/medicines/{medicine}/dose-reminders",
                           data={"csrf_token": token, "reminders": "on" if wanted else "off"})
    assert response.status_code == 303


def test_no_reminder_unless_she_chose_them(client_for, world, medicine, new_uow, smtp):
    inbox, settings = smtp
    with new_uow() as uow:
        assert send_dose_reminders(uow, settings, NOW) == 0
    assert inbox.messages == []


def test_a_dose_day_reminder_goes_once_and_says_nothing_of_her_health(client_for, world, medicine, new_uow, smtp):
    inbox, settings = smtp
    choose_reminders(client_for(world.alice), world, medicine, True)
    with new_uow() as uow:
        assert send_dose_reminders(uow, settings, NOW - timedelta(hours=3)) == 0  # 07:00 in London: too early
        assert send_dose_reminders(uow, settings, NOW) == 1
        assert send_dose_reminders(uow, settings, NOW + timedelta(hours=2)) == 0  # never twice a day
    ((recipients, text),) = inbox.messages
    assert recipients == ["alice@example.org"]
    assert "Subject: A reminder from Alongside" in text
    assert f"https://alongside.example/patients/{world.patient_a}" in text
    assert "palbociclib" not in text.lower() and "dose" not in text.lower() and "Alice" not in text
    with new_uow() as uow:  # 30 November is a day off: no reminder
        assert send_dose_reminders(uow, settings, datetime(2026, 11, 30, 10, 0, tzinfo=UTC)) == 0
        assert send_dose_reminders(uow, settings, datetime(2026, 12, 7, 10, 0, tzinfo=UTC)) == 1  # cycle 3, day 1


def test_reminders_stop_when_she_turns_them_off_or_the_medicine_stops(client_for, world, medicine, new_uow, smtp):
    inbox, settings = smtp
    alice = client_for(world.alice)
    choose_reminders(alice, world, medicine, True)
    choose_reminders(alice, world, medicine, False)
    with new_uow() as uow:
        assert send_dose_reminders(uow, settings, NOW) == 0
    choose_reminders(alice, world, medicine, True)
    nurse = client_for(world.nurse)
    api = f"/api/v1/patients/{world.patient_a}/medicines/{medicine}"
    stored = nurse.get(api).json()
    stopped = {k: v for k, v in stored.items() if k in PALBOCICLIB or k == "version"} | {"stop_date": "2026-11-20"}
    response = nurse.put(api, json=stopped)
    assert response.status_code == 200, response.text
    with new_uow() as uow:
        assert send_dose_reminders(uow, settings, NOW) == 0
    assert inbox.messages == []


def test_no_reminder_on_a_day_the_team_paused(client_for, world, medicine, new_uow, smtp):
    inbox, settings = smtp
    alice = client_for(world.alice)
    choose_reminders(alice, world, medicine, True)
    url = f"/patients/{world.patient_a}/medicines/{medicine}/team-told-me"
    token = csrf_of(alice.get(url).text)
    assert alice.post(url, data={"csrf_token": token, "told_on": "2026-11-24", "kind": "pause",
                                 "starting": "2026-11-25", "until": "2026-11-27"}).status_code == 303
    with new_uow() as uow:
        assert send_dose_reminders(uow, settings, NOW) == 0
        assert send_dose_reminders(uow, settings, NOW + timedelta(days=3)) == 1  # 28 November: due again
    assert len(inbox.messages) == 1
