"""Send due webhook deliveries: claim a batch, POST each one signed, record how it went.

Claims work as the mail outbox's (helpdesk.services.mail.mail_sender): a short transaction marks
due rows "sending" with a conditional UPDATE (FOR UPDATE SKIP LOCKED on PostgreSQL), so two
senders never take the same row, and a sender killed mid-batch leaves claims another sender
takes over once the lease has passed. Each claim is renewed just before its POST, and no
transaction stays open while a receiver answers. Delivery is at least once: a receiver may see
a delivery twice (the same `id`) if we die between its answer and our commit.

The retry schedule, the signature and the rule that turns a failing endpoint off are pure rules
(helpdesk.rules.webhooks). The clock and the stopwatch are arguments, so tests decide the time.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, utcnow
from helpdesk.rules.webhooks import (
    KEEP_DAYS,
    disable_reason,
    is_success,
    retry_delay,
    sign,
)
from helpdesk.services.core import audit
from helpdesk.services.webhooks.endpoints import allowed_networks
from helpdesk.services.webhooks.transport import (
    Answer,
    HttpTransport,
    Refused,
    Transport,
    current_resolver,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # far above one POST: the timeout bounds each step at 5 s
ERROR_MAX = 500
LOGGED_ERROR_MAX = 200
USER_AGENT = "helpdesk-webhooks/1"
PRUNE_BATCH = 1000

Clock = Callable[[], datetime]


@dataclass
class BatchResult:
    """What one run did: rows claimed, delivered, put back for a retry, given up; endpoints
    turned off by the failure rule."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    disabled: int = 0

    def add(self, other: BatchResult) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retried += other.retried
        self.failed += other.failed
        self.disabled += other.disabled

    @property
    def summary(self) -> str:
        text = f"Delivered {self.delivered}, retried {self.retried}, given up {self.failed}."
        if self.disabled:
            text += f" {self.disabled} endpoint{'s' if self.disabled != 1 else ''} turned off."
        return text

    @property
    def counts(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "retried": self.retried,
            "failed": self.failed,
            "disabled": self.disabled,
        }


def default_transport() -> Transport:
    """The real transport with the app's settings: allowed ranges, time-out, resolver."""
    return HttpTransport(
        allowed_networks(),
        timeout=float(current_app.config["WEBHOOK_TIMEOUT"]),
        resolver=current_resolver(),
    )


def offset_clock(now: datetime | None) -> Clock:
    """The machine's clock, moved so that it reads `now` at this instant (None: unmoved)."""
    if now is None:
        return utcnow
    offset = now - utcnow()
    return lambda: utcnow() + offset


# --- claiming ----------------------------------------------------------------------------------

_ACTIVE_ENDPOINTS = sa.select(WebhookEndpoint.id).where(WebhookEndpoint.active)


def _due(now: datetime, lease: timedelta) -> sa.ColumnElement[bool]:
    return sa.and_(
        sa.or_(
            sa.and_(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            ),
            sa.and_(
                WebhookDelivery.status == DeliveryStatus.SENDING,
                WebhookDelivery.claimed_at < now - lease,
            ),
        ),
        WebhookDelivery.endpoint_id.in_(_ACTIVE_ENDPOINTS),
    )


def claim(now: datetime, limit: int, lease: timedelta = LEASE) -> list[int]:
    """Mark up to `limit` due deliveries of active endpoints as ours and commit; their ids.

    PostgreSQL locks the candidates FOR UPDATE SKIP LOCKED, so concurrent senders take
    different rows without waiting; on SQLite (one writer at a time) the UPDATE repeats the
    due condition, so a row another sender claimed first is left out of RETURNING.
    """
    candidates = (
        sa.select(WebhookDelivery.id)
        .where(_due(now, lease))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=WebhookDelivery)
    try:
        ids = list(db.session.scalars(candidates))
        if not ids:
            db.session.rollback()
            return []
        claimed = set(
            db.session.scalars(
                sa.update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids), _due(now, lease))
                .values(status=DeliveryStatus.SENDING, claimed_at=now)
                .returning(WebhookDelivery.id)
                .execution_options(synchronize_session=False)
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return [delivery_id for delivery_id in ids if delivery_id in claimed]


def release(ids: list[int]) -> None:
    """Hand claimed rows back untried (a stop, an endpoint turned off meanwhile)."""
    if not ids:
        return
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _renew(delivery_id: int, claimed_at: datetime, at: datetime) -> bool:
    """Extend our claim right before the POST; False if another sender took it over."""
    renewed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.SENDING,
            WebhookDelivery.claimed_at == claimed_at,
        )
        .values(claimed_at=at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return renewed.rowcount == 1


# --- one attempt -------------------------------------------------------------------------------


def headers_for(event: str, delivery_id: str, secret: str, timestamp: int, body: bytes) -> dict:
    """The request headers of one attempt, the signature among them."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Helpdesk-Event": event,
        "X-Helpdesk-Delivery": delivery_id,
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": sign(secret, timestamp, body),
    }


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def describe_answer(answer: Answer) -> str:
    """A failed answer in a line: status, reason, the redirect not followed, the body's start."""
    text = f"HTTP {answer.status} {_one_line(answer.reason or '')}".rstrip()
    if 300 <= answer.status < 400:
        where = _one_line(answer.location or "")[:200]
        return f"{text}: redirects are not followed" + (f" (to {where})" if where else "") + "."
    body = _one_line(answer.snippet.decode("utf-8", "replace"))[:200]
    return f"{text}: {body}" if body else text


def describe_error(error: Exception) -> str:
    """A network failure in a line: refused by the guard, timed out, connection refused..."""
    if isinstance(error, Refused):
        return f"Refused: {error}"
    if isinstance(error, TimeoutError):
        return "Timed out: the receiver did not answer in time."
    return _one_line(f"{type(error).__name__}: {error}")


def send_batch(
    *,
    transport: Transport | None = None,
    clock: Clock = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    batch_size: int | None = None,
    lease: timedelta = LEASE,
    should_stop: Callable[[], bool] = lambda: False,
) -> BatchResult:
    """Claim one batch of due deliveries and POST each; `clock` gives now (naive UTC) and
    `monotonic` times each attempt (tests pass their own of both)."""
    batch_size = batch_size or int(current_app.config["WEBHOOK_BATCH_SIZE"])
    claimed_at = clock()
    ids = claim(claimed_at, batch_size, lease)
    result = BatchResult(claimed=len(ids))
    if not ids:
        return result
    transport = transport or default_transport()
    for position, delivery_id in enumerate(ids):
        if should_stop():
            release(ids[position:])
            break
        outcome = _deliver(delivery_id, claimed_at, transport, clock, monotonic, result)
        if outcome is DeliveryStatus.DELIVERED:
            result.delivered += 1
        elif outcome is DeliveryStatus.FAILED:
            result.failed += 1
        elif outcome is DeliveryStatus.PENDING:
            result.retried += 1
    return result


def _deliver(
    delivery_id: int,
    claimed_at: datetime,
    transport: Transport,
    clock: Clock,
    monotonic: Callable[[], float],
    result: BatchResult,
) -> DeliveryStatus | None:
    """POST one claimed delivery and record the outcome; None when it was not tried."""
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
    if not endpoint.active:  # turned off since the claim, maybe by this very batch
        release([delivery_id])
        return None
    url, secret, body = endpoint.url, endpoint.secret, delivery.payload.encode()
    event, uuid, endpoint_id = delivery.event, delivery.uuid, endpoint.id
    attempt = delivery.attempts + 1  # the claim keeps every other sender off this row
    sent_at = clock()
    if not _renew(delivery_id, claimed_at, sent_at):  # also ends the read transaction
        return None
    timestamp = int(sent_at.replace(tzinfo=UTC).timestamp())
    headers = headers_for(event, uuid, secret, timestamp, body)
    started = monotonic()
    answer: Answer | None = None
    try:
        answer = transport.post(url, body, headers)
    except (Refused, OSError, http.client.HTTPException) as error:
        problem = describe_error(error)
    except Exception as error:  # noqa: BLE001 - one bad row must not stall the others
        problem = describe_error(error)
    else:
        problem = None if is_success(answer.status) else describe_answer(answer)
    duration_ms = max(0, round((monotonic() - started) * 1000))
    status_code = answer.status if answer is not None else None
    done_at = clock()
    if problem is None:
        outcome = _mark_delivered(delivery_id, endpoint_id, status_code, duration_ms, done_at)
    else:
        outcome = _mark_failed(
            delivery_id, endpoint_id, attempt, status_code, duration_ms, problem, done_at, result
        )
    log.info(
        "webhook %s %s to endpoint %s, attempt %s: %s in %d ms%s",
        event,
        uuid,
        endpoint_id,
        attempt,
        outcome.value,
        duration_ms,
        f" ({problem[:LOGGED_ERROR_MAX]})" if problem else "",
    )
    return outcome


def _mark_delivered(
    delivery_id: int, endpoint_id: int, status_code: int | None, duration_ms: int, at: datetime
) -> DeliveryStatus:
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            status=DeliveryStatus.DELIVERED,
            attempts=WebhookDelivery.attempts + 1,
            claimed_at=None,
            delivered_at=at,
            last_attempt_at=at,
            last_status_code=status_code,
            last_duration_ms=duration_ms,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.consecutive_failures != 0)
        .values(consecutive_failures=0)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return DeliveryStatus.DELIVERED


def _mark_failed(
    delivery_id: int,
    endpoint_id: int,
    attempts: int,
    status_code: int | None,
    duration_ms: int,
    problem: str,
    at: datetime,
    result: BatchResult,
) -> DeliveryStatus:
    """Count the failed attempt (the `attempts`th): retry after the back-off, or give up;
    maybe turn the endpoint off (the failure rule), with the reason and the time."""
    delay = retry_delay(attempts)
    status = DeliveryStatus.FAILED if delay is None else DeliveryStatus.PENDING
    values = {
        "status": status,
        "attempts": attempts,
        "claimed_at": None,
        "last_attempt_at": at,
        "last_status_code": status_code,
        "last_duration_ms": duration_ms,
        "last_error": problem[:ERROR_MAX],
    }
    if delay is not None:
        values["next_attempt_at"] = at + delay
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    failures = db.session.scalar(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1)
        .returning(WebhookEndpoint.consecutive_failures)
        .execution_options(synchronize_session=False)
    )
    reason = disable_reason(failures or 0, gave_up=delay is None)
    if reason is not None:
        turned_off = db.session.execute(
            sa.update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.active.is_(True))
            .values(active=False, disabled_at=at, disabled_reason=reason, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if turned_off.rowcount == 1:
            result.disabled += 1
            endpoint = db.session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
            audit.record("webhook.disabled", actor=None, obj=endpoint, reason=reason)
            log.warning("webhook endpoint %s turned off: %s", endpoint_id, reason)
    db.session.commit()
    return status


# --- runs ----------------------------------------------------------------------------------


def send_due(
    *,
    transport: Transport | None = None,
    clock: Clock = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    should_stop: Callable[[], bool] = lambda: False,
    max_batches: int = 5,
    budget_seconds: float = 60.0,
) -> BatchResult:
    """Batches until nothing due is left, at most `max_batches` of them, and no new batch
    after `budget_seconds` (slow receivers must not hold one run for long)."""
    total = BatchResult()
    batch_size = int(current_app.config["WEBHOOK_BATCH_SIZE"])
    started = monotonic()
    for _ in range(max_batches):
        if monotonic() - started > budget_seconds:
            break
        result = send_batch(
            transport=transport,
            clock=clock,
            monotonic=monotonic,
            batch_size=batch_size,
            should_stop=should_stop,
        )
        total.add(result)
        if result.claimed < batch_size or should_stop():
            break
    return total


def prune(now: datetime) -> int:
    """Delete delivered and given-up deliveries older than KEEP_DAYS, oldest first, at most
    PRUNE_BATCH of them (the next run takes the next batch); commits."""
    old = (
        sa.select(WebhookDelivery.id)
        .where(
            WebhookDelivery.created_at < now - timedelta(days=KEEP_DAYS),
            WebhookDelivery.status.in_((DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)),
        )
        .order_by(WebhookDelivery.created_at)
        .limit(PRUNE_BATCH)
    )
    ids = list(db.session.scalars(old))
    if ids:
        db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
    db.session.commit()
    return len(ids)
