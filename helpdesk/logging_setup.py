"""Logging, configured in one place: plain text by default, JSON lines with
HELPDESK_LOG_FORMAT=json; every line written during a request carries its request id."""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, Response, g, has_request_context, request

LOGGER_NAME = "helpdesk"  # the app's logger; every helpdesk.* module logger is below it
REQUEST_ID_HEADER = "X-Request-Id"
# A proxy's id is kept only when it cannot smuggle anything into a log line or a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# LogRecord's own attributes: anything else on a record came from `extra=` and is logged too.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def is_sane_request_id(value: str | None) -> bool:
    return bool(value) and _SANE_REQUEST_ID.fullmatch(value) is not None


def current_request_id() -> str | None:
    """This request's id (made on first use), or None outside a request (CLI jobs)."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER)
        g.request_id = incoming if is_sane_request_id(incoming) else secrets.token_hex(16)
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, request_id, then any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PlainFormatter(logging.Formatter):
    """Text lines; "-" where a line was written outside a request."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record = copy.copy(record)  # other handlers see the record unchanged
            record.request_id = "-"
        return super().format(record)


def make_handler(log_format: str, stream: IO[str]) -> logging.Handler:
    """A handler writing `log_format` ("plain" or "json") lines, request ids included."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else PlainFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure(app: Flask) -> None:
    """Install the one handler of the helpdesk loggers and the request id on every response."""
    logger = logging.getLogger(LOGGER_NAME)
    for old in list(logger.handlers):  # Flask's default handler, or an earlier app's (tests)
        logger.removeHandler(old)
    logger.addHandler(make_handler(app.config["LOG_FORMAT"], sys.stderr))
    logger.setLevel(app.config["LOG_LEVEL"])

    @app.before_request
    def assign_request_id() -> None:
        current_request_id()

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        return response


JOB_LOGGER = logging.getLogger(f"{LOGGER_NAME}.jobs")


def log_job_run(
    name: str, duration: float, counts: Mapping[str, int], *, failed: bool = False
) -> None:
    """One line per job run: how long it took and what it did."""
    summary = ", ".join(f"{key} {value}" for key, value in counts.items())
    JOB_LOGGER.log(
        logging.WARNING if failed else logging.INFO,
        "job %s %s after %.3fs: %s",
        name,
        "failed" if failed else "finished",
        duration,
        summary or "nothing to report",
        extra={
            "job": name,
            "duration_seconds": round(duration, 6),
            "counts": dict(counts),
            "failed": failed,
        },
    )


@contextmanager
def timed_job(
    name: str, monotonic: Callable[[], float] = time.monotonic
) -> Iterator[dict[str, int]]:
    """Time the block and log it with the counts the block fills in (also when it fails)."""
    counts: dict[str, int] = {}
    started = monotonic()
    try:
        yield counts
    except BaseException:
        log_job_run(name, monotonic() - started, counts, failed=True)
        raise
    log_job_run(name, monotonic() - started, counts)
