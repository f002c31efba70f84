"""Flask CLI commands: `flask demo-data`, `flask create-user`, `flask search-reindex`,
`flask rerender-markup`, `flask send-mail`, `flask ingest-mail`, `flask fetch-mail` ..."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from helpdesk.bench_cli import bench_data_command
from helpdesk.logging_setup import timed_job
from helpdesk.models import Organisation, Role
from helpdesk.sample_data import demo
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts
from helpdesk.services.mail.mail_sender import BatchResult, MailSettings, send_batch
from helpdesk.services.tracker import search


def register(app: Flask) -> None:
    """Attach the project's commands to `app.cli`."""
    app.cli.add_command(end_of_day)
    app.cli.add_command(queue_check)
    app.cli.add_command(demo_data)
    app.cli.add_command(create_user)
    app.cli.add_command(search_reindex)
    app.cli.add_command(rerender_markup)
    app.cli.add_command(ingest_mail)
    app.cli.add_command(fetch_mail)
    app.cli.add_command(sweep_mail)
    app.cli.add_command(install_defaults)
    app.cli.add_command(_old_name(install_defaults, "seed-defaults"))
    app.cli.add_command(send_mail)
    app.cli.add_command(send_webhooks)
    app.cli.add_command(bench_data_command)
    app.cli.add_command(charge_recurring)
    app.cli.add_command(worker)

    from helpdesk.api_cli import create_api_token, create_webhook

    app.cli.add_command(create_api_token)
    app.cli.add_command(create_webhook)


def _old_name(command: click.Command, name: str) -> click.Command:
    """`command` under a former name, hidden from the help, so existing scripts keep working."""
    return click.Command(name, callback=command.callback, params=command.params, hidden=True)


def _print_logins() -> None:
    click.echo(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
    for email, role, note in demo.logins():
        click.echo(f"  {email:<30} {role:<16} {note}")
    roles = current_app.config["TWO_FACTOR_REQUIRED_ROLES"]
    if roles:
        click.echo(
            f"  Logins with the role {' or '.join(roles)} set up two-factor login the first time"
            " they log in: have an authenticator app at hand (see the README)."
        )


@click.command("demo-data")
@with_appcontext
@click.option("--quiet", is_flag=True, help="Do not print the demo logins.")
def demo_data(quiet: bool) -> None:
    """Load demo organisations, people, cases and money (once; a second run changes nothing)."""

    def progress(items):
        with click.progressbar(list(items), label="Demo cases") as bar:
            yield from bar

    card_key = current_app.config["CARD_HASH_KEY"].encode()
    if demo.load(card_key, progress=progress):
        click.echo("Demo data loaded.")
    else:
        click.echo("Demo data is already loaded; nothing changed.")
    if not quiet:
        _print_logins()


@click.command("create-user")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), prompt=True)
@click.option("--tier", type=click.IntRange(1, 3), default=None, help="Agents only.")
@click.option("--customer-number", default=None, help="Customers: their organisation's ID.")
@click.password_option()
def create_user(
    email: str, name: str, role: str, tier: int | None, customer_number: str | None, password: str
) -> None:
    """Create a login for a real install (the first admin, agents, billing staff)."""
    from helpdesk.extensions import db

    organisation = None
    if customer_number:
        organisation = (
            db.session.query(Organisation).filter_by(customer_number=customer_number).one_or_none()
        )
        if organisation is None:
            raise click.ClickException(f"No organisation with customer number {customer_number}.")
    try:
        user = accounts.create_user(
            email=email,
            name=name,
            password=password,
            role=Role(role),
            tier=tier,
            organisation=organisation,
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} {user.email}.")


@click.command("search-reindex")
@with_appcontext
@click.option("--batch", type=click.IntRange(1), default=1000, show_default=True)
def search_reindex(batch: int) -> None:
    """Rebuild the case search index from the cases and their threads (after an upgrade)."""
    import sqlalchemy as sa

    from helpdesk.extensions import db
    from helpdesk.models import Case

    count = db.session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0
    with click.progressbar(length=count, label="Indexing cases") as bar:
        done = search.reindex_all(batch, on_batch=bar.update)
    click.echo(f"Indexed {done} cases.")
    from helpdesk.services.helpcentre import kb

    click.echo(f"Indexed {kb.reindex_all_articles()} help articles.")


@click.command("rerender-markup")
@with_appcontext
@click.option("--batch", type=click.IntRange(1), default=500, show_default=True)
def rerender_markup(batch: int) -> None:
    """Rebuild the stored HTML of cases, messages and articles from their text (after an
    upgrade that changed how text is made safe); a second run changes nothing."""
    from helpdesk.services.core import rerender

    for count in rerender.rerender_all(batch):
        click.echo(f"{count.table}: {count.checked} checked, {count.rewritten} rewritten.")


@click.command("install-defaults")
@with_appcontext
def install_defaults() -> None:
    """Install any of the eight standard system e-mails that are missing (edited ones are kept)."""
    from helpdesk.services.mail import canned

    added = canned.seed_defaults()
    click.echo(f"{added} system e-mail{'' if added == 1 else 's'} added.")


@click.command("end-of-day")
@with_appcontext
@click.option("--agent", "agent_email", default=None, help="Only this agent's cases.")
def end_of_day(agent_email: str | None) -> None:
    """Return every unanswered case in personal queues to the support queue (end of the day)."""
    from helpdesk.services.tracker import handover

    agent_id = None
    if agent_email:
        agent = accounts.find_user_by_email(agent_email)
        if agent is None or not agent.is_staff:
            raise click.ClickException(f"No agent with the e-mail {agent_email}.")
        agent_id = agent.id
    with timed_job("end-of-day") as counts:
        moved = counts["returned"] = handover.end_of_day(None, agent_id)
    click.echo(f"{moved} unanswered case{'' if moved == 1 else 's'} returned to the support queue.")


@click.command("queue-check")
@with_appcontext
def queue_check() -> None:
    """Mail the support director about new queue alerts (a full queue, alike subjects); cron."""
    from helpdesk.models import utcnow
    from helpdesk.services.tracker import queue_health

    with timed_job("queue-check") as counts:
        mailed = counts["mailed"] = queue_health.notify_director(utcnow())
    click.echo(f"{mailed} new queue alert{'' if mailed == 1 else 's'} mailed.")


@click.command("send-mail")
@with_appcontext
@click.option("--loop", is_flag=True, help="Keep sending until interrupted (SIGTERM, Ctrl-C).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between batches with --loop.",
)
def send_mail(loop: bool, interval: float) -> None:
    """Deliver due outbox mail over SMTP (one batch, or --loop), retrying with back-off.

    Without HELPDESK_MAIL_HOST outside production, mail is captured for /admin/sent-mail.
    """
    try:
        settings = MailSettings.from_config(current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if not loop:
        with timed_job("send-mail") as counts:
            result = send_batch(settings)
            counts.update(_mail_counts(result))
        _echo_mail_counts(result, settings)
        return
    stop = threading.Event()
    total = BatchResult()
    with _stop_on_signals(stop), timed_job("send-mail --loop") as counts:
        while not stop.is_set():
            result = send_batch(settings, should_stop=stop.is_set)
            total.add(result)
            counts.update(_mail_counts(total))
            if result.claimed:
                _echo_mail_counts(result, settings)
            if result.claimed < settings.batch_size:  # a full batch: more may be due right now
                stop.wait(interval)
    click.echo("Stopped.")
    _echo_mail_counts(total, settings)


@click.command("send-webhooks")
@with_appcontext
def send_webhooks() -> None:
    """Send every due webhook delivery once, signed, retrying failures later (for cron)."""
    from helpdesk.services.webhooks import delivery

    with timed_job("send-webhooks") as counts:
        result = delivery.send_due(max_batches=1000, budget_seconds=600)
        counts.update(result.counts)
    click.echo(result.summary)


def _mail_counts(result: BatchResult) -> dict[str, int]:
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}


def _echo_mail_counts(result: BatchResult, settings: MailSettings) -> None:
    if settings.capture:
        click.echo(
            f"Captured {result.sent} (no SMTP host set: read them at /admin/sent-mail), "
            f"failed {result.failed}."
        )
        return
    click.echo(f"Sent {result.sent}, retried {result.retried}, failed {result.failed}.")


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop`: the message being sent finishes, the rest is released."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may install handlers
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and delivers it again later


def _outcome(mail) -> str:
    from helpdesk.extensions import db
    from helpdesk.models import Case

    case = db.session.get(Case, mail.case_id) if mail.case_id else None
    detail = f"case #{case.number}" if case is not None else (mail.error or "")
    return f"inbound mail {mail.id}: {mail.status}" + (f" ({detail})" if detail else "")


@click.command("ingest-mail")
@with_appcontext
@click.argument("source", type=click.File("rb"), default="-")
def ingest_mail(source) -> None:
    """Read one e-mail from standard input (an MTA pipe) and route it; exit 0 once stored."""
    from helpdesk.services.mail import inbound

    raw = source.read()
    _arm_test_pause()
    try:
        mail = inbound.ingest(raw)
    except Exception as error:  # noqa: BLE001 - not stored: the MTA must retry, not bounce
        click.echo(f"Not stored, try again later: {type(error).__name__}: {error}", err=True)
        raise SystemExit(EX_TEMPFAIL) from error
    # Even a quarantined message is ours now: a non-zero status would bounce it to the sender.
    click.echo(_outcome(mail))


@click.command("fetch-mail")
@with_appcontext
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
def fetch_mail(limit: int) -> None:
    """Poll the HELPDESK_IMAP_* mailbox; each message is deleted there once it is stored."""
    from helpdesk.services.mail import inbound

    with timed_job("fetch-mail") as counts:
        counts["resumed"] = _sweep(limit)  # first: an unreachable mailbox must not keep mail
        try:
            result = inbound.fetch_mail(current_app.config, limit=limit)
        except (OSError, inbound.imaplib.IMAP4.error) as error:
            raise click.ClickException(f"Mailbox not reachable: {error}") from error
        counts.update(fetched=len(result.mails), deleted=result.deleted)
    for mail in result.mails:
        click.echo(_outcome(mail))
    click.echo(f"{len(result.mails)} fetched, {result.deleted} deleted from the mailbox.")
    if result.error:
        raise click.ClickException(result.error)


@click.command("sweep-mail")
@with_appcontext
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
def sweep_mail(limit: int) -> None:
    """Route stored mail that a crashed process left unrouted (cron, with an MTA pipe)."""
    with timed_job("sweep-mail") as counts:
        counts["resumed"] = _sweep(limit)


def _sweep(limit: int) -> int:
    from helpdesk.services.mail import inbound

    resumed = inbound.sweep_stuck_mail(limit=limit)
    for mail in resumed:
        click.echo(_outcome(mail))
    if resumed:
        click.echo(f"{len(resumed)} unrouted message{'' if len(resumed) == 1 else 's'} resumed.")
    return len(resumed)


# Crash tests stop `ingest-mail` at these points: the process writes the marker file and
# sleeps, and the test kills it there (no timing races). Never armed in production.
PAUSE_POINTS = ("before_raw_commit", "raw_committed", "case_committed")


def _arm_test_pause() -> None:
    point = os.environ.get("HELPDESK_TEST_PAUSE_AT")
    marker = os.environ.get("HELPDESK_TEST_PAUSE_MARKER")
    if not point or not marker or current_app.config["HELPDESK_ENV"] == "production":
        return
    if point not in PAUSE_POINTS:
        raise click.UsageError(f"HELPDESK_TEST_PAUSE_AT must be one of {', '.join(PAUSE_POINTS)}")
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from helpdesk.models import Case, InboundMail

    def pause(reached: str) -> None:
        if reached == point:
            with open(marker, "w") as file:
                file.write(str(os.getpid()))
            time.sleep(3600)

    def flushed(session, _context) -> None:
        writes = session.info.setdefault("test_pause", set())
        writes.update(type(row) for row in session.new)

    def before_commit(session) -> None:
        session.flush()
        if InboundMail in session.info.get("test_pause", ()):
            pause("before_raw_commit")

    def after_commit(session) -> None:
        writes = session.info.pop("test_pause", set())
        if InboundMail in writes:
            pause("raw_committed")
        if Case in writes:
            pause("case_committed")

    sa.event.listen(Session, "after_flush", flushed)
    sa.event.listen(Session, "before_commit", before_commit)
    sa.event.listen(Session, "after_commit", after_commit)
    sa.event.listen(Session, "after_rollback", lambda session: session.info.pop("test_pause", 0))


@click.command("charge-recurring")
@with_appcontext
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="YYYY-MM-DDTHH:MM",
    help="Charge as of this UTC time instead of the clock (catching up, or a test).",
)
def charge_recurring(now_text: str | None) -> None:
    """Charge every recurring payment period due by now, once each (safe to run twice; cron)."""
    from helpdesk.models import utcnow
    from helpdesk.services.billing import recurring_charges

    now = _parse_utc(now_text) if now_text else utcnow()
    with timed_job("charge-recurring") as counts:
        run = recurring_charges.charge_due(now)
        counts.update(charged=run.charged, refused=run.refused)
    for line in run.lines:
        click.echo(line)
    click.echo(f"Charged {run.charged}, refused {run.refused}.")


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one pass of the due jobs, then stop.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between passes.",
)
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="YYYY-MM-DDTHH:MM",
    help="With --once: run as of this UTC time instead of the clock (a test, catching up).",
)
def worker(once: bool, interval: float, now_text: str | None) -> None:
    """Run every periodic job on its schedule (mail, queue health, end of day, charges...)."""
    from helpdesk.models import utcnow
    from helpdesk.services.core import jobs

    if now_text and not once:
        raise click.UsageError("--now goes with --once: a loop on a stopped clock would idle.")
    now = _parse_utc(now_text) if now_text else None
    worker_id = jobs.new_worker_id()
    started_at = now or utcnow()
    stop = threading.Event()
    click.echo(f"Worker {worker_id} started.")
    with _stop_on_signals(stop):
        while True:
            jobs.beat(worker_id, started_at, now)
            for run in jobs.run_due(worker_id, now=now, should_stop=stop.is_set):
                state = "ok" if run.outcome.ok else "failed"
                click.echo(f"{run.tick} {state} in {run.seconds:.2f}s: {run.outcome.summary}")
            if once or stop.wait(interval):
                break
    jobs.stopped(worker_id)
    click.echo("Stopped.")


def _parse_utc(text: str) -> datetime:
    """A --now value as naive UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter("use YYYY-MM-DDTHH:MM (UTC)", param_hint="--now") from error
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
