"""`make soak`: a bounded soak of mixed customer and agent traffic against gunicorn (2 workers)
on PostgreSQL, loopback only. Passes with zero 5xx, zero connection errors and zero lost writes.

A throwaway database (migrated, demo data) is created on HELPDESK_SOAK_POSTGRES_URL and dropped
after. Customer processes open cases (the form's CSRF token and order parsed from the page) and
reply; agent processes list folders, open cases, reply or add notes and poll the live regions.
Every write the server acknowledged (a redirect to the case) is recorded, and afterwards looked
up: each must be in the database exactly once, and no soak write may be there unacknowledged.

    .venv/bin/python bench/soak.py --seconds 300 --customers 4 --agents 2
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import multiprocessing
import os
import random
import re
import secrets
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `bench` is then not importable by itself
    sys.path.insert(0, str(ROOT))

from bench.run import Gunicorn  # noqa: E402

POSTGRES = os.environ.get(
    "HELPDESK_SOAK_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET_KEY = secrets.token_hex(32)  # one per run, shared by both workers (same sessions)
CARD_KEY = secrets.token_hex(32)
PASSWORD = "support-demo-2026"  # noqa: S105 (the demo logins', helpdesk.sample_data.demo)
CUSTOMERS = [  # demo customers whose plan lets them open cases
    "anna@northwind.example",
    "cara@cedarbooks.example",
    "eve@summithosting.example",
    "finn@pinecrest.example",
]
AGENTS = ["agent1@example.com", "agent2@example.com", "agent3@example.com", "admin@example.com"]
TIMEOUT = 30  # seconds for one request
TAG = "soak"  # in every subject and body the soak writes: finds phantom writes afterwards
APP = "helpdesk:create_app()"  # what gunicorn serves

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
ORDER_SELECT = re.compile(r'<select[^>]*name="order_id"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option[^>]*value="(\d+)"')
CASE_PATH = re.compile(r'/cases/(\d+)"')
THREAD_POLL = re.compile(r'hx-get="(/(?:tracker/)?cases/\d+/thread\?v=\d+)"')
COUNTS_POLL = re.compile(r'hx-get="(/tracker/counts[^"]*)"')
FOLDERS = ["new", "open", "waiting", "all"]


# --- one client: cookies kept, every request counted ---------------------------------------------


class Client:
    """A browser-like session over fresh loopback connections (gunicorn's sync workers close
    each one); counts every request by status and keeps the failures' descriptions.

    Given several ports (app servers behind no load balancer), it takes them in turn, one
    request each: consecutive requests of one session land on different servers."""

    def __init__(self, port: int | Sequence[int]) -> None:
        self.ports = [port] if isinstance(port, int) else list(port)
        self.port = self.ports[0]
        self.turn = 0
        self.servers: Counter[int] = Counter()  # requests by port
        self.cookies: dict[str, str] = {}
        self.statuses: Counter[str] = Counter()
        self.failures: list[str] = []
        self.refusals: list[str] = []  # 4xx: no failure, but worth reading after a run
        self.token = ""

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        *,
        htmx: bool = False,
        files: dict[str, tuple[str, bytes]] | None = None,
        port: int | None = None,
    ) -> tuple[int, str, str]:
        """(status, Location path, body); status 0 when the connection failed. `files` (field:
        (file name, content)) posts the form as multipart; `port` picks the server."""
        if port is None:
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
        self.servers[port] += 1
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body: str | bytes | None = None
        if files is not None:
            body, headers["Content-Type"] = multipart(form or {}, files)
        elif form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.statuses["error"] += 1
            self.failures.append(f"{method} {path}: {error!r}")
            return 0, "", ""
        finally:
            connection.close()
        self.statuses[str(response.status)] += 1
        if response.status >= 500:
            self.failures.append(f"{method} {path}: {response.status}")
        elif response.status >= 400:
            self.refusals.append(f"{method} {path}: {response.status}")
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in (morsel["expires"] or ""):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        location = urllib.parse.urlsplit(response.headers.get("Location") or "").path
        if found := CSRF.search(text):
            self.token = html.unescape(found.group(1))
        return response.status, location, text

    def get(
        self, path: str, *, htmx: bool = False, port: int | None = None
    ) -> tuple[int, str, str]:
        return self.request("GET", path, htmx=htmx, port=port)

    def post(
        self, path: str, form: dict, *, port: int | None = None, **options
    ) -> tuple[int, str, str]:
        return self.request("POST", path, {**form, "csrf_token": self.token}, port=port, **options)

    def login(self, email: str, *, port: int | None = None) -> None:
        self.get("/auth/login", port=port)
        status, _, _ = self.post("/auth/login", {"email": email, "password": PASSWORD}, port=port)
        if status not in (302, 303):
            raise RuntimeError(f"login failed for {email}: {status}")


def multipart(form: dict, files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of these fields and files, and its Content-Type."""
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in form.items()
    ]
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- the traffic ---------------------------------------------------------------------------------


def _customer(client: Client, deadline: float, rng: random.Random, label: str) -> list[tuple]:
    """Open cases and reply to them, read the list and poll the thread; the writes acknowledged."""
    writes: list[tuple] = []
    mine: list[int] = []
    orders: list[str] = []
    n = 0
    while time.monotonic() < deadline:
        n += 1
        roll = rng.random()
        if not mine or roll < 0.25:
            status, _, page = client.get("/cases/new")
            if not orders and (select := ORDER_SELECT.search(page)):
                orders = OPTION.findall(select.group(1))
            if status != 200 or not orders:
                continue
            subject = f"{TAG} {label} case {n} {secrets.token_hex(4)}"
            status, location, _ = client.post(
                "/cases/new",
                {
                    "order_id": rng.choice(orders),
                    "category": "support",
                    "subject": subject,
                    "body": f"{TAG}: the checkout page fails ({label}, {n}).",
                },
            )
            if status in (302, 303) and (found := re.fullmatch(r"/cases/(\d+)", location)):
                number = int(found.group(1))
                writes.append(("case", number, subject))
                mine.append(number)
                client.get(location)
        elif roll < 0.6:
            number = rng.choice(mine)
            client.get(f"/cases/{number}")
            body = f"{TAG} reply {label} {n} {secrets.token_hex(6)}"
            status, location, _ = client.post(f"/cases/{number}/reply", {"body": body})
            if status in (302, 303) and location == f"/cases/{number}":
                writes.append(("message", number, body))
        elif roll < 0.85:
            _, _, page = client.get(f"/cases/{rng.choice(mine)}")
            if poll := THREAD_POLL.search(page):
                client.get(html.unescape(poll.group(1)), htmx=True)
        else:
            client.get("/cases")
    return writes


def _agent(client: Client, deadline: float, rng: random.Random, label: str) -> list[tuple]:
    """List folders, poll the counts, open cases, answer or note them; the writes acknowledged."""
    writes: list[tuple] = []
    seen: list[int] = []
    counts = ""
    n = 0
    while time.monotonic() < deadline:
        n += 1
        roll = rng.random()
        if not seen or roll < 0.25:
            _, _, page = client.get(f"/tracker/folders/{rng.choice(FOLDERS)}?scope=everyone")
            numbers = [int(x) for x in CASE_PATH.findall(page)]
            seen = sorted(set(numbers), reverse=True)[:40] or seen
            if poll := COUNTS_POLL.search(page):
                counts = html.unescape(poll.group(1))
        elif roll < 0.4 and counts:
            client.get(counts, htmx=True)
        elif roll < 0.75:
            number = rng.choice(seen[:10])  # the newest: mostly the customers' soak cases
            status, _, _ = client.get(f"/tracker/cases/{number}")
            if status != 200:
                continue
            kind = "reply" if rng.random() < 0.7 else "note"
            body = f"{TAG} {kind} {label} {n} {secrets.token_hex(6)}"
            status, location, _ = client.post(
                f"/tracker/cases/{number}/messages", {"kind": kind, "body": body}
            )
            if status in (302, 303) and location == f"/tracker/cases/{number}":
                writes.append(("message", number, body))
        else:
            _, _, page = client.get(f"/tracker/cases/{rng.choice(seen)}")
            if poll := THREAD_POLL.search(page):
                client.get(html.unescape(poll.group(1)), htmx=True)
    return writes


def _drive(
    role: str, email: str, port: int | Sequence[int], seconds: float, seed: int, results
) -> None:
    """One client process: log in, then drive its role's traffic until the time is up."""
    client = Client(port)
    outcome: dict = {"role": role, "writes": [], "fatal": ""}
    try:
        client.login(email)
        step = _customer if role == "customer" else _agent
        rng = random.Random(seed)
        outcome["writes"] = step(client, time.monotonic() + seconds, rng, f"{role}{seed}")
    except Exception as error:  # the parent must see it, not a silent process
        outcome["fatal"] = f"{email}: {error!r}"
    outcome["statuses"] = dict(client.statuses)
    outcome["servers"] = dict(client.servers)
    outcome["failures"] = client.failures[:20]
    outcome["refusals"] = client.refusals[:20]
    results.put(outcome)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Report:
    """What a soak did and what it found."""

    seconds: float
    statuses: Counter = field(default_factory=Counter)
    servers: Counter = field(default_factory=Counter)  # requests by port
    writes: list[tuple] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)
    lost: list[tuple] = field(default_factory=list)
    duplicated: list[tuple] = field(default_factory=list)
    phantom: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("5"))

    @property
    def connection_errors(self) -> int:
        return self.statuses.get("error", 0)

    def summary(self) -> str:
        kinds = Counter(kind for kind, _, _ in self.writes)
        return (
            f"soak {self.seconds:.0f} s: requests={self.requests} "
            f"({self.requests / max(self.seconds, 1):.0f}/s) "
            f"writes={len(self.writes)} (cases={kinds['case']} messages={kinds['message']}) "
            f"5xx={self.server_errors} connection errors={self.connection_errors} "
            f"lost={len(self.lost)} duplicated={len(self.duplicated)} "
            f"unacknowledged={len(self.phantom)} statuses={dict(sorted(self.statuses.items()))}"
        )

    @property
    def ok(self) -> bool:
        return not (
            self.server_errors
            or self.connection_errors
            or self.fatal
            or self.lost
            or self.duplicated
            or self.phantom
        )


def app_config(database_url: str, tmp_dir: str) -> dict:
    """Settings shared by the preparing app, the checking app and the gunicorn workers."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": SECRET_KEY,
        "CARD_HASH_KEY": CARD_KEY,
        "ATTACHMENT_DIR": str(Path(tmp_dir) / "attachments"),
    }


def prepare(database_url: str, tmp_dir: str) -> None:
    """Migrate an empty database and load the demo data into it."""
    import flask_migrate

    from helpdesk import create_app
    from helpdesk.extensions import db
    from helpdesk.sample_data import demo

    app = create_app(app_config(database_url, tmp_dir))
    with app.app_context():
        flask_migrate.upgrade()
        demo.load(CARD_KEY.encode())
        db.session.remove()
        db.engine.dispose()


def check(database_url: str, tmp_dir: str, report: Report) -> None:
    """Look every acknowledged write up; note the lost, the doubled and the unacknowledged."""
    import sqlalchemy as sa

    from helpdesk import create_app
    from helpdesk.extensions import db
    from helpdesk.models import Case, Message

    app = create_app(app_config(database_url, tmp_dir))
    with app.app_context():
        cases = Counter(
            db.session.execute(
                sa.select(Case.number, Case.subject).where(Case.subject.like(f"{TAG} %"))
            ).all()
        )
        messages = Counter(
            db.session.execute(
                sa.select(Case.number, Message.body)
                .join(Case, Message.case_id == Case.id)
                .where(Message.body.like(f"{TAG} %"))
            ).all()
        )
        db.session.remove()
        db.engine.dispose()
    stored = cases + messages
    acknowledged = Counter((number, text) for _, number, text in report.writes)
    report.lost = [w for w in report.writes if stored[(w[1], w[2])] == 0]
    report.duplicated = [w for w in report.writes if stored[(w[1], w[2])] > 1]
    report.phantom = [text for key, text in stored if key and (key, text) not in acknowledged]


def server_env(database_url: str, tmp_dir: str) -> dict[str, str]:
    """The environment of a gunicorn serving the prepared database (the same keys as above)."""
    config = app_config(database_url, tmp_dir)
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": config["SECRET_KEY"],
        "HELPDESK_CARD_HASH_KEY": config["CARD_HASH_KEY"],
        "HELPDESK_ATTACHMENT_DIR": config["ATTACHMENT_DIR"],
    }


def drive(ports: int | Sequence[int], *, seconds: float, customers: int, agents: int) -> Report:
    """Customer and agent processes against the server(s) at `ports` for `seconds`."""
    report = Report(seconds)
    context = multiprocessing.get_context("spawn")  # nothing inherited: plain clients
    results = context.Queue()
    plan = [("customer", CUSTOMERS[i % len(CUSTOMERS)]) for i in range(customers)]
    plan += [("agent", AGENTS[i % len(AGENTS)]) for i in range(agents)]
    workers = [
        context.Process(target=_drive, args=(role, email, ports, seconds, seed, results))
        for seed, (role, email) in enumerate(plan)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        outcome = results.get(timeout=seconds + 120)
        report.statuses.update(outcome["statuses"])
        report.servers.update(outcome["servers"])
        report.writes += [tuple(w) for w in outcome["writes"]]
        report.failures += outcome["failures"]
        report.refusals += outcome["refusals"]
        if outcome["fatal"]:
            report.fatal.append(outcome["fatal"])
    for worker in workers:
        worker.join(timeout=30)
    return report


def run(database_url: str, *, seconds: float, customers: int, agents: int) -> Report:
    """Serve the prepared database with gunicorn, drive the traffic, check the writes."""
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp_dir:
        server = Gunicorn(APP, server_env(database_url, tmp_dir))
        try:
            report = drive(server.port, seconds=seconds, customers=customers, agents=agents)
        finally:
            server.stop()
        check(database_url, tmp_dir, report)
    return report


@contextlib.contextmanager
def throwaway_postgres(server_url: str = POSTGRES) -> Iterator[str]:
    """A new PostgreSQL database on `server_url`'s server, dropped afterwards."""
    import sqlalchemy as sa

    server = sa.make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"helpdesk_soak_{secrets.token_hex(6)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--customers", type=int, default=4, help="customer client processes")
    parser.add_argument("--agents", type=int, default=2, help="agent client processes")
    args = parser.parse_args()
    with throwaway_postgres() as url, tempfile.TemporaryDirectory(prefix="soak-db-") as tmp:
        print(f"preparing a throwaway database for a {args.seconds:.0f} s soak ...", flush=True)
        prepare(url, tmp)
        report = run(url, seconds=args.seconds, customers=args.customers, agents=args.agents)
    print(report.summary())
    for line in report.fatal + report.failures[:20]:
        print(f"  failure: {line}")
    for line in report.refusals[:20]:
        print(f"  refused (4xx): {line}")
    for kind, items in (("lost", report.lost), ("duplicated", report.duplicated)):
        for item in items[:20]:
            print(f"  {kind}: {item}")
    for text in report.phantom[:20]:
        print(f"  stored but never acknowledged: {text}")
    print("PASS" if report.ok else "FAIL")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
