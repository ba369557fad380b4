"""Take the README's pictures: Helen's home on a phone and her record as her nurse sees it on a
desktop, from the demo served by a real uvicorn process and photographed by Debian's Chromium.

Run by hand from the repository root (the tests never write into docs/):

    .venv/bin/python tests/browser/take_screenshots.py            # writes docs/screenshot-*.png
    .venv/bin/python tests/browser/take_screenshots.py --out /tmp  # somewhere else

The clock is pinned to a Tuesday morning and the demo is written as of that day, so the pictures
come out the same whenever they are taken."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a script: make `tests.browser.support` importable
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from alongside.demo import DEMO_PATIENT_ID  # noqa: E402
from tests.browser.support import DESKTOP, LOGIN, PHONE, demo_database, launch_chromium, serve, sign_in  # noqa: E402

PICTURE_TIME = "2026-11-24T10:30:00+00:00"


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    home, record = out / "screenshot-patient-home.png", out / "screenshot-clinician-record.png"
    today = datetime.fromisoformat(PICTURE_TIME).date()
    with demo_database(today=today) as url, serve(url, ALONGSIDE_FIXED_TIME=PICTURE_TIME) as base, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            phone = browser.new_context(viewport=PHONE, device_scale_factor=1)
            page = phone.new_page()
            sign_in(page, base, LOGIN["patient"])
            expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Helen")
            page.screenshot(path=str(home))
            phone.close()

            desk = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
            page = desk.new_page()
            sign_in(page, base, LOGIN["clinician"])
            page.goto(f"{base}/patients/{DEMO_PATIENT_ID}")
            expect(page.get_by_role("heading", level=1)).to_have_text("Helen Marsh")
            page.screenshot(path=str(record))
            desk.close()
        finally:
            browser.close()
    return [home, record]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default: docs/)")
    args = parser.parse_args()
    try:
        written = take(args.out)
    except FileNotFoundError as missing:  # no Chromium: say how to get it
        print(missing, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
