"""Two app servers and two workers on one PostgreSQL and one Redis, with one attachment
directory (bench/two_servers.py): a session started on one server goes on on the other, files
uploaded through one download through the other, live counts, the collision notice and the login
limit agree on both; mixed traffic crosses both while one worker is killed mid-batch. Nothing
5xx, every acknowledged write stored once, every mail delivered exactly once, no tick run twice.

Only with HELPDESK_TEST_DATABASE_URL (PostgreSQL). Redis at HELPDESK_TWO_SERVERS_REDIS_URL
(default redis://127.0.0.1:6379/7, emptied before and after); unreachable, the test is skipped,
or fails under HELPDESK_REQUIRE_REDIS=1 (CI). HELPDESK_TWO_SERVERS_SECONDS sets the length of the
traffic (default 10); HELPDESK_TWO_SERVERS_PORTS a port range to use (default: any free ports).
"""

from __future__ import annotations

import os

import pytest

from bench import soak, two_servers
from tests.conftest import PG_SERVER_URL, reachable_redis, throwaway_database

SECONDS = float(os.environ.get("HELPDESK_TWO_SERVERS_SECONDS", "10"))

pytestmark = pytest.mark.skipif(
    not PG_SERVER_URL, reason="two servers share PostgreSQL (set HELPDESK_TEST_DATABASE_URL)"
)


def test_two_servers_and_two_workers_agree_and_lose_or_double_no_mail(tmp_path, capsys):
    reachable_redis(two_servers.REDIS, "HELPDESK_TWO_SERVERS_REDIS_URL").close()
    with throwaway_database(tmp_path) as url:
        soak.prepare(url, str(tmp_path))
        report = two_servers.run(url, str(tmp_path), seconds=SECONDS, customers=3, agents=2)
    with capsys.disabled():
        print(f"\n[{report.summary()}]")
        for line in report.failed_checks + report.problems + report.traffic.failures[:10]:
            print(f"  failure: {line}")

    assert report.problems == []  # every step ran: nothing was given up on
    assert report.failed_checks == []
    assert [what for what, _ in report.checks][:8] == [
        "a case opened through A with a file",
        "logged in on A, replied on B, read on A",
        "uploaded through A, downloaded through B by the customer",
        "uploaded through A, downloaded through B by an agent",
        "the collision notice on both servers",
        "the live counts agree on both servers",
        "a case opened through B moves the counts on A",
        "the login limit is shared by both servers",
    ]
    assert len(report.checks) == 10  # and /readyz on both servers after the kill

    traffic = report.traffic
    assert traffic.fatal == [] and traffic.failures == []
    assert traffic.server_errors == 0 and traffic.connection_errors == 0
    assert traffic.lost == [] and traffic.duplicated == [] and traffic.phantom == []
    assert len(traffic.servers) == 2 and min(traffic.servers.values()) > 0  # both served

    assert report.mails_expected >= two_servers.BURST  # the notices and the traffic's mail
    assert report.lost == [] and report.duplicated == [] and report.unknown == []
    assert report.unsent == []  # every row marked sent, none failed
    assert report.killed["in_hand"] >= 2  # killed with the held message and more to send
    assert report.killed["takeover_seconds"]  # the other worker delivered after the kill

    assert report.repeated_ticks == [] and report.job_failures == []
    assert report.runs[report.killed["tick"]] == 1  # the killed run was not run again
    assert sum(1 for tick in report.runs if tick.startswith("send-mail@")) >= 2
