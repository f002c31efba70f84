"""The periodic jobs `flask worker` runs, and the claims that make each tick run once.

Every job has a row in `worker_jobs`. A worker claims a job's tick with one conditional UPDATE:
it wins only if that tick has not finished yet and no live lease holds the job, so several
workers on several machines run each tick exactly once between them (the database decides,
whichever process asks). A worker killed mid-run leaves its lease; once it runs out another
worker claims the same tick and runs it again, which the jobs allow: each is safe to repeat.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.logging_setup import log_job_run
from helpdesk.models import WorkerHeartbeat, WorkerJob, utcnow
from helpdesk.rules.business_hours import BusinessCalendar
from helpdesk.rules.schedule import Cadence, at_close, current_tick, daily, every, next_run

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=10)
RESULT_MAX = 500
# A worker that has not beaten for this long is shown as gone (it beats after every pass).
HEARTBEAT_FRESH = timedelta(minutes=2)


@dataclass
class Outcome:
    """What one run did: a line for people and counts for the record."""

    summary: str
    counts: dict[str, int] = field(default_factory=dict)
    ok: bool = True


@dataclass(frozen=True)
class Job:
    """A periodic job: its name, cadence, what it runs and how long a run may hold it."""

    name: str
    title: str
    cadence: Cadence
    run: Callable[[datetime, Callable[[], bool]], Outcome]
    lease: timedelta = DEFAULT_LEASE
    enabled: Callable[[Mapping[str, Any]], bool] = lambda config: True


@dataclass(frozen=True)
class Run:
    """One job run by this worker in a pass."""

    job: str
    tick: str
    outcome: Outcome
    seconds: float


# --- the jobs: each calls the service the matching one-shot command calls ---------------------


def _deliver_outbox(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.mail.mail_sender import MailSettings, send_batch

    result = send_batch(
        MailSettings.from_config(current_app.config), now=now, should_stop=should_stop
    )
    counts = {"sent": result.sent, "retried": result.retried, "failed": result.failed}
    return Outcome(f"Sent {result.sent}, retried {result.retried}, failed {result.failed}.", counts)


def _imap_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("IMAP_USERNAME"))


def _fetch_mail(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.mail import inbound

    result = inbound.fetch_mail(current_app.config)
    counts = {"fetched": len(result.mails), "deleted": result.deleted}
    summary = f"{len(result.mails)} fetched, {result.deleted} deleted from the mailbox."
    if result.error:
        return Outcome(f"{summary} {result.error}", counts, ok=False)
    return Outcome(summary, counts)


def _sweep_mail(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.mail import inbound

    resumed = inbound.sweep_stuck_mail(now)
    return Outcome(f"{len(resumed)} unrouted messages resumed.", {"resumed": len(resumed)})


def _queue_check(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.tracker import queue_health

    mailed = queue_health.notify_director(now)
    return Outcome(f"{mailed} new queue alerts mailed.", {"mailed": mailed})


def _end_of_day(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.tracker import handover

    moved = handover.end_of_day(None)
    return Outcome(f"{moved} unanswered cases returned to the support queue.", {"returned": moved})


def _charge_recurring(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.billing import recurring_charges

    run = recurring_charges.charge_due(now)
    counts = {"charged": run.charged, "refused": run.refused}
    return Outcome(f"Charged {run.charged}, refused {run.refused}.", counts)


def _report_days(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.reports import rollups

    days = rollups.refresh_stale()
    return Outcome(f"{days} report days summed up again.", {"days": days})


def _deadlines(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.tracker import notifications

    sent = notifications.deadlines(now)
    return Outcome(f"{sent} agents told of targets about to be missed or missed.", {"sent": sent})


def _deliver_webhooks(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.webhooks import delivery

    result = delivery.send_due(clock=delivery.offset_clock(now), should_stop=should_stop)
    return Outcome(result.summary, result.counts)


def _prune_webhooks(now: datetime, should_stop: Callable[[], bool]) -> Outcome:
    from helpdesk.services.webhooks import delivery

    removed = delivery.prune(now)
    return Outcome(f"{removed} old webhook deliveries removed.", {"removed": removed})


JOBS: tuple[Job, ...] = (
    # A short lease: a killed worker holds up the whole outbox only this long. Two senders at
    # once are safe, since each message is claimed on its own row (mail_sender.claim).
    Job("send-mail", "Deliver the outbox", every(5), _deliver_outbox, lease=timedelta(minutes=1)),
    # Each delivery is claimed on its own row too (webhooks.delivery.claim).
    Job("webhooks", "Deliver webhooks", every(10), _deliver_webhooks, lease=timedelta(minutes=2)),
    Job("webhook-cleanup", "Remove old webhook deliveries", every(3600), _prune_webhooks),
    Job("fetch-mail", "Fetch mail", every(60), _fetch_mail, enabled=_imap_configured),
    Job("sweep-mail", "Route stuck inbound mail", every(60), _sweep_mail),
    Job("queue-check", "Queue health", every(300), _queue_check),
    Job("report-days", "Support report days", every(60), _report_days),
    Job("deadlines", "Deadline notifications", every(60), _deadlines),
    Job("end-of-day", "End of day", at_close(), _end_of_day, lease=timedelta(minutes=30)),
    # Charging is idempotent per period, so a day missed entirely is caught up the next one.
    Job(
        "charge-recurring",
        "Recurring charges",
        daily(clock_time(6, 0), catch_up=timedelta(hours=24)),
        _charge_recurring,
        lease=timedelta(minutes=30),
    ),
)


# --- claims ---------------------------------------------------------------------------------


def new_worker_id() -> str:
    """This process's name in leases and heartbeats: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def ensure_rows(jobs: Iterable[Job] = JOBS) -> dict[str, tuple[str | None, datetime | None]]:
    """Give every job its row (one another worker inserted meanwhile is fine); returns each
    job's finished tick and lease end as read, so a pass writes nothing for jobs not due."""
    seen = {
        name: (last_tick, lease_until)
        for name, last_tick, lease_until in db.session.execute(
            sa.select(WorkerJob.name, WorkerJob.last_tick, WorkerJob.lease_until)
        )
    }
    db.session.commit()  # end the read: a long pass must not hold a snapshot open
    for job in jobs:
        if job.name in seen:
            continue
        seen[job.name] = (None, None)
        db.session.add(WorkerJob(name=job.name))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    return seen


def lease_of(job: Job) -> timedelta:
    """How long a claim on `job` holds: HELPDESK_WORKER_LEASE_SECONDS when set, else its own."""
    seconds = current_app.config.get("WORKER_LEASE_SECONDS")
    return timedelta(seconds=seconds) if seconds else job.lease


def claim(job: Job, tick: str, worker_id: str, now: datetime) -> bool:
    """Take `tick` of `job` for `worker_id`; False when it ran already or is held; commits."""
    result = db.session.execute(
        sa.update(WorkerJob)
        .where(
            WorkerJob.name == job.name,
            sa.or_(WorkerJob.last_tick.is_(None), WorkerJob.last_tick != tick),
            sa.or_(WorkerJob.lease_until.is_(None), WorkerJob.lease_until < now),
        )
        .values(
            running_tick=tick,
            lease_holder=worker_id,
            lease_until=now + lease_of(job),
            last_started_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def finish(
    job: Job, tick: str, worker_id: str, now: datetime, outcome: Outcome, due: datetime
) -> bool:
    """Record the run and release the job; False if another worker took the lease meanwhile."""
    result = db.session.execute(
        sa.update(WorkerJob)
        .where(
            WorkerJob.name == job.name,
            WorkerJob.lease_holder == worker_id,
            WorkerJob.running_tick == tick,
        )
        .values(
            last_tick=tick,
            running_tick=None,
            lease_holder=None,
            lease_until=None,
            last_finished_at=now,
            last_ok=outcome.ok,
            last_result=outcome.summary[:RESULT_MAX],
            last_counts=outcome.counts,
            next_run_at=due,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


# --- one pass -------------------------------------------------------------------------------


def run_due(
    worker_id: str,
    *,
    now: datetime | None = None,
    jobs: Iterable[Job] = JOBS,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[Run]:
    """Run every enabled job whose current tick nobody ran yet; `now` fixes the clock (tests)."""
    from helpdesk.services.tracker import sla

    jobs = [job for job in jobs if job.enabled(current_app.config)]
    seen = ensure_rows(jobs)
    calendar = sla.current_calendar(now or utcnow())
    runs = []
    for job in jobs:
        if should_stop():
            break
        run = _run_if_due(job, worker_id, now, calendar, should_stop, seen[job.name])
        if run is not None:
            runs.append(run)
    return runs


def _run_if_due(
    job: Job,
    worker_id: str,
    now: datetime | None,
    calendar: BusinessCalendar,
    should_stop: Callable[[], bool],
    seen: tuple[str | None, datetime | None],
) -> Run | None:
    started = now or utcnow()
    tick = current_tick(job.name, job.cadence, started, calendar)
    if tick is None or _done_or_held(seen, tick.key, started):
        return None
    if not claim(job, tick.key, worker_id, started):
        return None
    _set_current_job(worker_id, job.name)
    began = time.monotonic()
    try:
        outcome = job.run(started, should_stop)
    except Exception as error:  # noqa: BLE001 - one failing job must not stop the others
        db.session.rollback()
        log.exception("job %s (%s) failed", job.name, tick.key)
        outcome = Outcome(f"Failed: {type(error).__name__}: {error}", ok=False)
    seconds = time.monotonic() - began
    ended = now or utcnow()
    if not finish(job, tick.key, worker_id, ended, outcome, next_run(job.cadence, ended, calendar)):
        log.warning(
            "job %s (%s): the lease was taken over before the run ended", job.name, tick.key
        )
    _set_current_job(worker_id, None)
    log_job_run(job.name, seconds, outcome.counts, failed=not outcome.ok)  # as the CLI jobs log
    return Run(job.name, tick.key, outcome, seconds)


def _done_or_held(seen: tuple[str | None, datetime | None], tick: str, now: datetime) -> bool:
    """What the pass read already rules the claim out (the claim itself still decides)."""
    last_tick, lease_until = seen
    return last_tick == tick or (lease_until is not None and lease_until >= now)


# --- heartbeats -----------------------------------------------------------------------------


def beat(worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    """Say that `worker_id` is alive (one row per worker); commits."""
    now = now or utcnow()
    updated = db.session.execute(
        sa.update(WorkerHeartbeat)
        .where(WorkerHeartbeat.worker_id == worker_id)
        .values(beat_at=now)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount == 0:
        db.session.add(
            WorkerHeartbeat(
                worker_id=worker_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=started_at,
                beat_at=now,
            )
        )
    db.session.commit()


def _set_current_job(worker_id: str, name: str | None) -> None:
    db.session.execute(
        sa.update(WorkerHeartbeat)
        .where(WorkerHeartbeat.worker_id == worker_id)
        .values(current_job=name)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def stopped(worker_id: str) -> None:
    """A worker that stops cleanly takes its heartbeat with it; commits."""
    db.session.execute(sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
    db.session.commit()


# --- the admin page -------------------------------------------------------------------------


@dataclass(frozen=True)
class JobStatus:
    """One job as the admin page shows it."""

    job: Job
    row: WorkerJob | None
    next_run: datetime | None
    enabled: bool


def statuses(now: datetime | None = None, jobs: Iterable[Job] = JOBS) -> list[JobStatus]:
    """Every job with its last run and its next run by the schedule."""
    from helpdesk.services.tracker import sla

    now = now or utcnow()
    calendar = sla.current_calendar(now)
    rows = {row.name: row for row in db.session.scalars(sa.select(WorkerJob))}
    shown = []
    for job in jobs:
        enabled = job.enabled(current_app.config)
        due = next_run(job.cadence, now, calendar) if enabled else None
        shown.append(JobStatus(job, rows.get(job.name), due, enabled))
    return shown


def live_workers(now: datetime | None = None) -> list[WorkerHeartbeat]:
    """Workers that beat recently, most recent first."""
    since = (now or utcnow()) - HEARTBEAT_FRESH
    return list(
        db.session.scalars(
            sa.select(WorkerHeartbeat)
            .where(WorkerHeartbeat.beat_at >= since)
            .order_by(WorkerHeartbeat.beat_at.desc())
        )
    )
