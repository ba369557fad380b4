"""PRO-CTCAE composite grading, row by row against the published mapping (Basch et al.,
Clinical Trials 2021). Each case is one published score combination and its grade."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.clinical.pro_ctcae import composite_grade

# (frequency, severity, interference) -> grade, written out from the published table, as rows
# "F<f> S<s>: grades for interference 0..4".
THREE_ATTRIBUTES = """
F1 S0: 0 1 1 2 2
F1 S1: 1 1 1 2 2
F1 S2: 1 2 2 2 3
F1 S3: 2 2 2 3 3
F1 S4: 2 2 3 3 3
F2 S0: 0 1 1 2 2
F2 S1: 1 1 1 2 2
F2 S2: 2 2 2 3 3
F2 S3: 2 2 2 3 3
F2 S4: 2 2 3 3 3
F3 S0: 1 1 1 2 2
F3 S1: 1 1 1 2 2
F3 S2: 2 2 2 3 3
F3 S3: 2 2 3 3 3
F3 S4: 2 2 3 3 3
F4 S0: 1 1 1 2 2
F4 S1: 1 1 2 2 3
F4 S2: 2 2 2 3 3
F4 S3: 2 2 3 3 3
F4 S4: 2 2 3 3 3
"""


def _three():
    for line in THREE_ATTRIBUTES.strip().splitlines():
        head, grades = line.split(":")
        f, s = int(head.split()[0][1]), int(head.split()[1][1])
        for i, grade in enumerate(grades.split()):
            yield pytest.param(f, s, i, int(grade), id=f"F{f}-S{s}-I{i}")


@pytest.mark.parametrize("f, s, i, grade", list(_three()))
def test_frequency_severity_interference(f, s, i, grade):
    assert composite_grade(frequency=f, severity=s, interference=i) == grade


# Two attributes: first attribute 1..4 by second 0..4.
TWO_ATTRIBUTES = {
    ("frequency", "severity"): ["1 1 1 2 2", "1 1 2 2 2", "1 1 2 3 3", "1 1 2 3 3"],
    ("frequency", "interference"): ["1 1 1 2 2", "1 1 1 2 2", "1 1 2 3 3", "1 1 2 3 3"],
    ("severity", "interference"): ["1 1 1 2 2", "1 1 2 2 3", "1 2 2 3 3", "2 2 2 3 3"],
}


def _two():
    for (first, second), rows in TWO_ATTRIBUTES.items():
        for a, row in enumerate(rows, start=1):
            for b, grade in enumerate(row.split()):
                yield pytest.param(first, a, second, b, int(grade), id=f"{first[0].upper()}{a}-{second[0].upper()}{b}")


@pytest.mark.parametrize("first, a, second, b, grade", list(_two()))
def test_two_attributes(first, a, second, b, grade):
    assert composite_grade(**{first: a, second: b}) == grade


@pytest.mark.parametrize("attribute, grades", [
    ("frequency", [0, 1, 1, 2, 3]),
    ("severity", [0, 1, 2, 3, 3]),
    ("interference", [0, 1, 1, 2, 2]),
])
def test_one_attribute(attribute, grades):
    assert [composite_grade(**{attribute: score}) for score in range(5)] == grades


@given(st.integers(0, 4), st.integers(0, 4))
def test_a_first_answer_of_zero_is_grade_zero_whatever_follows(s, i):
    assert composite_grade(frequency=0, severity=s, interference=i) == 0
    assert composite_grade(severity=0, interference=i) == 0


@given(st.integers(1, 4), st.integers(0, 4), st.integers(0, 3))
def test_more_interference_never_lowers_the_grade(f, s, i):
    assert composite_grade(frequency=f, severity=s, interference=i + 1) >= composite_grade(frequency=f, severity=s, interference=i)


@pytest.mark.parametrize("kwargs", [{}, {"frequency": 5}, {"severity": -1}, {"interference": 2.5}])
def test_impossible_scores_are_refused(kwargs):
    with pytest.raises(ValueError):
        composite_grade(**kwargs)
