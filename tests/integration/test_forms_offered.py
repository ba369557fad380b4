"""Forms are offered only to someone who may send them (issue 16 item 6): a patient or carer is
never shown a form that the team alone may send, only to be refused after filling it in. The
expectation for each form comes from the one authorisation rule (domain/access.permits)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from alongside.domain.access import Action, permits
from alongside.domain.people import Relationship
from alongside.domain.records import RECORD_KINDS
from alongside.store import tables as t

# Each form page, and the part of the record its form changes (None: details kept by the team).
FORM_PAGES = {
    "/patients/{p}/details/edit": None,
    "/patients/{p}/cancer-profile/edit": None,
    "/patients/{p}/treatment-breaks/new": RECORD_KINDS["treatment-breaks"],
    "/patients/{p}/stop-treatment": RECORD_KINDS["decisions"],
    "/patients/{p}/lab-results/import": RECORD_KINDS["lab-results"],
    **{f"/patients/{{p}}/record/{slug}/new": k for slug, k in RECORD_KINDS.items() if not k.submitted_only},
}
WHO = {"alice": Relationship.SELF, "carer": Relationship.CARER_READ, "nurse": Relationship.CARE_TEAM}


@pytest.mark.parametrize("who", list(WHO))
def test_a_form_page_opens_only_for_someone_who_may_send_it(as_user, world, who):
    client = as_user(getattr(world, who))
    for template, record_kind in FORM_PAGES.items():
        page = client.get(template.format(p=world.patient_a))
        allowed = permits(WHO[who], Action.WRITE, record_kind)
        assert page.status_code == (200 if allowed else 403), (who, template, page.status_code)
        forms = [f for f in re.findall(r"<form[^>]*>", page.text) if "/sign-out" not in f]
        if allowed:
            assert forms, template
        else:
            assert forms == [] and "Your care team keeps this part" in page.text, template


def test_a_refused_form_page_is_audited_as_a_read_and_nothing_is_written(as_user, world, engine):
    client = as_user(world.alice)
    with engine.connect() as db:
        first = db.scalar(select(func.max(t.AuditEventRow.id))) or 0
        breaks_before = db.scalar(select(func.count()).select_from(t.ROW_FOR_KIND["treatment-breaks"]))
    assert client.get(f"/patients/{world.patient_a}/treatment-breaks/new").status_code == 403
    with engine.connect() as db:
        actions = db.scalars(select(t.AuditEventRow.action).where(
            t.AuditEventRow.patient_id == world.patient_a, t.AuditEventRow.id > first)).all()
        breaks = db.scalar(select(func.count()).select_from(t.ROW_FOR_KIND["treatment-breaks"]))
    assert actions == ["read:granted"] and breaks == breaks_before


@pytest.mark.parametrize("who", ["alice", "carer"])
def test_no_page_she_sees_links_to_a_form_she_may_not_send(as_user, world, who):
    """Follow every link from her home page, two steps deep: none leads to a refused form."""
    client = as_user(getattr(world, who))
    start = f"/patients/{world.patient_a}"
    seen, frontier, refused = {start}, [start], []
    for _ in range(2):
        found = []
        for path in frontier:
            page = client.get(path)
            if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
                continue
            for href in re.findall(r'href="(/[^"#?]*)', page.text):
                if href not in seen and not href.startswith(("/static", "/api", "/sign-out")) \
                        and not href.endswith((".pdf", ".csv", ".json")):
                    seen.add(href)
                    found.append(href)
        for path in found:
            if client.get(path).status_code == 403:
                refused.append(path)
        frontier = found
    assert len(seen) > 10, "the crawl found too few pages to prove anything"
    assert refused == []
