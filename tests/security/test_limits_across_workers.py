"""Login limits hold across gunicorn workers: shared (Redis) storage counts every worker's
attempts under one key, production refuses per-process memory storage, and development warns
once when several workers would each count alone.

The gunicorn test needs Redis (HELPDESK_TEST_REDIS_URL, default redis://127.0.0.1:6379/3; the
database is flushed) and is skipped, saying so, when Redis is not reachable.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import flask_migrate
import pytest

from bench.run import control_socket_options
from helpdesk import config as settings
from helpdesk import create_app
from helpdesk.config import Config, ConfigError, finalise
from helpdesk.extensions import db
from tests.conftest import (
    config_for_tests,
    csrf_from,
    post_form,
    reachable_redis,
    throwaway_database,
)
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
ATTEMPTS = 50
LOGIN_LIMIT = 5  # failed logins per account, as by default (a day here, not a minute)


# --- start-up checks ------------------------------------------------------------------------


def production_settings(**overrides) -> dict:
    defaults = {key: getattr(Config, key) for key in dir(Config) if key.isupper()}
    return {
        **defaults,
        "HELPDESK_ENV": "production",
        "SECRET_KEY": "s",
        "CARD_HASH_KEY": "k",
        **overrides,
    }


def test_production_refuses_memory_storage_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError, match=r"HELPDESK_RATELIMIT_STORAGE_URI=redis://"):
        finalise(production_settings(), str(tmp_path))


def test_production_app_does_not_start_with_memory_storage(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ENV", "production")
    with pytest.raises(ConfigError, match="HELPDESK_RATELIMIT_STORAGE_URI"):
        create_app({"SECRET_KEY": "s", "CARD_HASH_KEY": "k", "RATELIMIT_STORAGE_URI": "memory://"})


def test_production_starts_with_shared_storage(tmp_path):
    config = production_settings(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    finalise(config, str(tmp_path))
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


GUNICORN = {"SERVER_SOFTWARE": "gunicorn/27.0.1"}


@pytest.mark.parametrize(
    ("environ", "argv", "workers"),
    [
        ({}, ["flask", "run"], None),  # not under gunicorn
        (GUNICORN, ["gunicorn", "app:app"], 1),
        (GUNICORN, ["gunicorn", "-w", "2", "app:app"], 2),
        (GUNICORN, ["gunicorn", "-w3", "app:app"], 3),
        (GUNICORN, ["gunicorn", "--workers=4", "app:app"], 4),
        ({**GUNICORN, "GUNICORN_CMD_ARGS": "--workers 2 --bind 0.0.0.0:80"}, ["gunicorn"], 2),
        ({**GUNICORN, "GUNICORN_CMD_ARGS": "--workers 2"}, ["gunicorn", "-w", "1", "x:y"], 1),
        ({**GUNICORN, "WEB_CONCURRENCY": "3"}, ["gunicorn", "app:app"], 3),
        ({**GUNICORN, "WEB_CONCURRENCY": "3"}, ["gunicorn", "-w", "1", "app:app"], 1),
    ],
)
def test_gunicorn_workers_are_read_as_gunicorn_reads_them(environ, argv, workers):
    assert settings.gunicorn_workers(environ, argv) == workers


def test_development_warns_once_when_workers_would_count_alone(monkeypatch, caplog):
    monkeypatch.setattr(settings, "_warned", set())
    config = {"HELPDESK_ENV": "development", "RATELIMIT_STORAGE_URI": "memory://"}
    argv = ["gunicorn", "--workers", "2", "app:app"]
    logger = logging.getLogger("helpdesk.test")
    with caplog.at_level(logging.WARNING, logger="helpdesk.test"):
        for _ in range(3):  # e.g. several apps built in one worker
            settings.warn_if_limits_per_process(config, GUNICORN, argv, logger)
    assert len(caplog.records) == 1
    assert "HELPDESK_RATELIMIT_STORAGE_URI" in caplog.records[0].getMessage()
    assert "2 gunicorn workers" in caplog.records[0].getMessage()


@pytest.mark.parametrize(
    ("storage", "argv"),
    [
        ("memory://", ["gunicorn", "app:app"]),  # one worker counts exactly
        ("redis://127.0.0.1:6379/0", ["gunicorn", "-w", "2", "app:app"]),
    ],
)
def test_development_stays_quiet_when_counts_are_exact(monkeypatch, caplog, storage, argv):
    monkeypatch.setattr(settings, "_warned", set())
    config = {"HELPDESK_ENV": "development", "RATELIMIT_STORAGE_URI": storage}
    with caplog.at_level(logging.WARNING):
        settings.warn_if_limits_per_process(config, GUNICORN, argv, logging.getLogger("t"))
    assert caplog.records == []


# --- what counts -----------------------------------------------------------------------------


def test_refused_attempts_are_not_counted_against_the_address(client):
    """Every attempt is counted up front; a 429 gives its count back, as a success does."""

    def bad_login(email: str) -> int:
        data = {"email": email, "password": "not-the-password"}
        return post_form(client, "/auth/login", data).status_code

    assert [bad_login("first@example.test") for _ in range(LOGIN_LIMIT)] == [200] * LOGIN_LIMIT
    assert {bad_login("first@example.test") for _ in range(20)} == {429}
    # 5 failures of the address's 20 a minute are used, not 25: another account may still try.
    assert bad_login("second@example.test") == 200


# --- two gunicorn workers sharing Redis -----------------------------------------------------


@pytest.fixture
def empty_redis():
    client = reachable_redis(REDIS_URL, "HELPDESK_TEST_REDIS_URL")  # CI: a missing one fails
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def account_database(tmp_path):
    """A migrated throwaway database holding one customer; yields (url, e-mail)."""
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade()
            email = make_user(email="target@example.test").email
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        yield url, email


class GunicornServer:
    """`gunicorn -w 2 app:app`, ready once both workers have loaded the app."""

    def __init__(self, tmp_path: Path, env: dict[str, str], workers: int = 2) -> None:
        self.port = int(os.environ.get("HELPDESK_TEST_GUNICORN_PORT") or _free_port())
        self.ready_dir = tmp_path / "ready"
        self.ready_dir.mkdir()
        # A test-only hook: each worker leaves a file once it has loaded the app.
        hooks = tmp_path / "gunicorn_hooks.py"
        hooks.write_text(
            "import pathlib\n\n\ndef post_worker_init(worker):\n"
            f"    pathlib.Path({str(self.ready_dir)!r}, str(worker.pid)).touch()\n"
        )
        self.workers = workers
        self.log = (tmp_path / "gunicorn.log").open("w+")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--config",
                str(hooks),
                *control_socket_options(),
                "app:app",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(list(self.ready_dir.iterdir())) < self.workers:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                pytest.fail(f"gunicorn did not start:\n{self.log.read()}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, body: str = "", headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, "/auth/login", body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie"), response.read().decode()
    finally:
        connection.close()


def _login_form(port: int) -> tuple[str, str]:
    """The session cookie and CSRF token a browser holds after opening the login page."""
    _, set_cookie, page = _request(port, "GET")
    return set_cookie.split(";", 1)[0], csrf_from(page)


def _post_bad_login(port: int, cookie: str, token: str, email: str) -> int:
    body = urllib.parse.urlencode(
        {"csrf_token": token, "email": email, "password": "not-the-password"}
    )
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    return _request(port, "POST", body, headers)[0]


def test_parallel_bad_logins_under_two_workers_get_exactly_the_limit(
    tmp_path, empty_redis, account_database
):
    url, email = account_database
    server = GunicornServer(
        tmp_path,
        {
            "HELPDESK_ENV": "production",  # which refuses per-process storage
            "DATABASE_URL": url,
            "SECRET_KEY": "limits-test-secret",
            "HELPDESK_CARD_HASH_KEY": "limits-test-card-key",
            "HELPDESK_RATELIMIT_STORAGE_URI": empty_redis,
            # A day's window: a slow machine cannot see the window end during the burst.
            "HELPDESK_LOGIN_LIMIT_PER_ACCOUNT": f"{LOGIN_LIMIT} per day",
            "HELPDESK_ATTACHMENT_DIR": str(tmp_path / "attachments"),
        },
    )
    try:
        server.wait_until_ready()
        cookie, token = _login_form(server.port)
        start = threading.Barrier(ATTEMPTS)
        statuses: list[int] = []

        def attempt() -> None:
            start.wait()
            statuses.append(_post_bad_login(server.port, cookie, token, email))

        threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()

    # Let through means the password was checked and refused (200, the form again).
    assert Counter(statuses) == {200: LOGIN_LIMIT, 429: ATTEMPTS - LOGIN_LIMIT}


def test_with_redis_gone_logins_are_still_answered_and_still_limited(tmp_path, account_database):
    """Nothing listens on port 1: every worker falls back to counting alone, never a 500."""
    url, email = account_database
    server = GunicornServer(
        tmp_path,
        {
            "HELPDESK_ENV": "production",
            "DATABASE_URL": url,
            "SECRET_KEY": "limits-test-secret",
            "HELPDESK_CARD_HASH_KEY": "limits-test-card-key",
            "HELPDESK_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
            "HELPDESK_LOGIN_LIMIT_PER_ACCOUNT": f"{LOGIN_LIMIT} per day",
            "HELPDESK_ATTACHMENT_DIR": str(tmp_path / "attachments"),
        },
        workers=1,  # one process, so its own count is the exact limit
    )
    try:
        server.wait_until_ready()
        cookie, token = _login_form(server.port)
        statuses = [_post_bad_login(server.port, cookie, token, email) for _ in range(8)]
    finally:
        server.stop()
    assert statuses == [200] * LOGIN_LIMIT + [429] * (8 - LOGIN_LIMIT)
