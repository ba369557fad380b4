from datetime import UTC, date, datetime, timedelta

from alongside.reports.charts import Band, symptom_chart


def test_a_chart_draws_each_point_and_shades_each_treatment():
    points = [(datetime(2026, 1, 5, tzinfo=UTC), 1), (datetime(2026, 2, 5, tzinfo=UTC), 3)]
    svg = symptom_chart("Pain", points, 3, [Band("Line 1: Letrozole", date(2025, 12, 1), date(2026, 1, 20)),
                                           Band("Line 2: Capecitabine", date(2026, 1, 21), None)],
                        date(2025, 12, 1), date(2026, 3, 1))
    assert svg.startswith("<svg") and 'aria-label="Pain"' in svg
    assert svg.count("<circle") == 2
    assert svg.count("<rect") == 2 and "Line 2: Capecitabine" in svg
    assert "style=" not in svg and "<script" not in svg  # safe under the page's CSP


def test_labels_are_escaped():
    svg = symptom_chart("<b>x</b>", [], 3, [Band("<i>", date(2026, 1, 1), None)], date(2026, 1, 1), date(2026, 2, 1))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "<i>" not in svg


def _lab_chart(width):
    from alongside.reports.charts import Axis, Scale, Series, line_chart
    points = [(date(2024, 1, 1), 150.0), (date(2025, 6, 1), 110.0), (date(2026, 11, 20), 78.0)]
    return line_chart("Haemoglobin in g/L", Series(points, normal=(115.0, 165.0)),
                      Axis(date(2024, 1, 1), date(2026, 11, 21), width), Scale(0, 200),
                      [Band("Line 1: Letrozole", date(2024, 1, 1), None)])


def test_a_chart_comes_wide_and_phone_sized_with_text_at_least_14_px_once_drawn():
    from alongside.reports.charts import PHONE_WIDTH, WIDTH, Axis, Mark, for_screens, track_chart, week_bars
    track = [Band("Line 1", date(2025, 1, 1), date(2025, 9, 1)), Band("Break", date(2025, 9, 1), date(2025, 10, 1),
                                                                         "break")]
    drawings = [_lab_chart, lambda w: track_chart("Lines", track, [Mark(date(2025, 5, 1), "CT scan")],
                                                  Axis(date(2025, 1, 1), date(2026, 1, 1), w)),
                lambda w: week_bars("Median", [date(2026, 9, 7) + timedelta(days=7 * i) for i in range(8)], [3.0] * 8, 5, w)]
    for both in map(for_screens, drawings):
        wide, phone = both.split("</svg>")[:2]
        assert 'class="chart chart-wide"' in wide and 'class="chart chart-phone"' in phone
        _check_text(wide, WIDTH, 640)
        _check_text(phone, PHONE_WIDTH, 316)


def _check_text(svg, width, shown_at):
    """Sized by the page (a viewBox, no width of its own); the smallest text is 14 px or more when the
    drawing is shown `shown_at` pixels wide (a 390 px phone shows the card about 316 px wide)."""
    import re
    assert f'viewBox="0 0 {width} ' in svg and 'width="' not in svg.split(">")[0]
    sizes = [int(s) for s in re.findall(r'<text[^>]*font-size="(\d+)"', svg)]
    assert sizes and min(sizes) * shown_at / width >= 14


def test_the_newest_result_is_in_view_however_long_the_span():
    import re
    for width in (640, 320):
        xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', _lab_chart(width))]
        assert len(xs) == 3 and max(xs) <= width and max(xs) > width * 0.9  # the newest at the right, inside


def test_the_normal_range_is_named_in_words_drawn_under_the_line_and_not_in_a_treatment_colour():
    from alongside.reports.charts import BAND_COLOURS, NORMAL_FILL
    svg = _lab_chart(320)
    assert "normal range" in svg and svg.index("Normal range") < svg.index("<polyline")
    assert svg.index("Line 1: Letrozole") < svg.index("Normal range")  # over the treatment shading
    assert 'stroke-dasharray="6 3"' in svg and NORMAL_FILL not in BAND_COLOURS
    rgb = [(int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)) for c in BAND_COLOURS]
    assert not any(g > r and g > b for r, g, b in rgb)  # no treatment is shaded green, the normal range's colour
