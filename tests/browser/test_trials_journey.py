"""Issue 14's done-when in real Chromium, on the shipped fixture studies (the demo imports them):
a woman with HER2-positive, ER-positive secondary breast cancer, treated stable brain metastases
and no treatment yet for it sees NCT05296798 as likely or possibly eligible with the CNS criterion
met and its sentence quoted; after two recorded lines of chemotherapy and HER2-directed therapy it
is not eligible, quoting the prior-therapy sentence; NCT06103864 (triple negative) and NCT06038539
(early, neoadjuvant) are not eligible with the deciding sentence; NCT05048797 (lung cancer) is not
eligible on its condition. Helen, on a phone, saves and shares a trial and takes it to her next
appointment; the reverse view is her team's only. axe-core finds no serious or critical problem."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from alongside.demo import DEMO_PATIENT_ID

from .support import DESKTOP, LOGIN, PHONE, axe_violations, no_sideways_scroll

pytestmark = pytest.mark.browser
HEREDERA, TNBC, NEOADJUVANT, LUNG = "NCT05296798", "NCT06103864", "NCT06038539", "NCT05048797"


def _nurse_api(server: str) -> httpx.Client:
    nurse = httpx.Client(base_url=server)
    nurse.headers["X-CSRF-Token"] = nurse.post("/api/v1/session", json={
        "email": LOGIN["clinician"].email, "password": LOGIN["clinician"].password}).json()["csrf_token"]
    return nurse


def _her2_positive_woman(nurse: httpx.Client) -> str:
    """Her record as her team would keep it; the pages then read it."""
    created = nurse.post("/api/v1/patients", json={"given_name": "Grace", "family_name": "Holt", "date_of_birth": "1974-02-03",
                                                   "town": "Sheffield", "country": "GB"})
    assert created.status_code == 201, created.text
    patient = created.json()
    pid = patient["id"]
    profile = nurse.put(f"/api/v1/patients/{pid}/cancer-profile", json={
        "version": patient["cancer_profile"]["version"], "primary_diagnosis_date": "2022-01-20", "er_status": "positive",
        "pr_status": "negative", "her2_status": "positive", "menopausal_status": "post",
        "metastatic_diagnosis_date": "2026-09-01"})
    assert profile.status_code == 200, profile.text
    for slug, body in [
            ("treatment-courses", {"modality": "targeted", "name": "Trastuzumab", "intent": "curative",
                                   "start_date": "2022-03-01", "end_date": "2023-03-01", "stop_reason": "completed"}),
            ("metastases", {"site": "brain", "site_detail": "Two lesions treated with stereotactic radiotherapy, stable",
                            "diagnosed_on": "2026-09-01"})]:
        response = nurse.post(f"/api/v1/patients/{pid}/{slug}", json=body)
        assert response.status_code == 201, response.text
    return pid


def _verdict(page) -> str:
    return page.locator("section.trial").get_attribute("data-verdict")


def _criteria(page, outcome: str):
    return page.locator(f"li.criterion-{outcome}")


def test_the_her2_positive_woman_sees_why_each_trial_fits_or_not(open_page, server, shots):
    nurse = _nurse_api(server)
    pid = _her2_positive_woman(nurse)
    page = open_page(DESKTOP, "clinician")

    page.goto(f"/patients/{pid}/trials")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinical trials that may fit")
    expect(page.locator(".lead").first).to_contain_text("Only the trial's own team can say")
    card = page.locator(f"article#{HEREDERA}")
    assert card.get_attribute("data-verdict") in ("likely_eligible", "possibly_eligible")
    card.get_by_role("link").first.click()
    assert _verdict(page) in ("likely_eligible", "possibly_eligible")
    cns = _criteria(page, "met").filter(has=page.locator("blockquote", has_text="central nervous system (CNS) metastases"))
    expect(cns.first).to_contain_text("cancer in the brain: stable")

    for nct_id, kind in ((TNBC, "her2"), (NEOADJUVANT, "setting"), (LUNG, "condition")):
        page.goto(f"/patients/{pid}/trials/{nct_id}")
        assert _verdict(page) == "not_eligible", nct_id
        deciding = page.locator(f"li.criterion-not_met[data-kind='{kind}']")
        expect(deciding.first.locator("blockquote")).not_to_be_empty()

    for line, (name, start, end) in enumerate([("Docetaxel, trastuzumab and pertuzumab", "2026-09-15", "2026-10-15"),
                                               ("Trastuzumab deruxtecan", "2026-10-20", None)], start=1):
        response = nurse.post(f"/api/v1/patients/{pid}/treatment-courses", json={
            "modality": "chemotherapy", "name": name, "line_of_treatment": line, "start_date": start, "end_date": end,
            "stop_reason": "progression" if end else None})
        assert response.status_code == 201, response.text
    page.goto(f"/patients/{pid}/trials/{HEREDERA}")
    assert _verdict(page) == "not_eligible"
    prior = page.locator("li.criterion-not_met[data-kind^='prior']")
    expect(prior.first.locator("blockquote")).to_contain_text("metastatic")
    page.screenshot(path=str(shots / "trial-not-eligible-desktop.png"), full_page=True)

    # The reverse view: Helen (HR-positive, HER2-low) may fit CAPItello-292; Grace, HER2-positive, does not.
    page.goto("/trials/NCT04862663")
    expect(page.locator("table.candidates")).to_contain_text("Marsh, Helen")
    expect(page.locator("table.candidates")).not_to_contain_text("Holt, Grace")


def test_helen_saves_a_trial_shares_it_and_takes_it_to_her_appointment(open_page, server, shots):
    page = open_page(PHONE, "patient")
    page.goto(f"/patients/{DEMO_PATIENT_ID}")
    page.get_by_role("link", name="Trials", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinical trials that may fit")
    expect(page.get_by_role("region", name="Trials taking people now")).to_be_visible()
    assert no_sideways_scroll(page), "the trials page scrolls sideways on a 390 px phone"
    page.screenshot(path=str(shots / "trials-phone.png"), full_page=True)
    assert axe_violations(page) == []

    first = page.locator("article.trial").first
    nct_id = first.get_attribute("id")
    first.get_by_role("button", name="Save and share with my team").click()
    expect(page.locator(".notice")).to_contain_text("shared with the team")
    page.get_by_role("button", name="Add to my questions for the next appointment").click()
    expect(page.locator("#questions")).to_contain_text(nct_id)

    page.goto("/trials/" + HEREDERA)
    expect(page.locator("table.candidates")).to_have_count(0)
    assert page.goto("/api/v1/trials/" + HEREDERA + "/candidates").status == 403
