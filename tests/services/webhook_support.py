"""Helpers of the webhook tests: endpoints made directly, a transport that answers as told,
a clock that moves only when told, and the deliveries written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import WebhookDelivery, WebhookEndpoint
from helpdesk.rules.webhooks import EVENTS, verify
from helpdesk.services.webhooks.transport import Answer, Transport

SECRET = "whsec_test-secret-0123456789"
T0 = datetime(2027, 1, 15, 8, 0, 30)  # naive UTC, as the database keeps times


def make_endpoint(*events: str, url: str = "https://hooks.example.com/in", **overrides):
    """An endpoint asking for `events` (all when none are named); flushed, not committed."""
    endpoint = WebhookEndpoint(
        **{
            "url": url,
            "description": "Test receiver",
            "events": " ".join(events or EVENTS),
            "secret": SECRET,
            **overrides,
        }
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def deliveries(*where) -> list[WebhookDelivery]:
    """Every delivery row, oldest first (read fresh)."""
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(WebhookDelivery).where(*where).order_by(WebhookDelivery.id))
    )


def due_at_t0() -> None:
    """Make every waiting delivery due at T0, whatever the machine's clock said when the
    change wrote it, so a FakeClock at T0 sends it; commits."""
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.attempts == 0)
        .values(next_attempt_at=T0, created_at=T0)
    )
    db.session.commit()


def payloads(*where) -> list[dict]:
    return [json.loads(delivery.payload) for delivery in deliveries(*where)]


def events_written() -> list[str]:
    return [delivery.event for delivery in deliveries()]


class FakeClock:
    """Naive-UTC now that stands still until `advance`; also the stopwatch (`monotonic`)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start
        self.ticks = 0.0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)

    def monotonic(self) -> float:
        self.ticks += 0.125  # every reading 125 ms later: durations are exact
        return self.ticks


@dataclass
class Sent:
    url: str
    body: bytes
    headers: dict[str, str]


def signed_by(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether a request carries a valid signature of `secret`, checked as a receiver does
    (at the moment it was sent, so no test depends on the wall clock)."""
    timestamp = headers["X-Helpdesk-Timestamp"]
    return verify(secret, timestamp, body, headers["X-Helpdesk-Signature"], now=int(timestamp))


@dataclass
class FakeTransport(Transport):
    """Answers each POST with the next of `answers` (a status, an Answer, or an exception to
    raise); when they run out, with `then`."""

    answers: list = field(default_factory=list)
    then: object = 200
    sent: list[Sent] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        self.sent.append(Sent(url, body, dict(headers)))
        answer = self.answers.pop(0) if self.answers else self.then
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, Answer):
            return answer
        return Answer(int(answer), "Reason", None, b"")
