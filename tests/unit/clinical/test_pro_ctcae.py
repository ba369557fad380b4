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


# --- Answers with parts skipped (Alongside's rule, docs/clinical-rules.md) ----------------------

from alongside.clinical.pro_ctcae import SINGLE, grade_answers  # noqa: E402

FSI = ("frequency", "severity", "interference")


@pytest.mark.parametrize("asked, answers, grade, missing, contradicted", [
    pytest.param(FSI, {"frequency": 4, "severity": 4}, 3, ("interference",), False, id="pain constant, very severe, interference blank"),
    pytest.param(("severity", "interference"), {"severity": 4}, 3, ("interference",), False, id="only very severe breathlessness"),
    pytest.param(("frequency", "severity"), {"severity": 4}, 3, ("frequency",), False, id="only very severe vomiting"),
    pytest.param(FSI, {"frequency": 4}, 3, ("severity", "interference"), False, id="only almost constantly: F alone grades 3"),
    pytest.param(FSI, {"interference": 4}, 2, ("frequency", "severity"), False, id="only interference very much: I alone grades 2"),
    pytest.param(FSI, {"frequency": 1, "severity": 4, "interference": 0}, 2, (), False, id="all answered: the published table, exactly"),
    pytest.param(FSI, {"frequency": 0}, 0, (), False, id="first answer none: grade 0, nothing missing"),
    pytest.param(FSI, {"frequency": 0, "severity": 0, "interference": 0}, 0, (), False, id="all none"),
    pytest.param(FSI, {"frequency": 0, "severity": 4}, 3, ("interference",), True, id="never, yet very severe: the 0 is set aside"),
])
def test_grading_from_the_parts_answered(asked, answers, grade, missing, contradicted):
    graded = grade_answers(asked, answers)
    assert (graded.grade, graded.missing, graded.contradicted) == (grade, missing, contradicted)


def test_nothing_answered_is_no_grade():
    assert grade_answers(FSI, {"frequency": None, "severity": None}) is None


symptom_shapes = st.sampled_from([FSI, ("frequency", "severity"), ("frequency", "interference"),
                                  ("severity", "interference"), ("frequency",), ("severity",)])


@given(symptom_shapes.flatmap(lambda asked: st.tuples(
    st.just(asked), st.fixed_dictionaries({a: st.none() | st.integers(0, 4) for a in asked}))))
def test_a_skipped_part_never_lowers_what_the_answered_parts_say(case):
    """The safety property: with any part blank, the grade is at least each answered part's own
    grade; with every part answered, it is the published table's."""
    asked, answers = case
    graded = grade_answers(asked, answers)
    given_ = {a: v for a, v in answers.items() if v is not None}
    if not given_:
        assert graded is None
        return
    if len(given_) == len(asked) and not graded.contradicted:
        assert graded.grade == composite_grade(**given_)
        return
    if given_.get(asked[0]) == 0 and not graded.contradicted:  # "never": the later parts are not asked
        assert graded.grade == 0 and not any(v for a, v in given_.items() if a != asked[0])
        return
    counted = {a: v for a, v in given_.items() if not (graded.contradicted and a == asked[0])}
    assert all(graded.grade >= SINGLE[a][v] for a, v in counted.items())
    blank = {a for a in asked if a not in given_}
    assert set(graded.missing) == (blank - {asked[0]} if graded.contradicted else blank)
