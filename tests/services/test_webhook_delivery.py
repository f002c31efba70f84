"""Sending webhook deliveries with a fake receiver and a clock that moves only when told:
signed requests, success, retries on the back-off schedule, giving up, the failure rule that
turns an endpoint off, and claims two senders never share."""

from __future__ import annotations

import json
import threading
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, DeliveryStatus, Role, WebhookDelivery, WebhookEndpoint
from helpdesk.rules.webhooks import DISABLE_AFTER_FAILURES
from helpdesk.services.webhooks import delivery, endpoints
from helpdesk.services.webhooks.transport import Answer, Refused
from tests.factories import make_case, make_organisation, make_user
from tests.services.webhook_support import (
    SECRET,
    T0,
    FakeClock,
    FakeTransport,
    deliveries,
    due_at_t0,
    make_endpoint,
    signed_by,
)

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def queued(count: int = 1, **endpoint) -> WebhookEndpoint:
    """An endpoint for case.created and `count` cases' deliveries, due at T0."""
    hook = make_endpoint("case.created", **endpoint)
    db.session.commit()
    organisation = make_organisation()
    for _ in range(count):
        make_case(organisation)
    db.session.commit()
    due_at_t0()
    return hook


def send(transport: FakeTransport, clock: FakeClock, **kwargs) -> delivery.BatchResult:
    return delivery.send_batch(
        transport=transport, clock=clock, monotonic=clock.monotonic, **kwargs
    )


def test_a_2xx_delivers_a_signed_request(clock):
    hook = queued()
    transport = FakeTransport(answers=[204])

    result = send(transport, clock)

    assert (result.claimed, result.delivered) == (1, 1)
    (request,) = transport.sent
    (row,) = deliveries()
    headers = request.headers
    assert request.url == hook.url
    assert request.body == row.payload.encode()
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "helpdesk-webhooks/1"
    assert headers["X-Helpdesk-Event"] == "case.created"
    assert headers["X-Helpdesk-Delivery"] == row.uuid == json.loads(request.body)["id"]
    timestamp = int(T0.replace(tzinfo=UTC).timestamp())  # the send's own clock
    assert headers["X-Helpdesk-Timestamp"] == str(timestamp)
    assert signed_by(SECRET, request.body, headers)
    assert not signed_by("whsec_another", request.body, headers)
    assert row.status == DeliveryStatus.DELIVERED
    assert (row.attempts, row.last_status_code, row.last_duration_ms) == (1, 204, 125)
    assert row.delivered_at == T0 and row.last_error is None and row.claimed_at is None


def test_a_failure_is_retried_on_the_back_off_schedule_then_given_up(clock):
    hook = queued()
    transport = FakeTransport(then=500)
    waits = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
             timedelta(hours=2), timedelta(hours=6)]  # fmt: skip

    for attempt, wait in enumerate(waits, start=1):
        assert send(transport, clock).retried == 1
        (row,) = deliveries()
        assert (row.status, row.attempts) == (DeliveryStatus.PENDING, attempt)
        assert row.next_attempt_at == clock.now + wait
        assert row.last_status_code == 500 and row.last_error.startswith("HTTP 500")
        clock.now = row.next_attempt_at - timedelta(seconds=1)
        assert send(transport, clock).claimed == 0  # not due a second early
        clock.advance(seconds=1)

    result = send(transport, clock)

    assert (result.failed, result.disabled) == (1, 1)
    (row,) = deliveries()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 6)
    assert len(transport.sent) == 6
    endpoint = db.session.get(WebhookEndpoint, hook.id)
    assert endpoint.active is False
    assert endpoint.disabled_at == clock.now
    assert "given up" in endpoint.disabled_reason
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "webhook.disabled"))
    assert audit.object_id == hook.id and audit.actor_id is None


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (TimeoutError("timed out"), "Timed out"),
        (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefusedError"),
        (Refused("localhost is at 127.0.0.1, a loopback address"), "Refused: localhost"),
        (Answer(302, "Found", "https://elsewhere.example/", b""), "redirects are not followed"),
        (Answer(404, "Not Found", None, b"no such\nhook\x00"), "HTTP 404 Not Found: no such hook"),
        (ValueError("something unexpected"), "ValueError: something unexpected"),
    ],
)
def test_errors_and_non_2xx_answers_fail_with_the_reason(clock, answer, error):
    queued()

    assert send(FakeTransport(answers=[answer]), clock).retried == 1

    (row,) = deliveries()
    assert error in row.last_error
    assert row.status == DeliveryStatus.PENDING
    assert row.last_status_code == (answer.status if isinstance(answer, Answer) else None)


def test_ten_failures_in_a_row_turn_the_endpoint_off_and_the_rest_waits(clock):
    hook = queued(DISABLE_AFTER_FAILURES + 3)
    transport = FakeTransport(then=503)

    result = send(transport, clock)

    assert result.retried == DISABLE_AFTER_FAILURES and result.disabled == 1
    assert len(transport.sent) == DISABLE_AFTER_FAILURES  # the rest was not tried
    rows = deliveries()
    untried = [row for row in rows if row.attempts == 0]
    assert len(untried) == 3
    assert all(row.status == DeliveryStatus.PENDING and row.claimed_at is None for row in untried)
    endpoint = db.session.get(WebhookEndpoint, hook.id)
    assert endpoint.active is False
    failures = DISABLE_AFTER_FAILURES
    assert endpoint.disabled_reason == f"{failures} delivery attempts in a row failed."

    # Off: nothing is sent, and new events write nothing for it.
    clock.advance(hours=7)
    assert send(transport, clock).claimed == 0
    make_case(make_organisation())
    db.session.commit()
    assert len(deliveries()) == len(rows)

    # On again: the count starts afresh and the waiting deliveries go out.
    admin = make_user(Role.ADMIN)
    assert endpoints.enable(admin, endpoint)
    endpoint = db.session.get(WebhookEndpoint, hook.id)
    assert (endpoint.consecutive_failures, endpoint.disabled_reason) == (0, None)
    assert send(FakeTransport(then=200), clock).delivered == len(rows)


def test_a_success_resets_the_count_of_failures(clock):
    hook = queued(2)
    send(FakeTransport(answers=[500, 200]), clock)

    assert db.session.get(WebhookEndpoint, hook.id).consecutive_failures == 0


def test_two_senders_never_claim_the_same_delivery(clock):
    queued(3)

    first = delivery.claim(T0, 2)
    second = delivery.claim(T0, 2)
    third = delivery.claim(T0, 2)

    assert len(first) == 2 and len(second) == 1 and third == []
    assert not set(first) & set(second)


def test_a_killed_senders_claims_are_taken_over_after_the_lease(clock):
    queued()
    (claimed,) = delivery.claim(T0, 10)  # a sender that then died

    assert delivery.claim(T0 + delivery.LEASE, 10) == []
    assert delivery.claim(T0 + delivery.LEASE + timedelta(seconds=1), 10) == [claimed]


def test_a_claim_taken_over_meanwhile_is_not_sent_twice(clock, monkeypatch):
    queued()
    transport = FakeTransport()
    real_renew = delivery._renew

    def taken_over(delivery_id, claimed_at, at):
        # another sender took the row over just before our POST
        db.session.execute(
            sa.update(WebhookDelivery).values(claimed_at=claimed_at + timedelta(minutes=5))
        )
        db.session.commit()
        return real_renew(delivery_id, claimed_at, at)

    monkeypatch.setattr(delivery, "_renew", taken_over)

    result = send(transport, clock)

    assert result.claimed == 1 and transport.sent == []
    assert deliveries()[0].status == DeliveryStatus.SENDING


def test_a_stop_hands_the_rest_of_the_batch_back(clock):
    queued(3)
    transport = FakeTransport()

    result = send(transport, clock, should_stop=lambda: len(transport.sent) >= 1)

    assert result.delivered == 1
    statuses = sorted(row.status for row in deliveries())
    assert statuses == [DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.PENDING]


def test_a_new_secret_signs_the_next_attempt(clock):
    hook = queued()
    transport = FakeTransport(answers=[500, 200])
    send(transport, clock)
    admin = make_user(Role.ADMIN)
    secret = endpoints.rotate_secret(admin, db.session.get(WebhookEndpoint, hook.id))
    clock.advance(minutes=1)

    send(transport, clock)

    late = transport.sent[-1]
    assert signed_by(secret, late.body, late.headers)
    assert not signed_by(SECRET, late.body, late.headers)
    assert transport.sent[0].body == late.body  # the same delivery: the same id and body


def test_old_finished_deliveries_are_pruned(clock):
    queued(2)
    send(FakeTransport(answers=[200, 500]), clock)

    assert delivery.prune(T0 + timedelta(days=29)) == 0
    assert delivery.prune(T0 + timedelta(days=31)) == 1  # the delivered one; one still waits
    assert [row.status for row in deliveries()] == [DeliveryStatus.PENDING]


def test_send_due_runs_batches_until_nothing_is_due(app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_BATCH_SIZE", 2)
    queued(5)

    result = delivery.send_due(transport=FakeTransport(), clock=clock, monotonic=clock.monotonic)

    assert (result.claimed, result.delivered) == (5, 5)
    assert result.summary == "Delivered 5, retried 0, given up 0."


def test_two_senders_at_once_send_each_delivery_once(app, clock):
    queued(12)
    db.session.remove()  # the threads open their own sessions
    barrier = threading.Barrier(2)
    sent: dict[str, list[str]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def sender(name: str) -> None:
        transport = FakeTransport()
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(4):
                    delivery.send_batch(
                        transport=transport, clock=clock, monotonic=clock.monotonic, batch_size=2
                    )
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)
        sent[name] = [request.headers["X-Helpdesk-Delivery"] for request in transport.sent]

    threads = [threading.Thread(target=sender, args=(name,)) for name in sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    everything = sent["a"] + sent["b"]
    assert len(everything) == len(set(everything)) == 12
    assert {row.status for row in deliveries()} == {DeliveryStatus.DELIVERED}
