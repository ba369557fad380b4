"""The triage inbox as a nurse works it (issue 17, item 2), through the real app and database:
one row per check-in under its worst level, the GET filters, claiming shown to colleagues,
green and amber alerts acknowledged together (never red), and the alert's page with the whole
check-in, the call-back number and the treatment now. Outsiders get none of it."""

from __future__ import annotations

import re
from datetime import timedelta

from alongside.domain import accounts, services
from alongside.domain.people import SYSTEM, NewUser
from alongside.domain.vocab import Role

from ..factories import PASSWORD, Person
from .test_pages import csrf_of, page_sign_in

RED_AND_AMBER = {"red_flags": {"bleeding": True}, "symptoms": {"pain": {"frequency": 4, "severity": 4, "interference": 4}},
                 "burden": {"tiredness": 9}, "free_text": "It started on Tuesday"}
AMBER_ONLY = {"symptoms": {"nausea": {"frequency": 4, "severity": 3}}}


def check_in(as_user, world, patient, body) -> list[dict]:
    response = as_user(world.nurse).post(f"/api/v1/patients/{patient}/check-ins", json=body)
    assert response.status_code == 201, response.text
    return response.json()["alerts"]


def second_nurse(new_uow, world) -> Person:
    with new_uow() as uow:
        user = accounts.create_user(uow, SYSTEM, NewUser(email="nell@example.org", display_name="Nell Nightshift",
                                                         role=Role.CLINICIAN, password=PASSWORD, team_id=world.team_id))
        uow.commit()
    return Person(user.id, "nell@example.org")


def signed_in_page(make_client, person):
    client = make_client()
    page_sign_in(client, person)
    return client


def rows(html: str) -> list[str]:
    return re.findall(r'data-group="([0-9a-f-]+)"', html)


def test_one_check_in_with_several_alerts_is_one_row_under_its_worst_level(make_client, as_user, world):
    alerts = check_in(as_user, world, world.patient_a, RED_AND_AMBER)
    assert len(alerts) >= 3 and {a["level"] for a in alerts} >= {"red", "amber"}
    inbox = signed_in_page(make_client, world.nurse).get("/triage").text
    (row,) = [r for r in rows(inbox) if r == alerts[0]["check_in_id"]]
    block = inbox.split(f'data-group="{row}"')[1].split('data-group="')[0]
    assert '<span class="badge level-red">RED</span>' in block
    for alert in alerts:
        assert f'href="/alerts/{alert["id"]}"' in block


def test_the_filters_narrow_the_rows_and_a_wrong_one_is_named(make_client, as_user, world, new_uow):
    red = check_in(as_user, world, world.patient_a, RED_AND_AMBER)[0]["check_in_id"]
    amber = check_in(as_user, world, world.patient_b, AMBER_ONLY)[0]["check_in_id"]
    client = signed_in_page(make_client, world.nurse)
    assert rows(client.get("/triage?level=red").text) == [red]
    assert amber in rows(client.get("/triage?level=amber").text) and red not in rows(client.get("/triage?level=amber").text)
    assert rows(client.get("/triage?rule=red_flag").text) == [red]
    assert rows(client.get("/triage?waiting=24h").text) == []  # all raised just now
    assert rows(client.get("/triage?escalated=1").text) == []
    assert set(rows(client.get("/triage?claimed=unclaimed").text)) >= {red, amber}
    assert rows(client.get("/triage?claimed=mine").text) == []
    wrong = client.get("/triage?level=purple&rule=red_flag")
    assert wrong.status_code == 422 and "Choose one of: red, amber, green" in wrong.text
    assert '<option value="red_flag" selected>' in wrong.text  # what was chosen is kept


def test_a_claim_is_shown_to_colleagues_refused_to_a_second_nurse_and_audited(make_client, as_user, world, new_uow):
    alerts = check_in(as_user, world, world.patient_a, RED_AND_AMBER)
    nell = second_nurse(new_uow, world)
    nina_page, nell_page = signed_in_page(make_client, world.nurse), signed_in_page(make_client, nell)
    inbox = nina_page.get("/triage").text
    claimed = nina_page.post(f"/alerts/{alerts[0]['id']}/claim", data={"csrf_token": csrf_of(inbox), "next": "/triage?claimed=mine"})
    assert claimed.status_code == 303 and claimed.headers["location"] == "/triage?claimed=mine"
    assert rows(nina_page.get("/triage?claimed=mine").text) == [alerts[0]["check_in_id"]]
    assert "Claimed by you" in nina_page.get("/triage").text
    theirs = nell_page.get("/triage").text
    assert "Claimed by Nina Nurse" in theirs and alerts[0]["check_in_id"] not in rows(nell_page.get("/triage?claimed=unclaimed").text)
    for alert in alerts:  # every alert of the check-in is hers, and says so on its page
        assert "Claimed by Nina Nurse" in nell_page.get(f"/alerts/{alert['id']}").text
    refused = as_user(nell).post(f"/api/v1/alerts/{alerts[1]['id']}/claim")
    assert refused.status_code == 409 and "Nina Nurse is already working on this" in refused.text
    released = nell_page.post(f"/alerts/{alerts[0]['id']}/release", data={"csrf_token": csrf_of(theirs)})
    assert released.status_code == 303 and "Not claimed" in nina_page.get("/triage").text
    with new_uow() as uow:
        actions = [(e.action, e.actor_name) for e in uow.audit.for_patient(world.patient_a) if e.what == "alert"]
    assert ("claim", "Nina Nurse") in actions and ("release", "Nell Nightshift") in actions


def test_green_and_amber_alerts_are_acknowledged_together_but_never_red(make_client, as_user, world, new_uow):
    red_alerts = check_in(as_user, world, world.patient_a, RED_AND_AMBER)
    amber_alerts = check_in(as_user, world, world.patient_b, AMBER_ONLY)
    client = signed_in_page(make_client, world.nurse)
    inbox = client.get("/triage").text
    assert f'name="ack-{amber_alerts[0]["id"]}"' in inbox
    assert not [a for a in red_alerts if f'name="ack-{a["id"]}"' in inbox]  # the red check-in offers no tick box
    token = csrf_of(inbox)
    with_red = client.post("/triage/acknowledge", data={"csrf_token": token, f"ack-{amber_alerts[0]['id']}": "1",
                                                        f"ack-{red_alerts[0]['id']}": "1"})
    assert with_red.status_code == 422 and "acknowledged on its own page" in with_red.text
    states = {a["id"]: a["state"] for a in as_user(world.nurse).get("/api/v1/alerts").json()}
    assert states[amber_alerts[0]["id"]] == "new"  # all or none
    done = client.post("/triage/acknowledge", data={"csrf_token": token, "next": "/triage",
                                                    **{f"ack-{a['id']}": "1" for a in amber_alerts}})
    assert done.status_code == 303
    states = {a["id"]: a["state"] for a in as_user(world.nurse).get("/api/v1/alerts").json()}
    assert {states[a["id"]] for a in amber_alerts} == {"acknowledged"}
    assert {states[a["id"]] for a in red_alerts} == {"new"}


def test_the_alert_page_shows_the_whole_check_in_the_call_back_number_and_the_treatment_now(make_client, as_user, world, new_uow):
    with new_uow() as uow:
        patient = uow.patients.get(world.patient_a)
        services.update_patient(uow, SYSTEM, world.patient_a,
                                patient.details.model_copy(update={"phone": "07700 900123"}), patient.version)
        uow.commit()
    alerts = check_in(as_user, world, world.patient_a, RED_AND_AMBER | {"temperature_c": 37.2})
    page = signed_in_page(make_client, world.nurse).get(f"/alerts/{alerts[0]['id']}").text
    assert 'href="tel:07700900123">07700 900123</a>' in page
    assert "Treatment now" in page and "No current treatment is recorded" not in page  # world gives her a course
    assert '<tr class="urgent-answer"><th scope="row">Bleeding that will not stop</th><td><strong>Yes</strong>' in page
    for words in ("Pain", "Tiredness", "9 out of 10", "37.2 °C", "It started on Tuesday", "The check-in's other alerts"):
        assert words in page, words


def test_the_api_groups_filters_claims_and_acknowledges_together(as_user, world, new_uow):
    red_alerts = check_in(as_user, world, world.patient_a, RED_AND_AMBER)
    amber_alerts = check_in(as_user, world, world.patient_b, AMBER_ONLY)
    nurse = as_user(world.nurse)
    (group,) = nurse.get("/api/v1/triage", params={"level": "red"}).json()
    assert group["check_in_id"] == red_alerts[0]["check_in_id"] and group["worst_level"] == "red"
    assert {a["id"] for a in group["alerts"]} == {a["id"] for a in red_alerts}
    wrong = nurse.get("/api/v1/triage", params={"claimed": "everyone"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "claimed"
    claimed = nurse.post(f"/api/v1/alerts/{red_alerts[0]['id']}/claim")
    assert claimed.status_code == 200 and {a["claimed_by"] for a in claimed.json()} == {"Nina Nurse"}
    assert [g["claimed_by"] for g in nurse.get("/api/v1/triage", params={"claimed": "mine"}).json()] == ["Nina Nurse"]
    assert nurse.post(f"/api/v1/alerts/{red_alerts[0]['id']}/release").status_code == 200
    refused = nurse.post("/api/v1/alerts/acknowledge", json={"alerts": [{"id": red_alerts[0]["id"], "version": 1}]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "alerts"
    done = nurse.post("/api/v1/alerts/acknowledge", json={"alerts": [{"id": a["id"], "version": 1} for a in amber_alerts]})
    assert done.status_code == 200 and {a["state"] for a in done.json()} == {"acknowledged"}


def test_outsiders_get_nothing_of_the_inbox_the_alert_page_or_a_claim(as_user, make_client, world):
    (alert, *_) = check_in(as_user, world, world.patient_b, RED_AND_AMBER)
    for who in ("alice", "carer", "stranger"):
        person = getattr(world, who)
        client = signed_in_page(make_client, person)
        page = client.get(f"/alerts/{alert['id']}")
        assert page.status_code in (403, 404) and "Baker" not in page.text, who
        inbox = client.get("/triage")
        assert "Baker" not in inbox.text, who
        token = client.get("/api/v1/me").json()["csrf_token"]
        for action in ("claim", "release"):
            response = client.post(f"/alerts/{alert['id']}/{action}", data={"csrf_token": token})
            assert response.status_code in (403, 404) and "Baker" not in response.text, (who, action)
        together = client.post("/triage/acknowledge", data={"csrf_token": token, f"ack-{alert['id']}": "1"})
        assert together.status_code in (403, 404, 422) and "Baker" not in together.text, who
    states = {a["id"]: (a["state"], a.get("claimed_by")) for a in as_user(world.nurse).get("/api/v1/alerts").json()}
    assert states[alert["id"]] == ("new", None)
