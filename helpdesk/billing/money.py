"""Amounts as people type them ("12.50", "1,234", "$5") to integer cents, and back."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Digits with optional thousands commas, then at most two decimals: no float ever touches money.
_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{0,2})?|\.\d{1,2}", re.ASCII)
MAX_CENTS = 10**12  # far above any payment; keeps absurd input out of integer columns


def parse_amount(text: str | None) -> int:
    """Integer cents of a typed amount; ValueError with a message people can act on."""
    typed = (text or "").strip()
    if typed.upper().startswith("USD"):
        typed = typed[3:].strip()
    typed = typed.removeprefix("$").strip()
    if not typed:
        raise ValueError("Enter an amount, e.g. 12.50.")
    if not _AMOUNT.fullmatch(typed):
        raise ValueError("Enter the amount in dollars and cents, e.g. 12.50.")
    try:
        cents = Decimal(typed.replace(",", "")) * 100
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError("Enter the amount in dollars and cents, e.g. 12.50.") from None
    if cents <= 0:
        raise ValueError("Enter an amount greater than zero.")
    if cents >= MAX_CENTS:
        raise ValueError("That amount is too large.")
    return int(cents)


def format_amount(cents: int) -> str:
    """Cents as a form value: 1250 -> "12.50"."""
    whole, fraction = divmod(cents, 100)
    return f"{whole}.{fraction:02d}"
