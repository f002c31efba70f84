"""`make bench`: the app under gunicorn (2 workers) at 100,000 and 1,000,000 cases, on SQLite
and PostgreSQL, loaded by wrk (-t2 -c4 --latency) beside a bare-Flask ceiling measured the same way
in the same run; results in bench/RESULTS.md and bench/results.json.

Databases are built once and kept in bench/.data (SQLite) or as `helpdesk_bench_<N>`
(PostgreSQL): a second run only measures. `--rebuild` builds them again.
"""

from __future__ import annotations

import argparse
import html
import http.client
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
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

FIXTURES_VERSION = 2  # bench/fixtures.py's VERSION: older databases are built again

# Targets 1-7 of issue 18 (2 cores, 2 gunicorn workers, wrk -t2 -c4, ratios from one run).
SMALL, LARGE = 100_000, 1_000_000
FLAT_RATIO = 0.8  # 1: every page at 1M within 20% of its 100k throughput
# django-helpdesk 2.6.1 at 100,000 tickets on this machine, measured beside ours with the same wrk
# settings (issue 18's text): its ticket rows JSON did 1.9-2.3 req/s, its ticket page 27 req/s.
DJANGO_TICKET_ROWS_RPS = (1.9, 2.3)
DJANGO_TICKET_PAGE_RPS = 27.0
FOLDER_VS_DJANGO = 100  # 2: a folder page with its rows at 100k, times the rows JSON (midpoint)
CASE_VS_DJANGO = 10  # 3: the case page at 100k, times the ticket page
POLL_CEILING_SHARE = 0.5  # 4
SEARCH_P50_TARGET_MS = 100.0  # 5: at 1M, both words, both databases
REPORT_P50_TARGET_MS = 200.0  # 6: dashboard and support report at 1M
LOOKUP_P50_TARGET_MS = 50.0  # 6: caller lookup
RSS_TARGET_MB = 120.0  # 7
LOAD_TARGET_SECONDS = 300  # 7: 1,000,000 cases with 3 messages each


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
    vs_small: float | None = None  # a 1M figure over the 100k one of the same database, same run
    vs_previous: float | None = None  # over the same page in the previous run
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
            # The load logs billing staff in by script, with no phone to read a code from.
            env={
                **os.environ,
                "HELPDESK_ACCESS_LOG": "",
                "HELPDESK_TWO_FACTOR_REQUIRED_ROLES": "none",
                **env,
            },
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


# One browser's User-Agent for the log-in, the checks and wrk: the session remembers the agent
# it logged in with (Flask-Login's session protection), and a request from another one makes
# the app mark the session and send a new cookie each time, which no real browser does.
USER_AGENT = "helpdesk-bench/1"


def login(port: int, email: str, password: str) -> str:
    """Log in through the form; the Cookie header of that session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
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
    connection.request("GET", path, headers={"Cookie": cookies, "User-Agent": USER_AGENT})
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    return response.status, body


WRK_SCRIPT = Path(__file__).with_name("statuses.lua")


def wrk_command(port: int, path: str, cookies: str, seconds: float) -> list[str]:
    command = ["wrk", "-t2", "-c4", f"-d{seconds:g}s", "--latency", "-s", str(WRK_SCRIPT)]
    # wrk drops a response slower than its 2 s default as a timeout, leaving it out of the
    # latencies: the slowest pages today would show p50 0 ms. Wait as long as gunicorn does.
    command += ["--timeout", "30s", "-H", f"User-Agent: {USER_AGENT}"]
    if cookies:
        command += ["-H", f"Cookie: {cookies}"]
    return [*command, f"http://127.0.0.1:{port}{path}"]


def parse_wrk(output: str) -> dict:
    """Figures from wrk's report and from the lines bench/statuses.lua adds to it."""
    figures = {"statuses": {}, "non_2xx_3xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("BENCH status "):
            figures["statuses"][words[2]] = int(words[3])
        elif line.startswith("BENCH "):
            figures[words[1]] = int(words[2])
        elif line.strip().startswith("Requests/sec:"):
            figures["rps"] = float(words[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            figures["non_2xx_3xx"] = int(words[-1])
    if "rps" not in figures or "p50_us" not in figures:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    return figures


def measure(port: int, path: str, cookies: str, *, seconds: float) -> tuple:
    """Requests, requests per second, p50 and p99 in ms, statuses: wrk -t2 -c4 --latency."""
    for _ in range(3):  # warm the workers' caches and connections
        get(port, path, cookies)
    done = subprocess.run(
        wrk_command(port, path, cookies, seconds), capture_output=True, text=True, check=True
    )
    f = parse_wrk(done.stdout)
    statuses = dict(f["statuses"])
    if f["socket_errors"]:
        statuses["error"] = f["socket_errors"]
    return f["requests"], f["rps"], f["p50_us"] / 1000, f["p99_us"] / 1000, statuses


# --- one database --------------------------------------------------------------------------

ROWS = 25  # a full page of a list


def case_links(body: str, prefix: str) -> int:
    return len(set(re.findall(rf'href="{re.escape(prefix)}(\d+)"', body)))


def full_folder(status: int, body: str) -> str | None:
    rows = case_links(body, "/tracker/cases/")
    return None if status == 200 and rows >= ROWS else f"{status}, {rows} rows (want {ROWS})"


def case_page(status: int, body: str) -> str | None:
    entries = body.count('<article class="entry')
    return None if status == 200 and entries >= 3 else f"{status}, {entries} messages (want 3)"


def idle(status: int, body: str) -> str | None:
    return None if status == 204 else f"{status} (want 204 while nothing changes)"


def found(*words: str):
    def check(status: int, body: str) -> str | None:
        missing = [w for w in words if w.lower() not in body.lower()]
        return None if status == 200 and not missing else f"{status}, missing {missing}"

    return check


def customer_list(status: int, body: str) -> str | None:
    rows = case_links(body, "/cases/")
    return None if status == 200 and rows >= 1 else f"{status}, {rows} cases"


def targets(fixtures: dict) -> list[tuple[str, str, str, object]]:
    """(page, path, role, content check) for every measured page; POLL paths are read later."""
    agent, customer, billing = "agent", "customer", "billing"
    deep = max(1, fixtures["all_pages"] // 2)
    rare = fixtures["rare_word"]
    return [
        ("folder New", "/tracker/folders/new", agent, full_folder),
        ("folder Waiting", "/tracker/folders/waiting", agent, full_folder),
        ("folder All p1", "/tracker/folders/all", agent, full_folder),
        ("folder All deep", f"/tracker/folders/all?page={deep}", agent, full_folder),
        ("case page", f"/tracker/cases/{fixtures['agent_case']}", agent, case_page),
        ("poll, nothing new", "POLL", agent, idle),
        ("search, common word", "/tracker/search?q=licence+key", agent, found("licence")),
        ("search, rare word", f"/tracker/search?q={rare}", agent, found(rare)),
        ("customer case list", "/cases", customer, customer_list),
        (
            "customer case page",
            f"/cases/{fixtures['customer_case']}",
            customer,
            found(f"{fixtures['customer_case']}"),
        ),
        (
            "caller lookup",
            "/tracker/callers?q=" + urllib.parse.quote(fixtures["customer_email"]),
            agent,
            found(fixtures["customer_email"]),
        ),
        ("support dashboard", "/reports/", agent, found("<h1")),
        ("dashboard live, nothing new", "LIVE", agent, idle),
        ("support report", "/reports/support", agent, found("<table")),
        ("refund form", f"/billing/payments/{fixtures['payment']}", billing, found("<form")),
        ("fraud check of an IP", "/system/?q=203.0.113.77", billing, found("203.0.113.77")),
    ]


def poll_path(port: int, cookies: str, page: str, pattern: str) -> str:
    """A page's own poll URL, carrying the state it knows (204 while nothing changes)."""
    status, body = get(port, page, cookies)
    hit = re.search(pattern, body)
    if status != 200 or not hit:
        raise RuntimeError(f"no poll URL on {page}")
    return html.unescape(hit.group(1))


def resolve(port: int, path: str, cookies: str) -> str:
    if path == "POLL":
        return poll_path(port, cookies, "/tracker/folders/all", r'hx-get="(/tracker/counts[^"]*)"')
    if path == "LIVE":
        return poll_path(port, cookies, "/reports/", r'hx-get="(/reports/live[^"]*)"')
    return path


def run_database(kind: str, cases: int, args, ceiling_rps: float) -> tuple[list[Result], dict]:
    url = database_url(kind, cases)
    fixtures = None if args.rebuild else fixtures_of(url)
    if (
        fixtures is None
        or fixtures.get("cases", 0) < cases
        or fixtures.get("version") != FIXTURES_VERSION
    ):
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
        for page, path, role, check in targets(fixtures):
            try:
                path = resolve(server.port, path, cookies[role])
                status, body = get(server.port, path, cookies[role])
                wrong = check(status, body)
            except RuntimeError as error:
                status, wrong = 0, str(error)
            if wrong:
                print(f"  {page:<28} NOT MEASURED: {path} gave {wrong}", flush=True)
                results.append(
                    Result(
                        kind,
                        cases,
                        page,
                        path,
                        0,
                        0.0,
                        0.0,
                        0.0,
                        {str(status): 1},
                        0.0,
                        notes=[f"content check failed: {wrong}"],
                    )
                )
                continue
            n, rps, p50, p99, statuses = measure(
                server.port, path, cookies[role], seconds=args.seconds
            )
            result = Result(
                kind,
                cases,
                page,
                path,
                n,
                round(rps, 1),
                round(p50, 2),
                round(p99, 2),
                statuses,
                round(rps / ceiling_rps, 3),
            )
            results.append(result)
            print(
                f"  {page:<28} {rps:8.1f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
                f"{result.ceiling_share:.1%} of ceiling  {statuses}",
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
        n, rps, p50, p99, statuses = measure(server.port, "/", "", seconds=args.seconds)
    finally:
        server.stop()
    print(f"== bare Flask ceiling: {rps:.1f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms", flush=True)
    return Result(
        "none",
        0,
        "bare Flask hello (32 bytes)",
        "/",
        n,
        round(rps, 1),
        round(p50, 2),
        round(p99, 2),
        statuses,
        1.0,
    )


# --- ratios, verdicts and the report --------------------------------------------------------


def key(r: Result) -> tuple:
    return (r.database, r.cases, r.page)


def add_ratios(results: list[Result], previous: list[dict]) -> None:
    """Each 1M figure over the 100k one of the same database; each figure over the last run's."""
    by_key = {key(r): r for r in results}
    before = {(p["database"], p["cases"], p["page"]): p for p in previous}
    for r in results:
        small = by_key.get((r.database, SMALL, r.page))
        if r.cases == LARGE and small and small.rps and r.rps:
            r.vs_small = round(r.rps / small.rps, 2)
        old = before.get(key(r))
        if old and old.get("rps") and r.rps:
            r.vs_previous = round(r.rps / old["rps"], 2)


def failed(r: Result) -> bool:
    return (
        not r.requests
        or bool(r.notes)
        or any(not (s.startswith("2") or s.startswith("3")) for s in r.statuses)
    )


def verdicts(results: list[Result], memory: dict) -> list[str]:
    """Targets 1-7 of issue 18 that this run misses."""
    misses = []
    rows_rps = sum(DJANGO_TICKET_ROWS_RPS) / 2
    for r in results:
        if r.database == "none":
            continue
        where = f"{r.database} {r.cases:,} {r.page}"
        if failed(r):
            misses.append(f"{where}: not measured or failed ({r.statuses}; {'; '.join(r.notes)})")
            continue
        polls = r.page.startswith(("poll", "dashboard live"))
        if r.vs_small is not None and not polls and r.vs_small < FLAT_RATIO:
            misses.append(f"{where}: {r.vs_small:.0%} of its 100,000-case throughput (1: >= 80%)")
        if r.cases == SMALL and r.page in ("folder New", "folder Waiting", "folder All p1"):
            want = FOLDER_VS_DJANGO * rows_rps
            if r.rps < want:
                misses.append(
                    f"{where}: {r.rps} req/s = {r.rps / rows_rps:.0f}x django-helpdesk's ticket "
                    f"rows (2: >= {FOLDER_VS_DJANGO}x, {want:.0f} req/s)"
                )
        if r.cases == SMALL and r.page == "case page":
            want = CASE_VS_DJANGO * DJANGO_TICKET_PAGE_RPS
            if r.rps < want:
                misses.append(
                    f"{where}: {r.rps} req/s = {r.rps / DJANGO_TICKET_PAGE_RPS:.1f}x "
                    f"django-helpdesk's ticket page (3: >= {CASE_VS_DJANGO}x, {want:.0f} req/s)"
                )
        if r.page.startswith("poll") and (r.ceiling_share or 0) < POLL_CEILING_SHARE:
            misses.append(f"{where}: {r.ceiling_share:.0%} of the ceiling (4: >= 50%)")
        if r.cases >= LARGE and r.page.startswith("search") and r.p50_ms > SEARCH_P50_TARGET_MS:
            misses.append(f"{where}: p50 {r.p50_ms} ms (5: < {SEARCH_P50_TARGET_MS:.0f} ms)")
        if (
            r.cases >= LARGE
            and r.page in ("support dashboard", "support report")
            and r.p50_ms > REPORT_P50_TARGET_MS
        ):
            misses.append(f"{where}: p50 {r.p50_ms} ms (6: < {REPORT_P50_TARGET_MS:.0f} ms)")
        if r.page == "caller lookup" and r.p50_ms > LOOKUP_P50_TARGET_MS:
            misses.append(f"{where}: p50 {r.p50_ms} ms (6: < {LOOKUP_P50_TARGET_MS:.0f} ms)")
    for name, info in memory.items():
        load = info.get("load_seconds")
        if name.endswith("1,000,000") and load and load > LOAD_TARGET_SECONDS:
            misses.append(f"{name}: bench-data took {load:.0f} s (7: < {LOAD_TARGET_SECONDS} s)")
        for rss in info["worker_rss_mb"]:
            if rss > RSS_TARGET_MB:
                misses.append(f"{name}: worker RSS {rss} MB (7: < {RSS_TARGET_MB:.0f} MB)")
    return misses


def machine() -> dict:
    from importlib.metadata import version

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
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
        "load": (wrk.stdout or wrk.stderr).split("\n")[0] + ", -t2 -c4 --latency",
    }


def ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def report_lines(meta: dict, results: list[Result], memory: dict, misses: list[str]) -> list[str]:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); the same figures are in bench/results.json.",
        "Ratios: to the bare-Flask ceiling of this run; 1M/100k of the same database in this run;",
        "to the same page in the previous run.",
        "",
        *(f"- {k}: {v}" for k, v in meta.items()),
        "",
    ]
    top = next((r for r in results if r.database == "none"), None)
    if top:
        lines += [
            f"Bare Flask ceiling: {top.rps} req/s, p50 {top.p50_ms} ms, p99 {top.p99_ms} ms.",
            "",
        ]
    groups: dict[tuple, list[Result]] = {}
    for r in results:
        if r.database != "none":
            groups.setdefault((r.database, r.cases), []).append(r)
    for (database, cases), rows in groups.items():
        lines += [
            f"## {database}, {cases:,} cases",
            "",
            "| page | req/s | p50 ms | p99 ms | of ceiling | 1M/100k | vs previous | statuses |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in rows:
            share = f"{r.ceiling_share:.1%}" if r.ceiling_share is not None else ""
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
            cells = [
                r.page,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                share,
                ratio(r.vs_small),
                ratio(r.vs_previous),
                statuses,
            ]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
        lines.append("")
    lines += ["## Data and memory", ""]
    for name, info in memory.items():
        load = info.get("load_seconds")
        lines.append(
            f"- {name}: worker RSS after the run {info['worker_rss_mb']} MB"
            + (f"; `flask bench-data` took {load:.0f} s" if load else "")
        )
    lines += ["", "## Targets missed", ""]
    lines += [f"- {m}" for m in misses]
    return lines


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
    lines = report_lines(meta, results, memory, misses)
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n")


def previous_results() -> list[dict]:
    try:
        return json.loads((ROOT / "bench" / "results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk's -d per page")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    sizes = [int(n) for n in args.cases.split(",")]
    kinds = args.databases.split(",")

    previous = previous_results()
    top = ceiling(args)
    results, memory = [top], {}
    for kind in kinds:
        for cases in sizes:
            got, info = run_database(kind, cases, args, top.rps)
            results += got
            memory[f"{kind} {cases:,}"] = info
    add_ratios(results, previous)
    misses = verdicts(results, memory)
    write_report(machine(), results, memory, misses)
    print("\nTargets missed:" if misses else "\nEvery target holds.")
    for miss in misses:
        print(f"  - {miss}")
    print("Written: bench/RESULTS.md, bench/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
