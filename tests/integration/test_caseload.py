"""The caseload sorted and filtered over the whole list: worst open alert, last check-in (and how
many weeks since, once overdue), line of treatment in force, next appointment; in the use case,
the API and the page; one team's people only; a fixed number of statements whatever its size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from alongside.clinical.alert_rules import Finding
from alongside.clinical.contacts import Level
from alongside.domain import accounts, caseload, monitoring, services
from alongside.domain.caseload import CaseloadQuery
from alongside.domain.errors import AccessDenied, InvalidInput
from alongside.domain.monitoring import MonitoringSettings

from ..factories import details
from .conftest import NOW
from .test_pages import page_sign_in

FIRST_LINE = {"modality": "chemotherapy", "name": "Paclitaxel", "line_of_treatment": 1, "start_date": "2025-01-01",
              "end_date": "2025-12-31", "stop_reason": "progression"}


def _course(name: str, line: int, start: str) -> dict:
    return {"modality": "chemotherapy", "name": name, "line_of_treatment": line, "start_date": start}


def _alert(uow, patient_id, level: Level, rule: str = "red_flag"):
    return monitoring.raise_alerts(uow, patient_id, None, [Finding(rule, level, "bleeding", {})], NOW)[0]


def _check_in(uow, actor, patient_id, days_ago: int) -> None:
    monitoring.submit_check_in(uow, actor, patient_id, {"burden": {"pain": 1}}, None, MonitoringSettings(),
                               now=NOW - timedelta(days=days_ago))


@pytest.fixture
def caseload_world(world, new_uow):
    """Beside Alice (line 1, never checked in, no appointment) and Bella (line 1, checked in
    2025-01-08, appointment 2030-01-15): Cara, Dee and Eve, and Zed on the other team."""
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        stranger = accounts.actor_for(uow.users.get(world.stranger.user_id))
        cara = services.register_patient(uow, nurse, details("Cara", "Cole"), world.team_id).id
        services.add_entry(uow, nurse, cara, "treatment-courses", FIRST_LINE)
        services.add_entry(uow, nurse, cara, "treatment-courses", _course("Capecitabine", 2, "2026-01-10"))
        services.add_entry(uow, nurse, cara, "appointments", {"starts_at": (NOW + timedelta(days=3)).isoformat(),
                                                              "kind": "oncology_clinic"})
        _check_in(uow, nurse, cara, 2)
        _alert(uow, cara, Level.RED)
        _alert(uow, cara, Level.GREEN, "worsening")
        dee = services.register_patient(uow, nurse, details("Dee", "Dunn"), world.team_id).id
        services.add_entry(uow, nurse, dee, "treatment-courses", _course("Eribulin", 4, "2026-06-01"))
        _check_in(uow, nurse, dee, 21)
        _alert(uow, dee, Level.AMBER, "severe")
        resolved = _alert(uow, dee, Level.RED)
        monitoring.resolve_alert(uow, nurse, resolved.id, resolved.version, "Spoke to her", NOW, "called_back")
        eve = services.register_patient(uow, nurse, details("Eve", "Egan"), world.team_id).id
        services.add_entry(uow, nurse, eve, "appointments", {"starts_at": "2026-01-15T10:00:00+00:00",
                                                             "kind": "oncology_clinic"})
        _check_in(uow, nurse, eve, 9)  # under the missed rule's 7 days and 3 days' grace: not overdue
        _alert(uow, eve, Level.GREEN, "worsening")
        zed = services.register_patient(uow, stranger, details("Zed", "Cole"), world.other_team_id).id
        _alert(uow, zed, Level.RED)
        uow.commit()
    return world


def names(uow, actor, offset: int = 0, limit: int = 50, **asked) -> list[str]:
    page = caseload.caseload(uow, actor, CaseloadQuery.from_form(**asked), NOW, offset, limit)
    return [row.name.split(",")[0] for row in page.rows]


@pytest.fixture
def read(caseload_world, new_uow):
    def read_as(person, **asked):
        with new_uow() as uow:
            return names(uow, accounts.actor_for(uow.users.get(person.user_id)), **asked)
    return read_as


@pytest.mark.parametrize("sort, order, expected", [
    ("", "", ["Able", "Baker", "Cole", "Dunn", "Egan"]),
    ("name", "reverse", ["Egan", "Dunn", "Cole", "Baker", "Able"]),
    ("alerts", "", ["Cole", "Dunn", "Egan", "Able", "Baker"]),  # worst first; the resolved red counts for nothing
    ("alerts", "reverse", ["Able", "Baker", "Egan", "Dunn", "Cole"]),
    ("last_check_in", "", ["Able", "Baker", "Dunn", "Egan", "Cole"]),  # never, then the longest gap
    ("last_check_in", "reverse", ["Cole", "Egan", "Dunn", "Baker", "Able"]),
    ("line", "", ["Able", "Baker", "Cole", "Dunn", "Egan"]),  # Eve has no line in force: last
    ("line", "reverse", ["Egan", "Dunn", "Cole", "Able", "Baker"]),
    ("next_appointment", "", ["Cole", "Baker", "Able", "Dunn", "Egan"]),  # Eve's was in January: none to come
])
def test_the_caseload_sorts_by_each_column(read, caseload_world, sort, order, expected):
    assert read(caseload_world.nurse, sort=sort, order=order) == expected


@pytest.mark.parametrize("asked, expected", [
    ({"alerts": "red"}, ["Cole"]),
    ({"alerts": "amber"}, ["Dunn"]),
    ({"alerts": "green"}, ["Egan"]),
    ({"alerts": "any"}, ["Cole", "Dunn", "Egan"]),
    ({"alerts": "none"}, ["Able", "Baker"]),
    ({"weeks": "2"}, ["Able", "Baker", "Dunn"]),  # never checked in counts as not checked in
    ({"weeks": "4"}, ["Able", "Baker"]),
    ({"line": "1"}, ["Able", "Baker"]),
    ({"line": "2"}, ["Cole"]),
    ({"line": "4+"}, ["Dunn"]),
    ({"line": "none"}, ["Egan"]),
    ({"q": "cole"}, ["Cole"]),  # Zed Cole is on the other team
    ({"alerts": "any", "line": "4+", "weeks": "3"}, ["Dunn"]),
    ({"alerts": "any", "sort": "alerts", "order": "reverse"}, ["Egan", "Dunn", "Cole"]),
])
def test_the_caseload_filters_combine(read, caseload_world, asked, expected):
    assert read(caseload_world.nurse, **asked) == expected


def test_each_row_carries_its_columns(caseload_world, new_uow):
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(caseload_world.nurse.user_id))
        rows = {r.name: r for r in caseload.caseload(uow, nurse, CaseloadQuery(), NOW).rows}
    cara, dee, eve, bella = rows["Cole, Cara"], rows["Dunn, Dee"], rows["Egan, Eve"], rows["Baker, Bella"]
    assert (cara.worst_alert, cara.open_alerts, cara.current_line, cara.current_treatment) == (Level.RED, 2, 2, "Capecitabine")
    assert cara.next_appointment == NOW + timedelta(days=3) and cara.weeks_without_check_in is None
    assert (dee.worst_alert, dee.open_alerts, dee.weeks_without_check_in) == (Level.AMBER, 1, 3)
    assert (eve.worst_alert, eve.current_line, eve.current_treatment, eve.next_appointment) == (Level.GREEN, None, None, None)
    assert eve.last_check_in == NOW - timedelta(days=9) and eve.weeks_without_check_in is None
    assert bella.weeks_without_check_in == (NOW - bella.last_check_in) // timedelta(weeks=1) > 90
    assert rows["Able, Alice"].last_check_in is None and rows["Able, Alice"].worst_alert is None


def test_paging_counts_the_whole_filtered_caseload(caseload_world, new_uow):
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(caseload_world.nurse.user_id))
        second = caseload.caseload(uow, nurse, CaseloadQuery.from_form(sort="alerts"), NOW, offset=2, limit=2)
        beyond = caseload.caseload(uow, nurse, CaseloadQuery.from_form(alerts="any"), NOW, offset=10, limit=2)
        by_name = caseload.caseload(uow, nurse, CaseloadQuery.from_form(q="e"), NOW, offset=2, limit=2)
        reversed_ = caseload.caseload(uow, nurse, CaseloadQuery.from_form(order="reverse"), NOW, offset=4, limit=2)
    assert [r.name for r in second.rows] == ["Egan, Eve", "Able, Alice"] and second.total == 5 and second.has_next
    # In name order the page is cut first and only its people summarised: the same columns.
    assert [(r.name, r.worst_alert, r.current_line) for r in by_name.rows] == [
        ("Cole, Cara", Level.RED, 2), ("Dunn, Dee", Level.AMBER, 4)] and by_name.total == 5
    assert [r.name for r in reversed_.rows] == ["Able, Alice"] and reversed_.total == 5 and not reversed_.has_next
    assert beyond.rows == [] and beyond.total == 3


def test_another_team_sees_only_its_own_and_a_patient_none(read, caseload_world, new_uow):
    assert read(caseload_world.stranger) == ["Cole"]  # Zed Cole alone
    assert read(caseload_world.stranger, alerts="red", q="cara") == []
    with new_uow() as uow:
        for person in (caseload_world.alice, caseload_world.carer, caseload_world.admin):
            with pytest.raises(AccessDenied):
                names(uow, accounts.actor_for(uow.users.get(person.user_id)))


@pytest.mark.parametrize("field, value", [("alerts", "purple"), ("weeks", "two"), ("weeks", "0"), ("weeks", "521"),
                                          ("line", "5"), ("sort", "age"), ("order", "up")])
def test_a_bad_filter_is_refused_by_name(field, value):
    with pytest.raises(InvalidInput) as refused:
        CaseloadQuery.from_form(**{field: value})
    assert refused.value.field == field


def test_the_page_is_a_fixed_number_of_statements_whatever_the_caseload(caseload_world, new_uow, engine):
    def statements(**asked) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with new_uow() as uow:
                names(uow, accounts.actor_for(uow.users.get(caseload_world.nurse.user_id)), **asked)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    asked = {"sort": "alerts", "weeks": "1"}
    before, in_name_order = statements(**asked), statements()
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(caseload_world.nurse.user_id))
        for n in range(30):
            patient = services.register_patient(uow, nurse, details(f"Extra{n}", "Abbott"), caseload_world.team_id).id
            services.add_entry(uow, nurse, patient, "treatment-courses", _course("Letrozole", 1, "2026-02-01"))
            _alert(uow, patient, Level.AMBER, "severe")
        uow.commit()
    assert statements(**asked) == before <= 5 and statements() == in_name_order <= 5


def test_the_api_sorts_filters_and_names_a_bad_field(client_for, caseload_world):
    nurse = client_for(caseload_world.nurse)
    body = nurse.get("/api/v1/patients", params={"sort": "alerts", "alerts": "any"}).json()
    assert [p["name"] for p in body["patients"]] == ["Cole, Cara", "Dunn, Dee", "Egan, Eve"] and body["total"] == 3
    dee = body["patients"][1]
    assert (dee["worst_open_alert"], dee["open_alerts"], dee["current_line"], dee["weeks_without_check_in"]) == ("amber", 1, 4, 3)
    refused = nurse.get("/api/v1/patients", params={"weeks": "soon"})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["field"] == "weeks"


def test_the_page_links_sorts_keep_the_filters_and_reach_the_timeline(client_for, caseload_world):
    nurse = client_for(caseload_world.nurse)
    html = nurse.get("/caseload", params={"alerts": "any", "sort": "alerts"}).text
    assert html.index("Cole, Cara") < html.index("Dunn, Dee") < html.index("Egan, Eve") and "Able, Alice" not in html
    assert 'aria-sort="descending"' in html and "/caseload?alerts=any&amp;sort=alerts&amp;order=reverse" in html
    assert "/caseload?alerts=any&amp;sort=last_check_in" in html
    assert "Not checked in for 3 weeks" in html and "Line 4: Eribulin" in html and "RED</span> 2 open" in html
    dee = html.split('">Dunn, Dee</a>')[0].rsplit('href="/patients/', 1)[1]
    assert f'href="/patients/{dee}/timeline"' in html
    assert nurse.get(f"/patients/{dee}/timeline").status_code == 200


def test_the_page_keeps_a_bad_filter_and_says_what_to_change(make_client, caseload_world):
    client = make_client()
    page_sign_in(client, caseload_world.nurse)
    response = client.get("/caseload", params={"weeks": "lots", "q": "cole"})
    assert response.status_code == 422
    assert "Give the weeks as a whole number from 1 to 520" in response.text and 'value="lots"' in response.text
    assert "Cole, Cara" in response.text  # the search still applies
