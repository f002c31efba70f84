"""Promotions: where they apply (product, dates, active) and what they take off."""

from __future__ import annotations

from datetime import date

import pytest

from helpdesk.rules.promotions import (
    PromotionTerms,
    check_promotion,
    discount_cents,
    discounted_total,
    normalise_code,
    terms_problem,
)

DAY = date(2026, 12, 1)


def terms(**overrides) -> PromotionTerms:
    return PromotionTerms(
        **{
            "code": "WINTER26",
            "starts_on": date(2026, 11, 20),
            "ends_on": date(2026, 12, 31),
            "percent_off": 15,
            **overrides,
        }
    )


def check(promotion: PromotionTerms, on: date = DAY, code="AC-HOST", name="AbleCommerce Hosting"):
    return check_promotion(promotion, product_code=code, product_name=name, on=on)


@pytest.mark.parametrize(
    "on, eligible",
    [
        (date(2026, 11, 19), False),  # the day before
        (date(2026, 11, 20), True),  # first day
        (date(2026, 12, 31), True),  # last day, inclusive
        (date(2027, 1, 1), False),  # the day after
    ],
)
def test_a_promotion_runs_from_its_first_to_its_last_day(on, eligible):
    assert check(terms(), on).eligible is eligible


def test_reasons_name_the_dates():
    assert check(terms(), date(2026, 11, 19)).reason == "Promotion WINTER26 starts on 20 Nov 2026."
    assert check(terms(), date(2027, 1, 1)).reason == "Promotion WINTER26 ended on 31 Dec 2026."


def test_a_withdrawn_promotion_never_applies():
    result = check(terms(active=False))
    assert not result.eligible
    assert result.reason == "Promotion WINTER26 has been withdrawn."


@pytest.mark.parametrize(
    "product, eligible",
    [
        (None, True),  # any product
        ("AC-HOST", True),  # by code
        ("ac-host", True),  # case does not matter
        ("AbleCommerce  Hosting", True),  # by name, spacing does not matter
        ("HW-PRINTER", False),
        ("AbleCommerce", False),  # a different product's name, however similar
    ],
)
def test_a_promotion_for_one_product_applies_to_that_product_only(product, eligible):
    assert check(terms(product=product)).eligible is eligible


def test_the_product_reason_says_which_product():
    result = check(terms(product="HW-PRINTER"))
    assert result.reason == ("Promotion WINTER26 is only for HW-PRINTER, not AbleCommerce Hosting.")


def test_an_order_without_a_catalogue_code_matches_by_name():
    assert check(terms(product="AbleCommerce"), code=None, name="AbleCommerce").eligible


@pytest.mark.parametrize(
    "unit, quantity, promotion, total",
    [
        (4900, 3, None, 14700),
        (4900, 3, terms(percent_off=15), 12495),  # 14700 - 2205
        (333, 1, terms(percent_off=50), 166),  # 166.5 off rounds half up to 167
        (1, 1, terms(percent_off=50), 0),  # half a cent off rounds up: never negative
        (4900, 2, terms(percent_off=100), 0),
        (4900, 2, terms(percent_off=None, amount_off_cents=2500), 7300),  # off the total
        (1000, 1, terms(percent_off=None, amount_off_cents=2500), 0),  # never below zero
    ],
)
def test_discounted_totals(unit, quantity, promotion, total):
    assert discounted_total(unit, quantity, promotion) == total


def test_the_discount_never_exceeds_the_total():
    assert discount_cents(1000, terms(percent_off=None, amount_off_cents=99999)) == 1000
    assert discount_cents(0, terms()) == 0


@pytest.mark.parametrize(
    "typed, code", [("winter26", "WINTER26"), ("  spring-26 ", "SPRING-26"), (None, "")]
)
def test_codes_are_compared_in_capitals(typed, code):
    assert normalise_code(typed) == code


@pytest.mark.parametrize(
    "percent, amount, starts, ends, problem",
    [
        (15, None, DAY, DAY, None),
        (None, 2500, DAY, date(2026, 12, 2), None),
        (None, None, DAY, DAY, ("percent_off", "Give a percentage or an amount off.")),
        (15, 2500, DAY, DAY, ("percent_off", "Give a percentage or an amount off, not both.")),
        (0, None, DAY, DAY, ("percent_off", "Give a percentage from 1 to 100.")),
        (101, None, DAY, DAY, ("percent_off", "Give a percentage from 1 to 100.")),
        (None, 0, DAY, DAY, ("amount_off", "Give an amount greater than zero.")),
        (
            15,
            None,
            DAY,
            date(2026, 11, 30),
            ("ends_on", "The last day cannot be before the first day."),
        ),
    ],
)
def test_new_terms_are_checked(percent, amount, starts, ends, problem):
    assert terms_problem(percent, amount, starts, ends) == problem
