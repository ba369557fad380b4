"""The timeline's charts: every chart of one person's story drawn on the same time axis."""

from __future__ import annotations

from dataclasses import dataclass

from ..clinical.lab_tests import identify
from ..clinical.markers import MARKER_PLAUSIBLE_HIGH
from ..domain.results import LabSeries, MarkerSeries, Timeline
from . import charts


@dataclass(frozen=True)
class TimelineCharts:
    treatments: str
    symptoms: str | None
    markers: list[tuple[MarkerSeries, str]]
    labs: list[tuple[LabSeries, str]]


def draw(timeline: Timeline) -> TimelineCharts:
    """Each chart drawn for a wide screen and for a phone (charts.for_screens), the page showing one."""
    def axis(width: int) -> charts.Axis:
        return charts.Axis(timeline.start, timeline.end, width)

    bands = [charts.Band(s.label, s.start, s.end, s.kind) for s in timeline.spans]
    lines = [b for b in bands if b.kind == "line"]
    marks = [charts.Mark(m.day, m.label, m.kind) for m in timeline.moments]
    symptoms = None
    if any(timeline.within(when.date()) for when, _ in timeline.worst_grade):
        worst = charts.Series([(w.date(), g) for w, g in timeline.worst_grade], step=True)
        symptoms = charts.for_screens(lambda width: charts.line_chart(
            "Worst symptom grade at each check-in, 0 to 3", worst, axis(width), charts.Scale(0, 3), lines,
            [0, 1, 2, 3]))
    return TimelineCharts(
        treatments=charts.for_screens(lambda width: charts.track_chart(
            "Lines of treatment, breaks, scans and decisions", bands, marks, axis(width))),
        symptoms=symptoms,
        markers=[(m, charts.for_screens(lambda width, m=m: _marker_chart(m, axis(width), lines)))
                 for m in timeline.markers],
        labs=[(lab, charts.for_screens(lambda width, lab=lab: _lab_chart(lab, axis(width), lines)))
              for lab in timeline.labs],
    )


def _marker_chart(marker: MarkerSeries, axis: charts.Axis, lines: list[charts.Band]) -> str:
    values = [v for d, v in marker.readings if axis.shows(d)]
    changes = [s.readings[0].taken_on for p in marker.periods for s in p.trend.segments[1:]]
    series = charts.Series(marker.readings, alarming=frozenset(marker.confirmed_rises), breaks=changes)
    return charts.line_chart(f"{marker.marker.label} in {marker.unit}", series, axis,
                             charts.scale_for(values, ceiling=MARKER_PLAUSIBLE_HIGH[marker.marker.value]), lines)


def _lab_chart(lab: LabSeries, axis: charts.Axis, lines: list[charts.Band]) -> str:
    shown = [r for r in lab.readings if axis.shows(r.taken_on)]
    latest = lab.readings[-1]
    series = charts.Series([(r.taken_on, r.value) for r in lab.readings],
                           alarming=frozenset(r.taken_on for r in lab.readings if (r.grade or 0) >= 3),
                           normal=(latest.low, latest.high))
    test = identify(lab.label)
    return charts.line_chart(f"{lab.label} in {lab.unit}", series, axis,
                             charts.scale_for([r.value for r in shown], latest.high,
                                              test.plausible_high if test else 1e12), lines)
