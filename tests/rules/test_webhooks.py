"""The webhook rules: the retry schedule, the failure rule, the signature, the events."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from helpdesk.rules.webhooks import (
    DISABLE_AFTER_FAILURES,
    EVENTS,
    MAX_ATTEMPTS,
    disable_reason,
    is_success,
    parse_events,
    retry_delay,
    sign,
    verify,
    without_card_numbers,
)

SECRET = "whsec_test-secret"
BODY = b'{"id":"d1","event":"case.created","data":{}}'


@pytest.mark.parametrize(
    ("failed_attempts", "wait"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=5)),
        (3, timedelta(minutes=30)),
        (4, timedelta(hours=2)),
        (5, timedelta(hours=6)),
        (6, None),  # the sixth failure gives up
        (7, None),
    ],
)
def test_back_off_schedule(failed_attempts, wait):
    assert retry_delay(failed_attempts) == wait


def test_six_attempts_in_all():
    assert MAX_ATTEMPTS == 6
    with pytest.raises(ValueError):
        retry_delay(0)


@pytest.mark.parametrize(
    ("status", "ok"),
    [(200, True), (201, True), (204, True), (299, True), (199, False), (301, False),
     (302, False), (307, False), (400, False), (410, False), (500, False), (None, False)],
)  # fmt: skip
def test_only_2xx_delivers(status, ok):
    assert is_success(status) is ok


@pytest.mark.parametrize(
    ("failures", "gave_up", "off"),
    [
        (1, False, False),
        (DISABLE_AFTER_FAILURES - 1, False, False),
        (DISABLE_AFTER_FAILURES, False, True),
        (DISABLE_AFTER_FAILURES + 5, False, True),
        (1, True, True),  # a delivery given up turns it off at once
    ],
)
def test_failure_rule(failures, gave_up, off):
    reason = disable_reason(failures, gave_up)
    assert (reason is not None) is off
    if reason:
        assert "given up" in reason if gave_up else f"{failures} delivery attempts" in reason


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1800000030." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1800000030, BODY) == f"v1={expected}"


def test_signature_changes_with_secret_timestamp_and_body():
    base = sign(SECRET, 1800000030, BODY)
    assert sign(SECRET + "x", 1800000030, BODY) != base
    assert sign(SECRET, 1800000031, BODY) != base
    assert sign(SECRET, 1800000030, BODY + b" ") != base


@pytest.mark.parametrize(
    ("timestamp", "now", "body", "valid"),
    [
        ("1800000030", 1800000030, BODY, True),
        ("1800000030", 1800000030 + 300, BODY, True),
        ("1800000030", 1800000030 + 301, BODY, False),  # older than five minutes
        ("1800000030", 1800000030 - 301, BODY, False),  # from the future
        ("1800000030", 1800000030, BODY + b"x", False),  # body changed
        ("18e8", 1800000030, BODY, False),
        ("", 1800000030, BODY, False),
    ],
)
def test_verify(timestamp, now, body, valid):
    signature = sign(SECRET, 1800000030, BODY)
    assert verify(SECRET, timestamp, body, signature, now) is valid


def test_events_are_the_seven_offered():
    assert list(EVENTS) == [
        "case.created",
        "case.updated",
        "case.replied",
        "case.closed",
        "case.merged",
        "refund.created",
        "fraud_stop.entry_added",
    ]
    assert parse_events("refund.created case.created") == ["case.created", "refund.created"]
    with pytest.raises(ValueError, match="Unknown event"):
        parse_events(["case.deleted"])


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Chargeback on 4111 1111 1111 1111", "Chargeback on [card number removed]"),
        ("card 4111-1111-1111-1111.", "card [card number removed]."),
        ("3782822463 10005 stolen", "[card number removed] stolen"),
        ("Order 12345, ticket 987654", "Order 12345, ticket 987654"),
        ("ending 1111", "ending 1111"),
    ],
)
def test_card_numbers_never_leave_in_free_text(text, shown):
    assert without_card_numbers(text) == shown
