"""A carer's menu (issue 16 item 6): exactly what they may see or do for the person they look
after, chosen by the same rule (access.permits) as the pages, so no menu link is ever refused, and
never an entry for anyone else's record."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from alongside.domain.carer_menu import carer_menu
from alongside.domain.people import Relationship
from alongside.domain.vocab import CarerAccess

from ..factories import _carer, sample

NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')
READ_ONLY = ["Alice's home", "Messages", "Dose diary", "Results", "Whom to call"]
WITH_CHECK_IN = ["Alice's home", "Check in for Alice", "Messages", "Dose diary", "Results", "Whom to call"]


def menu(text: str) -> list[tuple[str, str]]:
    """(label, path) of each link in the main navigation, sign-out and settings aside."""
    return [(html.unescape(label), href) for href, label in LINK.findall(NAV.search(text).group(1))
            if not href.startswith("/account/")]


@pytest.fixture
def carers(new_uow, world):
    """Dana checks in for Alice; Evan reads Alice's record and checks in for Bella."""
    with new_uow() as uow:
        dana = _carer(uow, world.patient_a, world.alice, "dana@example.org", CarerAccess.READ_CHECK_IN)
        evan = _carer(uow, world.patient_a, world.alice, "evan@example.org", CarerAccess.READ)
        _carer(uow, world.patient_b, world.bella, "evan@example.org", CarerAccess.READ_CHECK_IN)
        uow.commit()
    return {"read": world.carer, "read and check in": dana, "two people": evan}


@pytest.mark.parametrize("who, labels", [("read", READ_ONLY), ("read and check in", WITH_CHECK_IN)])
def test_each_menu_link_opens_and_nothing_refused_is_offered(as_user, world, carers, who, labels):
    carer = as_user(carers[who])
    home = carer.get(f"/patients/{world.patient_a}")
    assert home.status_code == 200
    entries = menu(home.text)
    assert [label for label, _ in entries] == labels  # one choice of whose record: no chooser
    for label, href in entries:
        page = carer.get(urlsplit(href).path)
        assert page.status_code == 200, (label, href, page.status_code)
        assert menu(page.text) == entries, f"the menu stays the same on {href}"
        if urlsplit(href).fragment:  # a section of the home page: it is there
            assert f'id="{urlsplit(href).fragment}"' in page.text
    # Linked exactly when a check-in would be taken.
    sent = carer.post(f"/api/v1/patients/{world.patient_a}/check-ins", json=sample("check-ins"))
    assert sent.status_code == (201 if who == "read and check in" else 403)
    assert any(href.endswith("/check-in") for _, href in entries) == (sent.status_code == 201)
    # And the form itself is refused to a carer who may only read, before it is filled in.
    assert carer.get(f"/patients/{world.patient_a}/check-in").status_code == (200 if sent.status_code == 201 else 403)


def test_a_carer_of_two_people_chooses_whose_record_and_sees_only_that_ones_menu(as_user, world, carers):
    evan = as_user(carers["two people"])
    start = evan.get("/carer")
    assert start.status_code == 200
    assert f"/patients/{world.patient_a}" in start.text and f"/patients/{world.patient_b}" in start.text
    assert ("People I look after", "/carer") in menu(start.text)
    alice, bella = (menu(evan.get(f"/patients/{p}").text) for p in (world.patient_a, world.patient_b))
    assert [label for label, _ in alice][1:] == READ_ONLY and alice[0] == ("People I look after", "/carer")
    assert [label for label, _ in bella][1:] == [w.replace("Alice", "Bella") for w in WITH_CHECK_IN]
    assert all(str(world.patient_b) not in href for _, href in alice)
    assert all(str(world.patient_a) not in href for _, href in bella)
    assert evan.post(f"/api/v1/patients/{world.patient_b}/check-ins", json=sample("check-ins")).status_code == 201
    assert evan.post(f"/api/v1/patients/{world.patient_a}/check-ins", json=sample("check-ins")).status_code == 403


def test_a_carer_never_sees_a_menu_entry_for_someone_they_do_not_look_after(as_user, world):
    carl = as_user(world.carer)  # Alice's carer only
    for path in (f"/patients/{world.patient_b}", f"/patients/{world.patient_b}/messages", "/carer",
                 "/account/text-size"):
        page = carl.get(path)
        assert str(world.patient_b) not in str(menu(page.text)), path
    assert carl.get(f"/patients/{world.patient_b}").status_code == 404


@pytest.mark.parametrize("relationship", [Relationship.SELF, Relationship.CARE_TEAM, Relationship.OPERATOR,
                                          Relationship.NONE])
def test_only_a_carer_gets_the_carer_menu(world, relationship):
    assert carer_menu(world.patient_a, "Alice", relationship) == []


def test_the_menu_follows_the_one_rule(world):
    read = {e.label for e in carer_menu(world.patient_a, "Alice", Relationship.CARER_READ)}
    check_in = {e.label for e in carer_menu(world.patient_a, "Alice", Relationship.CARER_CHECK_IN)}
    assert check_in - read == {"Check in for Alice"}


def test_other_people_keep_their_own_menus(as_user, world):
    assert ("My home", f"/patients/{world.patient_a}") in menu(as_user(world.alice).get(f"/patients/{world.patient_a}").text)
    assert "/carer" not in str(menu(as_user(world.nurse).get(f"/patients/{world.patient_a}").text))
