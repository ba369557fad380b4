"""Issue 5's journey in real Chromium: Helen writes two questions and a goal; her nurse records a
decision and a break; the timeline and the decision summary show them; the downloaded clinic
summary PDF contains them (its text extracted with pypdf), and pdftoppm renders its first page
to a PNG kept with the screenshots."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from alongside.demo import DEMO_PATIENT_ID

from .conftest import SATURDAY_NIGHT
from .support import DESKTOP, PHONE, axe_violations

pytestmark = pytest.mark.browser
HELEN = f"/patients/{DEMO_PATIENT_ID}"
TODAY = date.fromisoformat(SATURDAY_NIGHT[:10])


def test_questions_goal_decision_and_break_reach_the_timeline_summary_and_pdf(open_page, shots):
    helen = open_page(PHONE, "patient")
    helen.goto(HELEN + "/appointment-preparation")
    for text in ("Can I have a week off treatment for my daughter's graduation?",
                 "Is the tingling in my hands going to get better?"):
        helen.fill("#f-text", text)
        helen.get_by_role("button", name="Add", exact=True).click()
        expect(helen.locator("main")).to_contain_text(text)
    assert axe_violations(helen) == []

    helen.goto(HELEN + "/record/goals/new")
    helen.select_option("#f-kind", "what_matters")
    helen.fill("#f-recorded_on", TODAY.isoformat())
    helen.fill("#f-in_own_words", "To be at the graduation in July, walking without a stick.")
    helen.get_by_role("button", name="Save").click()
    expect(helen.locator("main")).to_contain_text("walking without a stick")

    nurse = open_page(DESKTOP, "clinician")
    nurse.goto(HELEN + "/record/decisions/new")
    nurse.fill("#f-decided_on", TODAY.isoformat())
    nurse.fill("#f-participants", "Helen, Dr Rao, Jo Pearce")
    nurse.fill("#f-options_discussed", "Carry on capecitabine at the lower dose; a two-week break first.")
    nurse.fill("#f-chosen", "Two-week break, then capecitabine at 825 mg/m2")
    nurse.get_by_role("button", name="Save").click()
    expect(nurse.locator("main")).to_contain_text("Two-week break, then capecitabine")

    nurse.goto(HELEN + "/treatment-breaks/new")
    capecitabine = nurse.locator("#f-course_id option", has_text="Capecitabine").get_attribute("value")
    nurse.select_option("#f-course_id", capecitabine)
    nurse.fill("#f-start_date", (TODAY - timedelta(days=2)).isoformat())
    nurse.select_option("#f-reason", "side_effects")
    nurse.get_by_role("button", name="Save").click()
    expect(nurse).to_have_url(re.compile(re.escape(HELEN) + "/treatments$"))

    nurse.goto(HELEN + "/timeline")
    track = nurse.get_by_role("region", name="Treatment, scans and decisions")
    track.get_by_text("The same as a list").click()
    expect(track).to_contain_text("Break from Capecitabine")
    expect(track).to_contain_text("Decision: Two-week break, then capecitabine at 825 mg/m2")

    nurse.goto(HELEN + "/decision-summary")
    expect(nurse.locator("main")).to_contain_text("Two-week break, then capecitabine at 825 mg/m2")
    expect(nurse.locator("main")).to_contain_text("walking without a stick")
    nurse.screenshot(path=str(shots / "decision-summary-desktop.png"), full_page=True)
    assert axe_violations(nurse) == []
    with nurse.expect_download() as download:
        nurse.get_by_role("link", name="Download the clinic summary (PDF)").click()
    pdf = shots / "clinic-summary.pdf"
    download.value.save_as(pdf)

    reader = PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in ("Two-week break, then capecitabine", "Break from Capecitabine",
                     "my daughter's graduation", "tingling in my hands", "walking without a stick"):
        assert expected in text, expected
    assert shutil.which("pdftoppm"), "pdftoppm (Debian's poppler-utils) is needed; make test installs it"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(shots / "clinic-summary")],
                   check=True)
    assert any(shots.glob("clinic-summary-1.png"))
