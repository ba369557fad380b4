"""The authorisation rule, relationship by relationship."""

import pytest

from alongside.domain.access import Action, permits
from alongside.domain.people import Relationship
from alongside.domain.records import RECORD_KINDS

ALL_KINDS = list(RECORD_KINDS.values())


@pytest.mark.parametrize("relationship", list(Relationship))
def test_reading_needs_a_relationship(relationship):
    assert permits(relationship, Action.READ) is (relationship is not Relationship.NONE)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.slug)
def test_the_care_team_writes_every_kind(kind):
    assert permits(Relationship.CARE_TEAM, Action.WRITE, kind)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.slug)
def test_a_stranger_neither_reads_nor_writes(kind):
    assert not permits(Relationship.NONE, Action.READ, kind)
    assert not permits(Relationship.NONE, Action.WRITE, kind)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.slug)
def test_the_patient_writes_only_her_own_kinds(kind):
    expected = kind.slug in {"goals", "appointments", "check-ins", "care-team", "questions", "body-measurements"}
    assert permits(Relationship.SELF, Action.WRITE, kind) is expected


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.slug)
def test_carers_write_check_ins_only_when_allowed(kind):
    assert not permits(Relationship.CARER_READ, Action.WRITE, kind)
    assert permits(Relationship.CARER_CHECK_IN, Action.WRITE, kind) is (kind.slug == "check-ins")


@pytest.mark.parametrize("relationship", [Relationship.SELF, Relationship.CARER_READ, Relationship.CARER_CHECK_IN])
def test_only_the_team_changes_details_and_profile(relationship):
    assert not permits(relationship, Action.WRITE)
