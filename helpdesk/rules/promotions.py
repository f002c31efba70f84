"""Promotions: when one applies to an order, and what the order then costs.

Source: seed 002, Payment Manager, "Promotions": if the customer is eligible for a promotional
event such as a sale of products or bundle packages, staff assign the promotion to the
customer's order. Issue 6 adds dates and products: a promotion applies to one product (named
by its code or its name) or to any, from its first day to its last day inclusive, while it is
active. It takes either a percentage or a fixed amount off the order total, never below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from helpdesk.rules.day_words import day_text

CODE_MAX = 40


@dataclass(frozen=True)
class PromotionTerms:
    """The parts of a promotion that decide where it applies and what it takes off."""

    code: str
    starts_on: date
    ends_on: date
    product: str | None = None  # a product code or name; None: any product
    percent_off: int | None = None
    amount_off_cents: int | None = None
    active: bool = True


@dataclass(frozen=True)
class PromotionCheck:
    """Whether the promotion applies, and if not, the sentence that says why."""

    eligible: bool
    reason: str = ""


def normalise_code(code: str | None) -> str:
    """A promotion code as stored: trimmed, upper case ("winter26 " -> "WINTER26")."""
    return (code or "").strip().upper()


def _names(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def check_promotion(
    terms: PromotionTerms, *, product_code: str | None, product_name: str, on: date
) -> PromotionCheck:
    """Does `terms` apply to an order of this product placed or changed on day `on`?"""
    if not terms.active:
        return PromotionCheck(False, f"Promotion {terms.code} has been withdrawn.")
    if on < terms.starts_on:
        return PromotionCheck(
            False, f"Promotion {terms.code} starts on {day_text(terms.starts_on)}."
        )
    if on > terms.ends_on:
        return PromotionCheck(False, f"Promotion {terms.code} ended on {day_text(terms.ends_on)}.")
    if terms.product is not None:
        wanted = _names(terms.product)
        if wanted not in {_names(product_code), _names(product_name)}:
            return PromotionCheck(
                False, f"Promotion {terms.code} is only for {terms.product}, not {product_name}."
            )
    return PromotionCheck(True)


def discount_cents(total_cents: int, terms: PromotionTerms) -> int:
    """What `terms` takes off `total_cents`: at most the whole total."""
    if terms.percent_off is not None:
        # Integer arithmetic, rounded half up to the cent: no float touches money.
        off = (total_cents * terms.percent_off + 50) // 100
    else:
        off = terms.amount_off_cents or 0
    return max(0, min(off, total_cents))


def discounted_total(unit_cents: int, quantity: int, terms: PromotionTerms | None) -> int:
    """The order total for `quantity` x `unit_cents`, less the promotion if there is one."""
    total = unit_cents * quantity
    return total - discount_cents(total, terms) if terms is not None else total


def terms_problem(
    percent_off: int | None, amount_off_cents: int | None, starts_on: date, ends_on: date
) -> tuple[str, str] | None:
    """(field, message) when new promotion terms cannot work; None when they can."""
    if percent_off is None and amount_off_cents is None:
        return "percent_off", "Give a percentage or an amount off."
    if percent_off is not None and amount_off_cents is not None:
        return "percent_off", "Give a percentage or an amount off, not both."
    if percent_off is not None and not 1 <= percent_off <= 100:
        return "percent_off", "Give a percentage from 1 to 100."
    if amount_off_cents is not None and amount_off_cents <= 0:
        return "amount_off", "Give an amount greater than zero."
    if ends_on < starts_on:
        return "ends_on", "The last day cannot be before the first day."
    return None
