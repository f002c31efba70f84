"""`make bench`: the app under gunicorn (2 workers) at 100,000 and 1,000,000 cases, on SQLite
and PostgreSQL, loaded from a second process; results in bench/RESULTS.md and bench/results.json.

Databases are built once and kept in bench/.data (SQLite) or as `helpdesk_bench_<N>`
(PostgreSQL): a second run only measures. `--rebuild` builds them again.
"""

from __future__ import annotations

import argparse
import html
import http.client
import http.cookiejar
import json
import multiprocessing
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
BIN = Path(sys.executable).parent
POSTGRES = os.environ.get(
    "HELPDESK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
WORKERS = 2
MARKER = "bench_fixtures"

# Targets of issue 9 (2 cores, 2 workers).
P99_TARGET_MS = {100_000: 100.0, 1_000_000: 150.0}
POLL_CEILING_SHARE = 0.5
SEARCH_P50_TARGET_MS = 100.0
RSS_TARGET_MB = 120.0
LOAD_TARGET_SECONDS = 300  # 1,000,000 cases with 3 messages each


@dataclass
class Result:
    database: str
    cases: int
    page: str
    path: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    ceiling_share: float | None = None
    notes: list[str] = field(default_factory=list)


# --- databases ---------------------------------------------------------------------------


def database_url(kind: str, cases: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{DATA / f'bench-{cases}.db'}"
    return f"{POSTGRES}/helpdesk_bench_{cases}"


def flask(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app"}
    return subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=check)


def fixtures_of(url: str) -> dict | None:
    """The ids the load needs, saved when the database was built; None when it was not."""
    code = (
        "import json,sys,sqlalchemy as sa\n"
        "e=sa.create_engine(sys.argv[1])\n"
        "try:\n"
        "  with e.connect() as c:\n"
        f"    v=c.execute(sa.text(\"select value from settings where key='{MARKER}'\")).scalar()\n"
        "except Exception: v=None\n"
        "print('' if v is None else v if isinstance(v, str) else json.dumps(v))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return json.loads(out) if out else None


def recreate(kind: str, cases: int, url: str) -> None:
    if kind == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DATA / f'bench-{cases}.db'}{suffix}").unlink(missing_ok=True)
        return
    import sqlalchemy as sa

    admin = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = f"helpdesk_bench_{cases}"
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def build(kind: str, cases: int, url: str) -> dict:
    print(f"\n== building {kind} with {cases:,} cases", flush=True)
    recreate(kind, cases, url)
    flask("db", "upgrade", url=url)
    started = time.monotonic()
    flask("bench-data", "--cases", str(cases), url=url)
    load_seconds = time.monotonic() - started
    subprocess.run(
        [sys.executable, str(Path(__file__).with_name("fixtures.py")), url, str(load_seconds)],
        cwd=ROOT,
        check=True,
    )
    return fixtures_of(url)


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def control_socket_options() -> tuple[str, ...]:
    """gunicorn 25.1+ opens a control socket at one path per user: two servers would share it."""
    from gunicorn import version_info

    return ("--no-control-socket",) if version_info >= (25, 1) else ()


class Gunicorn:
    def __init__(
        self,
        app: str,
        env: dict,
        chdir: Path = ROOT,
        *,
        port: int | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--chdir",
                str(chdir),
                "--log-level",
                "warning",
                *control_socket_options(),
                *options,
                app,
            ],
            # gunicorn reads ./gunicorn.conf.py by itself: keep its per-request access log out of
            # the figures (the ceiling server, started elsewhere, has none either).
            env={**os.environ, "HELPDESK_ACCESS_LOG": "", **env},
            cwd=chdir,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def worker_rss_mb(self) -> list[float]:
        children = subprocess.run(
            ["ps", "-o", "rss=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return [int(kb) / 1024 for kb in children]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# --- clients -------------------------------------------------------------------------------


def login(port: int, email: str, password: str) -> str:
    """Log in through the form; the Cookie header of that session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": html.unescape(token.group(1))}
    ).encode()
    opener.open(f"{base}/auth/login", data=data).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise RuntimeError(f"login failed for {email}")
    return cookies


def get(port: int, path: str, cookies: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookies})
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    return response.status, body


def _hammer(port: int, path: str, headers: dict, seconds: float, queue) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, statuses = [], {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = "error"
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    queue.put((latencies, statuses))


def measure(port: int, path: str, cookies: str, *, seconds: float, clients: int) -> tuple:
    """Requests per second, p50 and p99 in ms, statuses: `clients` keep-alive loops."""
    headers = {"Cookie": cookies} if cookies else {}
    for _ in range(3):  # warm the workers' caches and connections
        get(port, path, cookies)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_hammer, args=(port, path, headers, seconds, queue))
        for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    latencies, statuses = [], {}
    for _ in workers:
        got, counted = queue.get()
        latencies += got
        for status, n in counted.items():
            statuses[status] = statuses.get(status, 0) + n
    for worker in workers:
        worker.join()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies), len(latencies) / seconds, statistics.median(latencies), p99, statuses


# --- one database --------------------------------------------------------------------------


def targets(port: int, fixtures: dict) -> list[tuple[str, str, str]]:
    """(page, path, role) for every measured page."""
    agent, customer, billing = "agent", "customer", "billing"
    deep = max(1, fixtures["all_pages"] // 2)
    return [
        ("folder New", "/tracker/folders/new", agent),
        ("folder Waiting", "/tracker/folders/waiting", agent),
        ("folder All p1", "/tracker/folders/all", agent),
        (f"folder All p{deep}", f"/tracker/folders/all?page={deep}", agent),
        ("case page", f"/tracker/cases/{fixtures['agent_case']}", agent),
        ("poll, nothing new", "POLL", agent),
        ("search", "/tracker/search?q=licence+key", agent),
        ("customer case list", "/cases", customer),
        ("customer case page", f"/cases/{fixtures['customer_case']}", customer),
        ("refund form", f"/billing/payments/{fixtures['payment']}", billing),
        ("fraud check of an IP", "/system/?q=203.0.113.77", billing),
    ]


def poll_path(port: int, cookies: str) -> str:
    """The sidebar's own poll URL, carrying the counts it knows (204 while nothing changes)."""
    status, page = get(port, "/tracker/folders/all", cookies)
    found = re.search(r'hx-get="(/tracker/counts[^"]*)"', page)
    if status != 200 or not found:
        raise RuntimeError("no counts poll on the folder page")
    return html.unescape(found.group(1))


def run_database(kind: str, cases: int, args, ceiling_rps: float) -> tuple[list[Result], dict]:
    url = database_url(kind, cases)
    fixtures = None if args.rebuild else fixtures_of(url)
    if fixtures is None or fixtures.get("cases") != cases:
        fixtures = build(kind, cases, url)
    else:
        flask("db", "upgrade", url=url)  # a kept database follows the schema
    print(f"\n== measuring {kind}, {cases:,} cases", flush=True)
    server = Gunicorn("helpdesk:create_app()", {"DATABASE_URL": url})
    results = []
    try:
        password = fixtures["password"]
        cookies = {
            role: login(server.port, fixtures[f"{role}_email"], password)
            for role in ("agent", "customer", "billing")
        }
        for page, path, role in targets(server.port, fixtures):
            if path == "POLL":
                path = poll_path(server.port, cookies[role])
            n, rps, p50, p99, statuses = measure(
                server.port, path, cookies[role], seconds=args.seconds, clients=args.clients
            )
            result = Result(
                kind,
                cases,
                page,
                path,
                n,
                round(rps, 1),
                round(p50, 1),
                round(p99, 1),
                statuses,
                round(rps / ceiling_rps, 2),
            )
            results.append(result)
            print(
                f"  {page:<24} {rps:8.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                f"{result.ceiling_share:.0%} of ceiling  {statuses}",
                flush=True,
            )
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    return results, {
        "worker_rss_mb": [round(r, 1) for r in rss],
        "load_seconds": fixtures.get("load_seconds"),
    }


def ceiling(args) -> Result:
    server = Gunicorn("hello:app", {}, chdir=ROOT / "bench")
    try:
        n, rps, p50, p99, statuses = measure(
            server.port, "/", "", seconds=args.seconds, clients=args.clients
        )
    finally:
        server.stop()
    print(f"== bare Flask ceiling: {rps:.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
    return Result(
        "none",
        0,
        "bare Flask hello",
        "/",
        n,
        round(rps, 1),
        round(p50, 1),
        round(p99, 1),
        statuses,
        1.0,
    )


# --- verdicts and the report ---------------------------------------------------------------


def verdicts(results: list[Result], memory: dict) -> list[str]:
    misses = []
    for r in results:
        if r.database == "none":
            continue
        limit = P99_TARGET_MS.get(r.cases)
        if limit and r.p99_ms > limit:
            misses.append(f"{r.database} {r.cases:,} {r.page}: p99 {r.p99_ms} ms > {limit:.0f} ms")
        if any(s.startswith("5") or s == "error" for s in r.statuses):
            misses.append(f"{r.database} {r.cases:,} {r.page}: failures {r.statuses}")
        if r.page.startswith("poll") and (r.ceiling_share or 0) < POLL_CEILING_SHARE:
            misses.append(
                f"{r.database} {r.cases:,} poll at {r.ceiling_share:.0%} of the ceiling (< 50%)"
            )
        if r.page == "search" and r.cases >= 1_000_000 and r.p50_ms > SEARCH_P50_TARGET_MS:
            misses.append(f"{r.database} {r.cases:,} search p50 {r.p50_ms} ms > 100 ms")
    for key, info in memory.items():
        load = info.get("load_seconds")
        if key.endswith("1,000,000") and load and load > LOAD_TARGET_SECONDS:
            misses.append(f"{key}: bench-data took {load:.0f} s > {LOAD_TARGET_SECONDS} s")
        for rss in info["worker_rss_mb"]:
            if rss > RSS_TARGET_MB:
                misses.append(f"{key}: worker RSS {rss} MB > {RSS_TARGET_MB:.0f} MB")
    return misses


def machine() -> dict:
    from importlib.metadata import version

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(),
        "flask": version("flask"),
        "sqlalchemy": version("sqlalchemy"),
        "gunicorn": version("gunicorn"),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn_workers": WORKERS,
    }


def write_report(meta: dict, results: list[Result], memory: dict, misses: list[str]) -> None:
    (ROOT / "bench" / "results.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "results": [asdict(r) for r in results],
                "memory": memory,
                "misses": misses,
            },
            indent=2,
        )
        + "\n"
    )
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); the same figures are in bench/results.json.",
        "",
        *(f"- {k}: {v}" for k, v in meta.items()),
        "",
        "| database | cases | page | req/s | p50 ms | p99 ms | share of bare Flask | statuses |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        share = f"{r.ceiling_share:.0%}" if r.ceiling_share is not None else ""
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
        cells = [r.database, f"{r.cases:,}", r.page, r.rps, r.p50_ms, r.p99_ms, share, statuses]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", "## Data and memory", ""]
    for key, info in memory.items():
        load = info.get("load_seconds")
        lines.append(
            f"- {key}: worker RSS after the run {info['worker_rss_mb']} MB"
            + (f"; `flask bench-data` took {load:.0f} s" if load else "")
        )
    lines += ["", "## Targets missed", ""]
    lines += [f"- {m}" for m in misses] or ["- none"]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=8.0, help="per page")
    parser.add_argument("--clients", type=int, default=2, help="concurrent keep-alive clients")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    args = parser.parse_args()
    sizes = [int(n) for n in args.cases.split(",")]
    kinds = args.databases.split(",")

    top = ceiling(args)
    results, memory = [top], {}
    for kind in kinds:
        for cases in sizes:
            got, info = run_database(kind, cases, args, top.rps)
            results += got
            memory[f"{kind} {cases:,}"] = info
    misses = verdicts(results, memory)
    write_report(machine(), results, memory, misses)
    print("\nTargets missed:" if misses else "\nEvery target holds.")
    for miss in misses:
        print(f"  - {miss}")
    print("Written: bench/RESULTS.md, bench/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
