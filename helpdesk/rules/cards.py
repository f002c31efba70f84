"""Payment card numbers, handled as PCI DSS requires.

Seed 002 (System Manager) shows "the first 12 digits" of a customer's credit card
and lets agents FRAUD-STOP a card. PCI DSS allows displaying at most the first six
and last four digits, so we show only the brand and last four. The full number
(PAN) is never stored, logged or shown: blocklists match on a keyed fingerprint.
Error messages here never echo the number for the same reason.
"""

import hashlib
import hmac
import re
from datetime import date

_SEPARATORS = re.compile(r"[\s-]+")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit also accepts e.g. "²"

# (brand, prefix length, lowest prefix, highest prefix), per the issuers' IIN ranges.
_BRANDS: tuple[tuple[str, int, int, int], ...] = (
    ("Visa", 1, 4, 4),
    ("Mastercard", 2, 51, 55),
    ("Mastercard", 4, 2221, 2720),
    ("American Express", 2, 34, 34),
    ("American Express", 2, 37, 37),
    ("Discover", 4, 6011, 6011),
    ("Discover", 2, 65, 65),
    ("Discover", 3, 644, 649),
    ("Diners Club", 2, 36, 36),
    ("Diners Club", 3, 300, 305),
    ("JCB", 4, 3528, 3589),
)


def normalise_pan(raw: str) -> str:
    """Return the card number without spaces and dashes; raise ValueError if malformed."""
    pan = _SEPARATORS.sub("", raw)
    if not _DIGITS.fullmatch(pan):
        raise ValueError("A card number may contain only digits, spaces and dashes.")
    if not 12 <= len(pan) <= 19:
        raise ValueError("A card number has 12 to 19 digits.")
    return pan


def luhn_valid(pan: str) -> bool:
    """Return True if the card number is well formed and passes the Luhn check."""
    try:
        digits = normalise_pan(pan)
    except ValueError:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(pan: str) -> str:
    """Return the card brand from the number's prefix, or "Card" if unknown."""
    digits = normalise_pan(pan)
    for brand, length, low, high in _BRANDS:
        if low <= int(digits[:length]) <= high:
            return brand
    return "Card"


def last_four(pan: str) -> str:
    """Return the last four digits of the card number."""
    return normalise_pan(pan)[-4:]


def mask_pan(pan: str) -> str:
    """Return the displayable form of a card number, e.g. "Visa •••• 4242"."""
    return f"{card_brand(pan)} •••• {last_four(pan)}"


def card_fingerprint(pan: str, key: bytes) -> str:
    """Return a hex HMAC-SHA256 of the card number, for matching without storing it."""
    if not key:
        # An unkeyed hash of a PAN is brute-forceable: the number space is small.
        raise ValueError("A fingerprint key is required.")
    return hmac.new(key, normalise_pan(pan).encode("ascii"), hashlib.sha256).hexdigest()


def expiry_valid(month: int, year: int, today: date) -> bool:
    """Return True if a card expiring at the end of month/year is still valid today."""
    if not 1 <= month <= 12 or year < 0:
        return False
    if year < 100:
        year += 2000
    return (year, month) >= (today.year, today.month)
