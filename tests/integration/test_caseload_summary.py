"""The caseload summary row (caseload_summary) changes in the same transaction as every write
that changes a caseload column, and after any sequence of writes equals a fresh computation from
the records (hazard H50: a summary behind its alerts could hide one from the caseload)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from alongside.clinical.alert_rules import Finding
from alongside.clinical.contacts import Level
from alongside.domain import accounts, caseload, monitoring, services, triage
from alongside.domain.caseload import CaseloadQuery
from alongside.store import tables as t
from alongside.store.caseload import _computed

from ..factories import details
from .conftest import NOW
from .test_caseload import _check_in, _course

COLUMNS = ("worst", "open_alerts", "last_check_in", "line", "next_appointment")


def stored(uow, patient_id) -> dict:
    row = uow.db.get(t.CaseloadSummaryRow, patient_id, populate_existing=True)
    return {name: getattr(row, name) for name in (*COLUMNS, "computed_at")}


def fresh(uow, patient_id, now) -> dict:
    """The columns computed from the records afresh, as at `now`."""
    row = uow.db.execute(select(_computed([patient_id], now))).one()
    aware = lambda v: v if v is None or v.tzinfo else v.replace(tzinfo=NOW.tzinfo)  # noqa: E731
    return {"worst": row.worst, "open_alerts": row.open_alerts, "last_check_in": aware(row.last_check_in),
            "line": row.line, "next_appointment": aware(row.next_appointment)}


def matches_records(uow, patient_id) -> dict:
    """The stored row, having checked it equals a fresh computation as at its own moment."""
    row = stored(uow, patient_id)
    assert {k: row[k] for k in COLUMNS} == fresh(uow, patient_id, row["computed_at"])
    return row


@pytest.fixture
def ward(world, new_uow):
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        patient = services.register_patient(uow, nurse, details("Fay", "Ford"), world.team_id).id
        uow.commit()
    return nurse, patient



def test_a_new_person_has_a_summary_row_from_the_transaction_that_added_them(new_uow, ward):
    _, patient = ward
    with new_uow() as uow:
        assert matches_records(uow, patient)["worst"] == 0


def test_raising_acknowledging_and_resolving_alerts_change_the_worst_alert(new_uow, ward):
    nurse, patient = ward
    with new_uow() as uow:
        red, = monitoring.raise_alerts(uow, patient, None, [Finding("red_flag", Level.RED, "bleeding", {})], NOW)
        monitoring.raise_alerts(uow, patient, None, [Finding("worsening", Level.GREEN, "pain", {})], NOW)
        uow.commit()
    with new_uow() as uow:
        assert (matches_records(uow, patient)["worst"], stored(uow, patient)["open_alerts"]) == (3, 2)
        red = monitoring.acknowledge_alert(uow, nurse, red.id, red.version, NOW)
        uow.commit()
    with new_uow() as uow:
        assert matches_records(uow, patient)["worst"] == 3  # acknowledged is still open
        monitoring.resolve_alert(uow, nurse, red.id, red.version, "Spoke to them", NOW, "called_back")
        uow.commit()
    with new_uow() as uow:
        assert (matches_records(uow, patient)["worst"], stored(uow, patient)["open_alerts"]) == (1, 1)


def test_acknowledging_together_keeps_the_alerts_open_in_the_summary(new_uow, ward):
    nurse, patient = ward
    with new_uow() as uow:
        amber, = monitoring.raise_alerts(uow, patient, None, [Finding("severe", Level.AMBER, "pain", {})], NOW)
        uow.commit()
    with new_uow() as uow:
        triage.acknowledge_together(uow, nurse, {amber.id: amber.version}, NOW)
        uow.commit()
    with new_uow() as uow:
        assert (matches_records(uow, patient)["worst"], stored(uow, patient)["open_alerts"]) == (2, 1)


def test_a_check_in_moves_the_last_check_in(new_uow, ward):
    nurse, patient = ward
    with new_uow() as uow:
        _check_in(uow, nurse, patient, 2)
        uow.commit()
    with new_uow() as uow:
        assert matches_records(uow, patient)["last_check_in"] == NOW - timedelta(days=2)


def test_adding_and_stopping_a_course_change_the_line(new_uow, ward):
    nurse, patient = ward
    with new_uow() as uow:
        course = services.add_entry(uow, nurse, patient, "treatment-courses", _course("Letrozole", 2, "2026-02-01"))
        uow.commit()
    with new_uow() as uow:
        assert matches_records(uow, patient)["line"] == 2
        services.update_entry(uow, nurse, patient, "treatment-courses", course.id,
                              {**_course("Letrozole", 2, "2026-02-01"), "end_date": "2026-06-30",
                               "stop_reason": "progression"}, course.version)
        uow.commit()
    with new_uow() as uow:
        assert matches_records(uow, patient)["line"] is None


def test_adding_moving_and_cancelling_an_appointment_change_the_next_one(new_uow, ward):
    nurse, patient = ward
    first = NOW + timedelta(days=60)
    with new_uow() as uow:
        visit = services.add_entry(uow, nurse, patient, "appointments",
                                   {"starts_at": first.isoformat(), "kind": "oncology_clinic"})
        uow.commit()
    with new_uow() as uow:
        assert matches_records(uow, patient)["next_appointment"] == first
        visit = services.update_entry(uow, nurse, patient, "appointments", visit.id,
                                      {"starts_at": (first + timedelta(days=7)).isoformat(),
                                       "kind": "oncology_clinic"}, visit.version)
        uow.commit()
    with new_uow() as uow:
        assert matches_records(uow, patient)["next_appointment"] == first + timedelta(days=7)
        services.delete_entry(uow, nurse, patient, "appointments", visit.id, visit.version)
        uow.commit()
    with new_uow() as uow:
        assert matches_records(uow, patient)["next_appointment"] is None


def test_a_write_rolled_back_leaves_the_summary_as_it_was(new_uow, ward):
    _, patient = ward
    with new_uow() as uow:
        monitoring.raise_alerts(uow, patient, None, [Finding("red_flag", Level.RED, "bleeding", {})], NOW)
        uow.rollback()
    with new_uow() as uow:
        assert matches_records(uow, patient)["worst"] == 0


def test_a_person_added_to_another_team_shows_their_worst_alert_there(new_uow, world, ward):
    _, patient = ward
    with new_uow() as uow:
        monitoring.raise_alerts(uow, patient, None, [Finding("red_flag", Level.RED, "bleeding", {})], NOW)
        uow.teams.add_to_caseload(world.other_team_id, patient)
        uow.commit()
    with new_uow() as uow:
        other = accounts.actor_for(uow.users.get(world.stranger.user_id))
        rows = caseload.caseload(uow, other, CaseloadQuery.from_form(alerts="red"), NOW).rows
        assert [r.patient_id for r in rows] == [patient]


def test_time_alone_passing_an_appointment_is_caught_when_the_page_is_read(new_uow, ward):
    nurse, patient = ward
    soon = NOW + timedelta(hours=2)
    with new_uow() as uow:
        services.add_entry(uow, nurse, patient, "appointments", {"starts_at": soon.isoformat(), "kind": "oncology_clinic"})
        uow.commit()
    with new_uow() as uow:
        later = NOW + timedelta(days=30)  # the appointment is past and no write happened since
        row, = [r for r in caseload.caseload(uow, nurse, CaseloadQuery(), later).rows if r.patient_id == patient]
        assert row.next_appointment is None


@pytest.mark.parametrize("seed", range(4))
def test_after_any_sequence_of_writes_the_summary_equals_a_fresh_computation(new_uow, world, seed):
    """Property-style: random writes of every kind that changes a column, several to a
    transaction; after each commit every person's row equals the records computed afresh, and a
    page read at another moment shows what the records say at that moment."""
    chance = random.Random(seed)
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        people = [services.register_patient(uow, nurse, details(f"Prop{n}", "Quill"), world.team_id).id
                  for n in range(3)]
        uow.commit()
    open_alerts: list = []
    entries: list = []  # (patient, slug, entry)
    for step in range(12):
        with new_uow() as uow:
            for _ in range(chance.randint(1, 3)):
                who = chance.choice(people)
                move = chance.choice(["alert", "ack", "resolve", "check_in", "course", "stop", "appointment",
                                      "cancel"])
                if move == "alert":
                    level = chance.choice(list(Level))
                    open_alerts += monitoring.raise_alerts(uow, who, None,
                                                           [Finding("worsening", level, f"i{step}", {})], NOW)
                elif move in ("ack", "resolve") and open_alerts:
                    alert = open_alerts.pop(chance.randrange(len(open_alerts)))
                    current = uow.alerts.get(alert.id)
                    if move == "ack" and current.state.value == "new":
                        open_alerts.append(monitoring.acknowledge_alert(uow, nurse, alert.id, current.version, NOW))
                    elif current.state.value != "resolved":
                        monitoring.resolve_alert(uow, nurse, alert.id, current.version, "Done", NOW, "called_back")
                elif move == "check_in":
                    _check_in(uow, nurse, who, chance.randint(0, 40))
                elif move == "course":
                    start = (NOW - timedelta(days=chance.randint(-20, 400))).date()
                    ends = {"end_date": (start + timedelta(days=chance.randint(0, 300))).isoformat(),
                            "stop_reason": "completed"} if chance.random() < 0.5 else {}
                    # One line a person: a different line may not overlap it (the plan's own check).
                    entry = services.add_entry(uow, nurse, who, "treatment-courses",
                                               {**_course("Eribulin", people.index(who) + 1, start.isoformat()),
                                                **ends})
                    entries.append((who, "treatment-courses", entry))
                elif move == "appointment":
                    at = NOW + timedelta(days=chance.randint(-30, 30), hours=chance.randint(0, 23))
                    entry = services.add_entry(uow, nurse, who, "appointments",
                                               {"starts_at": at.isoformat(), "kind": "oncology_clinic"})
                    entries.append((who, "appointments", entry))
                elif move in ("stop", "cancel") and entries:
                    patient, slug, entry = entries.pop(chance.randrange(len(entries)))
                    services.delete_entry(uow, nurse, patient, slug, entry.id, entry.version)
            uow.commit()
        with new_uow() as uow:
            for who in people:
                matches_records(uow, who)
            moment = NOW + timedelta(days=chance.randint(-30, 30))
            page = caseload.caseload(uow, nurse, CaseloadQuery(), moment, limit=200)
            shown = {r.patient_id: r for r in page.rows}
            for who in people:
                expected = fresh(uow, who, moment)
                row = shown[who]
                assert ({1: Level.GREEN, 2: Level.AMBER, 3: Level.RED}.get(expected["worst"]), expected["open_alerts"],
                        expected["last_check_in"], expected["line"], expected["next_appointment"]) == \
                       (row.worst_alert, row.open_alerts, row.last_check_in, row.current_line, row.next_appointment)
            uow.commit()
