"""`/healthz` and `/readyz` for load balancers, the request id on every response and log line,
and the reference on the 500 page."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
import sqlalchemy as sa

from helpdesk import clock, create_app, logging_setup
from helpdesk import config as settings
from helpdesk.extensions import db
from helpdesk.models import Role
from helpdesk.services.core import readiness
from tests.conftest import (
    PG_SERVER_URL,
    FrozenClock,
    as_user,
    config_for_tests,
    throwaway_database,
)
from tests.factories import make_user


@pytest.fixture
def helpdesk_logger() -> Iterator[logging.Logger]:
    """The helpdesk logger, its handlers and level put back after the test."""
    logger = logging.getLogger(logging_setup.LOGGER_NAME)
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture
def json_lines(helpdesk_logger) -> Iterator[io.StringIO]:
    """What the helpdesk loggers write in the JSON format during the test."""
    stream = io.StringIO()
    helpdesk_logger.addHandler(logging_setup.make_handler("json", stream))
    yield stream


def parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def count_queries(app) -> list[str]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def test_healthz_answers_without_the_database_or_a_session(app, client):
    with app.app_context():
        user_id = make_user(Role.AGENT, tier=1).id
        db.session.commit()
    as_user(app, client, user_id)  # a signed-in browser's cookie must not cost a query
    statements = count_queries(app)

    response = client.get("/healthz")

    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert statements == []
    assert "Set-Cookie" not in response.headers


def test_readyz_reports_each_check_when_all_pass(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker": "not checked"},
        "failing": [],
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_while_migrations_are_behind(tmp_path):
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade(revision="0020_pending_registrations")
        try:
            response = app.test_client().get("/readyz")
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["failing"] == ["migrations"]
    assert "database at 0020_pending_registrations" in response.json["checks"]["migrations"]
    assert response.json["checks"]["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    if PG_SERVER_URL:
        server = sa.make_url(PG_SERVER_URL).set(drivername="postgresql+psycopg")
        url = server.set(database="helpdesk_no_such_database").render_as_string(False)
    else:
        url = f"sqlite:///{tmp_path}/no/such/folder/helpdesk.db"
    app = create_app(config_for_tests(url, tmp_path))

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["failing"] == ["database", "migrations", "worker"]
    assert response.json["checks"]["database"].startswith("error: ")


def test_a_registered_worker_check_decides_readiness(client, monkeypatch):
    monkeypatch.setattr(readiness, "_CHECKS", dict(readiness._CHECKS))
    now = datetime(2027, 1, 15, 8, 0)
    last_beat = {"at": now - timedelta(seconds=30)}
    readiness.register_readiness_check(
        "worker", readiness.heartbeat_check(lambda: last_beat["at"], lambda: now, lambda: 60)
    )
    assert client.get("/readyz").status_code == 200

    last_beat["at"] = now - timedelta(seconds=61)
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.json["failing"] == ["worker"]
    assert stale.json["checks"]["worker"] == "last heartbeat 61s ago"

    last_beat["at"] = None
    assert client.get("/readyz").json["checks"]["worker"] == "no heartbeat yet"


def test_a_sane_request_id_is_echoed_and_any_other_replaced(client):
    assert client.get("/healthz", headers={"X-Request-Id": "lb-42.a"}).headers["X-Request-Id"] == (
        "lb-42.a"
    )
    for bad in ("<script>", "a" * 200, "id with spaces"):
        made = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert made != bad and len(made) == 32
    first = client.get("/auth/login").headers["X-Request-Id"]
    assert first != client.get("/auth/login").headers["X-Request-Id"]


def test_the_500_page_shows_the_reference_logged_with_the_error(tmp_path, json_lines):
    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/500.db", tmp_path))
    logging.getLogger(logging_setup.LOGGER_NAME).addHandler(
        logging_setup.make_handler("json", json_lines)
    )

    @app.route("/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/explode", headers={"X-Request-Id": "req-500-test"})

    assert response.status_code == 500
    assert "Reference: req-500-test" in response.text
    assert "secret internals" not in response.text
    assert response.headers["X-Request-Id"] == "req-500-test"
    [line] = [entry for entry in parsed(json_lines) if entry["message"] == "Unhandled error"]
    assert line["request_id"] == "req-500-test" and line["level"] == "ERROR"
    assert line["logger"] == "helpdesk" and "secret internals" in line["exception"]
    assert datetime.fromisoformat(line["ts"])


def test_a_404_page_shows_no_reference(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Reference:" not in response.text


def test_log_format_comes_from_the_environment(tmp_path, helpdesk_logger):
    assert settings.from_environment({"HELPDESK_LOG_FORMAT": "JSON"})["LOG_FORMAT"] == "json"
    with pytest.raises(settings.ConfigError, match="HELPDESK_LOG_FORMAT"):
        settings.from_environment({"HELPDESK_LOG_FORMAT": "xml"})
    plain = create_app(config_for_tests(f"sqlite:///{tmp_path}/p.db", tmp_path))
    [handler] = helpdesk_logger.handlers
    assert isinstance(handler.formatter, logging_setup.PlainFormatter)
    assert plain.config["LOG_FORMAT"] == "plain"
    create_app({**config_for_tests(f"sqlite:///{tmp_path}/j.db", tmp_path), "LOG_FORMAT": "json"})
    [handler] = helpdesk_logger.handlers
    assert isinstance(handler.formatter, logging_setup.JsonFormatter)


def test_json_lines_carry_extra_fields_and_no_request_id_outside_requests(json_lines):
    logging.getLogger("helpdesk.services.example").warning("refused", extra={"ip": "203.0.113.5"})
    [line] = parsed(json_lines)
    assert line["message"] == "refused" and line["ip"] == "203.0.113.5"
    assert line["request_id"] is None and line["logger"] == "helpdesk.services.example"


def test_a_job_run_logs_its_duration_and_counts(json_lines):
    ticks = iter([10.0, 12.5])
    with logging_setup.timed_job("end-of-day", monotonic=lambda: next(ticks)) as counts:
        counts["returned"] = 3
    [line] = parsed(json_lines)
    assert line["job"] == "end-of-day" and line["counts"] == {"returned": 3}
    assert line["duration_seconds"] == 2.5 and line["failed"] is False
    assert line["message"] == "job end-of-day finished after 2.500s: returned 3"


def test_a_failed_job_run_is_logged_as_failed(json_lines):
    ticks = iter([0.0, 1.0])
    with pytest.raises(RuntimeError), logging_setup.timed_job("x", lambda: next(ticks)):
        raise RuntimeError("down")
    [line] = parsed(json_lines)
    assert line["level"] == "WARNING" and line["failed"] is True


def test_readyz_judges_the_newest_worker_heartbeat_once_workers_report(tmp_path):
    heartbeats = sa.Table(
        "worker_heartbeats",
        sa.MetaData(),
        sa.Column("worker_id", sa.String(120), primary_key=True),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
    )
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        app.extensions[clock.EXTENSION] = FrozenClock()
        now = datetime.fromtimestamp(FrozenClock.EPOCH, UTC).replace(tzinfo=None)
        client = app.test_client()

        def worker_check() -> str:
            return client.get("/readyz").json["checks"]["worker"]

        try:
            with app.app_context():
                heartbeats.create(db.engine)
            assert worker_check() == "not checked"  # no worker has reported yet
            with app.app_context(), db.engine.begin() as conn:
                conn.execute(
                    heartbeats.insert(),
                    [
                        {"worker_id": "old", "beat_at": now - timedelta(seconds=500)},
                        {"worker_id": "new", "beat_at": now - timedelta(seconds=100)},
                    ],
                )
            assert worker_check() == "ok"
            with app.app_context(), db.engine.begin() as conn:
                conn.execute(heartbeats.delete().where(heartbeats.c.worker_id == "new"))
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.json["checks"]["worker"] == "last heartbeat 500s ago"
            assert "worker" in response.json["failing"]
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_plain_lines_name_the_request_or_a_dash(app, helpdesk_logger):
    stream = io.StringIO()
    helpdesk_logger.addHandler(logging_setup.make_handler("plain", stream))
    with app.test_request_context(headers={"X-Request-Id": "req-plain-1"}):
        logging.getLogger("helpdesk.web").warning("inside")
    logging.getLogger("helpdesk.web").warning("outside")
    inside, outside = stream.getvalue().splitlines()
    assert inside.endswith("WARNING helpdesk.web [req-plain-1] inside")
    assert outside.endswith("WARNING helpdesk.web [-] outside")
