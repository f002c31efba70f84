"""What agents see of an evaluator's eligibility (issue 15 item 3), through the test client: an
unpaid invoice order does not make an evaluation that ran too long "Active"; paid, it does.
The caller page shows today's level, the case page the level kept at opening beside today's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    Invoice,
    InvoiceStatus,
    Order,
    OrderKind,
    OrderStatus,
    Organisation,
    Role,
    utcnow,
)
from helpdesk.sample_data import demo
from tests.conftest import as_user, post_form
from tests.factories import make_order, make_user

SALES = ("send_to_sales", "Send to sales")
ACTIVE = ("active", "Active support plan")


@pytest.fixture
def evaluator(app):
    """An evaluation of 130 days (more than 90: send to sales) and a licence ordered 3 days ago
    on an invoice not paid yet; an agent."""
    with app.app_context():
        agent = make_user(Role.AGENT)
        dan = make_user(Role.CUSTOMER, name="Dan Ortiz", email="dan@lakeside.test")
        organisation = dan.organisation
        make_order(
            organisation,
            kind=OrderKind.EVALUATION,
            version="9.1",
            ordered_at=utcnow() - timedelta(days=130),
            amount_cents=0,
        )
        licence = make_order(
            organisation,
            ordered_at=utcnow() - timedelta(days=3),
            status=OrderStatus.PENDING,
        )
        invoice = Invoice(
            number="I-UNPAID",
            organisation_id=organisation.id,
            order_id=licence.id,
            status=InvoiceStatus.OPEN,
            issued_on=licence.ordered_at.date(),
            due_on=licence.ordered_at.date() + timedelta(days=14),
            total_cents=licence.amount_cents,
        )
        db.session.add(invoice)
        db.session.commit()
        return {
            "agent": agent.id,
            "dan": dan.id,
            "organisation": organisation.id,
            "licence": licence.id,
            "invoice": invoice.id,
        }


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def caller_level(client, organisation_id: int) -> tuple[tuple[str, str], str]:
    """(css level, label) and the reason of the caller page's eligibility line."""
    page = client.get(f"/tracker/callers/{organisation_id}")
    assert page.status_code == 200
    match = re.search(
        r'<p class="eligibility eligibility-(\w+)">\s*<strong>(.*?)</strong><br>\s*'
        r'<span class="hint">(.*?)</span>',
        page.text,
        re.S,
    )
    assert match, "no eligibility line on the caller page"
    return (match.group(1), match.group(2)), match.group(3)


def case_support_row(client, number: int) -> str:
    page = client.get(f"/tracker/cases/{number}")
    assert page.status_code == 200
    return text_of(re.search(r'<dd class="case-eligibility">(.*?)</dd>', page.text, re.S).group(1))


def settle(app, invoice_id: int) -> None:
    """Billing records the bank transfer: the invoice is paid."""
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        invoice.status, invoice.paid_at = InvoiceStatus.PAID, utcnow()
        db.session.commit()


def test_an_unpaid_invoice_order_leaves_a_long_evaluation_sent_to_sales(app, client, evaluator):
    as_user(app, client, evaluator["agent"])
    level, reason = caller_level(client, evaluator["organisation"])
    assert level == SALES
    assert reason == "Evaluating for 130 days (more than 90): send to Sales"
    # The order is listed, marked as not paid, yet gives nothing.
    html = client.get(f"/tracker/callers/{evaluator['organisation']}").text
    with app.app_context():
        number = db.session.get(Order, evaluator["licence"]).number
    assert f'{number} <span class="hint">(pending)</span>' in html


def test_once_the_invoice_is_paid_the_caller_is_active(app, client, evaluator):
    settle(app, evaluator["invoice"])
    as_user(app, client, evaluator["agent"])
    level, reason = caller_level(client, evaluator["organisation"])
    assert level == ACTIVE
    assert reason == "Ordered 3 days ago (within 30 days)"


def test_the_case_page_keeps_send_to_sales_and_shows_active_beside_it_once_paid(
    app, client, evaluator
):
    # The evaluator opens a case on the portal while the invoice is still open.
    as_user(app, client, evaluator["dan"])
    response = post_form(
        client,
        "/cases/new",
        {
            "order_id": str(evaluator["licence"]),
            "category": "support",
            "subject": "Images do not import",
            "body": "The import stops halfway.",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        number, tier = case.number, case.tier
    assert tier == 1  # not an active plan: level one answers

    agent = app.test_client()
    as_user(app, agent, evaluator["agent"])
    row = case_support_row(agent, number)
    assert row.startswith("Send to sales at opening Evaluating for 130 days")
    assert "Today" not in row

    settle(app, evaluator["invoice"])
    row = case_support_row(agent, number)
    assert row.startswith("Send to sales at opening Evaluating for 130 days")
    assert "Today: Active support plan Ordered 3 days ago (within 30 days)" in row


def test_the_demo_evaluator_is_sent_to_sales_with_an_unpaid_order(app, client):
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    post_form(
        client, "/auth/login", {"email": "agent1@example.com", "password": demo.DEMO_PASSWORD}
    )
    with app.app_context():
        lakeside = db.session.scalar(
            sa.select(Organisation.id).where(Organisation.name == "Lakeside Crafts")
        )
    level, reason = caller_level(client, lakeside)
    assert level == SALES and reason.startswith("Evaluating for 130 days")
    assert '<span class="hint">(pending)</span>' in client.get(f"/tracker/callers/{lakeside}").text
