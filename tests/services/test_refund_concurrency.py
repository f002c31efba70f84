"""Twenty simultaneous refunds of one payment, each from its own thread and connection.

Runs on the suite's database: a file on SQLite (BEGIN IMMEDIATE serialises the writers), or a
throwaway PostgreSQL database when HELPDESK_TEST_DATABASE_URL is set (SELECT ... FOR UPDATE).
"""

from __future__ import annotations

import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    Organisation,
    OutboxMail,
    Payment,
    PrepaidEntry,
    Refund,
    RefundDestination,
    Role,
    User,
)
from helpdesk.services import ServiceError
from helpdesk.services.billing import refunds
from tests.conftest import config_for_tests, throwaway_database
from tests.factories import make_organisation, make_user
from tests.services.test_refunds import make_payment

THREADS = 20
PAID = 10_000  # $100.00
EACH = 700  # $7.00: 14 fit ($98.00), 6 cannot


@pytest.fixture(scope="module")
def race_app(tmp_path_factory) -> Iterator[Flask]:
    """An app of its own on a new database, with a connection for every thread."""
    tmp_dir = tmp_path_factory.mktemp("race")
    with throwaway_database(tmp_dir) as url:
        config = config_for_tests(url, tmp_dir)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "pool_size": THREADS + 2,  # the workers and the observer, all at once
            "max_overflow": 0,
        }
        app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade()  # the real schema, CHECK constraints as migrated
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class Outcome:
    ok: bool
    replay: bool = False
    refund_id: int | None = None
    message: str = ""
    error: str = ""
    seconds: float = 0.0


def _setup(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        organisation = make_organisation()
        make_user(Role.CUSTOMER, organisation=organisation)
        clerk = make_user(Role.BILLING)
        payment = make_payment(organisation, amount_cents=PAID)
        db.session.commit()
        return clerk.id, payment.id, organisation.id


def _race(app: Flask, clerk_id: int, payment_id: int, requests: list[dict]):
    """Fire `requests` at once, one thread and connection each; outcomes, wall time, max seen."""
    barrier = threading.Barrier(len(requests) + 2)  # the workers, the observer and us
    done = threading.Event()
    highest_seen = [0, 0]  # the largest refunded_cents the observer read, and how many reads

    def worker(request: dict) -> Outcome:
        with app.app_context():
            try:
                actor = db.session.get(User, clerk_id)  # opens this thread's own connection
                barrier.wait(timeout=60)
                started = time.perf_counter()
                try:
                    result = refunds.refund(actor=actor, payment_id=payment_id, **request)
                except ServiceError as refusal:
                    return Outcome(
                        ok=False,
                        message=refusal.message,
                        seconds=time.perf_counter() - started,
                    )
                return Outcome(
                    ok=True,
                    replay=result.replay,
                    refund_id=result.refund.id,
                    seconds=time.perf_counter() - started,
                )
            except Exception as error:  # e.g. "database is locked": the test must see it
                return Outcome(ok=False, error=repr(error))
            finally:
                db.session.remove()

    def observer() -> None:
        with app.app_context():
            barrier.wait(timeout=60)
            while not done.is_set():
                value = db.session.scalar(
                    sa.select(Payment.refunded_cents).where(Payment.id == payment_id)
                )
                db.session.rollback()  # a fresh snapshot for every read
                highest_seen[0] = max(highest_seen[0], value)
                highest_seen[1] += 1
                time.sleep(0.001)  # sample, don't hog the interpreter the workers share
            db.session.remove()

    # Daemon threads, bounded waits and a `finally`: a failure here must fail the test, never
    # leave a thread polling forever that keeps the test process from exiting.
    watcher = threading.Thread(target=observer, daemon=True)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            futures = [pool.submit(worker, request) for request in requests]
            barrier.wait(timeout=60)
            started = time.perf_counter()
            outcomes = [future.result(timeout=120) for future in futures]
            elapsed = time.perf_counter() - started
    finally:
        done.set()
        barrier.abort()  # releases anyone still waiting if the race never started
        watcher.join(timeout=10)
    return outcomes, elapsed, highest_seen


def _report(app: Flask, label: str, outcomes: list[Outcome], elapsed: float, capsys) -> None:
    """Print the figures (shown even without -s): they go into the closing note."""
    times = [o.seconds for o in outcomes if not o.error]
    with capsys.disabled():
        print(
            f"\n[refund race · {label} · {_dialect(app)}] threads={len(outcomes)} "
            f"succeeded={sum(o.ok and not o.replay for o in outcomes)} "
            f"replayed={sum(o.replay for o in outcomes)} "
            f"refused={sum(not o.ok and not o.error for o in outcomes)} "
            f"errors={sum(bool(o.error) for o in outcomes)} "
            f"elapsed={elapsed * 1000:.0f} ms "
            f"per request median={statistics.median(times) * 1000:.1f} ms "
            f"max={max(times) * 1000:.1f} ms"
        )


def _dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


def test_twenty_simultaneous_partial_refunds_never_exceed_the_payment(race_app, capsys):
    clerk_id, payment_id, organisation_id = _setup(race_app)
    requests = [
        {
            "amount_cents": EACH,
            "reason": f"Partial refund {n}",
            # Half to the card, half to prepaid: the balance is raced as well.
            "destination": RefundDestination.CARD if n % 2 else RefundDestination.PREPAID,
            "idempotency_key": secrets.token_urlsafe(32),
        }
        for n in range(THREADS)
    ]
    outcomes, elapsed, (highest, reads) = _race(race_app, clerk_id, payment_id, requests)
    _report(race_app, "distinct keys", outcomes, elapsed, capsys)

    assert [o.error for o in outcomes if o.error] == []
    fits = PAID // EACH
    succeeded = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if not o.ok]
    assert len(succeeded) == fits == 14
    assert len(refused) == THREADS - fits
    left = PAID - fits * EACH
    assert all(f"at most ${left / 100:.2f} can still be" in o.message for o in refused)
    assert reads > 0 and highest <= PAID

    with race_app.app_context():
        payment = db.session.get(Payment, payment_id)
        rows = db.session.scalars(sa.select(Refund).where(Refund.payment_id == payment_id)).all()
        assert payment.refunded_cents <= payment.amount_cents
        assert payment.refunded_cents == sum(r.amount_cents for r in rows) == fits * EACH
        assert sorted(r.id for r in rows) == sorted(o.refund_id for o in succeeded)
        to_prepaid = sum(r.amount_cents for r in rows if r.destination == "prepaid")
        ledger = db.session.scalar(
            sa.select(sa.func.sum(PrepaidEntry.amount_cents)).where(
                PrepaidEntry.organisation_id == organisation_id
            )
        )
        balance = db.session.get(Organisation, organisation_id).prepaid_balance_cents
        assert balance == (ledger or 0) == to_prepaid
        audits = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "refund.create", AuditLog.organisation_id == organisation_id)
        )
        mails = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.organisation_id == organisation_id)
        )
        assert audits == mails == fits


def test_twenty_simultaneous_posts_of_one_key_refund_once(race_app, capsys):
    """A double click (or a retrying proxy) times twenty: one refund, nineteen replays."""
    clerk_id, payment_id, _ = _setup(race_app)
    request = {
        "amount_cents": 2_500,
        "reason": "Double-clicked",
        "destination": RefundDestination.CARD,
        "idempotency_key": secrets.token_urlsafe(32),
    }
    outcomes, elapsed, _ = _race(race_app, clerk_id, payment_id, [request] * THREADS)
    _report(race_app, "one key", outcomes, elapsed, capsys)

    assert [o.error for o in outcomes if o.error] == []
    assert all(o.ok for o in outcomes)
    assert sum(not o.replay for o in outcomes) == 1
    assert len({o.refund_id for o in outcomes}) == 1
    with race_app.app_context():
        assert db.session.get(Payment, payment_id).refunded_cents == 2_500
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Refund)
                .where(Refund.payment_id == payment_id)
            )
            == 1
        )
