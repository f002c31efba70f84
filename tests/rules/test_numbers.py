"""Numbers and dates from a URL or a form: ASCII digits in a database's range, sane dates."""

from __future__ import annotations

from datetime import date

import pytest

from helpdesk.rules.numbers import (
    LARGEST_ID,
    optional_int,
    parse_date,
    parse_id,
    parse_ids,
    parse_int,
    strict_int,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (" 7 ", 7),
        ("007", 7),
        (str(LARGEST_ID), LARGEST_ID),
        (str(LARGEST_ID + 1), None),  # past PostgreSQL INTEGER
        ("99999999999999999999", None),
        ("9" * 400, None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("²", None),  # "²".isdigit() is True, int("²") raises
        ("٣", None),  # int("٣") is 3
        ("１２", None),  # full-width digits
        ("1e400", None),
        ("1_000", None),
        ("1.0", None),
        ("0x10", None),
        ("9999-12-31", None),
        ("\x00", None),
        ("", None),
        (None, None),
        (5, 5),
        (True, None),
    ],
)
def test_an_id_is_ascii_digits_within_a_database_integer(text, expected):
    assert parse_id(text) == expected


def test_negatives_only_where_the_caller_allows_them():
    assert parse_int("-5", low=-10, high=10) == -5
    assert parse_int("-5") is None
    assert parse_int("0", low=0) == 0
    assert parse_int("11", low=0, high=10) is None
    assert parse_int("--5", low=-10) is None


def test_a_list_of_ids_keeps_the_valid_ones_once_in_order():
    assert parse_ids(["3", "²", "1", "3", "99999999999999999999", "-2", "2"]) == [3, 1, 2]


def test_a_forms_coerce_refuses_what_int_would_take():
    assert strict_int("12") == 12
    assert strict_int(-3) == -3
    for text in ("٣", "²", "1e3", str(2**31)):
        with pytest.raises(ValueError):
            strict_int(text)
    assert optional_int("") is None
    assert optional_int("None") is None
    assert optional_int("4") == 4
    with pytest.raises(ValueError):
        optional_int("٤")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-02", date(2026, 12, 2)),
        (" 2026-12-02 ", date(2026, 12, 2)),
        ("1900-01-01", date(1900, 1, 1)),
        ("2999-12-31", date(2999, 12, 31)),
        ("3000-01-01", None),
        ("9999-12-31", None),  # one day more overflows
        ("1899-12-31", None),
        ("0001-01-01", None),
        ("2026-02-30", None),
        ("٢٠٢٦-١٢-٠٢", None),
        ("2026-1-2", None),
        ("20261202", None),
        ("", None),
        (None, None),
    ],
)
def test_a_date_is_yyyy_mm_dd_between_1900_and_2999(text, expected):
    assert parse_date(text) == expected
