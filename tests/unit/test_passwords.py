"""The password check, one case a row: what it refuses, what it lets through, and why it says so."""

from __future__ import annotations

import pytest

from alongside.domain.passwords import password_problem

COMMON = "it is on lists of common passwords"
OWN = "it is built from your name or email"


@pytest.mark.parametrize("password, email, name, reason", [
    ("password1234", None, None, COMMON),
    ("qwertyuiop12", None, None, COMMON),
    ("xxxxxxxxxxxx", None, None, "repeats"),
    ("helen.marsh@example.org", "helen.marsh@example.org", None, OWN),
    ("helenmarsh1968", "helen.marsh@example.org", None, OWN),
    ("HelenMarsh!!2026", None, "Helen Marsh", OWN),
    ("dotday1980!!", "dot.day@example.org", "Dot Day", OWN),
])
def test_refused_saying_why(password, email, name, reason):
    problem = password_problem(password, email=email, name=name)
    assert problem and problem.startswith("This password is too easy to guess: ") and reason in problem


@pytest.mark.parametrize("password, email, name", [
    ("correct horse battery", "alice@example.org", "Alice Able"),  # tests/factories.py PASSWORD
    ("helen-demo-2026", "helen@example.org", "Helen Marsh"),  # the demo's logins
    ("nurse-demo-2026", "jo.pearce@example.org", "Jo Pearce"),
    ("admin-demo-2026", "admin@example.org", "Sam Admin"),
    ("bench password 2026", "bench.nurse@example.org", "Bench Nurse"),  # bench/
    ("tangerine orbit walrus " * 10, None, None),  # longer than zxcvbn checks
])
def test_let_through(password, email, name):
    assert password_problem(password, email=email, name=name) is None
