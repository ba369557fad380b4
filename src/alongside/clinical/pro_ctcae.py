"""PRO-CTCAE composite grading.

Implements the composite grading algorithm of Basch E, Becker C, Rogak LJ, et al., "Composite
grading algorithm for the National Cancer Institute's Patient-Reported Outcomes version of the
Common Terminology Criteria for Adverse Events (PRO-CTCAE)", Clinical Trials 2021;18(1):104-114.

Each symptom is asked by up to three attributes scored 0-4: frequency, severity and
interference with daily activities. The algorithm maps every combination of the attributes a
symptom has to one grade, 0 to 3. The tables below are the published mapping, one per set of
attributes; rows and columns are the 0-4 scores.

As in the published algorithm, when the first attribute asked (frequency if the symptom has
one, otherwise severity) is 0, the later attributes are not asked and the grade is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SCORES = range(5)

# Frequency, severity and interference: GRADE_FSI[frequency][severity][interference].
GRADE_FSI: dict[int, tuple[tuple[int, ...], ...]] = {
    1: ((0, 1, 1, 2, 2), (1, 1, 1, 2, 2), (1, 2, 2, 2, 3), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3)),
    2: ((0, 1, 1, 2, 2), (1, 1, 1, 2, 2), (2, 2, 2, 3, 3), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3)),
    3: ((1, 1, 1, 2, 2), (1, 1, 1, 2, 2), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3), (2, 2, 3, 3, 3)),
    4: ((1, 1, 1, 2, 2), (1, 1, 2, 2, 3), (2, 2, 2, 3, 3), (2, 2, 3, 3, 3), (2, 2, 3, 3, 3)),
}
# Two attributes: GRADE_XY[first][second], first = frequency (or severity where there is none).
GRADE_FS = {1: (1, 1, 1, 2, 2), 2: (1, 1, 2, 2, 2), 3: (1, 1, 2, 3, 3), 4: (1, 1, 2, 3, 3)}
GRADE_FI = {1: (1, 1, 1, 2, 2), 2: (1, 1, 1, 2, 2), 3: (1, 1, 2, 3, 3), 4: (1, 1, 2, 3, 3)}
GRADE_SI = {1: (1, 1, 1, 2, 2), 2: (1, 1, 2, 2, 3), 3: (1, 2, 2, 3, 3), 4: (2, 2, 2, 3, 3)}
# One attribute.
GRADE_F = (0, 1, 1, 2, 3)
GRADE_S = (0, 1, 2, 3, 3)
GRADE_I = (0, 1, 1, 2, 2)


def composite_grade(frequency: int | None = None, severity: int | None = None, interference: int | None = None) -> int:
    """The composite grade (0-3) for the attributes given; absent attributes are passed as None.

    Which table applies depends on which attributes are given, as it does in the published
    algorithm for symptoms asked with one, two or three attributes.
    """
    for name, score in (("frequency", frequency), ("severity", severity), ("interference", interference)):
        if score is not None and score not in SCORES:
            raise ValueError(f"{name} must be a whole number from 0 to 4, not {score!r}")
    f, s, i = frequency, severity, interference
    if f is None and s is None and i is None:
        raise ValueError("At least one attribute is needed")
    gate = f if f is not None else s if s is not None else i
    if gate == 0:
        return 0
    if f is not None and s is not None and i is not None:
        return GRADE_FSI[f][s][i]
    if f is not None and s is not None:
        return GRADE_FS[f][s]
    if f is not None and i is not None:
        return GRADE_FI[f][i]
    if s is not None and i is not None:
        return GRADE_SI[s][i]
    if f is not None:
        return GRADE_F[f]
    if s is not None:
        return GRADE_S[s]
    return GRADE_I[i]


# --- Answers with parts skipped -------------------------------------------------------------------
#
# The published algorithm assumes every attribute asked was answered. People skip questions, and a
# skipped part must never hide what the answered parts say: "very severe" breathlessness with the
# interference question left blank is still very severe. Alongside's rule (our choice, documented
# in docs/clinical-rules.md, built from the published tables):
# - every part answered: the published table, exactly;
# - the first part answered 0 and the rest 0 or blank: grade 0 (the algorithm stops there);
# - the first part 0 but a later part above 0 (the page shows every question, so people do
#   answer this way): the 0 is set aside as contradicted and the later parts are graded as below;
# - some parts blank: the table for the parts answered, and never lower than any answered part
#   graded on its own by its one-attribute table (GRADE_F, GRADE_S, GRADE_I).
# The grade then says which parts were missing, so the team knows it rests on fewer answers.

SINGLE = {"frequency": GRADE_F, "severity": GRADE_S, "interference": GRADE_I}


@dataclass(frozen=True)
class SymptomGrade:
    grade: int
    missing: tuple[str, ...] = ()  # attributes asked but left blank (and graded without)
    contradicted: bool = False  # the first part was 0 while a later part was not


def grade_answers(asked: Sequence[str], answers: Mapping[str, int | None]) -> SymptomGrade | None:
    """The grade of one symptom from the parts answered; None when nothing was answered.

    `asked` lists the symptom's attributes in the order asked (frequency, severity, interference)."""
    given = {a: answers[a] for a in asked if answers.get(a) is not None}
    if not given:
        return None
    first = asked[0]
    later = {a: v for a, v in given.items() if a != first}
    if given.get(first) == 0:
        if not any(later.values()):
            return SymptomGrade(0)
        return SymptomGrade(_partial(later), missing=tuple(a for a in asked if a != first and a not in given),
                            contradicted=True)
    missing = tuple(a for a in asked if a not in given)
    if not missing:
        return SymptomGrade(composite_grade(**given))
    return SymptomGrade(_partial(given), missing=missing)


def _partial(given: Mapping[str, int]) -> int:
    return max([composite_grade(**given)] + [SINGLE[a][v] for a, v in given.items()])
