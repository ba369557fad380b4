from datetime import UTC, date, datetime

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
