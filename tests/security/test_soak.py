"""A CI-sized soak (bench/soak.py; `make soak` runs 5 minutes): gunicorn with 2 workers on a
throwaway PostgreSQL database, customers and agents writing and polling from their own
processes. Zero 5xx, zero connection errors, every acknowledged case and reply stored once.

Only with HELPDESK_TEST_DATABASE_URL (PostgreSQL): SQLite under two gunicorn workers is not the
deployment this guards. HELPDESK_SOAK_SECONDS changes the length (default 20).
"""

from __future__ import annotations

import os

import pytest

from bench import soak
from tests.conftest import PG_SERVER_URL, throwaway_database

SECONDS = float(os.environ.get("HELPDESK_SOAK_SECONDS", "20"))

pytestmark = pytest.mark.skipif(
    not PG_SERVER_URL, reason="the soak runs on PostgreSQL (set HELPDESK_TEST_DATABASE_URL)"
)


def test_mixed_traffic_under_gunicorn_loses_nothing_and_never_fails(tmp_path, capsys):
    with throwaway_database(tmp_path) as url:
        soak.prepare(url, str(tmp_path))
        report = soak.run(url, seconds=SECONDS, customers=4, agents=2)
        with capsys.disabled():
            print(f"\n[{report.summary()}]")
            for line in report.refusals[:10]:
                print(f"  refused (4xx): {line}")

        assert report.fatal == []
        assert report.failures == []  # each 5xx and connection error, by request
        assert report.server_errors == 0 and report.connection_errors == 0
        assert report.lost == [] and report.duplicated == [] and report.phantom == []
        kinds = {kind for kind, _, _ in report.writes}
        assert kinds == {"case", "message"}  # both customers and agents got writes through
        assert report.requests >= 10 * SECONDS / 20  # it really ran, not a silent no-op
        assert report.statuses["204"] > 0  # the live polls were exercised

        # The check itself can fail: a write the server "acknowledged" but never stored is
        # reported lost, and a stored one we forget to count is reported unacknowledged.
        number, _ = next((w[1], w[2]) for w in report.writes if w[0] == "case")
        forgot = report.writes.pop()
        report.writes.append(("message", number, "soak reply that never reached the database"))
        soak.check(url, str(tmp_path), report)
        assert [text for _, _, text in report.lost] == [
            "soak reply that never reached the database"
        ]
        assert report.phantom == [forgot[2]]
