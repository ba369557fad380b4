"""A text size of one's own (issue 16 item 6): normal, large or largest, chosen on /account/text-size
by a patient, a carer or anyone on the staff, kept with the account (not the browser) and applied to
every page as a class on <html> that scales the root font size."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from alongside.store import tables as t


def _csrf(client) -> str:
    return client.headers["X-CSRF-Token"]


def _html_class(page: str) -> str | None:
    found = re.search(r"<html lang=\"en-GB\"(?: class=\"([^\"]+)\")?>", page)
    assert found, "no <html> element"
    return found.group(1)


@pytest.mark.parametrize("who", ["alice", "nurse", "carer"])
def test_each_person_s_choice_is_kept_and_scales_every_page_they_see(as_user, world, who):
    person = getattr(world, who)
    client = as_user(person)
    page = client.get("/account/text-size")
    assert page.status_code == 200 and 'value="normal" checked' in page.text and _html_class(page.text) is None
    saved = client.post("/account/text-size", data={"csrf_token": _csrf(client), "text_size": "largest"})
    assert saved.status_code == 303 and saved.headers["location"] == "/account/text-size?saved=1"
    page = client.get(saved.headers["location"])
    assert "Saved: largest text on every page." in page.text and 'value="largest" checked' in page.text
    record = client.get(f"/patients/{world.patient_a}")
    assert record.status_code == 200 and _html_class(record.text) == "text-largest"
    back = client.post("/account/text-size", data={"csrf_token": _csrf(client), "text_size": "normal"})
    assert back.status_code == 303 and _html_class(client.get(f"/patients/{world.patient_a}").text) is None


def test_one_person_s_choice_is_not_another_s(as_user, world):
    alice, nurse = as_user(world.alice), as_user(world.nurse)
    alice.post("/account/text-size", data={"csrf_token": _csrf(alice), "text_size": "large"})
    assert _html_class(alice.get(f"/patients/{world.patient_a}").text) == "text-large"
    assert _html_class(nurse.get(f"/patients/{world.patient_a}").text) is None


def test_a_size_not_offered_is_refused_naming_the_field_and_nothing_changes(as_user, world, engine):
    client = as_user(world.alice)
    refused = client.post("/account/text-size", data={"csrf_token": _csrf(client), "text_size": "enormous"})
    assert refused.status_code == 422
    assert 'href="#f-text_size"' in refused.text and "Choose normal, large or largest" in refused.text
    assert 'value="normal" checked' in refused.text
    with engine.connect() as db:
        assert db.scalar(select(t.UserRow.text_size).where(t.UserRow.id == world.alice.user_id)) == "normal"


def test_without_its_security_token_the_choice_is_refused(as_user, world, engine):
    client = as_user(world.alice)
    refused = client.post("/account/text-size", data={"text_size": "large"})
    assert refused.status_code == 403
    with engine.connect() as db:
        assert db.scalar(select(t.UserRow.text_size).where(t.UserRow.id == world.alice.user_id)) == "normal"


def test_the_choice_is_audited(as_user, world, engine):
    client = as_user(world.nurse)
    client.post("/account/text-size", data={"csrf_token": _csrf(client), "text_size": "large"})
    with engine.connect() as db:
        actions = db.scalars(select(t.AuditEventRow.action).where(t.AuditEventRow.actor_id == world.nurse.user_id)).all()
    assert "text-size" in actions
