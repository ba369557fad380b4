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
