"""Fixtures: one app and database per test run (SQLite, or PostgreSQL when
HELPDESK_TEST_DATABASE_URL is set), emptied after every test; clients and logins."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from helpdesk import clock, create_app
from helpdesk.extensions import db, limiter
from helpdesk.models import User
from helpdesk.services.accounts import accounts
from tests.factories import TEST_HASH_METHOD

PG_SERVER_URL = os.environ.get("HELPDESK_TEST_DATABASE_URL")


@contextlib.contextmanager
def throwaway_database(tmp_dir) -> Iterator[str]:
    """A new empty database: a file on SQLite, or a fresh PostgreSQL database dropped after."""
    if not PG_SERVER_URL:
        yield f"sqlite:///{tmp_dir}/helpdesk-{secrets.token_hex(4)}.db"
        return
    server = sa.make_url(PG_SERVER_URL).set(drivername="postgresql+psycopg")
    name = f"helpdesk_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reachable_redis(url: str, setting: str):
    """A client of the Redis at `url`. Unreachable, the test is skipped (naming `setting`, the
    variable that points elsewhere), or fails under HELPDESK_REQUIRE_REDIS=1 (CI)."""
    redis = pytest.importorskip("redis", reason="the redis package is in the dev extras")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        unreachable = f"Redis is not reachable at {url} ({error})"
        if os.environ.get("HELPDESK_REQUIRE_REDIS") == "1":
            pytest.fail(unreachable, pytrace=False)
        pytest.skip(f"{unreachable}; set {setting}")
    return client


def config_for_tests(database_url: str, tmp_dir) -> dict:
    """Settings for an app under test; CSRF and rate limits stay on, as in production."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "CARD_HASH_KEY": "test-card-hash-key",
        "RATELIMIT_STORAGE_URI": "memory://",
        "ATTACHMENT_DIR": str(tmp_dir / "attachments"),
        "CHANGE_STAMP_CACHE_SECONDS": 0,  # tests look at the poll right after a change
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        # Tests log in billing staff and administrators with their password alone; the tests
        # of two-factor login require it as production does (the `two_factor_roles` fixture).
        "TWO_FACTOR_REQUIRED_ROLES": (),
    }


@pytest.fixture(scope="session")
def _app(tmp_path_factory) -> Iterator[Flask]:
    tmp_dir = tmp_path_factory.mktemp("db")
    with throwaway_database(tmp_dir) as url:
        app = create_app(config_for_tests(url, tmp_dir))
        with app.app_context():
            # Migrated, not create_all(): the search index is only in the migrations.
            flask_migrate.upgrade()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _empty_all_tables() -> None:
    # DELETE, not TRUNCATE: on PostgreSQL TRUNCATE replaces every table's files (about a
    # second for the whole schema), while deleting a test's few rows takes milliseconds.
    # Not models, and FTS5 has no cascade.
    db.session.execute(sa.text("DELETE FROM case_search"))
    db.session.execute(sa.text("DELETE FROM article_search"))
    db.session.execute(sa.text("DELETE FROM contact_search"))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


class FrozenClock:
    """A clock that stands still until the test moves it: cached values expire when the test
    says, never because the machine was slow or a minute happened to end mid-test."""

    EPOCH = 1_800_000_030.0  # 30 seconds into a minute (2027-01-15 08:00:30 UTC)

    def __init__(self) -> None:
        self.elapsed = 0.0

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    def monotonic(self) -> float:
        return self.elapsed

    def time(self) -> float:
        return self.EPOCH + self.elapsed


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app, with an empty database, fresh rate-limit counters and a frozen clock."""
    _app.extensions[clock.EXTENSION] = FrozenClock()
    _app.extensions.pop("change_stamp", None)  # a counter read in an earlier test
    yield _app
    with _app.app_context():
        db.session.rollback()
        _empty_all_tables()
    limiter.reset()


@pytest.fixture
def frozen_clock(app: Flask) -> FrozenClock:
    """The clock the app's caches read in this test; `advance()` moves it."""
    return app.extensions[clock.EXTENSION]


@pytest.fixture
def two_factor_roles(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Billing staff and administrators must log in with a second factor, as by default."""
    from helpdesk.config import Config

    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_ROLES", Config.TWO_FACTOR_REQUIRED_ROLES)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context for direct database work (not shared with requests: use
    `with app.app_context()` around set-up when a test also makes requests)."""
    with app.app_context():
        yield


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token a rendered page carries."""
    match = CSRF_META.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login_as(client: FlaskClient, user: User) -> None:
    """Log `client` in as `user` by session, as Flask-Login would after a real login."""
    if has_app_context():  # the caller's session may hold the user uncommitted: commit it
        session_id = accounts.open_login_session(user)
    else:  # a user loaded in an app context that has ended
        user_id = user.id
        with client.application.app_context():
            session_id = accounts.open_login_session(db.session.get(User, user_id))
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


def as_user(app: Flask, client: FlaskClient, user_id: int) -> FlaskClient:
    """Log `client` in as the user with this id (set up in another app context)."""
    with app.app_context():
        login_as(client, db.session.get(User, user_id))
    return client


def post_form(client: FlaskClient, url: str, data: dict, *, page: str | None = None, **kwargs):
    """POST `data` to `url` with the CSRF token read from `page` (default: `url`)."""
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)
