"""Settings: safe defaults, overridden by environment variables, then by the caller's mapping."""

from __future__ import annotations

import logging
import os
import secrets
import shlex
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any


class Config:
    """Defaults for development; production hardening is applied by `finalise`."""

    HELPDESK_ENV = "development"
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled from DATABASE_URL or the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None
    CARD_HASH_KEY: str | None = None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # Generous on purpose: a file over ATTACHMENT_MAX_BYTES gets a form error that keeps the
    # typed text; only absurd requests meet this hard limit (a 413 page).
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024

    # memory:// counts in each process apart: fine for `flask run`, wrong for several workers
    # (production refuses it). Fixed windows, because the login limits give back the count
    # of attempts that did not fail (a negative hit), which only they support.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "fixed-window"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # If the shared storage (Redis) goes away, each process counts on its own until it is back
    # (retried with back-off): logins stay limited, and never fail with a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour"
    LOGIN_LIMIT_PER_IP = "20 per minute"
    REGISTER_LIMIT_PER_IP = "10 per hour"
    API_LIMIT_PER_TOKEN = "120 per minute"  # noqa: S105 (a rate, not a secret)
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a mailed reset link stays valid
    REGISTRATION_LINK_MAX_AGE = 86400  # seconds a mailed link finishing a registration works
    # Staff roles that must log in with a second factor (an authenticator app's code); an
    # administrator can require it of every staff member (the TWO_FACTOR_ALL_STAFF setting).
    TWO_FACTOR_REQUIRED_ROLES: tuple[str, ...] = ("billing", "admin")
    TWO_FACTOR_ALL_STAFF = False
    TWO_FACTOR_ISSUER = "Helpdesk"  # the name authenticator apps show beside the code
    TWO_FACTOR_PENDING_SECONDS = 600  # between the password and the code
    SLA_WARNING_MINUTES = 30  # agents are told this long before a case's target is missed
    PROXY_COUNT = 0
    BASE_URL = "http://127.0.0.1:5000"  # links in e-mail are built from this, never from Host
    TRUSTED_HOSTS: list[str] | None = None  # e.g. ["support.example.com"]: other Hosts get 400

    # Empty: outside production, mail is captured in the outbox (read at /admin/sent-mail)
    # instead of sent; in production it goes to localhost, as before.
    MAIL_HOST = ""
    MAIL_PORT = 25
    MAIL_SECURITY = "none"  # none | starttls | tls
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "Helpdesk <support@helpdesk.invalid>"
    MAIL_MAX_ATTEMPTS = 8  # then the outbox row is marked failed (retries back off up to 1 hour)
    MAIL_BATCH_SIZE = 50  # rows one `flask send-mail` batch claims
    MAIL_TIMEOUT = 30  # seconds for the SMTP connection and each command
    # A mail a sender claimed and did not mark sent within this long is taken as a killed
    # sender's and claimed again; it must outlast one SMTP conversation (MAIL_TIMEOUT).
    MAIL_LEASE_SECONDS = 600

    # Inbound mail for `flask fetch-mail`; the password only ever comes from the environment.
    IMAP_HOST = "localhost"
    IMAP_PORT = 993
    IMAP_SECURITY = "tls"  # tls | starttls | none
    IMAP_USERNAME = ""
    IMAP_PASSWORD = ""
    IMAP_FOLDER = "INBOX"
    # A message still unrouted this long after it was stored is taken as abandoned by a
    # crashed process: `flask fetch-mail` and `flask sweep-mail` route it then.
    INBOUND_STUCK_MINUTES = 5

    LOG_FORMAT = "plain"  # or "json": one JSON object a line, for a log collector
    LOG_LEVEL = "INFO"
    # /readyz fails when the worker's last heartbeat is older than this (once a worker reports).
    WORKER_HEARTBEAT_MAX_AGE = 120
    # How long a worker's claim on a job holds before another worker may take it over (a
    # killed worker's); None: each job's own (10 minutes, 30 for end of day and charges). A
    # run that outlasts it may run a second time beside it, so keep it above the longest run.
    WORKER_LEASE_SECONDS: int | None = None
    HELPDESK_LOCALE = "en"  # the language of pages and e-mail (catalogues in helpdesk/translations)
    CLOCK = None  # a callable giving naive-UTC "now" for relative times; tests inject one
    BUSINESS_TIME_ZONE = "America/Denver"  # seed 003: 8:00-17:00 mountain time
    BUSINESS_HOURS_START = "08:00"
    BUSINESS_HOURS_END = "17:00"
    BUSINESS_DAYS = "mon,tue,wed,thu,fri"
    FIRST_RESPONSE_HOURS = 4

    LIVE_POLL_SECONDS = 10  # how often live regions ask "anything new?" (204 when not)
    # The idle poll may answer from a change stamp read this long ago in the same process.
    CHANGE_STAMP_CACHE_SECONDS = 1.0

    QUEUE_ALERT_SIZE = 25  # seed 001: "an unusually large amount of cases"
    QUEUE_ALERT_SIMILAR = 5  # this many alike subjects ...
    QUEUE_ALERT_WINDOW_MINUTES = 60  # ... within this many minutes
    DIRECTOR_EMAIL = ""  # who gets queue alerts; empty: every administrator
    SALES_CONTACT_NAME = ""  # who "send to sales" callers are transferred to (seed 000)
    SALES_CONTACT_PHONE = ""
    SALES_CONTACT_EMAIL = ""

    EXPIRED1_DAYS = 30  # seed 002: no agent reply in 30 days
    EXPIRED2_DAYS = 7
    REOPEN_DAYS = 14
    # The authserv-id(s) our own mail server writes into Authentication-Results (RFC 8601);
    # empty: no header is trusted, so none can quarantine a message.
    TRUSTED_AUTHSERV_IDS = ""

    ATTACHMENT_DIR: str | None = None  # default: <instance>/attachments
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    ATTACHMENT_EXTENSIONS = "txt,log,pdf,png,jpg,jpeg,gif,csv,zip,json,docx,xlsx"
    ATTACHMENTS_PER_MESSAGE = 5

    # -- feedback --
    FEEDBACK_LINK_DAYS = 30  # "Did this solve it?" links in mail answer for this long
    FEEDBACK_FLAG_MIN_ANSWERS = 5  # the report flags an e-mail or article after this many ...
    FEEDBACK_FLAG_PERCENT = 50  # ... answers, when at least this share of them said "No"

    # -- webhooks --
    # Ranges webhooks may reach although they are not public (an internal receiver, e.g.
    # "10.20.0.0/16"); empty: only public addresses (helpdesk.rules.webhook_targets).
    WEBHOOK_ALLOWED_NETWORKS = ""
    WEBHOOK_TIMEOUT = 5.0  # seconds to connect, and for each read of the answer
    WEBHOOK_BATCH_SIZE = 50  # deliveries one `flask send-webhooks` batch claims


def _log_format(raw: str) -> str:
    if raw.lower() not in ("plain", "json"):
        raise ValueError(raw)
    return raw.lower()


_log_format.__name__ = "log format (plain or json)"


def _log_level(raw: str) -> str:
    if raw.upper() not in logging.getLevelNamesMapping():
        raise ValueError(raw)
    return raw.upper()


_log_level.__name__ = "log level (DEBUG, INFO, WARNING, ERROR)"


def _staff_roles(raw: str) -> tuple[str, ...]:
    if raw.strip().lower() == "none":
        return ()
    roles = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    if not roles or any(role not in ("agent", "billing", "admin") for role in roles):
        raise ValueError(raw)
    return roles


_staff_roles.__name__ = "list of staff roles (agent, billing, admin, comma-separated) or none"


# Environment variable -> (config key, parser). DATABASE_URL and SECRET_KEY keep their common names.
_ENV: dict[str, tuple[str, Any]] = {
    "HELPDESK_ENV": ("HELPDESK_ENV", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "HELPDESK_CARD_HASH_KEY": ("CARD_HASH_KEY", str),
    "HELPDESK_RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "HELPDESK_LOGIN_LIMIT_PER_ACCOUNT": ("LOGIN_LIMIT_PER_ACCOUNT", str),
    "HELPDESK_LOGIN_LIMIT_PER_IP": ("LOGIN_LIMIT_PER_IP", str),
    "HELPDESK_API_LIMIT_PER_TOKEN": ("API_LIMIT_PER_TOKEN", str),
    "HELPDESK_PASSWORD_RESET_MAX_AGE": ("PASSWORD_RESET_MAX_AGE", int),
    "HELPDESK_REGISTRATION_LINK_MAX_AGE": ("REGISTRATION_LINK_MAX_AGE", int),
    "HELPDESK_TWO_FACTOR_REQUIRED_ROLES": ("TWO_FACTOR_REQUIRED_ROLES", _staff_roles),
    "HELPDESK_TWO_FACTOR_ISSUER": ("TWO_FACTOR_ISSUER", str),
    "HELPDESK_PROXY_COUNT": ("PROXY_COUNT", int),
    "HELPDESK_BASE_URL": ("BASE_URL", str),
    "HELPDESK_TRUSTED_HOSTS": ("TRUSTED_HOSTS", lambda raw: [h.strip() for h in raw.split(",")]),
    "HELPDESK_MAIL_HOST": ("MAIL_HOST", str),
    "HELPDESK_MAIL_PORT": ("MAIL_PORT", int),
    "HELPDESK_MAIL_SECURITY": ("MAIL_SECURITY", str),
    "HELPDESK_MAIL_USERNAME": ("MAIL_USERNAME", str),
    "HELPDESK_MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "HELPDESK_MAIL_FROM": ("MAIL_FROM", str),
    "HELPDESK_IMAP_HOST": ("IMAP_HOST", str),
    "HELPDESK_IMAP_PORT": ("IMAP_PORT", int),
    "HELPDESK_IMAP_SECURITY": ("IMAP_SECURITY", str),
    "HELPDESK_IMAP_USERNAME": ("IMAP_USERNAME", str),
    "HELPDESK_IMAP_PASSWORD": ("IMAP_PASSWORD", str),
    "HELPDESK_IMAP_FOLDER": ("IMAP_FOLDER", str),
    "HELPDESK_INBOUND_STUCK_MINUTES": ("INBOUND_STUCK_MINUTES", int),
    "HELPDESK_MAIL_MAX_ATTEMPTS": ("MAIL_MAX_ATTEMPTS", int),
    "HELPDESK_MAIL_BATCH_SIZE": ("MAIL_BATCH_SIZE", int),
    "HELPDESK_MAIL_TIMEOUT": ("MAIL_TIMEOUT", int),
    "HELPDESK_MAIL_LEASE_SECONDS": ("MAIL_LEASE_SECONDS", int),
    "HELPDESK_TIME_ZONE": ("BUSINESS_TIME_ZONE", str),
    "HELPDESK_LOCALE": ("HELPDESK_LOCALE", str),
    "HELPDESK_BUSINESS_HOURS_START": ("BUSINESS_HOURS_START", str),
    "HELPDESK_BUSINESS_HOURS_END": ("BUSINESS_HOURS_END", str),
    "HELPDESK_BUSINESS_DAYS": ("BUSINESS_DAYS", str),
    "HELPDESK_LIVE_POLL_SECONDS": ("LIVE_POLL_SECONDS", int),
    "HELPDESK_CHANGE_STAMP_CACHE_SECONDS": ("CHANGE_STAMP_CACHE_SECONDS", float),
    "HELPDESK_QUEUE_ALERT_SIZE": ("QUEUE_ALERT_SIZE", int),
    "HELPDESK_QUEUE_ALERT_SIMILAR": ("QUEUE_ALERT_SIMILAR", int),
    "HELPDESK_QUEUE_ALERT_WINDOW_MINUTES": ("QUEUE_ALERT_WINDOW_MINUTES", int),
    "HELPDESK_DIRECTOR_EMAIL": ("DIRECTOR_EMAIL", str),
    "HELPDESK_SALES_CONTACT_NAME": ("SALES_CONTACT_NAME", str),
    "HELPDESK_SALES_CONTACT_PHONE": ("SALES_CONTACT_PHONE", str),
    "HELPDESK_SALES_CONTACT_EMAIL": ("SALES_CONTACT_EMAIL", str),
    "HELPDESK_EXPIRED1_DAYS": ("EXPIRED1_DAYS", int),
    "HELPDESK_EXPIRED2_DAYS": ("EXPIRED2_DAYS", int),
    "HELPDESK_REOPEN_DAYS": ("REOPEN_DAYS", int),
    "HELPDESK_TRUSTED_AUTHSERV_IDS": ("TRUSTED_AUTHSERV_IDS", str),
    "HELPDESK_ATTACHMENT_DIR": ("ATTACHMENT_DIR", str),
    "HELPDESK_ATTACHMENT_MAX_BYTES": ("ATTACHMENT_MAX_BYTES", int),
    "HELPDESK_ATTACHMENT_EXTENSIONS": ("ATTACHMENT_EXTENSIONS", str),
    "HELPDESK_FEEDBACK_LINK_DAYS": ("FEEDBACK_LINK_DAYS", int),
    "HELPDESK_FEEDBACK_FLAG_MIN_ANSWERS": ("FEEDBACK_FLAG_MIN_ANSWERS", int),
    "HELPDESK_FEEDBACK_FLAG_PERCENT": ("FEEDBACK_FLAG_PERCENT", int),
    "HELPDESK_WEBHOOK_ALLOWED_NETWORKS": ("WEBHOOK_ALLOWED_NETWORKS", str),
    "HELPDESK_LOG_FORMAT": ("LOG_FORMAT", _log_format),
    "HELPDESK_LOG_LEVEL": ("LOG_LEVEL", _log_level),
    "HELPDESK_WORKER_HEARTBEAT_MAX_AGE": ("WORKER_HEARTBEAT_MAX_AGE", int),
    "HELPDESK_WORKER_LEASE_SECONDS": ("WORKER_LEASE_SECONDS", int),
}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; raised at start-up, never per request."""


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read the settings present in `environ`, parsed to their types."""
    settings: dict[str, Any] = {}
    for name, (key, parse) in _ENV.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            settings[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not a valid {parse.__name__}") from exc
    return settings


def normalise_database_url(url: str) -> str:
    """Let `postgres://` and `postgresql://` URLs use psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def finalise(config: dict[str, Any], instance_path: str) -> None:
    """Fill derived settings and secrets; refuse unsafe production settings."""
    production = config["HELPDESK_ENV"] == "production"
    instance = Path(instance_path)
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'helpdesk.db'}"
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Wait for a writer instead of failing at once with "database is locked".
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not config.get("ATTACHMENT_DIR"):
        config["ATTACHMENT_DIR"] = str(instance / "attachments")
    for key, env_name in (
        ("SECRET_KEY", "SECRET_KEY"),
        ("CARD_HASH_KEY", "HELPDESK_CARD_HASH_KEY"),
    ):
        if config.get(key):
            continue
        if production:
            raise ConfigError(f"{env_name} must be set when HELPDESK_ENV=production")
        config[key] = _instance_secret(instance, key.lower())
    if production:
        if _limits_per_process(config):
            raise ConfigError(
                "HELPDESK_RATELIMIT_STORAGE_URI must name a storage every worker shares when "
                "HELPDESK_ENV=production, e.g. HELPDESK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0"
                " (memory:// counts login attempts in each worker apart)"
            )
        for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
            config[key] = True


def _limits_per_process(config: Mapping[str, Any]) -> bool:
    return bool(config.get("RATELIMIT_ENABLED", True)) and str(
        config["RATELIMIT_STORAGE_URI"]
    ).startswith("memory://")


def gunicorn_workers(environ: Mapping[str, str], argv: Sequence[str]) -> int | None:
    """How many workers the gunicorn running this process starts; None outside gunicorn.

    Read as gunicorn reads it: the command line, then GUNICORN_CMD_ARGS, then WEB_CONCURRENCY.
    A `workers` set in a gunicorn config file is not seen (production refuses memory storage
    whatever the number, so this only decides the development warning).
    """
    if not environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        return None
    from gunicorn.config import Config as GunicornConfig

    parser = GunicornConfig().parser()
    for args in (argv[1:], shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))):
        try:
            workers = parser.parse_known_args(list(args))[0].workers
        except SystemExit:  # gunicorn itself refuses such arguments
            continue
        if workers is not None:
            return int(workers)
    try:
        return int(environ.get("WEB_CONCURRENCY") or 1)
    except ValueError:
        return 1


_warned: set[str] = set()  # warnings this process has logged, so each shows once


def warn_if_limits_per_process(
    config: Mapping[str, Any],
    environ: Mapping[str, str],
    argv: Sequence[str],
    logger: logging.Logger,
) -> None:
    """Warn once per process when several workers would each keep their own limit counts."""
    workers = gunicorn_workers(environ, argv) or 1
    if workers < 2 or not _limits_per_process(config):
        return
    message = (
        f"Rate limits are kept in memory by each of {workers} gunicorn workers, so each lets "
        "the full number of login attempts through; set HELPDESK_RATELIMIT_STORAGE_URI="
        "redis://... to share them"
    )
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


def _instance_secret(instance: Path, name: str) -> str:
    """Generate a secret once into the instance folder so restarts keep sessions valid."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: two workers starting together agree on one complete key.
    draft = instance / f".{name}.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
