"""Two API requests refunding with one Idempotency-Key at the same moment, each in its own
thread, app context and connection, make one refund: one 201, one 200 with the same refund.

PostgreSQL only: there the payment row lock (SELECT ... FOR UPDATE) is what serialises them,
and the requests truly overlap; SQLite's single writer would make this no race at all.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import AuditLog, OutboxMail, Payment, Refund, Role
from tests.api.conftest import token_headers
from tests.conftest import PG_SERVER_URL, config_for_tests, throwaway_database
from tests.factories import make_organisation, make_user
from tests.services.test_refunds import make_payment

pytestmark = pytest.mark.skipif(
    not PG_SERVER_URL,
    reason="the refund race runs on PostgreSQL (set HELPDESK_TEST_DATABASE_URL)",
)

THREADS = 2
ROUNDS = 5
REFUND = {"amount_cents": 1_500, "reason": "Charged twice", "destination": "card"}


@pytest.fixture(scope="module")
def race_app(tmp_path_factory) -> Iterator[Flask]:
    """An app of its own on a new database, with a connection for every thread."""
    tmp_dir = tmp_path_factory.mktemp("api-race")
    with throwaway_database(tmp_dir) as url:
        config = config_for_tests(url, tmp_dir)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": THREADS + 2, "max_overflow": 0}
        app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _setup(app: Flask) -> tuple[int, int]:
    with app.app_context():
        organisation = make_organisation()
        make_user(Role.CUSTOMER, organisation=organisation)
        clerk = make_user(Role.BILLING)
        payment = make_payment(organisation, amount_cents=10_000)
        db.session.commit()
        return clerk.id, payment.id


def _race(app: Flask, url: str, headers: dict) -> list[tuple[int, dict]]:
    """POST the same refund from THREADS threads released at once; (status, body) each."""
    barrier = threading.Barrier(THREADS)

    def post() -> tuple[int, dict]:
        client = app.test_client()  # each request runs in this thread with its own session
        barrier.wait(timeout=30)
        response = client.post(url, json=REFUND, headers=headers)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(post) for _ in range(THREADS)]
        try:
            return [future.result(timeout=60) for future in futures]
        finally:
            barrier.abort()


def test_one_key_sent_twice_at_once_refunds_once(race_app):
    clerk_id, payment_id = _setup(race_app)
    headers = token_headers(race_app, clerk_id, ["billing"])
    url = f"/api/v1/payments/{payment_id}/refunds"
    for round_number in range(ROUNDS):
        key = f"race-{round_number}-{secrets.token_hex(8)}"
        outcomes = _race(race_app, url, {**headers, "Idempotency-Key": key})

        assert sorted(status for status, _ in outcomes) == [200, 201], outcomes
        assert len({body["refund"]["id"] for _, body in outcomes}) == 1

    with race_app.app_context():
        rows = db.session.scalars(sa.select(Refund).where(Refund.payment_id == payment_id)).all()
        assert len(rows) == ROUNDS
        assert len({row.idempotency_key for row in rows}) == ROUNDS
        payment = db.session.get(Payment, payment_id)
        assert payment.refunded_cents == ROUNDS * REFUND["amount_cents"]
        audits = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "refund.create")
        )
        mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
        assert audits == mails == ROUNDS
