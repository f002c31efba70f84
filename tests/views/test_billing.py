"""Payment manager pages: transactions with filters, a payment's page and the refund form."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from helpdesk.billing.money import format_amount, parse_amount
from helpdesk.extensions import db
from helpdesk.models import (
    OutboxMail,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    Role,
)
from tests.conftest import csrf_from, login_as
from tests.factories import make_organisation, make_user
from tests.services.test_refunds import make_payment

LONG_DIGITS = re.compile(r"\d{12,}")
KEY_INPUT = re.compile(r'<input[^>]*name="idempotency_key"[^>]*>')


@pytest.fixture
def ids(app) -> dict:
    """A billing clerk, a customer login and a $100.00 card payment of Acme Hosting."""
    with app.app_context():
        organisation = make_organisation(name="Acme Hosting")
        customer = make_user(Role.CUSTOMER, organisation=organisation, email="cleo@acme.example")
        clerk = make_user(Role.BILLING, name="Bea Billing")
        payment = make_payment(organisation)
        db.session.commit()
        return {"clerk": clerk.id, "customer": customer.id, "payment": payment.id}


def log_in(app, client, user_id: int) -> None:
    with app.app_context():
        from helpdesk.models import User

        login_as(client, db.session.get(User, user_id))


@pytest.fixture
def clerk_client(app, client, ids):
    log_in(app, client, ids["clerk"])
    return client


def key_of(html: str) -> str:
    match = KEY_INPUT.search(html)
    assert match, "the refund form has no idempotency key"
    return re.search(r'value="([^"]*)"', match.group(0)).group(1)


def errors(html: str) -> list[str]:
    return [html_lib.unescape(e) for e in re.findall(r'<p class="error[^"]*"[^>]*>(.*?)</p>', html)]


def page_url(payment_id: int) -> str:
    return f"/billing/payments/{payment_id}"


def post_refund(client, payment_id: int, data: dict, *, key: str | None = None, **kwargs):
    """Post the refund form the way a browser does: with the token and key of the page."""
    page = client.get(page_url(payment_id)).get_data(as_text=True)
    fields = {
        "amount": "12.50",
        "reason": "Goodwill",
        "destination": "card",
        "csrf_token": csrf_from(page),
        "idempotency_key": key or key_of(page),
        **data,
    }
    return client.post(f"{page_url(payment_id)}/refunds", data=fields, **kwargs)


def refunds_of(app, payment_id: int) -> list[Refund]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Refund).where(Refund.payment_id == payment_id)).all()
        db.session.expunge_all()
        return rows


# --- amounts as typed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, cents",
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("12", 1200),
        ("0.01", 1),
        (".5", 50),
        ("1,234.56", 123456),
        ("$7", 700),
        ("$7.01", 701),
        (" 3.10 ", 310),
        ("0.29", 29),  # float("0.29") * 100 == 28.999999999999996
        ("1.15", 115),  # float: 114.99999999999999
    ],
)
def test_amounts_parse_to_exact_cents(typed, cents):
    assert parse_amount(typed) == cents


@pytest.mark.parametrize(
    "typed", ["", "abc", "0", "0.00", "-1", "12.345", "1e3", "1,23", "12,50", "١٢", "NaN"]
)
def test_bad_amounts_are_refused(typed):
    with pytest.raises(ValueError):
        parse_amount(typed)


def test_amounts_format_for_the_form():
    assert [format_amount(c) for c in (1, 1250, 100000)] == ["0.01", "12.50", "1000.00"]


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_agents_and_customers_are_refused(app, client, ids, who):
    with app.app_context():
        user_id = make_user(Role.AGENT).id if who == "agent" else ids["customer"]
        db.session.commit()
    log_in(app, client, user_id)
    assert client.get(page_url(ids["payment"])).status_code == 403
    response = client.post(f"{page_url(ids['payment'])}/refunds", data={"amount": "1"})
    assert response.status_code in (400, 403)  # CSRF or role: either way nothing happens
    assert refunds_of(app, ids["payment"]) == []


def test_agent_post_with_a_valid_token_is_still_refused(app, client, ids):
    with app.app_context():
        agent_id = make_user(Role.AGENT).id
        db.session.commit()
    log_in(app, client, agent_id)
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    response = client.post(
        f"{page_url(ids['payment'])}/refunds",
        data={"csrf_token": token, "amount": "1", "reason": "x", "destination": "card"},
    )
    assert response.status_code == 403
    assert refunds_of(app, ids["payment"]) == []


def test_anonymous_visitors_go_to_log_in(client, ids):
    response = client.get(page_url(ids["payment"]))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_admins_may_refund(app, client, ids):
    with app.app_context():
        admin_id = make_user(Role.ADMIN).id
        db.session.commit()
    log_in(app, client, admin_id)
    assert post_refund(client, ids["payment"], {}).status_code == 303
    assert len(refunds_of(app, ids["payment"])) == 1


def test_missing_payment_is_404(clerk_client):
    assert clerk_client.get(page_url(987654)).status_code == 404
    token = csrf_from(clerk_client.get("/billing/").get_data(as_text=True))
    response = clerk_client.post(
        f"{page_url(987654)}/refunds",
        data={"csrf_token": token, "amount": "1", "reason": "x", "destination": "card"},
    )
    assert response.status_code == 404


def test_post_without_csrf_token_is_400(app, clerk_client, ids):
    page = clerk_client.get(page_url(ids["payment"])).get_data(as_text=True)
    response = clerk_client.post(
        f"{page_url(ids['payment'])}/refunds",
        data={"amount": "1", "reason": "x", "destination": "card", "idempotency_key": key_of(page)},
    )
    assert response.status_code == 400
    assert refunds_of(app, ids["payment"]) == []


# --- the payment page ------------------------------------------------------------------------


def test_payment_page_shows_the_payment_and_a_masked_card_only(app, clerk_client, ids):
    post_refund(clerk_client, ids["payment"], {"amount": "10", "reason": "Setup outage"})
    post_refund(
        clerk_client,
        ids["payment"],
        {"amount": "5.25", "reason": "Duplicate add-on", "destination": "prepaid"},
    )
    response = clerk_client.get(page_url(ids["payment"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Acme Hosting" in html
    assert "$100.00" in html  # amount
    assert "$15.25" in html  # refunded so far
    assert "$84.75" in html  # remaining
    assert "Visa ending 4242" in html
    # The stored token and fingerprint both carry a full test number: neither may show.
    assert not LONG_DIGITS.search(html), LONG_DIGITS.findall(html)
    for who_when_why_where in (
        "Bea Billing",
        "Setup outage",
        "Duplicate add-on",
        "Prepaid balance",
    ):
        assert who_when_why_where in html
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", html)
    assert len(key_of(html)) >= 32


def test_every_rendering_gets_a_new_key(clerk_client, ids):
    first = key_of(clerk_client.get(page_url(ids["payment"])).get_data(as_text=True))
    second = key_of(clerk_client.get(page_url(ids["payment"])).get_data(as_text=True))
    assert first != second


def test_payment_without_card_offers_prepaid_only(app, clerk_client):
    with app.app_context():
        payment_id = make_payment(card=False).id
        db.session.commit()
    html = clerk_client.get(page_url(payment_id)).get_data(as_text=True)
    assert 'value="prepaid"' in html
    assert 'value="card"' not in html


def test_fully_refunded_or_failed_payments_have_no_form(app, clerk_client):
    with app.app_context():
        done = make_payment(refunded_cents=10_000).id
        failed = make_payment(status=PaymentStatus.FAILED).id
        db.session.commit()
    assert "refunded in full" in clerk_client.get(page_url(done)).get_data(as_text=True)
    html = clerk_client.get(page_url(failed)).get_data(as_text=True)
    assert "went through" in html
    assert "idempotency_key" not in html


# --- refunding -------------------------------------------------------------------------------


def test_successful_refund_redirects_to_the_payment_with_a_message(app, clerk_client, ids):
    response = post_refund(clerk_client, ids["payment"], {"amount": "12.50", "reason": "Late"})
    assert response.status_code == 303
    assert response.headers["Location"] == page_url(ids["payment"])
    html = clerk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Refunded $12.50 to Visa ending 4242." in html
    [refund] = refunds_of(app, ids["payment"])
    assert (refund.amount_cents, refund.reason, refund.created_by_id) == (
        1250,
        "Late",
        ids["clerk"],
    )
    with app.app_context():
        assert db.session.get(Payment, ids["payment"]).refunded_cents == 1250
        assert db.session.scalar(sa.select(OutboxMail.to_address)) == "cleo@acme.example"


def test_form_errors_keep_what_was_typed(app, clerk_client, ids):
    response = post_refund(
        clerk_client, ids["payment"], {"amount": "12,50", "reason": "Keep this reason"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the amount in dollars and cents, e.g. 12.50." in errors(html)
    assert 'value="12,50"' in html
    assert "Keep this reason</textarea>" in html
    assert refunds_of(app, ids["payment"]) == []


def test_missing_reason_is_an_error(app, clerk_client, ids):
    response = post_refund(clerk_client, ids["payment"], {"amount": "3", "reason": "   "})
    assert response.status_code == 422
    assert "Give the reason for the refund." in errors(response.get_data(as_text=True))
    assert refunds_of(app, ids["payment"]) == []


def test_more_than_is_left_is_refused_with_the_remaining_amount(app, clerk_client, ids):
    post_refund(clerk_client, ids["payment"], {"amount": "60"})
    page = clerk_client.get(page_url(ids["payment"])).get_data(as_text=True)
    key = key_of(page)
    response = post_refund(
        clerk_client, ids["payment"], {"amount": "40.01", "reason": "Too much"}, key=key
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert any("at most $40.00 can still be refunded" in e for e in errors(html))
    assert 'value="40.01"' in html and "Too much</textarea>" in html
    assert key_of(html) == key  # nothing was done with it: the corrected post may reuse it
    assert [r.amount_cents for r in refunds_of(app, ids["payment"])] == [6000]


def test_double_submit_refunds_once_and_says_so(app, clerk_client, ids):
    page = clerk_client.get(page_url(ids["payment"])).get_data(as_text=True)
    key = key_of(page)
    first = post_refund(clerk_client, ids["payment"], {"amount": "20"}, key=key)
    again = post_refund(clerk_client, ids["payment"], {"amount": "20"}, key=key)
    assert first.status_code == again.status_code == 303
    html = clerk_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Already refunded: this request was processed before." in html
    assert [r.amount_cents for r in refunds_of(app, ids["payment"])] == [2000]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 1


def test_same_key_with_another_amount_is_refused_and_a_new_key_issued(app, clerk_client, ids):
    page = clerk_client.get(page_url(ids["payment"])).get_data(as_text=True)
    key = key_of(page)
    post_refund(clerk_client, ids["payment"], {"amount": "20"}, key=key)
    response = post_refund(clerk_client, ids["payment"], {"amount": "25"}, key=key)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This request was already used for a different refund." in errors(html)
    assert key_of(html) != key
    assert [r.amount_cents for r in refunds_of(app, ids["payment"])] == [2000]


def test_tampered_key_is_refused(app, clerk_client, ids):
    response = post_refund(clerk_client, ids["payment"], {}, key="bad key!")
    assert response.status_code == 422
    assert any("reload the page" in e for e in errors(response.get_data(as_text=True)))
    assert refunds_of(app, ids["payment"]) == []


def test_refund_to_card_of_a_cardless_payment_is_refused(app, clerk_client):
    with app.app_context():
        payment_id = make_payment(card=False).id
        db.session.commit()
    response = post_refund(clerk_client, payment_id, {"destination": "card"})
    assert response.status_code == 422
    assert refunds_of(app, payment_id) == []


# --- the transaction list ------------------------------------------------------------------


def test_home_links_every_payment_to_its_page(clerk_client, ids):
    html = clerk_client.get("/billing/").get_data(as_text=True)
    assert f'href="{page_url(ids["payment"])}"' in html


@pytest.fixture
def ledger(app, client) -> dict:
    """Four payments of two customers over three days, by card and prepaid, one failed."""
    with app.app_context():
        login_as(client, make_user(Role.BILLING))
        north = make_organisation(name="Northwind Traders")
        south = make_organisation(name="Southwind 100% Fans")
        rows = {
            "north_card": make_payment(north, created_at=datetime(2026, 3, 1, 9)),
            "north_prepaid": make_payment(north, card=False, created_at=datetime(2026, 3, 2, 23)),
            "south_card": make_payment(south, created_at=datetime(2026, 3, 3, 0, 30)),
            "south_failed": make_payment(
                south, status=PaymentStatus.FAILED, created_at=datetime(2026, 3, 3, 12)
            ),
        }
        db.session.commit()
        return {name: payment.id for name, payment in rows.items()}


def listed(client, query: str) -> set[int]:
    html = client.get(f"/billing/?{query}").get_data(as_text=True)
    return {int(n) for n in re.findall(r'href="/billing/payments/(\d+)"', html)}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"north_card", "north_prepaid", "south_card", "south_failed"}),
        ("date_from=2026-03-02", {"north_prepaid", "south_card", "south_failed"}),
        ("date_to=2026-03-02", {"north_card", "north_prepaid"}),  # the whole last day
        ("date_from=2026-03-02&date_to=2026-03-02", {"north_prepaid"}),
        ("customer=NORTH", {"north_card", "north_prepaid"}),
        ("customer=100%25", {"south_card", "south_failed"}),  # % is a letter, not a wildcard
        ("customer=d%25F", set()),
        ("method=prepaid", {"north_prepaid"}),
        ("status=failed", {"south_failed"}),
        ("customer=wind&method=card&status=succeeded", {"north_card", "south_card"}),
    ],
)
def test_transaction_filters(client, ledger, query, expected):
    assert listed(client, query) == {ledger[name] for name in expected}


def test_invalid_filter_is_reported_and_ignored(client, ledger):
    response = client.get("/billing/?date_from=yesterday&method=cash")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert errors(html) == [
        "From: Not a valid date value. This filter is ignored.",
        "Method: Not a valid choice. This filter is ignored.",
    ]
    assert listed(client, "date_from=yesterday&method=cash") == set(ledger.values())


def test_list_is_paged_in_the_database_and_keeps_the_filters(app, clerk_client):
    with app.app_context():
        organisation = make_organisation(name="Pager Ltd")
        for _ in range(30):
            make_payment(organisation, method=PaymentMethod.BANK, card=False)
        make_payment(make_organisation(name="Other"), card=False)
        db.session.commit()
    html = clerk_client.get("/billing/?customer=pager").get_data(as_text=True)
    assert "Page 1 of 2 (30 in all)" in html
    assert "customer=pager" in html and "page=2" in html
    assert len(listed(clerk_client, "customer=pager&page=2")) == 5


def test_htmx_filter_gets_the_table_only(client, ledger):
    response = client.get("/billing/?method=prepaid", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="payment-table">')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
