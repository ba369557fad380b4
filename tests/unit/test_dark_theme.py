"""The colours of both themes keep WCAG 2.2 AA contrast, and the alert colours stay unmistakable
in the dark (hazard H48: a dark theme that hides the red of an alert).

Reads the custom properties straight from static/style.css: the light theme's first :root block and
the dark theme's block under prefers-color-scheme: dark, and checks each pair the stylesheet puts
together (text on its background, a badge's text on its fill)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "src" / "alongside" / "web" / "static" / "style.css").read_text()


def _properties(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", block))


def _light() -> dict[str, str]:
    return _properties(re.search(r":root\s*\{(.*?)\}", CSS, re.S).group(1))


def _dark() -> dict[str, str]:
    block = CSS[CSS.index("@media (prefers-color-scheme: dark)"):]
    return {**_light(), **_properties(re.search(r":root\s*\{(.*?)\}", block, re.S).group(1))}


def _luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2.2 contrast ratio (relative luminance, section 1.4.3)."""
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# (text, background): every pair the stylesheet uses for words. AA asks 4.5:1 for normal text.
TEXT_PAIRS = [("ink", "paper"), ("ink", "wash"), ("muted", "paper"), ("muted", "wash"), ("link", "paper"),
              ("link", "wash"), ("brand", "paper"), ("brand-ink", "brand"), ("urgent", "paper"),
              ("urgent", "urgent-wash"), ("ink", "urgent-wash"), ("error", "paper"), ("ok", "paper")]
DARK_ONLY_PAIRS = [("amber", "paper"), ("amber", "amber-wash"), ("ink", "amber-wash"),
                   ("brand-ink", "urgent"), ("brand-ink", "amber"), ("brand-ink", "ok")]


def test_the_contrast_rule_matches_wcag_for_black_on_white():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)


@pytest.mark.parametrize("text, background", TEXT_PAIRS)
def test_light_theme_text_keeps_aa_contrast(text, background):
    colours = _light()
    assert contrast(colours[text], colours[background]) >= 4.5


@pytest.mark.parametrize("text, background", TEXT_PAIRS + DARK_ONLY_PAIRS)
def test_dark_theme_text_keeps_aa_contrast(text, background):
    colours = _dark()
    assert contrast(colours[text], colours[background]) >= 4.5


def test_the_dark_theme_changes_the_colours_at_all():
    assert _dark()["paper"] != _light()["paper"] and _luminance(_dark()["paper"]) < 0.05


def _hue(hex_colour: str) -> float:
    import colorsys
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def _apart(one: float, other: float) -> float:
    """Degrees between two hues round the colour wheel."""
    gap = abs(one - other) % 360
    return min(gap, 360 - gap)


@pytest.mark.parametrize("theme", [_light, _dark], ids=["light", "dark"])
def test_red_stays_red_and_unlike_amber_and_green(theme):
    """H48: the red of an alert is still a red (hue within 30 degrees of pure red), far from amber
    and green, and as a border stands out from the page at 3:1 (WCAG 1.4.11 non-text contrast)."""
    colours = theme()
    red = _hue(colours["urgent"])
    assert _apart(red, 0) <= 30
    assert _apart(_hue(colours.get("amber", "#8a4b00")), red) >= 25
    assert _apart(_hue(colours["ok"]), red) >= 90
    assert contrast(colours["urgent"], colours["paper"]) >= 3 and contrast(colours["urgent"], colours["wash"]) >= 3
