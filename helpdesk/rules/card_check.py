"""Check a credit card (seed 002 Payment Manager, "Check Credit Card"): one verdict.

The verdict combines the card rules: the Luhn check digit, the brand from the number's
prefix, the expiry (a card is valid through the end of its month) and the FRAUD-STOP
blocklist answer, which the caller looks up. Seed 002's System Manager shows "the first 12
digits" of a card; PCI DSS overrides that: the verdict keeps brand and last four only, never
the number, so nothing built from it can leak the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from helpdesk.rules.cards import card_brand, expiry_valid, luhn_valid, normalise_pan

EARLIEST_YEAR = 2000
LATEST_YEAR = 2099

LUHN_FAILED = "The check digit does not match: the number is mistyped or made up."
EXPIRED = "The card has expired."
BLOCKED = "The card is on the FRAUD-STOP blocklist."


def expiry_year(typed: int) -> int:
    """A four-digit year from a typed "30" or "2030"; ValueError outside 2000-2099."""
    year = typed + 2000 if 0 <= typed < 100 else typed
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError("Enter the year on the card, e.g. 2030 or 30.")
    return year


@dataclass(frozen=True)
class CardVerdict:
    """What a check found; brand and last four only (PCI DSS)."""

    brand: str
    last4: str
    luhn_valid: bool
    exp_month: int
    exp_year: int
    expiry_valid: bool
    blocked: bool

    @property
    def masked(self) -> str:
        """The card as it may be shown: "Visa •••• 4242"."""
        return f"{self.brand} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        """The expiry as printed on cards: "12/2030"."""
        return f"{self.exp_month:02d}/{self.exp_year}"

    @property
    def problems(self) -> tuple[str, ...]:
        """Why the card cannot be taken; empty when it can."""
        found = []
        if not self.luhn_valid:
            found.append(LUHN_FAILED)
        if not self.expiry_valid:
            found.append(EXPIRED)
        if self.blocked:
            found.append(BLOCKED)
        return tuple(found)

    @property
    def acceptable(self) -> bool:
        """True when nothing speaks against taking a payment with this card."""
        return not self.problems


def check_card(
    pan: str, exp_month: int, exp_year: int, today: date, *, blocked: bool
) -> CardVerdict:
    """The verdict on a card number; ValueError (never echoing the number) if malformed."""
    digits = normalise_pan(pan)
    if not 1 <= exp_month <= 12:
        raise ValueError("Enter the month on the card, 1 to 12.")
    year = expiry_year(exp_year)
    return CardVerdict(
        brand=card_brand(digits),
        last4=digits[-4:],
        luhn_valid=luhn_valid(digits),
        exp_month=exp_month,
        exp_year=year,
        expiry_valid=expiry_valid(exp_month, year, today),
        blocked=blocked,
    )
