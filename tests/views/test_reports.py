"""Reports pages through the test client: roles, charts on a data set, the period form, CSV
exports (content, formula injection, streaming) and the dashboard's live poll."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CaseStatus, Origin, Role, User, utcnow
from helpdesk.rules.charts import EMPTY_TEXT, WIDTHS
from tests.conftest import as_user
from tests.factories import make_case, make_organisation, make_user
from tests.services.test_reports import build_week

WEEK = "from=2025-02-03&to=2025-02-09"
SVG_CHART = re.compile(r'<svg class="chart chart-w\d+" role="img" aria-labelledby="([^"]+)"')
HTMX = {"HX-Request": "true"}


@pytest.fixture
def staff(app) -> dict[str, int]:
    with app.app_context():
        people = {
            "agent": make_user(Role.AGENT, name="Avery Agent"),
            "admin": make_user(Role.ADMIN, name="Ada Admin"),
            "billing": make_user(Role.BILLING, name="Bea Billing"),
            "customer": make_user(Role.CUSTOMER, name="Cleo Customer"),
        }
        db.session.commit()
        return {role: user.id for role, user in people.items()}


@pytest.fixture
def week(app, staff):
    with app.app_context():
        return build_week()


def rows_of(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "spreadsheets need the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def charts_in(html: str) -> list[str]:
    """Each inline chart's SVG markup (its widest drawing; there is one per width)."""
    drawings = re.findall(r'<svg class="chart chart-w\d+".*?</svg>', html, re.S)
    assert len(drawings) % len(WIDTHS) == 0, "every chart comes in every width"
    return [svg for svg in drawings if f'class="chart chart-w{WIDTHS[-1]}"' in svg]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("agent", {"/reports/", "/reports/support", "/reports/support/by-origin.csv",
                   "/reports/cases.csv"}),
        ("admin", {"/reports/", "/reports/support", "/reports/billing",
                   "/reports/support/by-origin.csv", "/reports/billing/refunds.csv",
                   "/reports/cases.csv"}),
        ("billing", {"/reports/billing", "/reports/billing/refunds.csv"}),
        ("customer", set()),
    ],
)  # fmt: skip
def test_who_may_see_what(app, client, staff, role, allowed):
    as_user(app, client, staff[role])
    for url in [
        "/reports/",
        "/reports/support",
        "/reports/billing",
        "/reports/support/by-origin.csv",
        "/reports/billing/refunds.csv",
        "/reports/cases.csv",
    ]:
        assert client.get(url).status_code == (200 if url in allowed else 403), url


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/reports/support")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "target"), [("agent", "/reports/"), ("billing", "/reports/billing")]
)
def test_the_top_bar_links_to_reports(app, client, staff, role, target):
    as_user(app, client, staff[role])
    assert f'href="{target}">Reports</a>' in client.get("/auth/profile").text


def test_unknown_report_or_table_is_404(app, client, staff):
    as_user(app, client, staff["admin"])
    assert client.get("/reports/sales/refunds.csv").status_code == 404
    assert client.get("/reports/support/nope.csv").status_code == 404
    assert client.get("/reports/cases.csv?folder=nope").status_code == 404


def test_support_report_draws_every_chart_with_its_table(app, client, staff, week):
    as_user(app, client, staff["agent"])
    html = client.get(f"/reports/support?{WEEK}").text
    charts = charts_in(html)
    assert len(charts) == 12
    for chart in charts:
        ident = SVG_CHART.search(chart).group(1).split()[0]
        assert f'<title id="{ident}"' in chart
        assert EMPTY_TEXT not in chart and 'class="chart-bar"' in chart
    assert html.count('class="list report-table"') == 12
    assert "Goal 4 h" in html  # the first-response goal line
    first_response = html[html.index('id="first-response"') : html.index('id="resolution"')]
    assert re.search(r"All origins</th>\s*<td[^>]*>8</td>\s*<td[^>]*>7</td>", first_response)
    assert ">85.7<" in first_response
    assert "licence key missing" in html


def test_daily_chart_names_days_briefly_and_keeps_the_full_date_in_its_tooltip(
    app, client, staff, week
):
    as_user(app, client, staff["agent"])
    html = client.get(f"/reports/support?{WEEK}").text
    by_day = next(chart for chart in charts_in(html) if "Cases arriving per day" in chart)
    assert ">Feb 3</text>" in by_day
    assert "<title>2025-02-03: " in by_day
    assert ">2025-02-03</text>" not in by_day


def test_billing_report_draws_every_chart(app, client, staff, week):
    as_user(app, client, staff["billing"])
    html = client.get(f"/reports/billing?{WEEK}").text
    charts = charts_in(html)
    assert len(charts) == 4
    assert all(EMPTY_TEXT not in chart for chart in charts)
    assert ">150.00<" in html and ">Goodwill<" in html


def test_an_empty_period_says_so_instead_of_drawing(app, client, staff):
    as_user(app, client, staff["admin"])
    html = client.get("/reports/billing?from=2024-01-01&to=2024-01-02").text
    assert "Nothing in this period." in html


def test_the_period_form_swaps_only_the_report_for_htmx(app, client, staff):
    as_user(app, client, staff["agent"])
    response = client.get(f"/reports/support?{WEEK}", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="report">')
    assert "<html" not in response.text
    assert 'value="2025-02-03"' in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday&to=2025-02-09", "From: Not a valid date value."),
        ("from=2025-02-09&to=2025-02-03", "To: The end date is before the start date."),
        ("from=2020-01-01&to=2025-02-09", "To: Choose a period of at most 366 days."),
    ],
)
def test_a_bad_period_is_explained_and_the_last_30_days_shown(app, client, staff, query, message):
    as_user(app, client, staff["agent"])
    response = client.get(f"/reports/support?{query}")
    assert response.status_code == 200
    assert message in response.text
    assert "Showing the last 30 days instead." in response.text
    assert "(30 days)" in response.text


def test_report_table_csv(app, client, staff, week):
    as_user(app, client, staff["agent"])
    response = client.get(f"/reports/support/first-response.csv?{WEEK}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        "support-first-response-2025-02-03_2025-02-09.csv"
        in response.headers["Content-Disposition"]
    )
    rows = rows_of(response)
    assert rows[0] == [
        "Origin", "Cases", "Answered", "Median h", "90th percentile h", "Met goal", "Met %",
    ]  # fmt: skip
    assert rows[1] == ["All origins", "8", "7", "2.0", "7.0", "6", "85.7"]


def test_money_csv_has_dollars_and_cents(app, client, staff, week):
    as_user(app, client, staff["billing"])
    rows = rows_of(client.get(f"/reports/billing/payments.csv?{WEEK}"))
    assert rows[2] == ["card", "succeeded", "USD", "2", "150.00", "31.00"]


def test_csv_neutralises_formulas(app, client, staff):
    with app.app_context():
        org = make_organisation(name="@SUM(A1:A9)")
        for subject in ['=HYPERLINK("http://evil")', '=HYPERLINK("http://evil")', "+1", "-2"]:
            make_case(org, subject=subject)
        # Subjects lose control characters when saved; a name may still start with a tab.
        make_case(make_organisation(name="\tTabbed Ltd"), subject="\tTabbed")
        db.session.commit()
    as_user(app, client, staff["agent"])
    subjects = {row[1] for row in rows_of(client.get("/reports/cases.csv"))[1:]}
    assert subjects == {'\'=HYPERLINK("http://evil")', "'+1", "'-2", "Tabbed"}
    customers = {row[5] for row in rows_of(client.get("/reports/cases.csv"))[1:]}
    assert customers == {"'@SUM(A1:A9)", "'\tTabbed Ltd"}
    patterns = rows_of(client.get("/reports/support/patterns.csv"))
    assert patterns[1] == ['\'=hyperlink("http://evil")', "2"]


def test_case_list_csv_streams_the_folder_with_its_filters(app, client, staff):
    with app.app_context():
        org = make_organisation(name="Northwind")
        agent_id = staff["agent"]
        queue_phone = make_case(org, origin=Origin.PHONE, subject="Phone in queue").number
        make_case(org, origin=Origin.WEB, subject="Web in queue")
        make_case(org, origin=Origin.PHONE, assignee_id=agent_id, subject="Mine")
        make_case(org, origin=Origin.PHONE, status=CaseStatus.CLOSED, subject="Closed")
        db.session.commit()
    as_user(app, client, staff["agent"])
    response = client.get("/reports/cases.csv?folder=queue&origin=phone")
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = rows_of(response)
    assert rows[0][:4] == ["Number", "Subject", "Status", "Origin"]
    assert [row[:4] for row in rows[1:]] == [[str(queue_phone), "Phone in queue", "new", "phone"]]
    everything = rows_of(client.get("/reports/cases.csv?folder=all"))
    assert sorted(row[1] for row in everything[1:]) == [
        "Closed", "Mine", "Phone in queue", "Web in queue",
    ]  # fmt: skip
    mine = rows_of(client.get("/reports/cases.csv?folder=new"))
    assert [(row[1], row[6]) for row in mine[1:]] == [("Mine", "Avery Agent")]


def known_signature(html: str) -> str:
    return re.search(r'hx-get="/reports/live\?known=([0-9a-f]+)"', html).group(1)


def test_dashboard_counts_poll_204_until_a_case_arrives(app, client, staff):
    as_user(app, client, staff["agent"])
    page = client.get("/reports/")
    assert page.status_code == 200
    assert 'data-count="arrived_today">0<' in page.text
    known = known_signature(page.text)
    assert client.get(f"/reports/live?known={known}", headers=HTMX).status_code == 204
    with app.app_context():
        make_case(make_organisation(), origin=Origin.EMAIL)
        db.session.commit()
    fresh = client.get(f"/reports/live?known={known}", headers=HTMX)
    assert fresh.status_code == 200
    assert 'data-count="arrived_today">1<' in fresh.text
    assert 'data-count="queue">1<' in fresh.text
    assert known_signature(fresh.text) != known
    assert client.get(f"/reports/live?known={known_signature(fresh.text)}").status_code == 204


def test_dashboard_lists_and_charts_today(app, client, staff):
    with app.app_context():
        org = make_organisation(name="Northwind")
        make_case(org, subject="Overdue one", sla_due_at=utcnow() - timedelta(minutes=5))
        db.session.commit()
    as_user(app, client, staff["admin"])
    html = client.get("/reports/").text
    assert "Overdue one" in html and 'data-sla="breached"' in html
    charts = charts_in(html)
    assert len(charts) == 3
    assert all(EMPTY_TEXT not in chart for chart in charts)
    assert "Avery Agent" in html


def count_statements(app, client) -> int:
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        assert client.get("/reports/").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return len(statements)


def test_dashboard_query_count_does_not_grow_with_cases(app, client, staff):
    def add_cases(count: int) -> None:
        with app.app_context():
            org = make_organisation()
            agent = db.session.get(User, staff["agent"])
            for n in range(count):
                make_case(
                    org,
                    origin=list(Origin)[n % 4],
                    assignee_id=agent.id if n % 2 else None,
                    tier=1 + n % 2,
                    sla_due_at=utcnow() + timedelta(minutes=n * 7 - 30),
                )
            db.session.commit()

    as_user(app, client, staff["agent"])
    add_cases(2)
    few = count_statements(app, client)
    add_cases(30)
    assert count_statements(app, client) == few


def test_folder_page_links_its_csv_with_the_filters(app, client, staff):
    as_user(app, client, staff["agent"])
    page = client.get("/tracker/folders/all?origin=phone&folder=sneaky&page=2").text
    link = re.search(r'href="(/reports/cases\.csv[^"]*)"[^>]*>Export CSV', page).group(1)
    link = html.unescape(link)
    assert "origin=phone" in link and "folder=all" in link and "page=" not in link
    export = client.get(link)
    assert export.status_code == 200 and export.mimetype == "text/csv"
