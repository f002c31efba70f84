"""bench/run.py without running it: wrk's output read back, ratios and the targets it reports."""

from __future__ import annotations

from bench import run
from bench.run import Result

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:5401/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  300.00us   9.00ms   90.00%
  Latency Distribution
     50%    1.10ms
     99%    3.00ms
  40000 requests in 10.00s, 6.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   4000.12
Transfer/sec:    600.00KB
BENCH status 200 39995
BENCH status 500 5
BENCH requests 40000
BENCH duration_us 10000000
BENCH p50_us 1100
BENCH p99_us 3000
BENCH socket_errors 3
"""


def test_wrk_output_is_read_back():
    figures = run.parse_wrk(WRK_OUTPUT)

    assert figures["rps"] == 4000.12
    assert figures["statuses"] == {"200": 39995, "500": 5}
    assert figures["non_2xx_3xx"] == 5
    assert figures["socket_errors"] == 3
    assert (figures["p50_us"], figures["p99_us"], figures["requests"]) == (1100, 3000, 40000)


def test_wrk_is_told_the_session_cookie_and_the_settings():
    command = run.wrk_command(5401, "/cases", "session=abc", 10)

    assert command[:5] == ["wrk", "-t2", "-c4", "-d10s", "--latency"]
    assert command[7:9] == ["--timeout", "30s"]
    # The browser that logged in: another agent would re-issue the session on every request.
    assert command[9:13] == ["-H", f"User-Agent: {run.USER_AGENT}", "-H", "Cookie: session=abc"]
    assert command[-1] == "http://127.0.0.1:5401/cases"


def result(page: str, cases: int, rps: float, p50: float = 1.0, share: float = 0.1, **kw):
    statuses = kw.pop("statuses", {"200": 10})
    return Result("sqlite", cases, page, "/", 10, rps, p50, p50, statuses, share, **kw)


def test_ratios_and_missed_targets():
    results = [
        result("folder New", 100_000, 250.0),
        result("folder New", 1_000_000, 150.0),
        result("case page", 100_000, 100.0),
        result("case page", 1_000_000, 95.0),
        result("poll, nothing new", 100_000, 900.0, share=0.3, statuses={"204": 10}),
        result("search, rare word", 1_000_000, 5.0, p50=400.0),
        result("support report", 1_000_000, 10.0, p50=150.0),
        result("caller lookup", 100_000, 10.0, p50=60.0),
        result("folder Waiting", 100_000, 0.0, statuses={"200": 1}, notes=["content check"]),
    ]
    run.add_ratios(
        results, [{"database": "sqlite", "cases": 100_000, "page": "case page", "rps": 50}]
    )
    memory = {"sqlite 1,000,000": {"worker_rss_mb": [90.0, 130.0], "load_seconds": 400}}
    misses = run.verdicts(results, memory)

    assert results[1].vs_small == 0.6 and results[3].vs_small == 0.95
    assert results[2].vs_previous == 2.0
    text = "\n".join(misses)
    assert "1,000,000 folder New: 60% of its 100,000-case throughput" in text
    assert "1,000,000 case page: 95%" not in text
    assert "case page: 100.0 req/s = 3.7x django-helpdesk's ticket page" in text
    assert "folder New: 250.0 req/s" not in text  # 250 >= 100 x 2.1
    assert "poll, nothing new: 30% of the ceiling" in text
    assert "search, rare word: p50 400.0 ms" in text
    assert "support report" not in text
    assert "caller lookup: p50 60.0 ms" in text
    assert "folder Waiting: not measured" in text
    assert "worker RSS 130.0 MB" in text and "bench-data took 400 s" in text
    assert len(misses) == 8


def test_nothing_missed_leaves_the_list_empty():
    lines = run.report_lines({}, [result("case page", 100_000, 300.0)], {}, [])

    assert lines[-2:] == ["## Targets missed", ""]
