"""Webhooks: the events other systems can subscribe to, how a delivery is signed, when a failed
delivery is tried again, and when an endpoint that keeps failing is turned off.

Rule (REST API issue, webhooks): each event becomes one delivery per subscribed endpoint, POSTed
as JSON and signed with the endpoint's secret, `v1=<hex HMAC-SHA256 of "{timestamp}.{body}">`,
so a receiver knows the body came from us and is fresh (it refuses timestamps older than five
minutes). A 2xx answer delivers it; anything else, including a redirect, a time-out or a refused
connection, is a failed attempt, tried again after 1 min, 5 min, 30 min, 2 h and 6 h: six attempts
in all, then the delivery is given up. An endpoint whose attempts fail ten times in a row, or
one of whose deliveries was given up, is turned off until an administrator turns it on again.
Payloads never carry a card number, a CVV or a secret: a card is its brand and last four.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

# Every event, with the words the administration page shows beside its checkbox.
EVENTS: dict[str, str] = {
    "case.created": "A case was opened",
    "case.updated": "A case changed: status, assignee, type, reason, priority, tier or subject",
    "case.replied": "A public reply was added, by the customer or an agent",
    "case.closed": "A case was closed",
    "case.merged": "A case was merged into another",
    "refund.created": "A payment was refunded",
    "fraud_stop.entry_added": "An address or a card was put on the FRAUD-STOP list",
}

SIGNATURE_VERSION = "v1"
TIMESTAMP_TOLERANCE_SECONDS = 300  # what receivers are told to accept (README, API reference)
SECRET_PREFIX = "whsec_"  # noqa: S105 (what a secret starts with, not a secret)

# Waits after the 1st, 2nd ... failed attempt; after the last failure the delivery is given up.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DISABLE_AFTER_FAILURES = 10  # failed attempts in a row, over all of an endpoint's deliveries
KEEP_DAYS = 30  # delivered and given-up deliveries are listed this long, then deleted

# 12 to 19 digits, alone or in groups split by spaces or dashes: anything that may be a card.
_CARD_LIKE = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")


def parse_events(chosen: list[str] | tuple[str, ...] | str) -> list[str]:
    """The known events among `chosen` (a list, or a space-separated string), in EVENTS order."""
    names = chosen.split() if isinstance(chosen, str) else list(chosen)
    unknown = [name for name in names if name not in EVENTS]
    if unknown:
        raise ValueError(f"Unknown event: {', '.join(sorted(unknown))}.")
    return [name for name in EVENTS if name in names]


def retry_delay(failed_attempts: int) -> timedelta | None:
    """How long to wait after `failed_attempts` failed attempts; None when it is given up."""
    if failed_attempts < 1:
        raise ValueError("a delivery is retried only after a failed attempt")
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[failed_attempts - 1]


def is_success(status_code: int | None) -> bool:
    """Only a 2xx answer delivers; a redirect is not followed, so it fails like an error."""
    return status_code is not None and 200 <= status_code < 300


def disable_reason(consecutive_failures: int, gave_up: bool) -> str | None:
    """Why the endpoint must be turned off after this failure, or None to keep it on."""
    if gave_up:
        return f"A delivery failed {MAX_ATTEMPTS} times and was given up."
    if consecutive_failures >= DISABLE_AFTER_FAILURES:
        return f"{consecutive_failures} delivery attempts in a row failed."
    return None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Helpdesk-Signature value: `v1=` and the hex HMAC-SHA256 of `{timestamp}.{body}`."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: int,
    tolerance: int = TIMESTAMP_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (both ways)."""
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    sent = int(timestamp)
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


def without_card_numbers(text: str) -> str:
    """Free text (a reason typed by staff) with anything shaped like a card number taken out."""
    return _CARD_LIKE.sub("[card number removed]", text)
