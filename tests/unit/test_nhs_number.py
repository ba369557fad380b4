"""NHS number check digit, against the NHS Data Dictionary's modulus 11 rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.domain.nhs_number import check_digit, format_nhs_number, normalise_nhs_number


@pytest.mark.parametrize("text, digits", [
    ("9434765919", "9434765919"),  # the Data Dictionary's worked example
    ("943 476 5919", "9434765919"),
    ("943-476-5919", "9434765919"),
    ("9990000018", "9990000018"),
])
def test_valid_numbers_are_normalised_to_digits(text, digits):
    assert normalise_nhs_number(text) == digits


@pytest.mark.parametrize("text, message", [
    ("9434765918", "check digit"),
    ("943476591", "10 digits"),
    ("94347659190", "10 digits"),
    ("94347659A9", "10 digits"),
    ("", "10 digits"),
])
def test_invalid_numbers_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        normalise_nhs_number(text)


def test_remainder_one_means_no_valid_number():
    # Only the last of the nine digits counts here, with weight 2: 6 x 2 = 12, 12 mod 11 = 1, 11 - 1 = 10.
    assert check_digit("000000006") is None


@pytest.mark.parametrize("nine, expected", [
    ("100000000", 1),  # weight 10: 10 mod 11 = 10, 11 - 10 = 1
    ("000000010", 8),  # weight 3: 11 - 3 = 8
    ("000000005", 1),  # weight 2: 10, 11 - 10 = 1
])
def test_check_digit_weights_run_from_ten_to_two(nine, expected):
    assert check_digit(nine) == expected


def test_check_digit_eleven_becomes_zero():
    assert check_digit("000000000") == 0


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_number_with_its_check_digit_is_valid(nine):
    digit = check_digit(nine)
    if digit is None:
        with pytest.raises(ValueError):
            normalise_nhs_number(nine + "0")
    else:
        assert normalise_nhs_number(nine + str(digit)) == nine + str(digit)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_error_is_caught(nine, position, shift):
    digit = check_digit(nine)
    if digit is None:
        return
    valid = nine + str(digit)
    typo = valid[:position] + str((int(valid[position]) + shift) % 10) + valid[position + 1:]
    with pytest.raises(ValueError):
        normalise_nhs_number(typo)


def test_format_groups_three_three_four():
    assert format_nhs_number("9434765919") == "943 476 5919"
