"""The record's journeys in real Chromium: Helen reads her home and her treatments on a phone; her
nurse finds her on the caseload, reads her record and adds a blood test through a form that
refuses a future date and keeps what was typed; the patient reaches nothing that is not hers;
signing out ends access; axe-core finds no serious problem on the main pages, phone and desktop."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import DESKTOP, LOGIN, PHONE, axe_violations, no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser
HELEN = f"/patients/{DEMO_PATIENT_ID}"


def section(page, heading: str):
    """The <section> whose heading reads exactly `heading`."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, exact=True))


def test_helen_reads_her_home_and_her_treatments_on_a_phone(open_page, server, shots):
    page = open_page(PHONE)
    sign_in(page, server, LOGIN["patient"])
    expect(page).to_have_url(server + HELEN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Helen")

    whom = section(page, "Whom to call")
    urgent = whom.locator(".call-now-box").get_by_role("link", name="01632 960999")
    expect(urgent).to_have_attribute("href", "tel:01632960999")
    expect(whom.locator(".call-now-box")).to_contain_text("24-hour acute oncology line")
    for link in whom.locator("a[href^='tel:']").all():  # every number there can be dialled from the phone
        assert re.fullmatch(r"tel:\d+", link.get_attribute("href")), link.get_attribute("href")
    expect(section(page, "Treatment now").locator(".big").first).to_have_text("Capecitabine")
    assert no_sideways_scroll(page), "the home page scrolls sideways on a 390 px phone"
    page.screenshot(path=str(shots / "patient-home-phone.png"), full_page=True)

    page.get_by_role("link", name="All treatments so far").click()
    expect(page).to_have_url(server + HELEN + "/treatments")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert [h.split()[:2] for h in headings[:2]] == [["Line", "2"], ["Line", "1"]], headings  # newest first
    line_2, line_1 = page.locator("section.line").nth(0), page.locator("section.line").nth(1)
    expect(line_2.get_by_role("heading", level=3)).to_have_text(["Capecitabine"])
    expect(line_2.locator(".tag")).to_have_text("Current")
    expect(line_1.get_by_role("heading", level=3)).to_have_text(["Fulvestrant and palbociclib"])
    expect(line_1).to_contain_text("Palbociclib reduced from 125 mg to 100 mg (Low neutrophils (grade 3))")
    expect(line_1).to_contain_text("Special occasion or holiday (planned)")
    expect(line_1).to_contain_text("Stopped: Cancer grew or spread")
    assert no_sideways_scroll(page), "the treatments page scrolls sideways on a 390 px phone"


def test_the_nurse_finds_helen_reads_her_record_and_adds_a_blood_test(open_page, server, shots):
    page = open_page(DESKTOP)
    sign_in(page, server, LOGIN["clinician"])
    expect(page).to_have_url(server + "/caseload")
    table = page.locator("table.caseload")
    expect(table.get_by_role("link", name="Marsh, Helen", exact=True)).to_be_visible()

    page.fill("#q", "Nobody-by-this-name")
    page.get_by_role("button", name="Search").click()
    expect(table).to_contain_text("No patients found.")
    expect(table.get_by_role("link", name="Marsh, Helen", exact=True)).to_have_count(0)
    page.fill("#q", "Marsh")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/caseload\?q=Marsh"))
    expect(page.locator(".lead")).to_contain_text("matching “Marsh”")
    expect(table.locator("tbody tr")).to_have_count(1)
    table.get_by_role("link", name="Marsh, Helen", exact=True).click()

    expect(page).to_have_url(server + HELEN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Helen Marsh")
    expect(page.get_by_role("region", name="Whose record this is")).to_contain_text("NHS 999 000 0018")
    profile = section(page, "Cancer profile")
    expect(profile.locator("dt:has-text('HER2') + dd")).to_contain_text("HER2-low")
    spread = profile.locator("dt:has-text('Sites of spread') + dd")
    expect(spread).to_contain_text("Liver")
    expect(spread).to_contain_text("Bone")
    page.screenshot(path=str(shots / "clinician-record-desktop.png"), full_page=True)

    page.get_by_role("link", name="Blood tests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Blood tests")
    rows = page.locator("table.results tbody tr")
    before = rows.count()
    assert before >= 1 and page.get_by_role("heading", name="Lymphocytes").count() == 0
    page.get_by_role("link", name="Add blood test result").click()
    expect(page).to_have_url(server + HELEN + "/record/lab-results/new")

    page.fill("#f-taken_on", "2099-01-01")
    page.fill("#f-test", "Lymphocytes")
    page.fill("#f-value", "1.4")
    page.fill("#f-unit", "10*9/L")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save").click()
    assert posted.value.status == 422
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_text(["Taken on: This date is in the future"])
    expect(summary.get_by_role("link")).to_have_attribute("href", "#f-taken_on")
    taken_on = page.locator(".field", has=page.locator("#f-taken_on"))
    expect(taken_on.locator(".error-message")).to_contain_text("This date is in the future")
    expect(page.locator("#f-taken_on")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-taken_on")).to_have_attribute("aria-describedby", re.compile(r"\be-taken_on\b"))
    expect(page.locator("#f-taken_on")).to_have_value("2099-01-01")
    expect(page.locator("#f-test")).to_have_value("Lymphocytes")
    expect(page.locator("#f-value")).to_have_value("1.4")
    expect(page.locator("#f-unit")).to_have_value("10*9/L")
    expect(page.locator(".field.has-error")).to_have_count(1)  # only the date is wrong

    page.fill("#f-taken_on", "2026-11-20")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(server + HELEN + "/record/lab-results")
    expect(page.get_by_role("heading", level=1)).to_have_text("Blood tests")
    expect(rows).to_have_count(before + 1)  # saved once: the refused attempt left nothing behind
    new = page.get_by_role("region", name="Lymphocytes")
    expect(new.locator("tbody tr")).to_have_count(1)
    expect(new.locator("thead")).to_contain_text("Result (×10⁹/L)")
    expect(new.locator("tbody tr")).to_contain_text(re.compile(r"20 November 2026\s*1\.4\s*No normal range given"))


def test_helen_reaches_neither_the_caseload_nor_anyone_else(open_page, server):
    page = open_page(PHONE, role="patient")
    response = page.goto("/caseload")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("table")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Marsh, Helen")

    stranger = uuid.uuid4()
    for path in (f"/patients/{stranger}", f"/patients/{stranger}/treatments", f"/patients/{stranger}/record/lab-results"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.locator("table, .entries, section.card")).to_have_count(0)

    response = page.goto(HELEN)  # her own record still opens
    assert response.status == 200


def test_signing_out_ends_access(open_page, server):
    page = open_page(PHONE)
    sign_in(page, server, LOGIN["patient"])
    expect(page).to_have_url(server + HELEN)
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto(HELEN)
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(page.locator("main")).not_to_contain_text("Capecitabine")


def _submit_a_bad_blood_test(page):
    page.goto(HELEN + "/record/lab-results/new")
    page.fill("#f-taken_on", "2099-01-01")
    page.fill("#f-test", "Platelets")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary").get_by_role("link")).to_have_text(
        ["Taken on: This date is in the future", "Result: This is required", "Unit (UCUM): This is required"])


# (name, who is signed in, how to get there, what shows we are there)
PAGES = [
    ("sign-in", None, lambda page: page.goto("/sign-in"), "Sign in"),
    ("patient-home", "patient", lambda page: page.goto(HELEN), "Hello, Helen"),
    ("treatments", "patient", lambda page: page.goto(HELEN + "/treatments"), "Treatments so far"),
    ("caseload", "clinician", lambda page: page.goto("/caseload"), "Caseload"),
    ("clinician-record", "clinician", lambda page: page.goto(HELEN), "Helen Marsh"),
    ("form-with-errors", "clinician", _submit_a_bad_blood_test, "blood test result"),
    ("triage", "clinician", lambda page: page.goto("/triage"), "Triage"),
    ("symptoms", "clinician", lambda page: page.goto(HELEN + "/symptoms"), "Symptoms over time"),
    ("blood-tests", "patient", lambda page: page.goto(HELEN + "/record/lab-results"), "Blood tests"),
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name, role, reach, heading", PAGES, ids=[p[0] for p in PAGES])
def test_axe_finds_no_serious_problem_and_nothing_scrolls_sideways(open_page, viewport, name, role, reach, heading):
    page = open_page(viewport, role=role)
    reach(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    problems = axe_violations(page, ("serious", "critical"))
    assert problems == [], f"axe-core on {name} at {viewport['width']} px:\n" + "\n".join(problems)
    assert no_sideways_scroll(page), f"{name} scrolls sideways at {viewport['width']} px"
