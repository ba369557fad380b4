"""A team's settings through the API and the use cases (issue 17 item 4): who may change them,
what is refused and why, the audit of old and new values, and what the settings change: the
team's alerts (and not another team's), when a check-in is due, missed and reminded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from alongside.domain import accounts, monitoring, services, team_settings
from alongside.domain.monitoring import MonitoringSettings
from alongside.domain.people import SYSTEM
from alongside.domain.vocab import CheckInDay
from alongside.notify import NotifySettings, send_reminders
from alongside.store import tables as t

from ..factories import details
from .test_monitoring import _free_port, _Inbox

SECRET = "a-long-webhook-secret-9f3k"


def settings_url(world, team_id=None) -> str:
    return f"/api/v1/teams/{team_id or world.team_id}/settings"


def change(new_uow, team_id, **values):
    with new_uow() as uow:
        team = team_settings.change_team_settings(uow, SYSTEM, team_id, values, monitoring.AlertThresholds(),
                                                  check_webhook_url=lambda url: None)
        uow.commit()
    return team


def test_the_team_s_clinician_reads_and_changes_its_settings_and_each_change_is_audited_old_and_new(
        as_user, world, engine):
    nurse = as_user(world.nurse)
    response = nurse.put(settings_url(world), json={"notify_email": "Breast.Team@Example.org",
                                                    "check_in_day": "tuesday", "severe_burden": 6})
    assert response.status_code == 200, response.text
    response = nurse.put(settings_url(world), json={"notify_email": "sbc-nurses@example.org", "reminder_hour": 9})
    assert response.status_code == 200, response.text
    shown = nurse.get(settings_url(world)).json()
    assert shown["notify_email"] == "sbc-nurses@example.org" and shown["check_in_day"] == "tuesday"
    assert shown["reminder_hour"] == 9 and shown["severe_burden"] == 6  # a field left out is kept
    severe = next(c for c in shown["thresholds"] if c["name"] == "severe_burden")
    assert (severe["default"], severe["most_sensitive"], severe["chosen"]) == (7, 4, 6) and "ESAS" in severe["source"]
    with engine.connect() as connection:
        details_ = list(connection.scalars(select(t.AuditEventRow.detail).where(
            t.AuditEventRow.what == "team-settings", t.AuditEventRow.action == "change").order_by(t.AuditEventRow.id)))
    assert details_ == ["notify_email: none -> breast.team@example.org", "check_in_day: none -> tuesday",
                        "severe_burden: none -> 6",
                        "notify_email: breast.team@example.org -> sbc-nurses@example.org", "reminder_hour: none -> 9"]


def test_the_webhook_secret_is_never_shown_back_nor_written_to_the_audit_log(as_user, world, engine):
    admin = as_user(world.admin)
    response = admin.put(settings_url(world), json={"notify_email": "team@example.org", "webhook_secret": SECRET})
    assert response.status_code == 200, response.text
    for body in (response.text, admin.get(settings_url(world)).text, admin.get("/api/v1/teams").text):
        assert SECRET not in body and SECRET[:-4] not in body
    assert admin.get(settings_url(world)).json()["webhook_secret"] == "set, ending 9f3k"
    with engine.connect() as connection:
        logged = " ".join(d or "" for d in connection.scalars(select(t.AuditEventRow.detail)))
    assert "webhook_secret: none -> changed" in logged and SECRET[:8] not in logged


@pytest.mark.parametrize("who, status", [("stranger", 404), ("alice", 403), ("carer", 403)])
def test_no_one_else_reads_or_changes_a_team_s_settings_and_the_refusal_is_audited(as_user, world, engine, who,
                                                                                   status):
    client = as_user(getattr(world, who))
    assert client.get(settings_url(world)).status_code == status
    assert client.put(settings_url(world), json={"notify_email": "spy@example.org"}).status_code == status
    assert client.get(f"/api/v1/teams/{world.team_id}/response-times").status_code == status
    with engine.connect() as connection:
        refusals = list(connection.scalars(select(t.AuditEventRow.action).where(
            t.AuditEventRow.what == "team-settings", t.AuditEventRow.record_id == world.team_id)))
    assert sorted(refusals) == ["read:refused", "write:refused"]  # unordered: PostgreSQL may return either first
    assert as_user(world.admin).get(settings_url(world)).json()["notify_email"] is None


@pytest.mark.parametrize("body, field", [
    ({"notify_email": "team@example.org", "severe_burden": 8}, "severe_burden"),  # alerting less than the default
    ({"notify_email": "team@example.org", "severe_burden": 3}, "severe_burden"),  # below the ESAS moderate band
    ({"notify_email": "team@example.org", "worsening_grade_points": 0}, "worsening_grade_points"),
    ({"notify_email": "team@example.org", "missed_grace_days": 4}, "missed_grace_days"),
    ({"notify_email": "team@example.org", "escalate_red_after_minutes": 1440}, "escalate_red_after_minutes"),
    ({"notify_email": "team@example.org", "reminder_hour": 24}, "reminder_hour"),
    ({"notify_email": "team@example.org", "check_in_day": "someday"}, "check_in_day"),
    ({"notify_email": "not an email"}, "notify_email"),
    ({"escalate_red_after_minutes": 20}, "notify_email"),  # H51: alerts would reach no one
])
def test_a_setting_out_of_bounds_is_refused_naming_its_field_and_nothing_is_saved(as_user, world, body, field):
    admin = as_user(world.admin)
    response = admin.put(settings_url(world), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field, response.json()
    shown = admin.get(settings_url(world)).json()
    assert shown["notify_email"] is None and shown["severe_burden"] is None


def test_emptying_the_alert_email_is_refused_while_no_webhook_would_carry_alerts(as_user, world):
    """H51: a setting change must not stop alerts reaching anyone."""
    nurse = as_user(world.nurse)
    assert nurse.put(settings_url(world), json={"notify_email": "team@example.org"}).status_code == 200
    refused = nurse.put(settings_url(world), json={"notify_email": None})
    assert refused.status_code == 422 and refused.json()["field"] == "notify_email"
    assert "reach no one" in refused.json()["detail"]
    assert nurse.get(settings_url(world)).json()["notify_email"] == "team@example.org"


def _patient_of_the_other_team(new_uow, world):
    with new_uow() as uow:
        stranger = accounts.actor_for(uow.users.get(world.stranger.user_id))
        patient = services.register_patient(uow, stranger, details("Olive", "Other"), world.other_team_id)
        uow.commit()
    return patient.id, stranger


def _severe_alerts(new_uow, actor_of, patient_id, burden) -> list:
    with new_uow() as uow:
        outcome = monitoring.submit_check_in(uow, actor_of(uow), patient_id, {"burden": burden}, None,
                                             MonitoringSettings())
        uow.commit()
    return [a for a in outcome.alerts if a.rule == "severe"]


def test_a_team_s_lower_severe_score_alerts_its_own_patients_and_not_another_team_s(new_uow, world):
    other_patient, _ = _patient_of_the_other_team(new_uow, world)
    change(new_uow, world.team_id, notify_email="team@example.org", severe_burden=5)

    def nurse(uow):
        return accounts.actor_for(uow.users.get(world.nurse.user_id))

    def stranger(uow):
        return accounts.actor_for(uow.users.get(world.stranger.user_id))

    (alert,) = _severe_alerts(new_uow, nurse, world.patient_a, {"pain": 5})
    assert alert.item == "pain" and alert.detail == {"score": 5, "threshold": 5}
    assert _severe_alerts(new_uow, stranger, other_patient, {"pain": 5}) == []  # Team Two kept the default, 7
    assert len(_severe_alerts(new_uow, stranger, other_patient, {"pain": 7})) == 1


def test_a_stored_threshold_beyond_its_bounds_is_held_to_them(new_uow, world):
    """A row edited by hand, or saved under a looser default, never makes alerts rarer."""
    with new_uow() as uow:
        team = uow.teams.settings(world.team_id)
        uow.teams.update_settings(type(team)(**{**vars(team), "thresholds": {"severe_burden": 9}}))
        uow.commit()

    def nurse(uow):
        return accounts.actor_for(uow.users.get(world.nurse.user_id))

    assert len(_severe_alerts(new_uow, nurse, world.patient_a, {"pain": 7})) == 1


def test_a_team_s_shorter_grace_raises_the_missed_check_in_sooner(new_uow, world):
    with new_uow() as uow:
        since = uow.users.get(world.alice.user_id).created_at
    change(new_uow, world.team_id, notify_email="team@example.org", missed_grace_days=1)
    with new_uow() as uow:
        later = since + timedelta(days=8, hours=1)  # a week and a day: within the default 3 days' grace
        raised = monitoring.raise_missed_check_ins(uow, monitoring.AlertThresholds(), later)
        assert world.patient_a in {a.patient_id for a in raised}


def test_the_check_in_day_decides_when_she_is_due_missed_and_reminded(new_uow, world):
    """Team One checks in on Mondays. Alice's sign-in counts as her start; with no check-in since,
    her check-in is due on the first Monday more than three days after it."""
    change(new_uow, world.team_id, notify_email="team@example.org", check_in_day=CheckInDay.MONDAY, reminder_hour=9)
    with new_uow() as uow:
        since = uow.users.get(world.alice.user_id).created_at
    day = since.date() + timedelta(days=4)
    first_monday = day + timedelta(days=(0 - day.weekday()) % 7)
    due = datetime(first_monday.year, first_monday.month, first_monday.day, tzinfo=UTC) - timedelta(hours=0)
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, base_url="https://alongside.example",
                              time_zone="UTC")
    try:
        with new_uow() as uow:
            def alice_reminded(at):
                before = len(inbox.messages)
                send_reminders(uow, settings, at)
                return any(r == ["alice@example.org"] for r, _ in inbox.messages[before:])

            assert not alice_reminded(due - timedelta(hours=1))  # Sunday night: not yet due
            assert not alice_reminded(due + timedelta(hours=8))  # Monday 08:00: before the team's hour
            assert alice_reminded(due + timedelta(hours=9, minutes=5))
            assert not alice_reminded(due + timedelta(hours=12))  # once for this Monday
            assert alice_reminded(due + timedelta(days=7, hours=10))  # and again the next Monday
            missed = monitoring.raise_missed_check_ins(uow, monitoring.AlertThresholds(), due + timedelta(days=2),
                                                       time_zone="UTC")
            assert world.patient_a not in {a.patient_id for a in missed}  # within the 3 days' grace
            missed = monitoring.raise_missed_check_ins(uow, monitoring.AlertThresholds(), due + timedelta(days=3, hours=1),
                                                       time_zone="UTC")
            assert world.patient_a in {a.patient_id for a in missed}
    finally:
        controller.stop()


def test_a_team_that_turns_reminders_off_sends_none(new_uow, world):
    change(new_uow, world.team_id, notify_email="team@example.org", check_in_reminders=False)
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with new_uow() as uow:
            settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port)
            assert send_reminders(uow, settings, datetime.now(UTC) + timedelta(days=30)) == 0
    finally:
        controller.stop()
    assert inbox.messages == []


def test_her_week_shows_the_next_check_in_on_her_team_s_day(client_for, new_uow, world):
    """The clock of `client_for` is Wednesday 25 November 2026, 10:00; she checks in then."""
    change(new_uow, world.team_id, notify_email="team@example.org", check_in_day=CheckInDay.FRIDAY)
    alice = client_for(world.alice)
    sent = alice.post(f"/api/v1/patients/{world.patient_a}/check-ins", json={"burden": {"pain": 1}})
    assert sent.status_code == 201, sent.text
    with new_uow() as uow:
        from alongside.domain import week

        actor = accounts.actor_for(uow.users.get(world.alice.user_id))
        now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
        shown = week.her_week(uow, actor, world.patient_a, MonitoringSettings(), now, now)
    # Friday the 27th is within three days, so it counts; the next is Friday 4 December, in London.
    assert shown.check_in.next_due == datetime(2026, 12, 4, 0, 0, tzinfo=UTC) and not shown.check_in.due_now


def test_response_times_as_json_for_the_team_s_clinician(as_user, world):
    response = as_user(world.nurse).get(f"/api/v1/teams/{world.team_id}/response-times")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["team_name"] == "Team One" and len(body["weeks"]) == 12
    assert body["targets"]["acknowledge_minutes"]["red"] == 30
    assert {level["level"] for level in body["overall"]} == {"red", "amber", "green"}
    assert as_user(world.stranger).get(f"/api/v1/teams/{world.other_team_id}/response-times").status_code == 200
    assert as_user(world.admin).get(f"/api/v1/teams/{world.team_id}/response-times").status_code == 403



# --- The page ---------------------------------------------------------------------------------

def _form(page_html: str, **values) -> dict:
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)
    return {"csrf_token": token, "escalate_red_after_minutes": "30", "check_in_reminders": "on"} | values


def test_the_page_saves_a_change_and_shows_it_in_the_history(as_user, world):
    nurse = as_user(world.nurse)
    page = nurse.get(f"/teams/{world.team_id}/settings")
    assert page.status_code == 200 and "Default 7 points" in page.text and "ESAS" in page.text
    saved = nurse.post(f"/teams/{world.team_id}/settings",
                       data=_form(page.text, notify_email="sbc@example.org", check_in_day="thursday"))
    assert saved.status_code == 303, saved.text
    shown = nurse.get(saved.headers["location"])
    assert "Your changes are saved" in shown.text
    assert "Nina Nurse: Check-in day: none \u2192 thursday" in shown.text
    assert 'value="thursday" selected' in shown.text


def test_a_refused_form_comes_back_with_the_message_and_what_was_typed(as_user, world):
    nurse = as_user(world.nurse)
    page = nurse.get(f"/teams/{world.team_id}/settings").text
    refused = nurse.post(f"/teams/{world.team_id}/settings",
                         data=_form(page, notify_email="sbc@example.org", severe_burden="9", reminder_hour="7",
                                    webhook_secret=SECRET))
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and "choose from 4 to 7 points" in refused.text
    assert 'value="sbc@example.org"' in refused.text and 'value="9"' in refused.text and 'value="7"' in refused.text
    assert SECRET not in refused.text  # a secret typed is not echoed back
    assert as_user(world.admin).get(settings_url(world)).json()["notify_email"] is None


def test_the_page_refuses_a_change_without_its_csrf_token_and_to_another_team(as_user, world):
    nurse = as_user(world.nurse)
    page = nurse.get(f"/teams/{world.team_id}/settings").text
    forged = nurse.post(f"/teams/{world.team_id}/settings", data={"notify_email": "spy@example.org"})
    assert forged.status_code == 403
    assert nurse.get(f"/teams/{world.other_team_id}/settings").status_code == 404
    assert nurse.post(f"/teams/{world.other_team_id}/settings",
                      data=_form(page, notify_email="spy@example.org")).status_code == 404
    assert as_user(world.admin).get(settings_url(world)).json()["notify_email"] is None
