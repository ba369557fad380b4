"""The clinic summary as a PDF: one or two A4 pages with the profile, lines of treatment, her
goals and questions, recent check-ins and alerts, markers and blood tests drawn as vector
charts, the last scan and open referrals.

Drawn with ReportLab: real text (selectable, searchable, read aloud by screen readers' PDF
support) and charts made of lines, not pictures. It formats a `planning.ClinicSummary`; it
decides nothing.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Table, TableStyle

from ..clinical.lab_tests import identify
from ..clinical.markers import MARKER_PLAUSIBLE_HIGH
from ..domain.dates import date_and_time, local_day, long_date
from ..domain.planning import ClinicSummary, Series
from ..domain.vocab import TumourMarker

MARGIN = 14 * mm
WIDTH = A4[0] - 2 * MARGIN
INK = colors.HexColor("#1d1d1b")
MUTED = colors.HexColor("#505a5f")
RULE = colors.HexColor("#b1b4b6")
RANGE = colors.HexColor("#e3efe6")
LINE = colors.HexColor("#1d70b8")

_styles = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontName="Helvetica", fontSize=8.5, leading=10.5,
                      textColor=INK, spaceAfter=1)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9, textColor=MUTED)
H1 = ParagraphStyle("h1", parent=BODY, fontName="Helvetica-Bold", fontSize=14, leading=17, spaceAfter=2)
H2 = ParagraphStyle("h2", parent=BODY, fontName="Helvetica-Bold", fontSize=10, leading=12, spaceBefore=5,
                    spaceAfter=2)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=9.5, spaceAfter=0)
NOTICE = ParagraphStyle("notice", parent=BODY, fontName="Helvetica-Bold")


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _day(value: date | None) -> str:
    return long_date(value) if value else "now"


def _shortened(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "\u2026"


def _table(header: list[str], rows: list[list[str]], widths: list[float]) -> Table:
    data = [[_p(h, SMALL) for h in header]] + [[_p(cell, CELL) for cell in row] for row in rows]
    table = Table(data, colWidths=[w * WIDTH for w in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK), ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def chart(series: Series, width: float, height: float = 34 * mm) -> Drawing:
    """A line chart of one series as vector shapes, with the normal range shaded when known."""
    drawing = Drawing(width, height)
    left, right, top, bottom = 26, 6, 14, 14
    lowest, highest = _plausible(series.label)
    # A value stored before results had plausible ranges (1e308, infinity, a negative marker)
    # does not set the axis: it is drawn at the edge it passed, labelled "off the scale".
    def possible(value: float | None) -> bool:
        return value is not None and math.isfinite(value) and lowest <= value <= highest

    values = [v for _, v in series.points if possible(v)] or [0.0, 1.0]
    low = min(values + ([series.low] if possible(series.low) else []))
    high = max(values + ([series.high] if possible(series.high) else []))
    if high == low:
        high, low = high + 1, max(low - 1, 0)
    pad = (high - low) * 0.1
    low, high = max(low - pad, 0) if low >= 0 else low - pad, high + pad
    first, last = series.points[0][0], series.points[-1][0]
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return left + (width - left - right) * ((day - first).days / span if len(series.points) > 1 else 0.5)

    def y(value: float) -> float:
        value = high if math.isnan(value) else min(max(value, low), high)
        return bottom + (height - top - bottom) * (value - low) / (high - low)

    def off(value: float) -> bool:
        return not (math.isfinite(value) and low <= value <= high)

    drawing.add(String(0, height - 9, f"{series.label} ({series.unit})", fontName="Helvetica-Bold", fontSize=7.5,
                       fillColor=INK))
    if series.low is not None and series.high is not None and not off(series.low) and not off(series.high):
        drawing.add(Rect(left, y(series.low), width - left - right, y(series.high) - y(series.low),
                         fillColor=RANGE, strokeColor=None))
    drawing.add(Line(left, bottom, width - right, bottom, strokeColor=RULE, strokeWidth=0.5))
    drawing.add(Line(left, bottom, left, height - top, strokeColor=RULE, strokeWidth=0.5))
    for value in (low, high):
        drawing.add(String(left - 2, y(value) - 2.5, f"{value:.4g}", fontName="Helvetica", fontSize=6,
                           fillColor=MUTED, textAnchor="end"))
    drawing.add(String(left, 3, _day(first), fontName="Helvetica", fontSize=6, fillColor=MUTED))
    if last != first:
        drawing.add(String(width - right, 3, _day(last), fontName="Helvetica", fontSize=6, fillColor=MUTED,
                           textAnchor="end"))
    coordinates = [c for day, value in series.points for c in (x(day), y(value))]
    if len(series.points) > 1:
        drawing.add(PolyLine(coordinates, strokeColor=LINE, strokeWidth=1.2))
    for day, value in series.points:
        drawing.add(Circle(x(day), y(value), 1.6, fillColor=colors.white if off(value) else LINE,
                           strokeColor=LINE if off(value) else None))
    if any(off(v) for _, v in series.points):
        drawing.add(String(width - right, height - 9, "\u25cb off the scale", fontName="Helvetica", fontSize=6,
                           fillColor=MUTED, textAnchor="end"))
    latest_day, latest = series.latest
    drawing.add(String(x(latest_day), min(y(latest) + 4, height - top), "off the scale" if off(latest) else f"{latest:g}",
                       fontName="Helvetica-Bold", fontSize=6.5,
                       fillColor=INK, textAnchor="end" if len(series.points) > 1 else "middle"))
    return drawing


def _plausible(label: str) -> tuple[float, float]:
    """The range a result of this marker or blood test can have (clinical/markers.py, lab_tests.py)."""
    marker = next((m for m in TumourMarker if m.label == label), None)
    if marker is not None:
        return 0.0, MARKER_PLAUSIBLE_HIGH[marker.value]
    test = identify(label)
    return (test.plausible_low, test.plausible_high) if test else (-1e12, 1e12)


def _charts(all_series: list[Series]) -> list:
    if not all_series:
        return [_p("None recorded.", SMALL)]
    per_row, gap = 3, 4 * mm
    width = (WIDTH - gap * (per_row - 1)) / per_row
    cells = [chart(s, width) for s in all_series]
    rows = [cells[i:i + per_row] + [""] * (per_row - len(cells[i:i + per_row])) for i in range(0, len(cells), per_row)]
    table = Table(rows, colWidths=[width + gap] * per_row, hAlign="LEFT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [table]


def _allergy_words(allergy) -> str:
    words = f"{allergy.substance} ({allergy.kind.label.lower()}"
    words += f", {allergy.reaction}" if allergy.reaction else ""
    words += f", {allergy.severity.label.lower()} reaction" if allergy.severity else ""
    return words + (", high risk" if allergy.criticality.value == "high" else "") + ")"


def _medicine_words(medicine) -> str:
    dose = f" {medicine.dose_text}" if medicine.dose_text else ""
    since = f", since {_day(medicine.start_date)}" if medicine.start_date else ""
    return f"{medicine.name}{dose}, {medicine.schedule_text}{since}"


def render_clinic_summary(summary: ClinicSummary, generated_at: datetime, zone: str = "Europe/London") -> bytes:
    s, d = summary, summary.decision
    details = d.patient.details
    story: list = [
        _p(f"Clinic summary: {details.full_name}", H1),
        _p(f"Born {_day(details.date_of_birth)}. NHS number {details.nhs_number_display or 'not recorded'}. "
           f"Hospital number {details.hospital_number or 'not recorded'}. Made {date_and_time(generated_at, zone)} from the "
           "Alongside record; it gathers facts and recommends no treatment.", SMALL),
    ]
    story.append(_p("Allergies and intolerances: " + ("; ".join(_allergy_words(a.data) for a in s.allergies)
                                                     or "none recorded") + ".", NOTICE))
    if d.supportive_care_only_since:
        story.append(_p(f"Anticancer treatment stopped on {_day(d.supportive_care_only_since)}: supportive care only.",
                        NOTICE))
    if d.missing:
        story.append(_p("Not recorded: " + "; ".join(d.missing) + ".", SMALL))

    facts = [f"{f.label}: {f.value or f.missing}" for f in d.receptors]
    facts += [f"{d.menopausal_status.label}: {d.menopausal_status.value or d.menopausal_status.missing}",
              f"{d.metastatic_since.label}: {d.metastatic_since.value or d.metastatic_since.missing}",
              "Sites of spread: " + ("; ".join(f"{site.site}{f' ({site.detail})' if site.detail else ''}, since "
                                               f"{_day(site.since) if site.since else 'date not recorded'}"
                                               for site in d.sites) or "not recorded"),
              f"{d.performance_status.label}: {d.performance_status.value or d.performance_status.missing}",
              "Genomic results: " + ("; ".join(d.genomic_results) or "none recorded")]
    story += [_p("The cancer", H2)] + [_p(f) for f in facts]

    story.append(_p("Treatment", H2))
    story.append(_p("Now: " + ("; ".join(f"{c.data.name} ({c.data.modality.label}"
                                         f"{f', line {c.data.line_of_treatment}' if c.data.line_of_treatment else ''}"
                                         f", since {_day(c.data.start_date)})" for c in s.current_treatments)
                                or "no current treatment recorded")))
    story.append(_p("Medicines: " + ("; ".join(_medicine_words(m.data) for m in s.medicines)
                                       or "none recorded") + "."))
    if d.lines:
        story.append(_table(["Line", "Treatment", "Dates", "How long", "Best scan response", "Why it stopped"],
                            [[str(line.line), ", ".join(line.treatments), f"{_day(line.start)} to {_day(line.end)}",
                              line.duration + ("" if line.end else " so far"),
                              line.best_response or "no scan response recorded",
                              ("; ".join(line.stop_reasons) or "not recorded") if line.end else "still given"]
                             for line in d.lines], [0.06, 0.27, 0.2, 0.12, 0.17, 0.18]))
    for name, pause in s.breaks:
        b = pause.data
        story.append(_p(f"Break from {name}: {_day(b.start_date)} to {_day(b.end_date)}, {b.reason.label.lower()}"
                        + (" (planned)" if b.planned else "") + "."))
    if s.diaries:
        # What she marked in her cycle diary: a dose day with no mark is not recorded, never taken.
        story.append(_table(["Cycle diary", "Cycle", "Taken", "Missed", "Lower dose", "Not recorded", "Dose days so far"],
                            [[d.medication.data.name, f"{c.cycle} (from {_day(c.starts_on)})", str(c.taken),
                              str(c.missed), str(c.reduced), str(c.not_recorded), str(c.dose_days_so_far)]
                             for d in s.diaries for c in d.cycles[:2]],
                            [0.2, 0.2, 0.1, 0.1, 0.12, 0.14, 0.14]))
    if s.last_scan:
        scan = s.last_scan.data
        story.append(_p(f"Last scan: {scan.modality.label}{f' of {scan.body_area}' if scan.body_area else ''}, "
                        f"{_day(scan.performed_on)}: "
                        f"{scan.impression.label if scan.impression else 'impression not recorded'}."))
    else:
        story.append(_p("Last scan: none recorded."))

    story.append(_p("What matters to the patient", H2))
    story += [_p(f"\u201c{g.data.in_own_words}\u201d ({g.data.kind.label}, {_day(g.data.recorded_on)})")
              for g in d.goals] or [_p("Not recorded.", SMALL)]
    if d.documents:
        story.append(_p("Advance care plan documents: " + "; ".join(
            f"{doc.data.title} ({doc.data.kind.label}, dated {_day(doc.data.dated)})" for doc in d.documents)))

    if d.decisions:
        story.append(_p("Recent decisions", H2))
        for decision in d.decisions:
            x = decision.data
            story.append(_p(f"{_day(x.decided_on)}: {x.chosen}. With {x.participants}. Options discussed: "
                            f"{x.options_discussed}" + (f" Why: {x.rationale}" if x.rationale else "")
                            + (f" Revisit if: {x.revisit_when}" if x.revisit_when else "")))

    story.append(_p("The patient's questions and topics for this appointment", H2))
    story += [_p(f"\u2022 {q.data.text}" + (" (to talk about)" if q.data.kind.value == "topic" else ""))
              for q in s.questions] or [_p("None written down.", SMALL)]

    if s.open_messages:
        # Her words, cut short: the whole thread is on the messages page, and in her own copy.
        story.append(_p("Open messages to the team", H2))
        story.append(_table(["Sent", "About", "The patient's message", "Answered"],
                            [[local_day(m.data.sent_at, zone), m.data.category.label, _shortened(m.data.text),
                              local_day(m.data.answered_at, zone) if m.data.answered_at else "not yet"]
                             for m in s.open_messages], [0.14, 0.2, 0.52, 0.14]))

    story.append(_p("Recent check-ins", H2))
    # Each check-in's alerts and urgent answers come first (domain/check_in_summary.py).
    story.append(_table(["Sent", "Unwell (0 well, 10 worst)", "Alerts, urgent answers, temperature, highest scores"],
                        [[local_day(c.at, zone),
                          f"{c.unwell}/10" if c.unwell is not None else "not given", c.text]
                         for c in s.check_ins], [0.15, 0.14, 0.71]) if s.check_ins else _p("None yet.", SMALL))

    story.append(_p("Alerts", H2))
    story.append(_table(["Raised", "Level", "What", "State"],
                        [[date_and_time(a.created_at, zone), a.level.value.upper(), a.summary,
                          a.state_text] for a in s.alerts], [0.17, 0.08, 0.6, 0.15])
                 if s.alerts else _p("None.", SMALL))

    story.append(KeepTogether([_p("Tumour markers", H2), *_charts(s.markers)]))
    story.append(KeepTogether([_p("Blood tests (shaded: the laboratory's normal range)", H2), *_charts(s.labs)]))

    story.append(_p("Open referrals", H2))
    story += [_p(f"{r.data.service.label}: {r.data.status.label}"
                 + (f" ({_day(r.data.referred_on)})" if r.data.referred_on else "")
                 + (f". {r.data.reason}" if r.data.reason else "")) for r in s.open_referrals] or [_p("None.", SMALL)]

    buffer = BytesIO()

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 8 * mm, f"{details.full_name}, NHS {details.nhs_number_display or 'not recorded'}: "
                                          "confidential. Alongside informs; it does not recommend treatment.")
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, f"Page {document.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=14 * mm, title=f"Clinic summary: {details.full_name}",
                                 author="Alongside", subject="Clinic summary", creator="Alongside")
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
