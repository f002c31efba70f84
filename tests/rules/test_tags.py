"""How typed tags are read."""

from __future__ import annotations

import pytest

from helpdesk.rules import tags


@pytest.mark.parametrize(
    ("typed", "tag"),
    [
        ("  VIP customer ", "vip-customer"),
        ("#Refund", "refund"),
        ("printer_jam", "printer-jam"),
        ("a -- b", "a-b"),
        ("<script>", "script"),
        ("Größe", "größe"),
        ("v5.1", "v5.1"),
        ("---", ""),
        (None, ""),
    ],
)
def test_normalised(typed, tag):
    assert tags.normalised(typed) == tag


def test_parsed_keeps_the_order_and_drops_repeats_and_blanks():
    assert tags.parsed("vip, Billing,, vip ,  ") == ["vip", "billing"]


def test_parsed_refuses_a_long_tag():
    with pytest.raises(ValueError, match="at most 40 characters"):
        tags.parsed("x" * 41)


def test_parsed_refuses_too_many():
    with pytest.raises(ValueError, match="at most 20 tags"):
        tags.parsed(",".join(f"t{n}" for n in range(21)))
