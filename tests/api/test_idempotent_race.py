"""Clients retrying a case creation at the same moment with one Idempotency-Key: one case.

Each request runs in its own thread with its own connection. On PostgreSQL (CI) the requests
really overlap: the second insert of the key waits on the unique index, fails once the first
commits, and answers with the first one's case. On SQLite the writers take turns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import ApiIdempotencyKey, Case, Role
from tests.api.tokens import bearer
from tests.conftest import config_for_tests, throwaway_database
from tests.factories import make_organisation, make_user

CLIENTS = 6


@pytest.fixture(scope="module")
def race_app(tmp_path_factory) -> Iterator[Flask]:
    tmp_dir = tmp_path_factory.mktemp("api-race")
    with throwaway_database(tmp_dir) as url:
        config = config_for_tests(url, tmp_dir)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": CLIENTS + 2, "max_overflow": 0}
        app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_simultaneous_retries_with_one_key_make_one_case(race_app):
    with race_app.app_context():
        organisation = make_organisation()
        agent = make_user(Role.AGENT)
        db.session.commit()
        header = {**bearer(agent, "cases:write"), "Idempotency-Key": "checkout-4711"}
        body = {
            "organisation_id": organisation.id,
            "subject": "Checkout failed",
            "body": "Order 4711 could not be paid.",
        }
    start = threading.Barrier(CLIENTS)

    def post(_: int):
        client = race_app.test_client()
        start.wait()
        response = client.post("/api/v1/cases", json=body, headers=header)
        return response.status_code, response.get_json()["number"]

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(post, range(CLIENTS)))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (CLIENTS - 1) + [201]
    assert len({number for _, number in answers}) == 1
    with race_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiIdempotencyKey)) == 1
