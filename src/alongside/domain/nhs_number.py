"""NHS number validation: 10 digits, the tenth a modulus 11 check digit.

Source: NHS Data Dictionary, "NHS Number" (check digit calculation). Weights 10..2 are applied
to the first nine digits; 11 minus the remainder mod 11 is the check digit, 11 becomes 0 and
10 means the number is invalid.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]")


def normalise_nhs_number(text: str) -> str:
    """Digits only, as stored; raises ValueError with a message a person can act on."""
    digits = _SEPARATORS.sub("", text)
    if not digits.isdigit() or len(digits) != 10:
        raise ValueError("An NHS number has 10 digits, for example 943 476 5919")
    if check_digit(digits[:9]) != int(digits[9]):
        raise ValueError("This NHS number's check digit does not match: please check each digit")
    return digits


def check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit for nine digits, or None when no valid number can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def format_nhs_number(digits: str) -> str:
    """The 3-3-4 grouping people read on letters and cards."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
