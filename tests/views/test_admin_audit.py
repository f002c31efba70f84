"""The audit log viewer through the test client: filters, paging, escaping."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from helpdesk.admin.audit_views import PER_PAGE
from helpdesk.extensions import db
from helpdesk.models import AuditLog, Role
from tests.conftest import as_user
from tests.factories import make_user

HTMX = {"HX-Request": "true"}
URL = "/admin/audit"


@pytest.fixture
def log(app):
    """An admin, a billing clerk and five audit rows on different days."""
    with app.app_context():
        admin = make_user(Role.ADMIN, name="Ada Admin", email="ada@support.example.com")
        clerk = make_user(Role.BILLING, name="Bill Payer", email="bill@support.example.com")
        agent = make_user(Role.AGENT)
        rows = [
            ("refund.create", clerk, "Refund", datetime(2025, 3, 1, 9), {"amount_cents": 500}),
            ("refund.create", clerk, "Refund", datetime(2025, 3, 2, 23, 59), {}),
            ("fraud.block_ip", admin, "BlockedIP", datetime(2025, 3, 3, 10), {}),
            (
                "settings.update",
                admin,
                None,
                datetime(2025, 3, 4, 8),
                {"note": "<script>x</script>"},
            ),
            ("refundish.other", None, None, datetime(2025, 3, 5, 8), {}),
        ]
        ids = {}
        for action, actor, object_type, at, details in rows:
            entry = AuditLog(
                action=action,
                actor_id=actor.id if actor else None,
                object_type=object_type,
                object_id=7 if object_type else None,
                ip_address="192.0.2.1",
                details=details,
                created_at=at,
            )
            db.session.add(entry)
            db.session.flush()
            ids[(action, at.day)] = entry.id
        db.session.commit()
        return {"admin": admin.id, "clerk": clerk.id, "agent": agent.id, "ids": ids}


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="audit-(\d+)"', html)]


def days(log, html: str) -> list[int]:
    by_id = {entry_id: day for (_, day), entry_id in log["ids"].items()}
    return [by_id[entry_id] for entry_id in listed(html)]


@pytest.mark.parametrize("role", ["agent", "clerk"])
def test_only_administrators_read_the_audit_log(app, client, log, role):
    as_user(app, client, log[role])
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_newest_first_with_who_and_escaped_details(app, client, log):
    as_user(app, client, log["admin"])
    html = client.get(URL).text
    assert days(log, html) == [5, 4, 3, 2, 1]
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert "&#34;amount_cents&#34;: 500" in html
    assert "Bill Payer" in html and "system" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=bill", [2, 1]),
        ("actor=ADA%40support", [4, 3]),
        ("actor=%25", []),  # a literal percent sign, not a wildcard
        ("action=refund.", [2, 1]),
        ("action=refund", [5, 2, 1]),
        ("action=fraud.&actor=bill", []),
        ("object_type=Refund", [2, 1]),
        ("since=2025-03-02&until=2025-03-03", [3, 2]),
        ("until=2025-03-02", [2, 1]),
    ],
)
def test_filters(app, client, log, query, expected):
    as_user(app, client, log["admin"])
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert days(log, response.text) == expected


def test_filtering_in_htmx_returns_the_list_only(app, client, log):
    as_user(app, client, log["admin"])
    response = client.get(f"{URL}?action=fraud.", headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert days(log, response.text) == [3]
    assert "HX-Request" in response.headers["Vary"]


def test_bad_filters_are_named_and_ignored(app, client, log):
    as_user(app, client, log["admin"])
    response = client.get(f"{URL}?since=yesterday&action=refund.")
    assert response.status_code == 422
    assert "From: Not a valid date value. This filter is ignored." in response.text
    assert days(log, response.text) == [2, 1]
    backwards = client.get(f"{URL}?since=2025-03-04&until=2025-03-01")
    assert "The end date is before the start date." in backwards.text
    assert days(log, backwards.text) == [5, 4]  # only "since" applies
    in_htmx = client.get(f"{URL}?until=never", headers=HTMX)
    assert in_htmx.status_code == 200 and "This filter is ignored." in in_htmx.text


def test_pages_are_cut_in_the_database_and_keep_the_filters(app, client, log):
    with app.app_context():
        for n in range(PER_PAGE + 3):
            db.session.add(
                AuditLog(action="refund.create", details={"n": n}, created_at=datetime(2025, 1, 1))
            )
        db.session.commit()
    as_user(app, client, log["admin"])
    first = client.get(f"{URL}?action=refund.create")
    assert len(listed(first.text)) == PER_PAGE
    assert "Page 1 of 2 (55 in all)" in first.text
    assert 'href="/admin/audit?page=2&amp;action=refund.create"' in first.text
    second = client.get(f"{URL}?action=refund.create&page=2")
    assert len(listed(second.text)) == 5
    assert not set(listed(first.text)) & set(listed(second.text))
