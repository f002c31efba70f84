"""Shipment status moves (pending -> packed -> shipped) and the carrier's details."""

import pytest

from helpdesk.rules.shipments import (
    CARRIER_MAX,
    PACKED,
    PENDING,
    SHIPPED,
    TRACKING_MAX,
    clean_carrier,
    clean_tracking_number,
    transition_error,
)


@pytest.mark.parametrize(("current", "target"), [(PENDING, PACKED), (PACKED, SHIPPED)])
def test_one_step_forward_is_allowed(current, target):
    assert transition_error(current, target) is None


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (PENDING, SHIPPED, "Pack this shipment before marking it shipped."),
        (PACKED, PENDING, "A packed shipment cannot be marked pending."),
        (SHIPPED, PACKED, "This shipment has already shipped: it cannot change any more."),
        (SHIPPED, PENDING, "This shipment has already shipped: it cannot change any more."),
        (PENDING, PENDING, "This shipment is already pending."),
        (PACKED, PACKED, "This shipment is already packed."),
        (SHIPPED, SHIPPED, "This shipment is already shipped."),
    ],
)
def test_other_moves_are_refused_with_a_reason(current, target, message):
    assert transition_error(current, target) == message


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("UPS", "UPS"),
        ("  Deutsche   Post ", "Deutsche Post"),
        ("x" * CARRIER_MAX, "x" * CARRIER_MAX),
    ],
)
def test_carrier_is_trimmed(typed, stored):
    assert clean_carrier(typed) == stored


@pytest.mark.parametrize("typed", [None, "", "   ", "x" * (CARRIER_MAX + 1)])
def test_missing_or_long_carrier_is_refused(typed):
    with pytest.raises(ValueError):
        clean_carrier(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1Z999AA10123456784", "1Z999AA10123456784"),
        (" 9400 1000  0000 0000 ", "9400 1000 0000 0000"),
        ("RR123456785DE", "RR123456785DE"),
        ("JD-0146-0001", "JD-0146-0001"),
    ],
)
def test_tracking_number_is_trimmed(typed, stored):
    assert clean_tracking_number(typed) == stored


@pytest.mark.parametrize(
    "typed", [None, "", "  ", "1Z<script>", "abc--def", "-123", "１２３", "x" * (TRACKING_MAX + 1)]
)
def test_unusable_tracking_number_is_refused(typed):
    with pytest.raises(ValueError):
        clean_tracking_number(typed)
