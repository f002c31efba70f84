"""Readiness for a load balancer: a pluggable list of named checks, each passing or failing
with a short detail. The database and migration checks are built in; any part adds
another check with `register_readiness_check(name, fn)`. The worker check reads the newest
row of `worker_heartbeats` when that table exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from helpdesk.clock import clock
from helpdesk.extensions import db


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


Check = Callable[[], CheckResult]


class NotReporting:
    """No worker has a heartbeat row to judge."""


NOT_REPORTING = NotReporting()
_CHECKS: dict[str, Check] = {}


def register_readiness_check(name: str, check: Check) -> None:
    """Add `check` under `name`, or replace the check of that name (e.g. "worker")."""
    _CHECKS[name] = check


def run_checks() -> dict[str, CheckResult]:
    """Every registered check's result, in registration order; a check that raises fails."""
    results = {}
    for name, check in _CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 - a broken check makes us unready, not a 500
            db.session.rollback()
            results[name] = CheckResult(False, f"error: {type(error).__name__}")
    return results


def check_database() -> CheckResult:
    db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()  # hand the connection back to the pool at once
    return CheckResult(True, "ok")


def _script_heads() -> frozenset[str]:
    # The scripts only change with a new release (a restart): read them once per process.
    heads = current_app.extensions.get("readiness_heads")
    if heads is None:
        config = current_app.extensions["migrate"].migrate.get_config()
        heads = frozenset(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["readiness_heads"] = heads
    return heads


def check_migrations() -> CheckResult:
    with db.engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
    heads = _script_heads()
    if current == heads:
        return CheckResult(True, "ok")
    return CheckResult(
        False,
        f"database at {', '.join(sorted(current)) or 'no revision'}, code at "
        f"{', '.join(sorted(heads))}",
    )


HEARTBEAT_TABLE = "worker_heartbeats"  # written by `flask worker`: one row per live worker


def latest_heartbeat() -> datetime | NotReporting:
    """The newest worker heartbeat; NOT_REPORTING before any worker has a row (none installed,
    or the last one stopped cleanly, taking its row with it)."""
    if not sa.inspect(db.engine).has_table(HEARTBEAT_TABLE):
        return NOT_REPORTING
    # Table and column by name: readiness must not depend on the worker's models.
    beat_at = sa.column("beat_at", sa.DateTime())
    latest = db.session.scalar(
        sa.select(sa.func.max(beat_at)).select_from(sa.table(HEARTBEAT_TABLE))
    )
    db.session.rollback()
    return NOT_REPORTING if latest is None else latest


def check_worker() -> CheckResult:
    last = latest_heartbeat()
    if last is NOT_REPORTING:
        # A crashed worker leaves a stale row (a failure); no row at all is nothing to judge.
        return CheckResult(True, "not checked")
    max_age = timedelta(seconds=current_app.config["WORKER_HEARTBEAT_MAX_AGE"])
    return judge_heartbeat(last, app_now(), max_age)


def app_now() -> datetime:
    """Naive UTC from the app's clock, which a test can hold still."""
    return datetime.fromtimestamp(clock().time(), UTC).replace(tzinfo=None)


def heartbeat_check(
    last_beat: Callable[[], datetime | None],
    now: Callable[[], datetime],
    max_age: Callable[[], int],
) -> Check:
    """A check that passes while `last_beat()` is at most `max_age()` seconds before `now()`."""

    def check() -> CheckResult:
        return judge_heartbeat(last_beat(), now(), timedelta(seconds=max_age()))

    return check


def judge_heartbeat(last: datetime | None, now: datetime, max_age: timedelta) -> CheckResult:
    if last is None:
        return CheckResult(False, "no heartbeat yet")
    age = now - last
    if age > max_age:
        return CheckResult(False, f"last heartbeat {int(age.total_seconds())}s ago")
    return CheckResult(True, "ok")


register_readiness_check("database", check_database)
register_readiness_check("migrations", check_migrations)
register_readiness_check("worker", check_worker)
