import re
from datetime import date

import pytest

from helpdesk.rules.cards import (
    card_brand,
    card_fingerprint,
    expiry_valid,
    last_four,
    luhn_valid,
    mask_pan,
    normalise_pan,
)

KEY = b"test-fingerprint-key"

# Published test numbers from the card networks / payment processors.
TEST_PANS = [
    ("4242424242424242", "Visa"),
    ("4000056655665556", "Visa"),
    ("5555555555554444", "Mastercard"),
    ("2223003122003222", "Mastercard"),
    ("378282246310005", "American Express"),
    ("371449635398431", "American Express"),
    ("6011111111111117", "Discover"),
    ("6011000990139424", "Discover"),
    ("3566002020360505", "JCB"),
    ("30569309025904", "Diners Club"),
    ("36227206271667", "Diners Club"),
]


@pytest.mark.parametrize(("pan", "brand"), TEST_PANS)
def test_known_test_numbers(pan: str, brand: str) -> None:
    assert luhn_valid(pan)
    assert card_brand(pan) == brand


@pytest.mark.parametrize(
    ("pan", "brand"),
    [
        ("5100000000000000", "Mastercard"),
        ("5500000000000000", "Mastercard"),
        ("5600000000000000", "Card"),
        ("2221000000000000", "Mastercard"),
        ("2720990000000000", "Mastercard"),
        ("2220990000000000", "Card"),
        ("2721000000000000", "Card"),
        ("340000000000000", "American Express"),
        ("350000000000000", "Card"),
        ("6500000000000000", "Discover"),
        ("6440000000000000", "Discover"),
        ("6490000000000000", "Discover"),
        ("6430000000000000", "Card"),
        ("6012000000000000", "Card"),
        ("30000000000000", "Diners Club"),
        ("30500000000000", "Diners Club"),
        ("30600000000000", "Card"),
        ("3528000000000000", "JCB"),
        ("3589000000000000", "JCB"),
        ("3527000000000000", "Card"),
        ("3590000000000000", "Card"),
        ("9999999999999995", "Card"),
    ],
)
def test_brand_ranges(pan: str, brand: str) -> None:
    assert card_brand(pan) == brand


@pytest.mark.parametrize(
    "pan",
    [
        "4242424242424241",  # last digit changed
        "4242424242424224",  # adjacent digits swapped
        "5555555555554445",
        "12ab",
        "",
    ],
)
def test_luhn_failures(pan: str) -> None:
    assert not luhn_valid(pan)


@pytest.mark.parametrize(
    "raw",
    ["4242 4242 4242 4242", "4242-4242-4242-4242", " 4242 - 4242 4242-4242 ", "4242424242424242"],
)
def test_normalise_drops_spaces_and_dashes(raw: str) -> None:
    assert normalise_pan(raw) == "4242424242424242"


@pytest.mark.parametrize(
    "raw",
    [
        "4242 4242 4242 424X",
        "4242.4242.4242.4242",
        "４２４２４２４２４２４２４２４２",  # full-width digits
        "424242424242424²",
        "42424242424",  # 11 digits
        "42424242424242424242",  # 20 digits
        "",
        " - ",
    ],
)
def test_normalise_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_pan(raw)


def test_error_message_does_not_echo_the_number() -> None:
    with pytest.raises(ValueError) as error:
        normalise_pan("4242 4242 4242 424X")
    assert "4242" not in str(error.value)


@pytest.mark.parametrize(("pan", "length"), [("424242424242", 12), ("4242424242424242424", 19)])
def test_length_bounds_accepted(pan: str, length: int) -> None:
    assert len(normalise_pan(pan)) == length


@pytest.mark.parametrize(
    ("pan", "masked"),
    [
        ("4242 4242 4242 4242", "Visa •••• 4242"),
        ("5555-5555-5555-4444", "Mastercard •••• 4444"),
        ("378282246310005", "American Express •••• 0005"),
        ("9999999999999995", "Card •••• 9995"),
    ],
)
def test_mask(pan: str, masked: str) -> None:
    assert mask_pan(pan) == masked
    assert last_four(pan) == masked[-4:]


@pytest.mark.parametrize(("pan", "_brand"), TEST_PANS)
def test_mask_shows_at_most_four_digits(pan: str, _brand: str) -> None:
    masked = mask_pan(pan)
    assert len(re.findall(r"\d", masked)) == 4
    assert masked.endswith(pan[-4:])


def test_fingerprint_is_stable_across_formatting() -> None:
    prints = {
        card_fingerprint(raw, KEY)
        for raw in ("4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242")
    }
    assert len(prints) == 1
    assert re.fullmatch(r"[0-9a-f]{64}", prints.pop())


def test_fingerprint_depends_on_key_and_number() -> None:
    base = card_fingerprint("4242424242424242", KEY)
    assert card_fingerprint("4242424242424242", b"another-key") != base
    assert card_fingerprint("5555555555554444", KEY) != base
    assert "4242424242424242" not in base


def test_fingerprint_requires_a_key() -> None:
    with pytest.raises(ValueError):
        card_fingerprint("4242424242424242", b"")


TODAY = date(2024, 6, 15)


@pytest.mark.parametrize(
    ("month", "year", "valid"),
    [
        (6, 2024, True),  # this month: valid through its last day
        (6, 24, True),
        (5, 2024, False),  # last month
        (5, 24, False),
        (7, 2024, True),
        (1, 2025, True),
        (12, 2023, False),
        (12, 30, True),
        (13, 2025, False),
        (0, 2025, False),
        (-1, 2025, False),
        (6, -1, False),
    ],
)
def test_expiry(month: int, year: int, valid: bool) -> None:
    assert expiry_valid(month, year, TODAY) is valid


def test_expiry_last_day_of_month() -> None:
    assert expiry_valid(6, 2024, date(2024, 6, 30))
    assert not expiry_valid(6, 2024, date(2024, 7, 1))
