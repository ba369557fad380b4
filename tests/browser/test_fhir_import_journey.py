"""In real Chromium: the official mCODE example patient Jenny M, imported with `alongside fhir
import` as a hospital would send her, is on the nurse's caseload with her receptor status, the
site of her cancer, her medications and her results, none of it typed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from alongside.demo import LOGINS

from ..integration.test_transfer_and_cli import run_cli
from .support import DESKTOP, demo_database, serve, sign_in

pytestmark = pytest.mark.browser
MCODE = Path(__file__).parents[1] / "fixtures" / "mcode"
TEAM = "Secondary Breast Care, Demo Hospital"  # the demo nurse's team


@pytest.fixture(scope="module")
def jenny_served(tmp_path_factory):
    """A demo database of its own (the shared one stays as the other journeys expect it), with
    Jenny M imported through the command and a secondary cancer sent for her later."""
    folder = tmp_path_factory.mktemp("jenny")
    with demo_database() as url:
        imported = run_cli(url, "fhir", "import", str(MCODE / "Bundle-mcode-patient-bundle-jenny-m.json"),
                           "--team", TEAM)
        assert imported.returncode == 0, imported.stderr  # its impossible neutrophil count is set aside
        patient_id = re.search(r"Imported into patient ([0-9a-f-]{36})", imported.stderr).group(1)
        brain = folder / "brain.json"
        brain.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": json.loads((MCODE / "Condition-secondary-cancer-condition-brain-mets.json").read_text())}]}))
        later = run_cli(url, "fhir", "import", str(brain), "--patient", patient_id)
        assert later.returncode == 0, later.stdout + later.stderr
        with serve(url, folder / "server.log") as base:
            yield base, patient_id


def test_the_nurse_reads_jenny_m_as_imported(jenny_served, browser, shots):
    base, patient_id = jenny_served
    context = browser.new_context(viewport=DESKTOP, base_url=base)
    try:
        page = context.new_page()
        sign_in(page, base, next(login for login in LOGINS if login.role == "clinician"))
        page.goto(f"/patients/{patient_id}")
        main = page.get_by_role("main")
        expect(main).to_contain_text("Jenny")
        profile = page.get_by_role("region", name="Cancer profile")
        expect(profile).to_contain_text(re.compile(r"ER / PR\s*Positive / Negative"))
        # A bare "negative": HER2-negative, and it says that 0, ultralow or low is not known.
        expect(profile).to_contain_text(re.compile(r"HER2\s*HER2-negative \(not said whether 0, ultralow or low\)"))
        expect(profile).to_contain_text("Invasive carcinoma of no special type")
        expect(profile).to_contain_text(re.compile(r"Stage at first diagnosis\s*Clinical IIB \(cT3 cN0 cM0\), AJCC 8th edition"))
        expect(profile).to_contain_text(re.compile(r"Sites of spread\s*Brain \(1 May 2019\)"))
        expect(profile).to_contain_text("ECOG")
        for medicine in ("anastrozole", "PACLitaxel", "DOXOrubicin", "cyclophosphamide"):
            expect(main).to_contain_text(medicine)
        expect(main).not_to_contain_text(re.compile(r"cyclophosphamide\s*Other"))  # a chemotherapy, by its name
        page.screenshot(path=str(shots / "fhir-import-jenny-m.png"), full_page=True)
        page.get_by_role("link", name="Weight and height").click()
        expect(page.get_by_role("main")).to_contain_text("Weight 70.31 kg")  # sent as 155 lb
    finally:
        context.close()
