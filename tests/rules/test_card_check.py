"""The card check verdict: Luhn, brand, expiry and blocklist combined; brand + last four only."""

import re
from dataclasses import asdict
from datetime import date

import pytest

from helpdesk.rules.card_check import (
    BLOCKED,
    EXPIRED,
    LUHN_FAILED,
    check_card,
    expiry_year,
)

TODAY = date(2026, 3, 15)
VISA = "4242424242424242"


@pytest.mark.parametrize(
    ("pan", "month", "year", "blocked", "problems"),
    [
        (VISA, 12, 2030, False, ()),
        ("4242 4242 4242 4242", 3, 2026, False, ()),  # valid through the end of its month
        (VISA, 2, 2026, False, (EXPIRED,)),
        (VISA, 12, 2025, False, (EXPIRED,)),
        ("4242424242424241", 12, 2030, False, (LUHN_FAILED,)),
        (VISA, 12, 2030, True, (BLOCKED,)),
        ("4242-4242-4242-4241", 1, 2020, True, (LUHN_FAILED, EXPIRED, BLOCKED)),
    ],
)
def test_verdict_lists_every_problem(pan, month, year, blocked, problems):
    verdict = check_card(pan, month, year, TODAY, blocked=blocked)
    assert verdict.problems == problems
    assert verdict.acceptable is (not problems)


@pytest.mark.parametrize(
    ("pan", "brand", "masked"),
    [
        (VISA, "Visa", "Visa •••• 4242"),
        ("5555 5555 5555 4444", "Mastercard", "Mastercard •••• 4444"),
        ("378282246310005", "American Express", "American Express •••• 0005"),
        ("9999999999999995", "Card", "Card •••• 9995"),  # unknown prefix
    ],
)
def test_brand_and_masked_card(pan, brand, masked):
    verdict = check_card(pan, 12, 2030, TODAY, blocked=False)
    assert (verdict.brand, verdict.last4, verdict.masked) == (brand, pan[-4:], masked)


def test_verdict_keeps_no_more_than_the_last_four():
    verdict = check_card("4000 0566 5566 5556", 7, 30, TODAY, blocked=False)
    kept = "".join(str(value) for value in asdict(verdict).values())
    assert "40000566" not in kept and "556655" not in kept
    assert verdict.expiry == "07/2030"


@pytest.mark.parametrize(
    ("typed", "year"), [(30, 2030), (0, 2000), (99, 2099), (2030, 2030), (2099, 2099)]
)
def test_expiry_year_accepts_two_or_four_digits(typed, year):
    assert expiry_year(typed) == year


@pytest.mark.parametrize("typed", [-1, 100, 1999, 2100, 20300])
def test_expiry_year_outside_the_card_range_is_refused(typed):
    with pytest.raises(ValueError, match="year"):
        expiry_year(typed)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_bad_month_is_refused(month):
    with pytest.raises(ValueError, match="month"):
        check_card(VISA, month, 2030, TODAY, blocked=False)


@pytest.mark.parametrize("pan", ["4242 4242 4242 424X", "4242", "4" * 20, "", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"])
def test_malformed_number_is_refused_without_echoing_it(pan):
    with pytest.raises(ValueError) as refused:
        check_card(pan, 12, 2030, TODAY, blocked=False)
    assert re.search(r"\d{4}", str(refused.value)) is None  # no part of the number echoed
