"""Small SVG charts drawn by hand: a symptom's scores over time with treatments shaded behind.

Plain SVG with presentation attributes only (no inline style or script), so pages keep their
strict Content-Security-Policy. Each chart is paired on its page with a table of the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

WIDTH, HEIGHT = 640, 150
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 24
BAND_COLOURS = ("#e4e1f2", "#dcefe6", "#fbe9d0", "#e1eef8")


@dataclass(frozen=True)
class Band:
    label: str
    start: date
    end: date | None


def symptom_chart(title: str, points: list[tuple[datetime, int]], scale_max: int, bands: list[Band],
                  start: date, end: date) -> str:
    """A step chart of scores against dates, treatments as shaded bands, as an SVG string."""
    span = max((end - start).days, 1)

    def x(day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (min(max((day - start).days, 0), span) / span)

    def y(score: int) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / scale_max)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" class="chart">']
    for index, band in enumerate(bands):
        left, right = x(band.start), x(band.end or end)
        if right > left:
            parts.append(f'<rect x="{left:.1f}" y="{TOP}" width="{right - left:.1f}" height="{HEIGHT - TOP - BOTTOM}" '
                         f'fill="{BAND_COLOURS[index % len(BAND_COLOURS)]}"><title>{escape(band.label)}</title></rect>')
            parts.append(f'<text x="{left + 3:.1f}" y="{TOP + 12}" font-size="10" fill="#44464f">{escape(band.label[:28])}</text>')
    for tick in sorted({0, scale_max // 2, scale_max}):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#c4c6d0"/>'
                     f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end" fill="#1b1b1f">{tick}</text>')
    for day in _month_ticks(start, end):
        parts.append(f'<text x="{x(day):.1f}" y="{HEIGHT - 6}" font-size="10" text-anchor="middle" fill="#44464f">'
                     f'{day:%b %y}</text>')
    if points:
        path = []
        for (when, score), following in zip(points, points[1:] + [None]):
            path.append(f"{x(when.date()):.1f},{y(score):.1f}")
            if following:
                path.append(f"{x(following[0].date()):.1f},{y(score):.1f}")
        parts.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#3b2a73" stroke-width="2.5"/>')
        parts += [f'<circle cx="{x(w.date()):.1f}" cy="{y(s):.1f}" r="3.5" fill="#3b2a73"/>' for w, s in points]
    parts.append("</svg>")
    return "".join(parts)


def _month_ticks(start: date, end: date) -> list[date]:
    months = max(1, round((end - start).days / 30 / 6))  # about six labels across
    ticks, day = [], date(start.year, start.month, 1) + timedelta(days=32)
    day = date(day.year, day.month, 1)
    while day < end:
        ticks.append(day)
        month = day.month - 1 + months
        day = date(day.year + month // 12, month % 12 + 1, 1)
    return ticks
