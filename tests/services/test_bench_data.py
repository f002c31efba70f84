"""The benchmark loader: its rows are valid cases, searchable exactly as the live index would be."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, CaseTally, Message, Organisation, utcnow
from helpdesk.sample_data import bench_data
from helpdesk.services.tracker import search

pytestmark = pytest.mark.usefixtures("ctx")


def search_rows() -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.text("SELECT number, subject, body, people, thread FROM case_search ORDER BY number")
        )
    ]


def test_loads_cases_messages_and_their_organisations():
    counts = bench_data.load(cases=120, messages_per_case=3)

    assert counts == {"organisations": 10, "cases": 120, "messages": 360}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 120
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 360
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 10
    # Dates and enums round-trip through the ORM as the app writes them.
    case = db.session.scalars(sa.select(Case).order_by(Case.id)).first()
    assert case.created_at < utcnow() and isinstance(case.status, CaseStatus)


def test_search_rows_match_what_the_live_index_builds():
    bench_data.load(cases=60, messages_per_case=2)
    loaded = search_rows()
    assert len(loaded) == 60

    ids = db.session.scalars(sa.select(Case.id)).all()
    search.reindex_cases(ids)
    db.session.commit()

    assert search_rows() == loaded


def test_loaded_cases_are_found_by_search():
    bench_data.load(cases=80)
    first = db.session.scalars(sa.select(Case).order_by(Case.id)).first()

    assert first.number in [
        hit.number for hit in search.search_cases(first.subject, limit=100).hits
    ]
    assert [hit.number for hit in search.search_cases(f"#{first.number}").hits] == [first.number]


def test_a_second_load_adds_to_the_first():
    bench_data.load(cases=30)
    bench_data.load(cases=30)

    numbers = db.session.scalars(sa.select(Case.number)).all()
    assert len(numbers) == len(set(numbers)) == 60
    assert len(search_rows()) == 60


def fake_load(cases: int, messages_per_case: int, seed: int, progress) -> dict[str, int]:
    for _ in range(0, cases, 5_000):
        progress(5_000)
    return {"cases": cases, "messages": cases * messages_per_case, "organisations": 1}


def test_bench_data_prints_plain_progress_lines_into_a_pipe(app, monkeypatch):
    monkeypatch.setattr(bench_data, "load", fake_load)
    result = app.test_cli_runner().invoke(args=["bench-data", "--cases", "1000000"])

    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Cases ")]
    assert len(lines) == 20  # every 5%
    assert lines[0].startswith("Cases 50,000 / 1,000,000 (5%) ")
    assert lines[-1].startswith("Cases 1,000,000 / 1,000,000 (100%) ")
    assert lines[0].endswith(" s")
    assert "Added 1,000,000 cases" in result.output


def test_bench_data_shows_the_progress_bar_on_a_terminal(app, monkeypatch):
    from helpdesk import bench_cli

    monkeypatch.setattr(bench_data, "load", fake_load)
    monkeypatch.setattr(bench_cli, "on_terminal", lambda: True)
    bars = []
    real = bench_cli.click.progressbar

    def progressbar(**kwargs):
        bars.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(bench_cli.click, "progressbar", progressbar)
    result = app.test_cli_runner().invoke(args=["bench-data", "--cases", "100000"])

    assert result.exit_code == 0, result.output
    assert bars == [{"length": 100_000, "label": "Cases", "show_pos": True}]
    assert not any(line.startswith("Cases 5,000 /") for line in result.output.splitlines())


def test_a_load_leaves_folder_counts_and_the_caller_lookup_complete():
    """The loader suspends the triggers that keep the folder tallies, the lookup's trigram
    index and the report's stale dates; all are whole again when it returns (the report's
    month summed up), and the triggers are back."""
    from helpdesk.models import ReportDay, ReportStaleDate, utcnow
    from helpdesk.services.reports import reports, rollups
    from helpdesk.services.tracker import callers
    from helpdesk.services.tracker.folders import recount_tallies
    from tests.factories import make_case, make_organisation

    bench_data.load(cases=50)
    kept = {
        (row.assignee_key, row.state, row.tier): row.n
        for row in db.session.scalars(sa.select(CaseTally).where(CaseTally.n != 0))
    }
    assert kept == recount_tallies() and sum(kept.values()) > 0
    someone = db.session.scalars(sa.select(Organisation).order_by(Organisation.id)).first()
    assert someone.id in [hit.organisation_id for hit in callers.find_callers(someone.name[2:])]
    # The report's month is summed up already, from every loaded case.
    month = reports.default_period(reports.local_today(utcnow(), reports.business_zone()))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportDay)) == month.days
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(ReportStaleDate))
    kept_month = reports.support_report(month)["by-day"].rows
    rollups.forget_all()
    assert reports.support_report(month)["by-day"].rows == kept_month
    make_case(make_organisation(), status=CaseStatus.OPEN)  # the triggers count again
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportStaleDate)) == 1
    assert sum(recount_tallies().values()) == sum(kept.values()) + 1
    assert sum(db.session.scalars(sa.select(CaseTally.n)).all()) == sum(kept.values()) + 1
