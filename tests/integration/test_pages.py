"""Server-rendered pages: forms re-render with their messages, keep what was typed, save nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from alongside.store import tables as t

from ..factories import PASSWORD


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_sign_in(client, person) -> None:
    token = csrf_of(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf_token": token, "email": person.email, "password": person.password,
                                             "next": "/"})
    assert response.status_code == 303, response.text


def test_signing_in_through_the_form_lands_each_role_on_its_page(make_client, world):
    for person, landing in [(world.alice, f"/patients/{world.patient_a}"), (world.nurse, "/caseload"),
                            (world.admin, "/admin/users")]:
        client = make_client()
        page_sign_in(client, person)
        assert client.get("/").headers["location"] == landing


def test_a_wrong_password_re_renders_the_form_with_a_message(make_client, world):
    client = make_client()
    token = csrf_of(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf_token": token, "email": world.nurse.email, "password": "nope"})
    assert response.status_code == 401
    assert "do not match" in response.text and world.nurse.email in response.text


def test_sign_in_goes_only_to_same_site_pages(make_client, world):
    client = make_client()
    token = csrf_of(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf_token": token, "email": world.nurse.email, "password": PASSWORD,
                                             "next": "//evil.example/steal"})
    assert response.headers["location"] == "/"


def test_an_invalid_entry_form_comes_back_with_messages_and_values_and_saves_nothing(make_client, engine, world):
    client = make_client()
    page_sign_in(client, world.nurse)
    form_page = client.get(f"/patients/{world.patient_a}/record/lab-results/new")
    assert form_page.status_code == 200
    response = client.post(f"/patients/{world.patient_a}/record/lab-results/new",
                           data={"csrf_token": csrf_of(form_page.text), "taken_on": "2999-01-01", "test": "Platelets",
                                 "unit": "10*9/L", "value": ""})
    assert response.status_code == 422
    assert "This date is in the future" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="Platelets"' in response.text
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(t.LabResultRow)) == 1  # only the factory's


def test_a_form_post_without_its_csrf_token_is_refused(make_client, engine, world):
    client = make_client()
    page_sign_in(client, world.nurse)
    response = client.post(f"/patients/{world.patient_a}/record/goals/new",
                           data={"kind": "what_matters", "recorded_on": "2025-01-01", "in_own_words": "x"})
    assert response.status_code == 403
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(t.GoalRow).where(
            t.GoalRow.patient_id == world.patient_a)) == 0


def test_a_double_submitted_new_entry_form_saves_once(make_client, engine, world):
    client = make_client()
    page_sign_in(client, world.alice)
    page = client.get(f"/patients/{world.patient_a}/record/goals/new").text
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "form_id": form_id, "kind": "what_matters", "recorded_on": "2025-01-01",
            "in_own_words": "Seeing the sea"}
    assert client.post(f"/patients/{world.patient_a}/record/goals/new", data=data).status_code == 303
    assert client.post(f"/patients/{world.patient_a}/record/goals/new", data=data).status_code == 303
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(t.GoalRow).where(
            t.GoalRow.patient_id == world.patient_a)) == 1


def test_editing_a_stale_form_is_refused_and_says_why(make_client, world):
    first, second = make_client(), make_client()
    page_sign_in(first, world.nurse)
    page_sign_in(second, world.nurse)
    url = f"/patients/{world.patient_b}/details/edit"
    page_one, page_two = first.get(url).text, second.get(url).text
    base = {"given_name": "Bella", "family_name": "Baker", "date_of_birth": "1970-05-17", "country": "GB",
            "sex": "female", "time_zone": "Europe/London", "version": "1"}
    assert first.post(url, data={**base, "town": "Hull", "csrf_token": csrf_of(page_one)}).status_code == 303
    response = second.post(url, data={**base, "town": "Leeds", "csrf_token": csrf_of(page_two)})
    assert response.status_code == 409
    assert "changed by someone else" in response.text


def test_the_caseload_page_searches_and_pages(make_client, world):
    client = make_client()
    page_sign_in(client, world.nurse)
    everyone = client.get("/caseload").text
    assert "Able, Alice" in everyone and "Baker, Bella" in everyone
    only_bella = client.get("/caseload", params={"q": "baker"}).text
    assert "Baker, Bella" in only_bella and "Able, Alice" not in only_bella


def test_the_patient_home_shows_whom_to_call_with_tap_to_call_links(make_client, world):
    client = make_client()
    page_sign_in(client, world.bella)
    home = client.get(f"/patients/{world.patient_b}").text
    assert "Whom to call" in home
    assert 'href="tel:01632960000"' in home
    assert 'href="tel:999"' in home


def test_the_check_in_form_submits_shows_whom_to_call_and_survives_a_double_submit(make_client, engine, world, as_user):
    nurse = as_user(world.nurse)
    nurse.post(f"/api/v1/patients/{world.patient_a}/contact-points",
               json={"name": "24-hour line", "purpose": "urgent", "phone": "01632 960999", "hours": "24/7"})
    client = make_client()
    page_sign_in(client, world.alice)
    page = client.get(f"/patients/{world.patient_a}/check-in").text
    assert "feel suddenly unwell" not in page  # no chemotherapy, so no chemotherapy-only question
    form_id = re.search(r'name="form_id" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "form_id": form_id, "flag.breathless_or_chest_pain": "yes",
            "symptom.pain.frequency": "2", "symptom.pain.severity": "2", "symptom.pain.interference": "1",
            "burden.anxiety": "6", "temperature_c": "37,1"}
    first = client.post(f"/patients/{world.patient_a}/check-in", data=data)
    again = client.post(f"/patients/{world.patient_a}/check-in", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    result = client.get(first.headers["location"]).text
    assert 'href="tel:01632960999"' in result and "Call now" in result
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(t.CheckInRow).where(
            t.CheckInRow.patient_id == world.patient_a)) == 1
        assert connection.scalar(select(t.CheckInRow.temperature_c).where(
            t.CheckInRow.patient_id == world.patient_a)) == 37.1


def test_a_check_in_with_bad_answers_comes_back_with_messages_and_answers_kept(make_client, engine, world):
    client = make_client()
    page_sign_in(client, world.alice)
    page = client.get(f"/patients/{world.patient_a}/check-in").text
    response = client.post(f"/patients/{world.patient_a}/check-in",
                           data={"csrf_token": csrf_of(page), "temperature_c": "98.6", "burden.pain": "4",
                                 "flag.bleeding": "no"})
    assert response.status_code == 422
    assert "not a body temperature" in response.text
    assert 'value="98.6"' in response.text
    assert re.search(r'name="flag.bleeding" value="no" checked', response.text)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(t.CheckInRow).where(
            t.CheckInRow.patient_id == world.patient_a)) == 0


def test_the_nurse_works_the_triage_inbox_through_the_pages(make_client, as_user, world):
    as_user(world.alice).post(f"/api/v1/patients/{world.patient_a}/check-ins", json={"red_flags": {"bleeding": True}})
    client = make_client()
    page_sign_in(client, world.nurse)
    inbox = client.get("/triage").text
    assert "Uncontrolled bleeding: bleeding that will not stop" in inbox and "Able, Alice" in inbox
    alert_id = re.search(r'action="/alerts/([0-9a-f-]+)/acknowledge"', inbox).group(1)
    assert client.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf_of(inbox), "version": "1",
                                                                "next": "/triage"}).headers["location"] == "/triage"
    page = client.get(f"/alerts/{alert_id}").text
    assert "Acknowledged, acknowledged by" not in page
    assert re.search(r"<dt>Acknowledged</dt><dd>By Nina Nurse, \d+ [A-Z][a-z]+ \d{4}, \d\d:\d\d</dd>", page)
    assert 'type="radio"' in page and 'value="sent_to_acute_oncology"' in page
    refused = client.post(f"/alerts/{alert_id}/resolve",
                          data={"csrf_token": csrf_of(page), "version": "2", "notes": "Seen in ED " + "x" * 300})
    assert refused.status_code == 422
    assert "Choose what was done" in refused.text and "Seen in ED " + "x" * 300 + "</textarea>" in refused.text
    assert "No open alerts" not in client.get("/triage").text
    done = client.post(f"/alerts/{alert_id}/resolve", data={"csrf_token": csrf_of(page), "version": "2",
                                                           "outcome": "seen_in_clinic", "notes": "Seen in ED " + "x" * 300})
    assert done.status_code == 303
    assert "No open alerts" in client.get("/triage").text
    resolved = client.get(f"/alerts/{alert_id}").text
    assert "<dt>What was done</dt><dd>Seen in clinic</dd>" in resolved
    assert '<dd class="notes">Seen in ED ' in resolved and '<div class="narrow alert-page">' in resolved
    assert "resolved: seen in clinic" in client.get(f"/patients/{world.patient_a}").text
    css = client.get("/static/style.css").text
    assert re.search(r"\.notes[^{]*\{[^}]*overflow-wrap: anywhere", css)


def test_symptoms_over_time_shows_a_chart_and_its_table(make_client, as_user, world):
    as_user(world.alice).post(f"/api/v1/patients/{world.patient_a}/check-ins",
                              json={"symptoms": {"pain": {"frequency": 2, "severity": 2, "interference": 2}}})
    client = make_client()
    page_sign_in(client, world.alice)
    page = client.get(f"/patients/{world.patient_a}/symptoms").text
    assert '<svg' in page and "Line 1: Anastrozole" in page
    assert "<td>2</td>" in page  # composite grade of F2/S2/I2


def test_the_result_page_shows_each_symptoms_advice_at_its_own_level(make_client, world):
    from markupsafe import escape

    from alongside.domain.instrument import instrument

    client = make_client()
    page_sign_in(client, world.alice)
    page = client.get(f"/patients/{world.patient_a}/check-in").text
    sent = client.post(f"/patients/{world.patient_a}/check-in", data={
        "csrf_token": csrf_of(page), "flag.uncontrolled_pain": "yes",
        "symptom.pain.frequency": "2", "symptom.pain.severity": "2", "symptom.pain.interference": "1",
        "symptom.fatigue.severity": "1", "symptom.fatigue.interference": "1"})
    result = client.get(sent.headers["location"]).text
    advice = instrument().self_care
    # moderate pain, but not controlled: amber (its call follows the hour, so compare what follows it)
    assert escape(advice["pain"].amber.split("{Call}")[1]) in result
    assert escape(advice["pain"].green) not in result
    assert escape(advice["fatigue"].green) in result  # mild tiredness: green
    assert re.search(r'data-symptom="pain">\s*<h3>Pain <span class="badge level-amber">Call (today|now)', result)
    assert result.index('data-symptom="pain"') < result.index('data-symptom="fatigue"')
