"""Small SVG charts drawn by hand, all on one time axis so they line up on a page.

Plain SVG with presentation attributes only (no inline style or script), so pages keep their
strict Content-Security-Policy. Each chart is paired on its page with a table of the same data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape

from ..domain.dates import chart_day, chart_month, long_date

WIDTH, HEIGHT = 640, 150
PHONE_WIDTH = 320  # drawn for a phone's card (about 316 CSS px at 390 px): one unit is about one pixel
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 24
# Treatments are shaded in lilac, sand and blue, never green: green is kept for the normal range.
BAND_COLOURS = ("#e4e1f2", "#fbe9d0", "#e1eef8", "#efe6ee")
INK, MUTED, GRID, LINE, ALARM = "#1b1b1f", "#44464f", "#c4c6d0", "#3b2a73", "#b3261e"
NORMAL_FILL, NORMAL_EDGE = "#1e7a46", "#145c33"


def text_size(width: int) -> int:
    """Text size in the chart's own units: at least 14 px once drawn (the phone drawing is shown at
    about one unit a pixel; the wide one at 640 px or more)."""
    return 16 if width <= PHONE_WIDTH else 14


def for_screens(draw) -> str:
    """The same chart drawn twice, `draw(width)`: a wide one and one for a phone's width. The style
    sheet shows one of them, so neither is scaled down until its text is too small to read, and
    neither needs scrolling sideways: the whole span, newest data included, is always in view."""
    return (draw(WIDTH).replace('class="chart"', 'class="chart chart-wide"', 1)
            + draw(PHONE_WIDTH).replace('class="chart"', 'class="chart chart-phone"', 1))


@dataclass(frozen=True)
class Band:
    label: str
    start: date
    end: date | None
    kind: str = "line"  # line (a treatment given) or break (a pause in it)


@dataclass(frozen=True)
class Mark:
    day: date
    label: str
    kind: str = "scan"  # scan, decision


@dataclass(frozen=True)
class Axis:
    start: date
    end: date
    width: int = WIDTH

    def x(self, day: date) -> float:
        span = max((self.end - self.start).days, 1)
        return LEFT + (self.width - LEFT - RIGHT) * (min(max((day - self.start).days, 0), span) / span)

    def shows(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Scale:
    low: float
    high: float
    height: int = HEIGHT

    def y(self, value: float) -> float:
        share = (value - self.low) / ((self.high - self.low) or 1)
        return TOP + (self.height - TOP - BOTTOM) * (1 - share)


@dataclass(frozen=True)
class Series:
    points: list[tuple[date, float]]
    step: bool = False  # scores hold until the next report; measurements are joined by lines
    alarming: frozenset[date] = frozenset()  # points drawn in red, such as a severe result
    normal: tuple[float | None, float | None] | None = None  # the normal range, shaded
    breaks: list[date] = field(default_factory=list)  # where values stop being comparable


def line_chart(title: str, series: Series, axis: Axis, scale: Scale, bands: list[Band] = (),
               ticks: list[float] | None = None) -> str:
    """Values against dates on the shared axis, treatments shaded behind, as an SVG string."""
    parts = [_open(title, axis.width, scale.height)]
    parts += _bands(bands, axis, scale)
    if series.normal:
        parts += _normal_range(series.normal, axis, scale)
    for tick in ticks if ticks is not None else _ticks(scale):
        parts.append(f'<line x1="{LEFT}" x2="{axis.width - RIGHT}" y1="{scale.y(tick):.1f}" y2="{scale.y(tick):.1f}" '
                     f'stroke="{GRID}"/><text x="{LEFT - 6}" y="{scale.y(tick) + 5:.1f}" font-size="{text_size(axis.width)}" '
                     f'text-anchor="end" fill="{INK}">{tick:g}</text>')
    parts += _month_labels(axis, scale.height)
    for day in series.breaks:
        if axis.shows(day):
            parts.append(f'<line x1="{axis.x(day):.1f}" x2="{axis.x(day):.1f}" y1="{TOP}" '
                         f'y2="{scale.height - BOTTOM}" stroke="{MUTED}" stroke-dasharray="4 3"/>')
    parts += _path(series, axis, scale)
    parts.append("</svg>")
    return "".join(parts)


def symptom_chart(title: str, points: list[tuple[datetime, int]], scale_max: int, bands: list[Band],
                  start: date, end: date, width: int = WIDTH) -> str:
    """A step chart of scores (0 to scale_max) against dates, treatments as shaded bands."""
    return line_chart(title, Series([(when.date(), score) for when, score in points], step=True),
                      Axis(start, end, width), Scale(0, scale_max), bands, sorted({0, scale_max // 2, scale_max}))


def track_chart(title: str, bands: list[Band], marks: list[Mark], axis: Axis) -> str:
    """Lines of treatment as bars, breaks as gaps in them, scans and decisions as markers."""
    size = text_size(axis.width)
    top = size + 4  # room above the bars for the word "break"
    height = top + 90
    lines = [b for b in bands if b.kind == "line"]
    parts = [_open(title, axis.width, height)]
    for index, band in enumerate(lines):
        left, right = axis.x(band.start), axis.x(band.end or axis.end)
        if right > left:
            parts.append(f'<rect x="{left:.1f}" y="{top + 4}" width="{right - left:.1f}" height="28" '
                         f'fill="{BAND_COLOURS[index % len(BAND_COLOURS)]}" stroke="{LINE}">'
                         f'<title>{escape(band.label)}</title></rect>'
                         f'<text x="{left + 4:.1f}" y="{top + 23}" font-size="{size}" fill="{INK}">'
                         f'{escape(_fit(band.label, right - left, size))}</text>')
    for band in (b for b in bands if b.kind == "break"):
        left, right = axis.x(band.start), axis.x(band.end or axis.end)
        if right > left:
            parts.append(f'<rect x="{left:.1f}" y="{top}" width="{max(right - left, 2):.1f}" height="36" fill="#ffffff" '
                         f'stroke="{MUTED}" stroke-dasharray="3 2"><title>{escape(band.label)}</title></rect>'
                         f'<text x="{left + 2:.1f}" y="{size}" font-size="{size}" fill="{MUTED}">break</text>')
    for mark in marks:
        if axis.shows(mark.day):
            parts.append(_marker(axis.x(mark.day), top + 52, mark))
    parts += _month_labels(axis, height)
    parts.append("</svg>")
    return "".join(parts)


def _marker(x: float, y: float, mark: Mark) -> str:
    title = f"<title>{escape(mark.label)}</title>"
    if mark.kind == "decision":
        return (f'<polygon points="{x:.1f},{y - 7} {x + 6:.1f},{y + 5} {x - 6:.1f},{y + 5}" fill="#0b6e4f">'
                f'{title}</polygon>')
    if mark.kind == "medicine":
        return f'<circle cx="{x:.1f}" cy="{y}" r="5" fill="#5a3e8a">{title}</circle>'
    colour = ALARM if "progress" in mark.label.lower() or "RECIST PD" in mark.label else LINE
    return (f'<rect x="{x - 5:.1f}" y="{y - 5}" width="10" height="10" transform="rotate(45 {x:.1f} {y})" '
            f'fill="{colour}">{title}</rect>')


def _open(title: str, width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" class="chart">')


def _bands(bands: list[Band], axis: Axis, scale: Scale) -> list[str]:
    parts = []
    for index, band in enumerate(b for b in bands if b.kind == "line"):
        left, right = axis.x(band.start), axis.x(band.end or axis.end)
        if right > left:
            parts.append(f'<rect x="{left:.1f}" y="{TOP}" width="{right - left:.1f}" '
                         f'height="{scale.height - TOP - BOTTOM}" fill="{BAND_COLOURS[index % len(BAND_COLOURS)]}">'
                         f'<title>{escape(band.label)}</title></rect>'
                         f'<text x="{left + 3:.1f}" y="{TOP + text_size(axis.width)}" '
                         f'font-size="{text_size(axis.width)}" fill="{MUTED}">'
                         f'{escape(_fit(band.label, right - left, text_size(axis.width)))}</text>')
    return parts


def _normal_range(normal: tuple[float | None, float | None], axis: Axis, scale: Scale) -> list[str]:
    low = scale.low if normal[0] is None else max(normal[0], scale.low)
    high = scale.high if normal[1] is None else min(normal[1], scale.high)
    if high <= low:
        return []
    top, bottom, right = scale.y(high), scale.y(low), axis.width - RIGHT
    size = text_size(axis.width)
    # Translucent green over the treatment shading (so it shows on any of them), edged with dashed
    # lines and named in words; the result line and its points are drawn over it.
    parts = [f'<rect x="{LEFT}" y="{top:.1f}" width="{right - LEFT}" height="{bottom - top:.1f}" '
             f'fill="{NORMAL_FILL}" fill-opacity="0.22"><title>Normal range</title></rect>']
    parts += [f'<line x1="{LEFT}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{NORMAL_EDGE}" stroke-width="1.5" '
              f'stroke-dasharray="6 3"/>' for y in (top, bottom) if TOP < y < scale.height - BOTTOM]
    label_y = top + size if bottom - top >= size + 2 else max(top - 3, TOP + size)
    parts.append(f'<text x="{right - 4}" y="{label_y:.1f}" font-size="{size}" text-anchor="end" '
                 f'fill="{NORMAL_EDGE}">normal range</text>')
    return parts


def on_scale(value: float, scale: Scale) -> bool:
    return math.isfinite(value) and scale.low <= value <= scale.high


def _clipped(value: float, scale: Scale) -> float:
    """A value outside the scale (an entry stored before results had plausible ranges: 1e308,
    infinity, a negative count) drawn at the edge it passed, so the chart keeps its axis."""
    if math.isnan(value):
        return scale.high
    return min(max(value, scale.low), scale.high)


def _path(series: Series, axis: Axis, scale: Scale) -> list[str]:
    shown = [(d, v) for d, v in series.points if axis.shows(d)]
    if not shown:
        return []
    # Each point's place, worked out once for the line and its dot (a five-year record has hundreds).
    places = [(axis.x(day), scale.y(_clipped(value, scale))) for day, value in shown]
    path = []
    for index, (x, y) in enumerate(places):
        path.append(f"{x:.1f},{y:.1f}")
        if series.step and index + 1 < len(places):
            path.append(f"{places[index + 1][0]:.1f},{y:.1f}")
    parts = [f'<polyline points="{" ".join(path)}" fill="none" stroke="{LINE}" stroke-width="2.5"/>']
    for (day, value), (x, y) in zip(shown, places):
        colour, radius = (ALARM, 5) if day in series.alarming else (LINE, 3.5)
        if on_scale(value, scale):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"/>')
            continue
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="#ffffff" stroke="{ALARM}" '
                     f'stroke-width="2"><title>{value:g}: off the scale, not a possible result</title></circle>'
                     f'<text x="{x + 6:.1f}" y="{min(max(y + 4, TOP + 10), scale.height - BOTTOM - 2):.1f}" '
                     f'font-size="{text_size(axis.width)}" fill="{ALARM}">off the scale</text>')
    return parts


def _ticks(scale: Scale) -> list[float]:
    step = _nice_step((scale.high - scale.low) / 3)
    first = int(scale.low / step) * step
    return [round(first + i * step, 6) for i in range(5) if first + i * step <= scale.high + 1e-9]


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, the smallest at least `raw`."""
    base = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(base * f for f in (1, 2, 5, 10) if base * f >= raw)


def scale_for(values: list[float], normal_high: float | None = None, ceiling: float = 1e12) -> Scale:
    """A y scale from zero to a little above the largest value (or the normal range's top).

    Values that cannot be results (not finite, negative, above the test's plausible `ceiling`)
    do not stretch it: they are drawn at its edge, "off the scale"."""
    plausible = [v for v in values if math.isfinite(v) and 0 <= v <= ceiling]
    top = normal_high if normal_high is not None and math.isfinite(normal_high) and 0 <= normal_high <= ceiling else 0
    return Scale(0, max(plausible + [top, 1e-6]) * 1.15)


def _fit(label: str, width: float, size: int = 10) -> str:
    room = max(int(width / (size * 0.6)), 0)
    return label if len(label) <= room else (label[: max(room - 1, 0)] + "…" if room > 3 else "")


def _month_labels(axis: Axis, height: int) -> list[str]:
    labels = 3 if axis.width <= PHONE_WIDTH else 6
    return [f'<text x="{axis.x(day):.1f}" y="{height - 5}" font-size="{text_size(axis.width)}" text-anchor="middle" '
            f'fill="{INK}">{chart_month(day)}</text>' for day in _month_ticks(axis.start, axis.end, labels)]


def _month_ticks(start: date, end: date, labels: int = 6) -> list[date]:
    months = max(1, round((end - start).days / 30 / labels))  # about that many labels across
    ticks, day = [], date(start.year, start.month, 1) + timedelta(days=32)
    day = date(day.year, day.month, 1)
    while day < end:
        ticks.append(day)
        month = day.month - 1 + months
        day = date(day.year + month // 12, month % 12 + 1, 1)
    return ticks


def week_bars(title: str, weeks: list[date], values: list[float | None], target: float, width: int = WIDTH) -> str:
    """One bar a week (None: no alert that week, no bar), a dashed line at the target, bars above
    it in red. Used for response times; the page's table gives the same numbers."""
    scale = scale_for([v for v in values if v is not None] + [target])
    slot = (width - LEFT - RIGHT) / max(len(weeks), 1)
    parts = [_open(title, width, scale.height)]
    for tick in _ticks(scale):
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{scale.y(tick):.1f}" y2="{scale.y(tick):.1f}" '
                     f'stroke="{GRID}"/><text x="{LEFT - 6}" y="{scale.y(tick) + 5:.1f}" font-size="{text_size(width)}" '
                     f'text-anchor="end" fill="{INK}">{tick:g}</text>')
    for index, (week, value) in enumerate(zip(weeks, values)):
        left = LEFT + index * slot
        if index % (2 if width > PHONE_WIDTH else 4) == 0:
            parts.append(f'<text x="{left + slot / 2:.1f}" y="{scale.height - 5}" font-size="{text_size(width)}" '
                         f'text-anchor="middle" fill="{MUTED}">{chart_day(week)}</text>')
        if value is not None:
            top = scale.y(_clipped(value, scale))
            parts.append(f'<rect x="{left + slot * 0.2:.1f}" y="{top:.1f}" width="{slot * 0.6:.1f}" '
                         f'height="{max(scale.y(0) - top, 1):.1f}" fill="{ALARM if value > target else LINE}">'
                         f'<title>Week of {long_date(week)}: {value:g}</title></rect>')
    parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{scale.y(target):.1f}" y2="{scale.y(target):.1f}" '
                 f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="6 4"><title>Target: {target:g}</title></line>')
    parts.append("</svg>")
    return "".join(parts)
