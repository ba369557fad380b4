"""How a blood result is said on the page: its grade (CTCAE v5.0, 3 and 4 severe) or where it
stands against its range, in words; CTCAE's US spellings in British English."""

from datetime import date

import pytest

from alongside.domain.results import LabReading, british, reading_mark


def reading(value, low=None, high=None, grade=None, term=None) -> LabReading:
    return LabReading(None, date(2026, 10, 1), value, f"{value} g/L", low, high, grade, term)


@pytest.mark.parametrize("given, words, level", [
    (reading(78, 115, 165, 3, "Anemia"), "Grade 3: anaemia", "graded-severe"),
    (reading(0.4, 2, 7.5, 4, "Neutrophil count decreased"), "Grade 4: neutrophil count decreased", "graded-severe"),
    (reading(105, 115, 165, 1, "Anemia"), "Grade 1: anaemia", "graded"),
    (reading(110, 115, 165), "Below the normal range", "outside"),
    (reading(170, 115, 165), "Above the normal range", "outside"),
    (reading(120, 115, 165), "Within the normal range", ""),
    (reading(120, None, 165), "Within the normal range", ""),
    (reading(120), "No normal range given", ""),
])
def test_each_result_is_marked_in_words(given, words, level):
    assert (reading_mark(given).words, reading_mark(given).level) == (words, level)


@pytest.mark.parametrize("us, gb", [("anemia", "anaemia"), ("hypokalemia", "hypokalaemia"),
                                    ("hyponatremia", "hyponatraemia"), ("hypercalcemia", "hypercalcaemia"),
                                    ("hypoglycemia", "hypoglycaemia"), ("hemoglobin increased", "haemoglobin increased"),
                                    ("platelet count decreased", "platelet count decreased")])
def test_ctcae_terms_are_shown_in_british_spelling(us, gb):
    assert british(us) == gb
