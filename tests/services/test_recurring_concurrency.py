"""Overlapping `flask charge-recurring` runs, each in its own thread and connection: every due
period is charged exactly once (the row lock, then the unique period key).

Runs on the suite's database: a file on SQLite (BEGIN IMMEDIATE serialises the writers), or a
throwaway PostgreSQL database when HELPDESK_TEST_DATABASE_URL is set (SELECT ... FOR UPDATE).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Payment, RecurringCharge, RecurringKind, RecurringPayment, Role
from helpdesk.services.billing import recurring_charges
from tests.conftest import config_for_tests, throwaway_database
from tests.factories import make_organisation, make_user
from tests.services.test_refunds import make_card

RUNS = 6
NOW = datetime(2026, 3, 10, 18, 0)


@pytest.fixture(scope="module")
def race_app(tmp_path_factory) -> Iterator[Flask]:
    tmp_dir = tmp_path_factory.mktemp("recurring-race")
    with throwaway_database(tmp_dir) as url:
        config = config_for_tests(url, tmp_dir)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "pool_size": RUNS + 2,
            "max_overflow": 0,
        }
        app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_overlapping_runs_charge_each_period_once(race_app):
    with race_app.app_context():
        rows = []
        for n in range(3):
            organisation = make_organisation()
            make_user(Role.CUSTOMER, organisation=organisation)
            card = make_card(organisation)
            row = RecurringPayment(
                organisation_id=organisation.id,
                kind=RecurringKind.FLAT_RATE,
                description=f"Plan {n}",
                amount_cents=2900,
                effective_on=date(2026, 1, 10),
                next_charge_on=date(2026, 1, 10),  # three periods due: January to March
                card_id=card.id,
            )
            db.session.add(row)
            rows.append(row)
        db.session.commit()
        ids = [row.id for row in rows]

    start = threading.Barrier(RUNS)

    def run(_: int) -> int:
        with race_app.app_context():
            start.wait()
            try:
                return recurring_charges.charge_due(NOW).charged
            finally:
                db.session.remove()

    with ThreadPoolExecutor(RUNS) as pool:
        charged = list(pool.map(run, range(RUNS)))

    assert sum(charged) == 9  # 3 payments x 3 periods, whichever run charged them
    with race_app.app_context():
        periods = db.session.execute(
            sa.select(RecurringCharge.recurring_payment_id, RecurringCharge.period_on)
        ).all()
        assert sorted(periods) == sorted((i, date(2026, m, 10)) for i in ids for m in (1, 2, 3))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 9
        for row_id in ids:
            assert db.session.get(RecurringPayment, row_id).next_charge_on == date(2026, 4, 10)
