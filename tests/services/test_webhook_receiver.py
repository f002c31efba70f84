"""Webhooks end to end: a real HTTP receiver on 127.0.0.1 (allowed for the test by the setting
that names internal ranges) gets signed deliveries, a retry after a 500, and stops getting them
once the failure rule turns its endpoint off. Without the setting, 127.0.0.1 is refused; a
redirect is never followed; a host name is resolved once and the checked address is the one
connected to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import DeliveryStatus, Role, WebhookDelivery, WebhookEndpoint, utcnow
from helpdesk.rules.webhook_targets import parse_networks
from helpdesk.rules.webhooks import DISABLE_AFTER_FAILURES
from helpdesk.services import ServiceError
from helpdesk.services.core import jobs, settings
from helpdesk.services.webhooks import delivery, endpoints
from helpdesk.services.webhooks.transport import RESOLVER_EXTENSION, HttpTransport
from tests.factories import make_case, make_organisation, make_user
from tests.services.webhook_support import FakeClock, deliveries, due_at_t0, make_endpoint

pytestmark = pytest.mark.usefixtures("ctx")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the test's HTTP server received, and how it answers next."""

    port: int
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    then: tuple[int, dict[str, str]] = (200, {})
    hold: threading.Event = field(default_factory=threading.Event)
    holding: bool = False

    def url(self, path: str = "/hooks", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            if state.holding:
                state.hold.wait(10)  # longer than the sender waits: it times out first
            status, headers = state.answers.pop(0) if state.answers else state.then
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def admin(ctx):
    return make_user(Role.ADMIN)


@pytest.fixture
def loopback_allowed(admin) -> None:
    settings.save(admin, {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"})


def verified(secret: str, request: Received) -> bool:
    """What the README tells a receiver to do (the five-minute check needs the wall clock,
    which a test does not read: the timestamp checked is the one sent)."""
    timestamp = request.headers["X-Helpdesk-Timestamp"]
    signed = f"{timestamp}.".encode() + request.body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers["X-Helpdesk-Signature"])


def one_case() -> None:
    make_case(make_organisation(), subject="Checkout broken")
    db.session.commit()
    due_at_t0()


def send(clock: FakeClock) -> delivery.BatchResult:
    return delivery.send_batch(clock=clock, monotonic=clock.monotonic)


@pytest.mark.usefixtures("loopback_allowed")
def test_a_signed_delivery_is_retried_after_a_500_and_then_delivered(admin, receiver):
    endpoint, secret = endpoints.create(
        admin, url=receiver.url("/hooks?src=helpdesk"), description="", events=["case.created"]
    )
    one_case()
    receiver.answers = [(500, {})]
    clock = FakeClock()

    first = send(clock)

    assert (first.claimed, first.retried) == (1, 1)
    (row,) = deliveries()
    assert row.last_status_code == 500 and row.last_error == "HTTP 500 Internal Server Error: ok"
    clock.advance(seconds=59)
    assert send(clock).claimed == 0
    clock.advance(seconds=1)
    assert send(clock).delivered == 1

    assert len(receiver.received) == 2
    for request in receiver.received:
        assert request.path == "/hooks?src=helpdesk"
        assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == "helpdesk-webhooks/1"
        assert request.headers["X-Helpdesk-Event"] == "case.created"
        assert verified(secret, request)
        assert not verified(secret + "x", request)
    first_try, retry = receiver.received
    assert first_try.body == retry.body  # the same delivery, dropped by its id if seen
    assert first_try.headers["X-Helpdesk-Delivery"] == retry.headers["X-Helpdesk-Delivery"]
    assert (
        int(retry.headers["X-Helpdesk-Timestamp"]) - int(first_try.headers["X-Helpdesk-Timestamp"])
        == 60
    )
    body = json.loads(retry.body)
    assert body["event"] == "case.created"
    assert body["data"]["case"]["subject"] == "Checkout broken"
    (row,) = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    assert row.endpoint_id == endpoint.id


@pytest.mark.usefixtures("loopback_allowed")
def test_a_receiver_that_keeps_failing_is_turned_off(admin, receiver):
    endpoints.create(admin, url=receiver.url(), description="", events=["case.created"])
    for _ in range(DISABLE_AFTER_FAILURES + 2):
        one_case()
    receiver.then = (500, {})

    result = send(FakeClock())

    assert result.disabled == 1
    assert len(receiver.received) == DISABLE_AFTER_FAILURES
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    assert endpoint.active is False and "in a row failed" in endpoint.disabled_reason


def test_loopback_is_refused_without_the_setting(admin, receiver):
    with pytest.raises(ServiceError, match="127.0.0.1 is a loopback address"):
        endpoints.create(admin, url=receiver.url(), description="", events=["case.created"])
    db.session.rollback()
    make_endpoint("case.created", url=receiver.url())  # written by hand, past the form
    db.session.commit()
    one_case()

    assert send(FakeClock()).retried == 1

    assert receiver.received == []
    assert deliveries()[0].last_error.startswith("Refused: 127.0.0.1 is a loopback address")


@pytest.mark.usefixtures("loopback_allowed")
def test_a_redirect_is_not_followed(admin, receiver):
    endpoints.create(admin, url=receiver.url("/first"), description="", events=["case.created"])
    one_case()
    receiver.answers = [(302, {"Location": receiver.url("/elsewhere")})]

    assert send(FakeClock()).retried == 1

    assert [request.path for request in receiver.received] == ["/first"]
    (row,) = deliveries()
    assert row.last_status_code == 302
    assert "redirects are not followed" in row.last_error and "/elsewhere" in row.last_error


@pytest.mark.usefixtures("loopback_allowed")
def test_a_host_name_is_resolved_once_and_its_checked_address_connected_to(
    app, admin, receiver, monkeypatch
):
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    monkeypatch.setitem(app.extensions, RESOLVER_EXTENSION, resolver)
    url = receiver.url(host="hooks.internal.test")
    endpoints.create(admin, url=url, description="", events=["case.created"])
    asked.clear()
    one_case()

    assert send(FakeClock()).delivered == 1

    assert asked == ["hooks.internal.test"]
    assert receiver.received[0].headers["Host"] == f"hooks.internal.test:{receiver.port}"


def test_a_name_that_now_resolves_inside_is_refused_at_delivery(app, admin, receiver, monkeypatch):
    answers = {"hooks.example.com": ["93.184.215.14"]}
    monkeypatch.setitem(app.extensions, RESOLVER_EXTENSION, lambda host, port: answers[host])
    endpoints.create(
        admin, url=receiver.url(host="hooks.example.com"), description="", events=["case.created"]
    )
    answers["hooks.example.com"] = ["127.0.0.1"]  # rebinding after the check at registration
    one_case()

    send(FakeClock())

    assert receiver.received == []
    assert "hooks.example.com is at 127.0.0.1, a loopback address" in deliveries()[0].last_error


def test_https_connects_to_the_checked_address_with_the_name_for_the_certificate(receiver):
    class RecordingContext:
        """Stands in for TLS: records the name the certificate would be checked against."""

        names: list[str] = []

        def wrap_socket(self, sock, server_hostname):
            self.names.append(server_hostname)
            return sock  # the test's receiver speaks plain HTTP

    context = RecordingContext()
    transport = HttpTransport(
        parse_networks("127.0.0.0/8"),
        resolver=lambda host, port: ["127.0.0.1"],
        context=context,  # type: ignore[arg-type]
    )

    answer = transport.post(f"https://shop.example.com:{receiver.port}/in", b"{}", {})

    assert answer.status == 200
    assert context.names == ["shop.example.com"]
    assert receiver.received[0].headers["Host"] == f"shop.example.com:{receiver.port}"


@pytest.mark.usefixtures("loopback_allowed")
def test_a_receiver_that_does_not_answer_in_time_fails(app, admin, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 0.2)
    endpoints.create(admin, url=receiver.url(), description="", events=["case.created"])
    one_case()
    receiver.holding = True

    assert send(FakeClock()).retried == 1

    assert deliveries()[0].last_error == "Timed out: the receiver did not answer in time."


@pytest.mark.usefixtures("loopback_allowed")
def test_flask_send_webhooks_and_the_worker_job_deliver(app, admin, receiver):
    """The command and the job run on the machine's clock, as in production: a delivery
    written just before is due, whatever the date."""
    endpoints.create(admin, url=receiver.url(), description="", events=["case.created"])
    organisation = make_organisation()
    make_case(organisation)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["send-webhooks"])

    assert result.exit_code == 0, result.output
    assert "Delivered 1, retried 0, given up 0." in result.output
    make_case(organisation)
    db.session.commit()
    job = next(job for job in jobs.JOBS if job.name == "webhooks")
    (run,) = jobs.run_due("worker-test", now=utcnow(), jobs=[job])
    assert run.outcome.summary == "Delivered 1, retried 0, given up 0."
    assert len(receiver.received) == 2
    assert {row.status for row in db.session.scalars(sa.select(WebhookDelivery))} == {
        DeliveryStatus.DELIVERED
    }
