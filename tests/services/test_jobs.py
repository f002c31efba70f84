"""`flask worker`: due jobs run once per tick between all workers, leases, results, heartbeats.

Every instant is given (`now=`, `--now`); nothing waits on the wall clock. 3 December 2026
00:00 UTC is the close of business of Wednesday 2 December in Denver (17:00 MST).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, Role, WorkerHeartbeat, WorkerJob
from helpdesk.rules.folders import CaseStatus
from helpdesk.rules.schedule import every
from helpdesk.services.core import jobs
from tests.factories import make_case, make_organisation, make_user

AFTER_CLOSE = datetime(2026, 12, 3, 0, 0, 30)
MORNING = datetime(2026, 12, 3, 16, 0)


def counting_job(name: str = "count", seconds: int = 60, *, fail: bool = False) -> jobs.Job:
    """A job that counts its runs in `job.calls`."""
    calls: list[datetime] = []

    def run(now, should_stop):
        calls.append(now)
        if fail:
            raise RuntimeError("mailbox on fire")
        return jobs.Outcome(f"Counted {len(calls)}.", {"counted": len(calls)})

    job = jobs.Job(name, name.title(), every(seconds), run)
    object.__setattr__(job, "calls", calls)
    return job


def row(name: str) -> WorkerJob:
    db.session.expire_all()
    return db.session.get(WorkerJob, name)


def test_worker_once_runs_the_due_jobs_and_records_each_result(app):
    with app.app_context():
        agent = make_user(Role.AGENT, email="agent@example.com")
        case = make_case(make_organisation(), assignee_id=None)
        db.session.flush()
        case.assignee_id = agent.id
        case.status = CaseStatus.OPEN
        db.session.commit()
        case_id = case.id

    result = app.test_cli_runner().invoke(
        args=["worker", "--once", "--now", AFTER_CLOSE.isoformat()]
    )

    assert result.exit_code == 0, result.output
    assert "end-of-day@2026-12-02 ok" in result.output
    assert "queue-check@2026-12-03T00:00:00Z ok" in result.output
    assert "fetch-mail" not in result.output  # no mailbox configured
    with app.app_context():
        end_of_day = row("end-of-day")
        assert end_of_day.last_tick == "end-of-day@2026-12-02"
        assert end_of_day.last_ok is True
        assert end_of_day.last_counts == {"returned": 1}
        assert end_of_day.last_finished_at == AFTER_CLOSE
        assert end_of_day.next_run_at == datetime(2026, 12, 4, 0, 0)
        assert end_of_day.lease_holder is None
        assert db.session.get(Case, case_id).assignee_id is None
        assert row("send-mail").last_result == "Sent 0, retried 0, failed 0."
        # a clean stop takes the heartbeat with it
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkerHeartbeat)) == 0


def test_a_second_worker_at_the_same_instant_runs_nothing_again(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["worker", "--once", "--now", AFTER_CLOSE.isoformat()])
    second = runner.invoke(args=["worker", "--once", "--now", AFTER_CLOSE.isoformat()])

    assert first.exit_code == second.exit_code == 0
    assert "end-of-day@2026-12-02 ok" in first.output
    assert " ok in " not in second.output


def test_close_of_business_does_not_run_the_next_morning(app):
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--now", MORNING.isoformat()])

    assert result.exit_code == 0, result.output
    assert "end-of-day" not in result.output
    assert "queue-check@2026-12-03T16:00:00Z ok" in result.output


def test_a_tick_is_claimed_once_and_the_next_tick_again(app):
    job = counting_job()
    with app.app_context():
        jobs.ensure_rows([job])
        assert jobs.claim(job, "count@1", "worker-a", AFTER_CLOSE)
        assert not jobs.claim(job, "count@1", "worker-b", AFTER_CLOSE)  # held
        assert jobs.finish(job, "count@1", "worker-a", AFTER_CLOSE, jobs.Outcome("done"), MORNING)
        assert not jobs.claim(job, "count@1", "worker-b", AFTER_CLOSE)  # ran already
        assert jobs.claim(job, "count@2", "worker-b", AFTER_CLOSE)


def test_two_workers_at_once_run_each_tick_once(app):
    job = counting_job()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(name: str, ticks_seen: list) -> None:
        try:
            with app.app_context():
                for minute in range(5):
                    barrier.wait()
                    now = AFTER_CLOSE + timedelta(minutes=minute)
                    ticks_seen.extend(run.tick for run in jobs.run_due(name, now=now, jobs=[job]))
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)
            barrier.abort()

    seen_a, seen_b = [], []
    threads = [
        threading.Thread(target=worker, args=("worker-a", seen_a)),
        threading.Thread(target=worker, args=("worker-b", seen_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(job.calls) == 5
    assert sorted(seen_a + seen_b) == sorted(set(seen_a + seen_b))
    with app.app_context():
        assert row("count").last_counts == {"counted": 5}


def test_the_lease_setting_lets_another_worker_take_a_dead_workers_job_sooner(app, monkeypatch):
    monkeypatch.setitem(app.config, "WORKER_LEASE_SECONDS", 20)  # HELPDESK_WORKER_LEASE_SECONDS
    job = counting_job()
    tick = "count@2026-12-03T00:00:00Z"
    with app.app_context():
        jobs.ensure_rows([job])
        assert jobs.claim(job, tick, "worker-a", AFTER_CLOSE)  # then killed

        assert not jobs.claim(job, tick, "worker-b", AFTER_CLOSE + timedelta(seconds=19))
        assert jobs.claim(job, tick, "worker-b", AFTER_CLOSE + timedelta(seconds=21))
        assert row("count").lease_until == AFTER_CLOSE + timedelta(seconds=41)


def test_a_worker_killed_while_delivering_holds_up_the_outbox_a_minute_at_most(app):
    send_mail = next(job for job in jobs.JOBS if job.name == "send-mail")
    tick = "send-mail@2026-12-03T00:00:00Z"
    with app.app_context():
        jobs.ensure_rows([send_mail])
        assert jobs.claim(send_mail, tick, "worker-a", AFTER_CLOSE)  # then killed

        assert not jobs.claim(send_mail, tick, "worker-b", AFTER_CLOSE + timedelta(seconds=59))
        assert jobs.claim(send_mail, tick, "worker-b", AFTER_CLOSE + timedelta(seconds=61))


def test_a_dead_workers_lease_runs_out_and_another_worker_runs_the_tick(app):
    job = counting_job()
    with app.app_context():
        jobs.ensure_rows([job])
        # worker-a claimed the tick and was killed before it finished
        assert jobs.claim(job, "count@2026-12-03T00:00:00Z", "worker-a", AFTER_CLOSE)

        within_lease = AFTER_CLOSE + job.lease - timedelta(seconds=1)
        assert jobs.run_due("worker-b", now=within_lease.replace(second=0), jobs=[job]) == []

        after_lease = AFTER_CLOSE + job.lease + timedelta(seconds=1)
        stale_tick = jobs.claim(job, "count@2026-12-03T00:00:00Z", "worker-b", after_lease)
        assert stale_tick
        assert jobs.finish(
            job,
            "count@2026-12-03T00:00:00Z",
            "worker-b",
            after_lease,
            jobs.Outcome("done"),
            MORNING,
        )
        # the killed worker's late finish does not overwrite the one that ran
        assert not jobs.finish(
            job,
            "count@2026-12-03T00:00:00Z",
            "worker-a",
            after_lease,
            jobs.Outcome("stale"),
            MORNING,
        )
        assert row("count").last_result == "done"


def test_a_failing_job_is_recorded_and_the_others_still_run(app):
    broken, healthy = counting_job("broken", fail=True), counting_job("healthy")
    with app.app_context():
        runs = jobs.run_due("worker-a", now=AFTER_CLOSE, jobs=[broken, healthy])

        assert [run.job for run in runs] == ["broken", "healthy"]
        assert row("broken").last_ok is False
        assert row("broken").last_result == "Failed: RuntimeError: mailbox on fire"
        assert row("broken").lease_holder is None
        assert row("healthy").last_ok is True


def test_fetch_mail_runs_only_with_a_mailbox(app, monkeypatch):
    from helpdesk.services.mail import inbound

    fetched = []
    monkeypatch.setattr(
        inbound,
        "fetch_mail",
        lambda config, **kw: fetched.append(1) or inbound.FetchResult(mails=[], deleted=0),
    )
    fetch = next(job for job in jobs.JOBS if job.name == "fetch-mail")
    with app.app_context():
        assert jobs.run_due("worker-a", now=AFTER_CLOSE, jobs=[fetch]) == []
        monkeypatch.setitem(app.config, "IMAP_USERNAME", "support")
        runs = jobs.run_due("worker-a", now=AFTER_CLOSE, jobs=[fetch])

    assert [run.outcome.summary for run in runs] == ["0 fetched, 0 deleted from the mailbox."]
    assert fetched == [1]


def test_heartbeats_show_live_workers(app):
    with app.app_context():
        jobs.beat("worker-a", AFTER_CLOSE, AFTER_CLOSE)
        jobs.beat("worker-b", AFTER_CLOSE, AFTER_CLOSE)
        jobs.beat("worker-a", AFTER_CLOSE, AFTER_CLOSE + timedelta(minutes=5))

        live = jobs.live_workers(AFTER_CLOSE + timedelta(minutes=5, seconds=30))
        assert [beat.worker_id for beat in live] == ["worker-a"]


def test_a_stop_request_ends_the_pass_after_the_job_in_hand(app):
    first, second = counting_job("first"), counting_job("second")
    with app.app_context():
        runs = jobs.run_due(
            "worker-a", now=AFTER_CLOSE, jobs=[first, second], should_stop=lambda: bool(first.calls)
        )

        assert [run.job for run in runs] == ["first"]
        assert second.calls == []
        assert row("second").last_tick is None  # not claimed: the next worker runs it


def test_now_without_once_is_refused(app):
    result = app.test_cli_runner().invoke(args=["worker", "--now", AFTER_CLOSE.isoformat()])

    assert result.exit_code == 2
    assert "--now goes with --once" in result.output
