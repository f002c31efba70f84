"""The identity check before a remote session: which numbers match, which are refused."""

from __future__ import annotations

import pytest

from helpdesk.rules.remote_check import MatchedBy, as_case_number, check_identity, normalise


@pytest.mark.parametrize(
    ("typed", "matched_by", "case_number"),
    [
        ("C1002", MatchedBy.CUSTOMER_NUMBER, None),
        (" c 1002 ", MatchedBy.CUSTOMER_NUMBER, None),
        ("C-1002", MatchedBy.CUSTOMER_NUMBER, None),
        ("10042", MatchedBy.CASE_NUMBER, 10042),
        ("#10042", MatchedBy.CASE_NUMBER, 10042),
        ("10 042", MatchedBy.CASE_NUMBER, 10042),
        ("10043", MatchedBy.CASE_NUMBER, 10043),  # another case of the organisation
        ("1002", None, None),  # the customer number without its letter is not it
        ("C1003", None, None),  # another organisation's customer number
        ("10044", None, None),  # a case that is not the organisation's
        ("", None, None),
        (None, None, None),
        ("9" * 60, None, None),
    ],
)
def test_check_identity(typed, matched_by, case_number):
    check = check_identity(typed, customer_number="C1002", case_numbers={10042, 10043})
    assert (check.matched_by, check.case_number, check.matched) == (
        matched_by,
        case_number,
        matched_by is not None,
    )


@pytest.mark.parametrize(
    ("typed", "normal", "number"),
    [
        ("#10 042", "10042", 10042),
        ("c-10.02", "C1002", None),
        ("0", "0", 0),
        ("x" * 50, "X" * 40, None),
    ],
)
def test_normalise_and_case_number(typed, normal, number):
    assert normalise(typed) == normal
    assert as_case_number(typed) == number
