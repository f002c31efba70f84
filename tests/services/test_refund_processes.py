"""Twenty simultaneous partial refunds of one payment, each from its own OS process.

Threads share one interpreter (and its GIL); separate processes, each with its own app, engine
and connection, are how gunicorn workers meet in production. Runs on the suite's database kind:
a file on SQLite (BEGIN IMMEDIATE serialises the writers across processes), or a throwaway
PostgreSQL database when HELPDESK_TEST_DATABASE_URL is set (SELECT ... FOR UPDATE).
"""

from __future__ import annotations

import multiprocessing
import queue
import secrets
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Payment, Refund, RefundDestination, Role, User
from helpdesk.services import ServiceError
from helpdesk.services.billing import refunds
from tests.conftest import config_for_tests, throwaway_database
from tests.factories import make_organisation, make_user
from tests.services.test_refunds import make_payment

PROCESSES = 20
PAID = 10_000  # $100.00
EACH = 700  # $7.00: 14 fit ($98.00), 6 cannot
START_TIMEOUT = 300  # seconds for all to start, build an app and connect (slow on a busy machine)
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Race:
    database_url: str
    tmp_dir: str
    clerk_id: int
    payment_id: int


@pytest.fixture(scope="module")
def race(tmp_path_factory) -> Iterator[tuple[Flask, Race]]:
    """A migrated database of its own with one payment, and the observing app."""
    tmp_dir = tmp_path_factory.mktemp("process-race")
    with throwaway_database(tmp_dir) as url:
        app = create_app(config_for_tests(url, tmp_dir))
        with app.app_context():
            flask_migrate.upgrade()  # the real schema, CHECK constraints as migrated
            organisation = make_organisation()
            make_user(Role.CUSTOMER, organisation=organisation)
            clerk = make_user(Role.BILLING)
            payment = make_payment(organisation, amount_cents=PAID)
            db.session.commit()
            setup = Race(url, str(tmp_dir), clerk.id, payment.id)
        yield app, setup
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _refund_in_own_process(setup: Race, request: dict, barrier, results) -> None:
    """One worker process: its own app and connection; waits for the others, then refunds."""
    outcome: dict = {"ok": False, "error": "", "message": "", "seconds": 0.0}
    try:
        app = create_app(config_for_tests(setup.database_url, Path(setup.tmp_dir)))
        with app.app_context():
            try:
                actor = db.session.get(User, setup.clerk_id)  # opens this process's connection
                barrier.wait(timeout=START_TIMEOUT)
                started = time.perf_counter()
                try:
                    result = refunds.refund(actor=actor, payment_id=setup.payment_id, **request)
                except ServiceError as refusal:
                    outcome["message"] = refusal.message
                else:
                    outcome.update(ok=True, refund_id=result.refund.id, replay=result.replay)
                outcome["seconds"] = time.perf_counter() - started
            finally:
                db.session.remove()
                db.engine.dispose()
    except Exception as error:  # e.g. "database is locked": the test must see it
        barrier.abort()  # the others must not wait for a process that will never arrive
        outcome["error"] = repr(error)
    results.put(outcome)


def _requests() -> list[dict]:
    return [
        {
            "amount_cents": EACH,
            "reason": f"Partial refund {n}",
            # Half to the card, half to prepaid: the customer's balance is raced as well.
            "destination": RefundDestination.CARD if n % 2 else RefundDestination.PREPAID,
            "idempotency_key": secrets.token_urlsafe(32),
        }
        for n in range(PROCESSES)
    ]


def _refunded(app: Flask, payment_id: int) -> int:
    with app.app_context():
        value = db.session.scalar(sa.select(Payment.refunded_cents).where(Payment.id == payment_id))
        db.session.remove()  # a fresh snapshot for every read
        return value


@dataclass
class Figures:
    """What one run measured: for the closing note, and for the assertions."""

    outcomes: list[dict]
    startup: float  # seconds until every process had its app and connection
    elapsed: float  # seconds from the release to the last answer
    highest: int  # the largest refunded_cents read while the race ran
    reads: int


def _run(app: Flask, setup: Race) -> Figures:
    """Start the processes, release them at once, watch the payment until all have answered."""
    # Fresh processes forked from a server that imported the app once: nothing inherited from
    # this one (no connections, no app), without each one importing Flask and the models.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["helpdesk", "helpdesk.services.billing.refunds", "tests.conftest"]
    )
    barrier = context.Barrier(PROCESSES + 1)  # the workers and us
    results = context.Queue()
    workers = [
        context.Process(target=_refund_in_own_process, args=(setup, request, barrier, results))
        for request in _requests()
    ]
    outcomes: list[dict] = []
    highest = reads = 0
    launched = time.perf_counter()
    try:
        for worker in workers:
            worker.start()
        barrier.wait(timeout=START_TIMEOUT)
        started = time.perf_counter()
        deadline = started + RUN_TIMEOUT
        while len(outcomes) < PROCESSES and time.perf_counter() < deadline:
            try:
                outcomes.append(results.get(timeout=0.005))
            except queue.Empty:
                highest = max(highest, _refunded(app, setup.payment_id))
                reads += 1
        elapsed = time.perf_counter() - started
    finally:
        barrier.abort()
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()  # only our own children, by handle
    highest = max(highest, _refunded(app, setup.payment_id))
    return Figures(outcomes, started - launched, elapsed, highest, reads + 1)


def _report(app: Flask, figures: Figures, capsys) -> None:
    """Print the figures (shown even without -s): they go into the closing note."""
    outcomes = figures.outcomes
    times = [o["seconds"] for o in outcomes if not o["error"]] or [0.0]
    with app.app_context():
        dialect = db.engine.dialect.name
    with capsys.disabled():
        print(
            f"\n[refund race · processes · {dialect}] processes={PROCESSES} "
            f"answered={len(outcomes)} succeeded={sum(o['ok'] for o in outcomes)} "
            f"refused={sum(not o['ok'] and not o['error'] for o in outcomes)} "
            f"errors={sum(bool(o['error']) for o in outcomes)} "
            f"start-up={figures.startup:.1f} s race={figures.elapsed * 1000:.0f} ms "
            f"per request median={statistics.median(times) * 1000:.1f} ms "
            f"max={max(times) * 1000:.1f} ms "
            f"highest refunded seen={figures.highest} of {PAID} in {figures.reads} reads"
        )


def test_twenty_processes_refunding_at_once_never_exceed_the_payment(race, capsys):
    app, setup = race
    figures = _run(app, setup)
    _report(app, figures, capsys)
    outcomes = figures.outcomes
    succeeded = [o for o in outcomes if o["ok"]]
    refused = [o for o in outcomes if not o["ok"] and not o["error"]]

    assert len(outcomes) == PROCESSES
    assert [o["error"] for o in outcomes if o["error"]] == []
    fits = PAID // EACH
    assert len(succeeded) == fits == 14 and len(refused) == PROCESSES - fits
    assert not any(o["replay"] for o in succeeded)
    left = PAID - fits * EACH
    assert all(f"at most ${left / 100:.2f} can still be" in o["message"] for o in refused)
    assert figures.highest <= PAID
    with app.app_context():
        payment = db.session.get(Payment, setup.payment_id)
        rows = db.session.scalars(
            sa.select(Refund).where(Refund.payment_id == setup.payment_id)
        ).all()
        assert payment.refunded_cents <= payment.amount_cents
        assert payment.refunded_cents == sum(r.amount_cents for r in rows) == fits * EACH
        assert sorted(r.id for r in rows) == sorted(o["refund_id"] for o in succeeded)
