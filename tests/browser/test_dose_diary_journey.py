"""In real Chromium on a phone: a patient on palbociclib (21 days on, 7 off) opens her cycle diary
from her home page, sees this cycle day by day in words, marks today's dose missed and sees it;
the page reflows at 200 % text and passes axe-core. Her nurse then sees the missed dose in the
adherence on her record."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from alongside.demo import Login
from alongside.domain import accounts, services
from alongside.domain.people import PatientSignIn
from alongside.domain.records import PatientDetails
from alongside.store.database import make_engine, session_factory
from alongside.store.unit_of_work import UnitOfWork

from .conftest import POSTGRES_URL, SATURDAY_NIGHT
from .support import DESKTOP, LOGIN, PHONE, demo_database, no_sideways_scroll, serious_axe_violations, serve, sign_in

pytestmark = pytest.mark.browser
PRIYA_LOGIN = Login("patient", "priya@example.org", "priya-demo-diary-2026")
# The server's clock reads Saturday 21 November 2026, 23:30 in London: day 20 of cycle 1.
DAY_ONE = date(2026, 11, 2)
TODAY = "2026-11-21"


def add_priya(url: str) -> str:
    """A second patient on the demo team, on palbociclib since 2 November, with her own sign-in."""
    engine = make_engine(url)
    try:
        with UnitOfWork(session_factory(engine)) as uow:
            nurse = accounts.actor_for(uow.users.by_email(LOGIN["clinician"].email))
            patient = services.register_patient(uow, nurse, PatientDetails(
                given_name="Priya", family_name="Shah", date_of_birth=date(1975, 2, 3), email=PRIYA_LOGIN.email))
            services.add_entry(uow, nurse, patient.id, "medicines", {
                "name": "Palbociclib", "purpose": "anticancer", "dose_value": 125, "dose_unit": "mg",
                "schedule": "cycle", "cycle_days_on": 21, "cycle_days_off": 7, "start_date": DAY_ONE.isoformat()})
            accounts.open_patient_account(uow, nurse, patient.id,
                                          PatientSignIn(email=PRIYA_LOGIN.email, password=PRIYA_LOGIN.password))
            uow.commit()
            return str(patient.id)
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def priya_served(request, tmp_path_factory):
    """A demo database of its own (the shared one stays as the other journeys expect it)."""
    with demo_database(None if request.param == "sqlite" else POSTGRES_URL,
                       today=date.fromisoformat(TODAY)) as url:
        patient_id = add_priya(url)
        with serve(url, tmp_path_factory.mktemp("diary") / "server.log", ALONGSIDE_FIXED_TIME=SATURDAY_NIGHT) as base:
            yield base, patient_id


def test_she_marks_a_missed_dose_and_her_nurse_sees_it(priya_served, browser, shots):
    base, patient_id = priya_served
    phone = browser.new_context(viewport=PHONE, base_url=base)
    try:
        page = phone.new_page()
        sign_in(page, base, PRIYA_LOGIN)
        page.get_by_role("link", name="My cycle diary: Palbociclib").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your diary: Palbociclib")
        main = page.get_by_role("main")
        expect(main).to_contain_text("21 days on, then 7 days off")
        expect(main).to_contain_text("does not tell you whether to take, hold or change a dose")
        today = page.locator(f"#day-{TODAY}")
        expect(today).to_contain_text("Today")
        expect(today).to_contain_text("Day 20: dose day")
        expect(page.locator("#day-2026-11-23")).to_contain_text("Day 22: day off")
        expect(today).to_contain_text("Not recorded")

        page.get_by_role("button", name="I missed today's dose").click()
        expect(page.get_by_role("status")).to_contain_text("Saved your mark for 21 November 2026")
        expect(today).to_contain_text("Missed")
        expect(main).to_contain_text("1 missed")
        page.screenshot(path=str(shots / "dose-diary-phone.png"), full_page=True)
        assert no_sideways_scroll(page)
        assert serious_axe_violations(page) == []
        page.evaluate("document.documentElement.style.fontSize = '225%'")
        assert no_sideways_scroll(page), "the diary is wider than a phone at 200 % text"

        assert page.get_by_role("link", name="Previous cycle").count() == 0  # cycle 1 is the first
        page.locator("#f-day").fill("2026-11-25")  # still to come: refused, with the reason
        page.get_by_label("Took a lower dose").check()
        page.get_by_role("button", name="Save this day").click()
        expect(page.get_by_role("alert")).to_contain_text("only mark today or a day that has passed")
    finally:
        phone.close()

    desk = browser.new_context(viewport=DESKTOP, base_url=base)
    try:
        page = desk.new_page()
        sign_in(page, base, LOGIN["clinician"])
        page.goto(f"/patients/{patient_id}")
        diaries = page.get_by_role("region", name="Cycle diaries")
        expect(diaries).to_contain_text("Palbociclib")
        expect(diaries).to_contain_text("Cycle 1: 0 taken, 1 missed, 0 lower dose, 19 not recorded of 20 dose days so far")
        assert serious_axe_violations(page) == []
    finally:
        desk.close()
