"""Pages read patient data only through use cases that authorise and audit (issue 13, item 4): the
reads beside a page's main use case (domain/reading.py) and those of a form shown again after a
mistake land in the audit log like every other."""

from __future__ import annotations

import pytest

from alongside.domain import accounts, reading
from alongside.domain.errors import AccessDenied, NotFound
from alongside.domain.records import RECORD_KINDS

from .test_audit_and_carers import audit
from .test_pages import csrf_of, page_sign_in

PATIENT_WRITES = {"goals", "appointments", "check-ins", "care-team", "questions", "body-measurements"}


def actor(uow, person):
    return accounts.actor_for(uow.users.get(person.user_id))


def test_a_form_shown_again_after_a_mistake_audits_its_reads_and_keeps_no_write(make_client, engine, world):
    client = make_client()
    page_sign_in(client, world.nurse)
    url = f"/patients/{world.patient_a}/record/dose-changes/new"
    token = csrf_of(client.get(url).text)
    before = len(audit(engine, world.patient_a))
    response = client.post(url, data={"csrf_token": token, "course_id": str(world.course_a), "change": "Reduced"})
    assert response.status_code == 422
    assert "Anastrozole" in response.text  # the treatments to choose from, read through their authorised listing
    events = audit(engine, world.patient_a)[before:]
    assert ("clinician", "read:granted", "patient") in events
    assert ("clinician", "read:granted", "treatment-courses") in events
    assert not [e for e in events if e[1].startswith("write")]


def test_a_carer_landing_reads_whose_carer_she_is_through_an_audited_check(make_client, engine, world):
    client = make_client()
    page_sign_in(client, world.carer)
    before = len(audit(engine, world.patient_a))
    assert client.get("/").headers["location"] == f"/patients/{world.patient_a}"
    assert audit(engine, world.patient_a)[before:] == [("carer", "read:granted", "carer-link")]


def test_what_a_reader_may_change_follows_the_one_authorisation_rule(new_uow, world):
    with new_uow() as uow:
        her, nurse, carer = (reading.open_record(uow, actor(uow, p), world.patient_a)
                             for p in (world.alice, world.nurse, world.carer))
        for record_kind in RECORD_KINDS.values():
            assert her.may_write(record_kind) is (record_kind.slug in PATIENT_WRITES), record_kind.slug
            assert nurse.may_write(record_kind), record_kind.slug
            assert not carer.may_write(record_kind), record_kind.slug
        assert not her.may_write() and nurse.may_write()  # her details are kept by the team
        assert her.patient.details.given_name == "Alice"


def test_a_stranger_opens_no_record_and_the_refusal_is_audited(new_uow, engine, world):
    with new_uow() as uow, pytest.raises(NotFound):
        reading.open_record(uow, actor(uow, world.stranger), world.patient_a)
    assert ("clinician", "read:refused", "patient") in audit(engine, world.patient_a)


def test_only_a_carer_has_people_she_looks_after_and_only_an_administrator_lists_teams(new_uow, world):
    with new_uow() as uow:
        assert reading.patients_cared_for(uow, actor(uow, world.carer)) == [world.patient_a]
        with pytest.raises(AccessDenied):
            reading.patients_cared_for(uow, actor(uow, world.nurse))
        assert [t.name for t in reading.all_teams(uow, actor(uow, world.admin))] == ["Team One", "Team Two"]
        with pytest.raises(AccessDenied):
            reading.all_teams(uow, actor(uow, world.nurse))
        assert reading.own_team_names(uow, actor(uow, world.stranger)) == ["Team Two"]
