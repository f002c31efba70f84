"""The shipment queue (seed 002 Payment Manager, "Shipment Queue"): status moves and tracking.

Physical equipment goes pending -> packed -> shipped, one step at a time and never back: a
parcel handed to a carrier cannot be unpacked, and shipping unpacked goods skips the check
that everything ordered is in the box. Shipping needs the carrier and its tracking number,
which customers use to follow the parcel.
"""

from __future__ import annotations

import re

PENDING = "pending"
PACKED = "packed"
SHIPPED = "shipped"

NEXT_STATUS = {PENDING: PACKED, PACKED: SHIPPED}
CARRIER_MAX = 60  # shipments.carrier is VARCHAR(60)
TRACKING_MAX = 80  # shipments.tracking_number is VARCHAR(80)

# Carriers' numbers are letters and digits, sometimes grouped with spaces or dashes.
_TRACKING = re.compile(r"[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*", re.ASCII)


def transition_error(current: str, target: str) -> str | None:
    """Why a shipment in `current` status cannot become `target`; None when it can."""
    if current == target:
        return f"This shipment is already {current}."
    if current == SHIPPED:
        return "This shipment has already shipped: it cannot change any more."
    if NEXT_STATUS.get(current) != target:
        if target == SHIPPED:
            return "Pack this shipment before marking it shipped."
        return f"A {current} shipment cannot be marked {target}."
    return None


def clean_carrier(text: str | None) -> str:
    """The carrier's name as stored: spaces collapsed; ValueError when missing or too long."""
    carrier = " ".join((text or "").split())
    if not carrier:
        raise ValueError("Enter the carrier, e.g. UPS.")
    if len(carrier) > CARRIER_MAX:
        raise ValueError(f"Use at most {CARRIER_MAX} characters.")
    return carrier


def clean_tracking_number(text: str | None) -> str:
    """The tracking number as stored: trimmed, inner spaces single; ValueError when unusable."""
    tracking = " ".join((text or "").split())
    if not tracking:
        raise ValueError("Enter the tracking number the carrier gave.")
    if len(tracking) > TRACKING_MAX:
        raise ValueError(f"Use at most {TRACKING_MAX} characters.")
    if not _TRACKING.fullmatch(tracking):
        raise ValueError("A tracking number has only letters, digits, spaces and dashes.")
    return tracking
