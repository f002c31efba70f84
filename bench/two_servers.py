"""Two app servers, two workers, one PostgreSQL, one Redis, one attachment directory.

Two gunicorn servers (A and B, 2 workers each, on different ports) and two `flask worker`
processes serve one throwaway PostgreSQL database, share one Redis database for the login limits
and one attachment directory, and deliver the outbox to one SMTP server started here. No load
balancer: every client takes the servers in turn, one request each, so a session logged in on
one server goes on on the other. First, before any traffic:

- a customer logs in on A, opens a case with a file through A, replies through B; A shows the
  reply, and the file downloads through B (for the customer and for an agent);
- an agent on A and an agent on B open that case: each is told the other is viewing or typing;
- the folder counts read on A and on B agree, a poll on B with A's counts answers "nothing new",
  and a case opened through B moves A's counts to B's;
- parallel failed logins for one account, half on each server, get exactly the limit through.

The two workers start with the servers, 20 notices waiting in the outbox, so the first batch
holds them all. The SMTP server holds the second message it receives without answering; the
worker delivering it is found by its connection and killed with SIGKILL, mid-batch, while the
checks above run. The other worker takes the job over once the leases (shortened here) run
out. After the checks, customers and agents drive mixed traffic across both servers
(bench/soak.py) for the given seconds, and the outbox is left to drain. Passes with no 5xx, every
acknowledged write stored once, every outbox row delivered exactly once, no scheduled tick run
twice (the workers print each run's tick) and both servers ready afterwards.

    .venv/bin/python bench/two_servers.py --seconds 60

HELPDESK_TWO_SERVERS_POSTGRES_URL names the PostgreSQL server (default: the soak's);
HELPDESK_TWO_SERVERS_REDIS_URL the Redis database, emptied before and after
(default redis://127.0.0.1:6379/7); HELPDESK_TWO_SERVERS_PORTS a port range such as 5300-5399
to take the three ports from (default: any free ones).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `bench` is then not importable by itself
    sys.path.insert(0, str(ROOT))

from bench import soak  # noqa: E402
from bench.run import BIN, Gunicorn, free_port  # noqa: E402

POSTGRES = os.environ.get("HELPDESK_TWO_SERVERS_POSTGRES_URL", soak.POSTGRES)
REDIS = os.environ.get("HELPDESK_TWO_SERVERS_REDIS_URL", "redis://127.0.0.1:6379/7")
LEASE_SECONDS = 10  # job and mail leases: a killed worker's batch is taken over after this
LOGIN_LIMIT = 5  # failed logins per account, a day here: no window can end during the burst
LOGIN_ATTEMPTS = 20
LIMITED = "ben@harbortheatre.example"  # a demo customer the traffic never logs in as
BURST = 20  # mails waiting when the workers start (a morning's notices): the first batch
HOLD_AT = 2  # the SMTP server holds this message: the batch it is in goes on after it
DEADLINE = 120  # seconds any one wait may take on a busy machine before it counts as failed
FILE = ("error-log.txt", b"two servers: line 1\nline 2 of the log\n")

TICK_LINE = re.compile(r"^(\S+)@(\S+) (ok|failed) in ", re.M)
ORDER = re.compile(r'<option[^>]*value="(\d+)"')
PORTAL_FILE = re.compile(r'href="(/cases/\d+/attachments/\d+)"')
TRACKER_FILE = re.compile(r'href="(/tracker/cases/\d+/attachments/\d+)"')
COUNT = re.compile(r'data-folder="(\w+)">([\d,]+)<')


# --- the mail server ----------------------------------------------------------------------------


class MailSink:
    """aiosmtpd handler: counts accepted messages by Message-ID. Message number `hold_at` gets
    no answer until released, so its sender can be killed in the middle of a batch; a message
    whose sender hung up before the answer was not accepted and is not counted."""

    def __init__(self, hold_at: int = 0) -> None:
        self.hold_at = hold_at
        self.received = 0
        self.accepted: Counter[str] = Counter()
        self.accepted_at: list[float] = []  # monotonic
        self.held_peer: tuple[str, int] | None = None
        self.held = threading.Event()
        self.dropped = threading.Event()  # the held message's sender went away unanswered
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.received += 1
            number = self.received
        if number == self.hold_at:
            self.held_peer = session.peer
            self.held.set()
            try:
                while not self.release.is_set():
                    await asyncio.sleep(0.02)
            except asyncio.CancelledError:  # aiosmtpd cancels us when the client disconnects
                self.dropped.set()
                raise
        headers = BytesHeaderParser().parsebytes(envelope.original_content)
        with self.lock:
            self.accepted[str(headers["Message-ID"])] += 1
            self.accepted_at.append(time.monotonic())
        return "250 Message accepted"


@contextlib.contextmanager
def mail_sink(port: int, hold_at: int):
    from aiosmtpd.controller import Controller

    sink = MailSink(hold_at)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        sink.release.set()
        controller.stop()


def process_with_connection(local_port: int, pids: list[int]) -> int | None:
    """Which of `pids` owns the TCP connection whose local end is `local_port` (Linux /proc)."""
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                    sockets.add(f"socket:[{fields[9]}]")
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in sockets:
                        return pid
    return None


# --- the processes ------------------------------------------------------------------------------


def pick_ports(count: int) -> list[int]:
    """`count` free loopback ports, from HELPDESK_TWO_SERVERS_PORTS (e.g. 5300-5399) if set."""
    wanted = os.environ.get("HELPDESK_TWO_SERVERS_PORTS", "")
    if not wanted:
        return [free_port() for _ in range(count)]
    low, high = (int(part) for part in wanted.split("-"))
    found = []
    for port in range(low, high + 1):
        with contextlib.suppress(OSError), socket_bound(port):
            found.append(port)
            if len(found) == count:
                return found
    raise RuntimeError(f"fewer than {count} free ports in {wanted}")


@contextlib.contextmanager
def socket_bound(port: int):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
        yield


class Worker:
    """`flask worker` with its output in a file: each run prints its tick."""

    def __init__(self, name: str, env: dict[str, str], tmp_dir: str) -> None:
        self.name = name
        self.log_path = Path(tmp_dir) / f"worker-{name}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "app", "worker", "--interval", "0.5"],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # stops after the job in hand
            try:
                self.process.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Report:
    """What the two-server run did and what it found."""

    traffic: soak.Report
    checks: list[tuple[str, str]] = field(default_factory=list)  # (what, problem or "")
    mails_expected: int = 0
    accepted: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # accepted, but no outbox row has the id
    unsent: list[str] = field(default_factory=list)  # rows not marked sent at the end
    runs: Counter = field(default_factory=Counter)  # tick -> runs started
    job_failures: list[str] = field(default_factory=list)
    killed: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what kept a step from running at all

    def check(self, what: str, problem: str = "") -> None:
        self.checks.append((what, problem))

    @property
    def repeated_ticks(self) -> list[str]:
        return sorted(tick for tick, runs in self.runs.items() if runs > 1)

    @property
    def failed_checks(self) -> list[str]:
        return [f"{what}: {problem}" for what, problem in self.checks if problem]

    @property
    def ok(self) -> bool:
        return self.traffic.ok and not (
            self.failed_checks
            or self.lost
            or self.duplicated
            or self.unknown
            or self.unsent
            or self.repeated_ticks
            or self.job_failures
            or self.problems
            or self.killed.get("in_hand", 0) < 2
        )

    def summary(self) -> str:
        t = self.traffic
        servers = "/".join(str(n) for _, n in sorted(t.servers.items()))
        per_job = Counter(tick.split("@", 1)[0] for tick in self.runs.elements())
        delivered = sum(1 for n in self.accepted.values() if n)
        return (
            f"two servers {t.seconds:.0f} s: requests={t.requests} (A/B {servers}) "
            f"statuses={dict(sorted(t.statuses.items()))} 5xx={t.server_errors} "
            f"connection errors={t.connection_errors} writes={len(t.writes)} "
            f"lost={len(t.lost)} duplicated={len(t.duplicated)}; "
            f"mails enqueued={self.mails_expected} delivered={delivered} "
            f"duplicates={len(self.duplicated)} lost={len(self.lost)}; "
            f"worker killed mid-batch with {self.killed.get('in_hand', 0)} mails in hand, "
            f"taken over after {self.killed.get('takeover_seconds') or -1:.0f} s; "
            f"ticks run={sum(per_job.values())} {dict(sorted(per_job.items()))} "
            f"twice={len(self.repeated_ticks)}; "
            f"checks {len(self.checks) - len(self.failed_checks)}/{len(self.checks)} ok"
        )


# --- the scenarios, while the servers are quiet -------------------------------------------------


def _wait_for(condition, what: str, report: Report, timeout: float = DEADLINE):
    """Poll `condition` until it gives something true; None (noted) when time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    report.problems.append(f"gave up waiting for {what}")
    return None


def _counts(client: soak.Client, port: int) -> tuple[dict[str, str], str]:
    """The folder counts one server shows, and the poll URL its sidebar carries."""
    _, _, sidebar = client.get("/tracker/counts?scope=everyone", htmx=True, port=port)
    poll = soak.COUNTS_POLL.search(sidebar)
    return dict(COUNT.findall(sidebar)), html.unescape(poll.group(1)) if poll else ""


def _open_case(client: soak.Client, port: int, label: str, **files) -> tuple[int, str]:
    """A customer opens a case through `port`; its number (0 when refused) and subject."""
    _, _, page = client.get("/cases/new", port=port)
    select = soak.ORDER_SELECT.search(page)
    orders = ORDER.findall(select.group(1)) if select else []
    if not orders:
        return 0, ""
    subject = f"{soak.TAG} two servers {label} {secrets.token_hex(4)}"
    form = {
        "order_id": orders[0],
        "category": "support",
        "subject": subject,
        "body": f"{soak.TAG}: opened for the two-server run ({label}).",
    }
    status, location, _ = client.post("/cases/new", form, port=port, files=files or None)
    found = re.fullmatch(r"/cases/(\d+)", location) if status in (302, 303) else None
    return (int(found.group(1)) if found else 0), subject


def scenarios(a: int, b: int, names: dict[str, str], report: Report) -> list[soak.Client]:
    """The cross-server checks; the clients used, for their request counts."""
    anna, ada, tomas = (soak.Client([a, b]) for _ in range(3))
    anna.login("anna@northwind.example", port=a)
    number, subject = _open_case(anna, a, "file", attachments=FILE)
    report.check("a case opened through A with a file", "" if number else "refused")
    if not number:
        return [anna]
    report.traffic.writes.append(("case", number, subject))
    reply = f"{soak.TAG} reply through B {secrets.token_hex(4)}"
    anna.get(f"/cases/{number}", port=b)
    status, location, _ = anna.post(f"/cases/{number}/reply", {"body": reply}, port=b)
    acknowledged = status in (302, 303) and location == f"/cases/{number}"
    if acknowledged:
        report.traffic.writes.append(("message", number, reply))
    _, _, page = anna.get(f"/cases/{number}", port=a)
    report.check(
        "logged in on A, replied on B, read on A",
        "" if acknowledged and reply in page else f"reply {status}, shown on A: {reply in page}",
    )

    link = PORTAL_FILE.search(page)
    status, _, body = anna.get(link.group(1), port=b) if link else (0, "", "")
    report.check(
        "uploaded through A, downloaded through B by the customer",
        "" if status == 200 and body.encode() == FILE[1] else f"{status}, link {bool(link)}",
    )
    ada.login("admin@example.com", port=a)
    tomas.login("agent2@example.com", port=b)
    _, _, staff_page = ada.get(f"/tracker/cases/{number}", port=a)
    link = TRACKER_FILE.search(staff_page)
    status, _, body = ada.get(link.group(1), port=b) if link else (0, "", "")
    report.check(
        "uploaded through A, downloaded through B by an agent",
        "" if status == 200 and body.encode() == FILE[1] else f"{status}, link {bool(link)}",
    )

    tomas.get(f"/tracker/cases/{number}", port=b)
    presence = f"/tracker/cases/{number}/presence"
    viewing = f"{names['admin@example.com']} is viewing this case right now."
    typing = f"{names['agent2@example.com']} is typing a reply right now."
    seen: dict[str, str] = {}

    def both_warned() -> bool:  # again if the machine stalled past the 15-second typing window
        ada.post(presence, {}, port=a)
        seen["B"] = tomas.post(presence, {"typing": "1"}, port=b)[2]
        seen["A"] = ada.post(presence, {}, port=a)[2]
        return viewing in seen["B"] and typing in seen["A"]

    warned = _wait_for(both_warned, "the collision notices", report)
    report.check("the collision notice on both servers", "" if warned else repr(seen))

    # The workers run meanwhile (end of day may move cases): agreeing means once it settles.
    def agree() -> tuple[dict, str] | None:
        counts_a, poll_a = _counts(ada, a)
        counts_b, _ = _counts(ada, b)
        nothing_new_on_b = poll_a and ada.get(poll_a, htmx=True, port=b)[0] == 204
        return (counts_a, poll_a) if counts_a == counts_b and nothing_new_on_b else None

    agreed = _wait_for(agree, "the counts on A and B to agree", report)
    report.check("the live counts agree on both servers", "" if agreed else "they never did")
    if not agreed:
        return [anna, ada, tomas]
    before, poll_a = agreed
    moved, subject = _open_case(anna, b, "counts")
    if moved:
        report.traffic.writes.append(("case", moved, subject))

    def moved_on_a() -> dict | None:
        if ada.get(poll_a, htmx=True, port=a)[0] != 200:
            return None
        after_a, _ = _counts(ada, a)
        return after_a if after_a == _counts(ada, b)[0] != before else None

    after = _wait_for(moved_on_a, "A's counts to move", report)
    report.check(
        "a case opened through B moves the counts on A",
        "" if moved and after else f"case {moved}, counts {before} -> {after}",
    )
    return [anna, ada, tomas, *_login_burst(a, b, report)]


def _login_burst(a: int, b: int, report: Report) -> list[soak.Client]:
    """Failed logins for one account at once, half through each server: exactly the limit."""
    browser = soak.Client(a)
    browser.get("/auth/login")
    attempts = []
    for n in range(LOGIN_ATTEMPTS):
        client = soak.Client([a, b][n % 2])
        client.cookies, client.token = dict(browser.cookies), browser.token
        attempts.append(client)
    start = threading.Barrier(LOGIN_ATTEMPTS)
    statuses: list[int] = []

    def attempt(client: soak.Client) -> None:
        start.wait()
        form = {"email": LIMITED, "password": "not-the-password"}
        statuses.append(client.post("/auth/login", form)[0])

    threads = [threading.Thread(target=attempt, args=(c,)) for c in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {200: LOGIN_LIMIT, 429: LOGIN_ATTEMPTS - LOGIN_LIMIT}
    report.check(
        "the login limit is shared by both servers",
        "" if Counter(statuses) == expected else f"{dict(Counter(statuses))}, not {expected}",
    )
    return [browser, *attempts]


# --- the database, read by the harness ----------------------------------------------------------


class Database:
    """Plain reads of the shared database (no app: the harness is not a server)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.engine = sa.create_engine(url)

    def outbox(self) -> list[tuple[int, str, str]]:
        from helpdesk.models import OutboxMail

        query = self.sa.select(OutboxMail.id, OutboxMail.message_id, OutboxMail.status)
        with self.engine.connect() as connection:
            return [(i, m, str(getattr(s, "value", s))) for i, m, s in connection.execute(query)]

    def enqueue(self, count: int) -> None:
        """`count` notices in the outbox, as the actions that mail write them."""
        from sqlalchemy.orm import Session

        from helpdesk.models import OutboxMail

        run = secrets.token_hex(4)
        with Session(self.engine) as session:
            session.add_all(
                OutboxMail(
                    to_address=f"reader{n}@example.test",
                    subject=f"Planned maintenance notice {n}",
                    body_text="The portal is read-only on Saturday from 06:00 to 07:00.",
                    template_key="notice",
                    message_id=f"<notice-{run}-{n}@helpdesk.test>",
                )
                for n in range(count)
            )
            session.commit()

    def send_mail_tick(self) -> str:
        from helpdesk.models import WorkerJob

        query = self.sa.select(WorkerJob.running_tick).where(WorkerJob.name == "send-mail")
        with self.engine.connect() as connection:
            return connection.execute(query).scalar() or ""

    def names(self) -> dict[str, str]:
        from helpdesk.models import User

        with self.engine.connect() as connection:
            return dict(connection.execute(self.sa.select(User.email, User.name)).all())

    def close(self) -> None:
        self.engine.dispose()


# --- the run ------------------------------------------------------------------------------------


def run(database_url: str, tmp_dir: str, *, seconds: float, customers: int, agents: int) -> Report:
    """Both servers and both workers on the prepared database; the scenarios, then the traffic
    with a worker killed mid-batch; then the mail, the ticks and the writes checked."""
    import redis

    limits = redis.Redis.from_url(REDIS)
    limits.flushdb()  # our own database number only: counts of an earlier run must not carry
    port_a, port_b, smtp_port = pick_ports(3)
    env = {
        **soak.server_env(database_url, tmp_dir),
        "HELPDESK_ENV": "production",  # refuses per-process limits; mail really goes out
        "HELPDESK_RATELIMIT_STORAGE_URI": REDIS,
        "HELPDESK_LOGIN_LIMIT_PER_ACCOUNT": f"{LOGIN_LIMIT} per day",
        "HELPDESK_MAIL_HOST": "127.0.0.1",
        "HELPDESK_MAIL_PORT": str(smtp_port),
        "HELPDESK_MAIL_TIMEOUT": str(LEASE_SECONDS // 2),
        "HELPDESK_MAIL_LEASE_SECONDS": str(LEASE_SECONDS),
        "HELPDESK_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    report = Report(soak.Report(seconds))
    database = Database(database_url)
    servers: list[Gunicorn] = []
    workers: list[Worker] = []
    try:
        with mail_sink(smtp_port, HOLD_AT) as sink:
            for port in (port_a, port_b):
                servers.append(Gunicorn(soak.APP, env, port=port))
            database.enqueue(BURST)
            already_sent = {row[0] for row in database.outbox() if row[2] == "sent"}
            workers = [Worker(name, env, tmp_dir) for name in ("one", "two")]
            killing = Background(lambda: _kill_mid_batch(sink, workers, database, report))
            clients = scenarios(port_a, port_b, database.names(), report)
            for client in clients:
                report.traffic.statuses.update(client.statuses)
                report.traffic.servers.update(client.servers)
                report.traffic.failures += client.failures
            merged = soak.drive(
                [port_a, port_b], seconds=seconds, customers=customers, agents=agents
            )
            killing.result()
            _wait_for(
                lambda: all(row[2] in ("sent", "failed") for row in database.outbox()),
                "the outbox to drain",
                report,
            )
            for port in (port_a, port_b):
                status, _, body = soak.Client(port).get("/readyz")
                report.check(f"/readyz on :{port} after the kill", "" if status == 200 else body)
            for worker in workers:
                worker.stop()
            _mail_figures(report, sink, database.outbox(), already_sent)
    finally:
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()
        database.close()
        limits.flushdb()
        limits.close()
    report.traffic.statuses.update(merged.statuses)
    report.traffic.servers.update(merged.servers)
    for name in ("writes", "failures", "refusals", "fatal"):
        getattr(report.traffic, name).extend(getattr(merged, name))
    _tick_figures(report, workers)
    soak.check(database_url, tmp_dir, report.traffic)
    return report


class Background:
    """`work()` in a thread; `result()` waits for it and re-raises what it raised."""

    def __init__(self, work) -> None:
        self.value = None
        self.error: BaseException | None = None
        # A daemon: a run failing elsewhere must not wait out this thread's deadline.
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self.thread.start()

    def _run(self, work) -> None:
        try:
            self.value = work()
        except BaseException as error:  # noqa: BLE001 - handed to result()
            self.error = error

    def result(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value


def _kill_mid_batch(sink: MailSink, workers: list[Worker], db: Database, report: Report) -> None:
    """SIGKILL the worker whose message the SMTP server holds; note what it had in hand."""
    if not _wait_for(sink.held.is_set, "a message to hold", report):
        return
    pids = [worker.process.pid for worker in workers]
    pid = process_with_connection(sink.held_peer[1], pids)
    if pid is None:
        report.problems.append("no worker owns the held SMTP connection")
        return
    in_hand = sum(1 for row in db.outbox() if row[2] == "sending")
    tick = db.send_mail_tick()
    os.kill(pid, signal.SIGKILL)  # one of our own two children, by its id
    [victim] = [worker for worker in workers if worker.process.pid == pid]
    victim.process.wait(timeout=DEADLINE)
    killed_at = time.monotonic()
    _wait_for(sink.dropped.is_set, "the held connection to close", report)
    sink.release.set()
    report.killed = {"worker": victim.name, "in_hand": in_hand, "tick": tick}

    def taken_over() -> float:
        with sink.lock:
            later = [at for at in sink.accepted_at if at > killed_at]
        return later[0] - killed_at if later else 0.0

    report.killed["takeover_seconds"] = _wait_for(taken_over, "the other worker's mail", report)


def _mail_figures(report: Report, sink: MailSink, outbox: list, already_sent: set[int]) -> None:
    """Every row that was not sent before the workers started, delivered exactly once."""
    expected = [(mail_id, message_id, status) for mail_id, message_id, status in outbox]
    expected = [row for row in expected if row[0] not in already_sent]
    known = {message_id for _, message_id, _ in outbox}
    with sink.lock:
        report.accepted = Counter(sink.accepted)
    report.mails_expected = len(expected)
    report.lost = [m for _, m, _ in expected if report.accepted[m] == 0]
    report.duplicated = [m for m, n in report.accepted.items() if n > 1]
    report.unknown = [m for m in report.accepted if m not in known]
    report.unsent = [f"{i} {m} {s}" for i, m, s in expected if s != "sent"]


def _tick_figures(report: Report, workers: list[Worker]) -> None:
    """Each run a worker started: the ticks it printed, and the one the killed worker held."""
    for worker in workers:
        for name, when, state in TICK_LINE.findall(worker.output()):
            report.runs[f"{name}@{when}"] += 1
            if state != "ok":
                report.job_failures.append(f"{worker.name}: {name}@{when}")
    if tick := report.killed.get("tick"):
        report.runs[tick] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--customers", type=int, default=3, help="customer client processes")
    parser.add_argument("--agents", type=int, default=2, help="agent client processes")
    args = parser.parse_args()
    with (
        soak.throwaway_postgres(POSTGRES) as url,
        tempfile.TemporaryDirectory(prefix="two-servers-") as tmp,
    ):
        print("preparing a throwaway database ...", flush=True)
        soak.prepare(url, tmp)
        report = run(url, tmp, seconds=args.seconds, customers=args.customers, agents=args.agents)
    print(report.summary())
    for line in report.failed_checks + report.problems + report.traffic.failures[:20]:
        print(f"  failure: {line}")
    for kind in ("lost", "duplicated", "unknown", "unsent", "repeated_ticks", "job_failures"):
        for item in getattr(report, kind)[:20]:
            print(f"  {kind}: {item}")
    print("PASS" if report.ok else "FAIL")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
