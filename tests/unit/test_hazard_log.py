"""The hazard log stays true: every test it names as evidence for a control exists, and every
hazard names at least one (DCB0129 asks that each control's verification can be found)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def hazards() -> dict[str, str]:
    """Each hazard's section of the log, by its id (H1, H2...)."""
    parts = re.split(r"^### (H\d+)\b", LOG.read_text(encoding="utf-8"), flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_hazard_names_a_test_for_its_controls():
    found = hazards()
    assert len(found) >= 13
    assert not [h for h, text in found.items() if not REFERENCE.search(text)]


def test_every_test_named_in_the_hazard_log_exists():
    missing = []
    for path, name in REFERENCE.findall(LOG.read_text(encoding="utf-8")):
        source = ROOT / path
        if not source.exists() or not re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"), re.M):
            missing.append(f"{path}::{name}")
    assert not missing, missing
