"""The trials pages on the real database and app: her trials in plain words, one trial with its
sentences, saving and sharing through forms (CSRF), a question for her appointment, filters that
name a bad value, and the reverse view, which is her team's only and only over their caseload."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from alongside.store import tables as t

from .trials_support import HEREDERA, LUNG, TNBC, add_two_lines, import_fixture_studies, make_her2_positive


@pytest.fixture
def trials_world(engine, new_uow, world, tmp_path):
    import_fixture_studies(engine, tmp_path)
    make_her2_positive(new_uow, world)
    return world


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def verdict_of(html: str, nct_id: str | None = None) -> str:
    pattern = rf'id="{nct_id}" data-verdict="(\w+)"' if nct_id else r'class="card trial" data-verdict="(\w+)"'
    return re.search(pattern, html).group(1)


def test_her_page_says_what_it_is_and_quotes_each_reason(client_for, trials_world):
    page = client_for(trials_world.alice).get(f"/patients/{trials_world.patient_a}/trials")
    assert page.status_code == 200
    assert "Only the trial's own team can say whether you can join" in page.text
    assert "not a recommendation" in page.text
    assert verdict_of(page.text, HEREDERA) in ("likely_eligible", "possibly_eligible")
    assert page.text.index("Trials taking people now") < page.text.index("Trials not taking people")
    one = client_for(trials_world.alice).get(f"/patients/{trials_world.patient_a}/trials/{HEREDERA}").text
    assert 'data-kind="brain_metastases"' in one and "central nervous system (CNS) metastases" in one


def test_after_two_lines_the_trial_no_longer_fits_and_says_why(client_for, trials_world, new_uow):
    add_two_lines(new_uow, trials_world)
    one = client_for(trials_world.alice).get(f"/patients/{trials_world.patient_a}/trials/{HEREDERA}").text
    assert verdict_of(one) == "not_eligible"
    assert re.search(r'criterion-not_met" data-kind="prior_\w+"', one)


def test_a_lung_cancer_trial_does_not_fit_on_its_condition(client_for, trials_world):
    one = client_for(trials_world.nurse).get(f"/patients/{trials_world.patient_a}/trials/{LUNG}").text
    assert verdict_of(one) == "not_eligible" and 'criterion-not_met" data-kind="condition"' in one


def test_filters_work_without_javascript_and_a_bad_distance_is_named(client_for, trials_world):
    alice = client_for(trials_world.alice)
    url = f"/patients/{trials_world.patient_a}/trials"
    her2 = alice.get(url, params={"drug_type": "her2_directed", "phase": "", "country": "", "max_km": ""}).text
    assert f'id="{HEREDERA}"' in her2 and f'id="{TNBC}"' not in her2
    bad = alice.get(url, params={"max_km": "far"})
    assert bad.status_code == 422 and 'href="#max_km"' in bad.text and 'value="far"' in bad.text


def test_saving_through_the_form_shares_with_the_team_then_removing(client_for, trials_world):
    alice, nurse = client_for(trials_world.alice), client_for(trials_world.nurse)
    base = f"/patients/{trials_world.patient_a}/trials/{HEREDERA}"
    token = csrf_of(alice.get(base).text)
    assert alice.post(f"{base}/save", data={"share": "yes"}).status_code == 403  # no CSRF token
    assert alice.post(f"{base}/save", data={"csrf_token": token, "share": "yes"}).status_code == 303
    assert "shared with the team" in nurse.get(base).text
    assert alice.post(f"{base}/unsave", data={"csrf_token": token}).status_code == 303
    assert "shared with the team" not in nurse.get(base).text


def test_a_trial_becomes_a_question_for_her_next_appointment(client_for, trials_world):
    alice = client_for(trials_world.alice)
    base = f"/patients/{trials_world.patient_a}/trials/{HEREDERA}"
    response = alice.post(f"{base}/question", data={"csrf_token": csrf_of(alice.get(base).text)})
    assert response.status_code == 303
    preparation = alice.get(response.headers["location"].split("#")[0]).text
    assert f"Could I take part in the trial {HEREDERA}" in preparation


def test_a_carer_who_reads_sees_the_page_without_the_buttons(client_for, trials_world):
    page = client_for(trials_world.carer).get(f"/patients/{trials_world.patient_a}/trials/{HEREDERA}")
    assert page.status_code == 200 and "Save and share" not in page.text and "Add to" not in page.text


@pytest.mark.parametrize("who", ["bella", "stranger", "admin"])
def test_others_are_refused_her_trials_and_it_is_audited(client_for, trials_world, new_uow, who):
    person = getattr(trials_world, who)
    assert client_for(person).get(f"/patients/{trials_world.patient_a}/trials").status_code == 404
    with new_uow() as uow:
        actions = uow.db.scalars(select(t.AuditEventRow.action).where(t.AuditEventRow.actor_id == person.user_id,
                                                                      t.AuditEventRow.patient_id == trials_world.patient_a)).all()
    assert "read:refused" in actions


def test_the_reverse_view_lists_only_her_teams_caseload(client_for, trials_world):
    mine = client_for(trials_world.nurse).get(f"/trials/{HEREDERA}").text
    assert "Able, Alice" in mine and "of 2 on your caseload" in mine
    theirs = client_for(trials_world.stranger).get(f"/trials/{HEREDERA}").text
    assert "Able, Alice" not in theirs and "of 0 on your caseload" in theirs


@pytest.mark.parametrize("who", ["alice", "bella", "carer", "admin"])
def test_nobody_but_a_clinician_sees_the_reverse_view(client_for, trials_world, who):
    page = client_for(getattr(trials_world, who)).get(f"/trials/{HEREDERA}")
    assert page.status_code == 403 and "Able, Alice" not in page.text and "Baker, Bella" not in page.text


def test_her_record_page_leads_her_team_to_her_trials(client_for, trials_world):
    record = client_for(trials_world.nurse).get(f"/patients/{trials_world.patient_a}").text
    assert f'href="/patients/{trials_world.patient_a}/trials"' in record


def test_the_page_sees_an_import_made_after_it_was_first_shown(client_for, engine, new_uow, world, tmp_path):
    # The corpus is kept per process; an import must show at once, not at the next restart.
    make_her2_positive(new_uow, world)
    alice, url = client_for(world.alice), f"/patients/{world.patient_a}/trials"
    assert f'id="{HEREDERA}"' not in alice.get(url).text
    import_fixture_studies(engine, tmp_path)
    assert verdict_of(alice.get(url).text, HEREDERA) in ("likely_eligible", "possibly_eligible")


def test_the_trials_that_do_not_fit_are_counted_whole_and_listed_in_part(client_for, trials_world, monkeypatch):
    from alongside.trials import service
    url = f"/patients/{trials_world.patient_a}/trials"
    every = client_for(trials_world.alice).get(url).text
    ruled_out = every.count('data-verdict="not_eligible"')
    assert ruled_out >= 3 and "are listed here" not in every
    monkeypatch.setattr(service, "RULED_OUT_LISTED", 2)
    some = client_for(trials_world.alice).get(url).text
    assert some.count('data-verdict="not_eligible"') == 2 and "The first 2 are listed here." in some
    counted = sum(int(n) for n in re.findall(r"<summary>(\d+) that do not fit", some))
    assert counted == ruled_out
