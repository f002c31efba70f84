"""Orders, payments and refunds through /api/v1: only for those who may handle money, cards as
brand and last four, and refunds that are never more than paid and made once per
Idempotency-Key (the same key again: 200 and the first refund; with another amount: 409)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.api.billing_api import service_key
from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    Invoice,
    OutboxMail,
    Payment,
    PaymentMethod,
    Refund,
    Role,
    Shipment,
    User,
)
from helpdesk.services.billing import refunds
from tests.api.conftest import problem_fields
from tests.factories import make_order, make_organisation, make_user
from tests.services.test_refunds import make_payment

API = "/api/v1"
LONG_DIGITS = re.compile(r"\d{12,}")  # a card number, were one ever to leak
REFUND = {"amount_cents": 2_500, "reason": "Damaged in transit", "destination": "card"}


@pytest.fixture
def world(app) -> dict:
    """Acme: an order paid by card ($100.00) with an invoice and a shipment; Globex: an order
    paid by bank transfer. Staff of every kind."""
    with app.app_context():
        acme = make_organisation(name="Acme Hosting")
        make_user(Role.CUSTOMER, organisation=acme, email="cleo@acme.example.com")
        globex = make_organisation(name="Globex")
        order = make_order(acme, licence_key="KEY-ACME-1")
        later = make_order(globex)
        invoice = Invoice(
            number="INV-1",
            organisation_id=acme.id,
            order_id=order.id,
            issued_on=order.ordered_at.date(),
            due_on=order.ordered_at.date(),
            total_cents=10_000,
        )
        db.session.add(invoice)
        db.session.flush()
        card_payment = make_payment(acme, order_id=order.id, invoice_id=invoice.id)
        bank_payment = make_payment(
            globex, card=False, order_id=later.id, method=PaymentMethod.BANK
        )
        db.session.add(Shipment(order_id=order.id, organisation_id=acme.id, item="Printer"))
        staff = {
            "billing": make_user(Role.BILLING, name="Bea Billing"),
            "other_billing": make_user(Role.BILLING, name="Ben Billing"),
            "admin": make_user(Role.ADMIN),
            "agent": make_user(Role.AGENT),
            "permitted_agent": make_user(Role.AGENT, billing_permission=True),
        }
        db.session.commit()
        return {
            "acme": acme.id,
            "globex": globex.id,
            "order": order.id,
            "later_order": later.id,
            "payment": card_payment.id,
            "bank_payment": bank_payment.id,
            **{key: user.id for key, user in staff.items()},
        }


def refund_url(world, key: str = "payment") -> str:
    return f"{API}/payments/{world[key]}/refunds"


def with_key(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key}


def refund_rows(app, payment_id: int) -> list[Refund]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Refund).where(Refund.payment_id == payment_id)).all()
        db.session.expunge_all()
        return rows


# --- orders and payments -------------------------------------------------------------------


def test_orders_newest_first_by_customer_and_paged(client, world, bearer):
    headers = bearer(world["billing"], ["billing"])
    everyone = client.get(f"{API}/orders", headers=headers)
    assert everyone.status_code == 200
    assert [o["id"] for o in everyone.json["items"]] == [world["later_order"], world["order"]]
    first = everyone.json["items"][1]
    assert first["organisation"] == {"id": world["acme"], "name": "Acme Hosting"}
    assert first["amount_cents"] == 99_500 and first["currency"] == "USD"
    assert first["url"] == f"http://localhost/billing/orders/{world['order']}"
    assert "licence_key" not in first  # the list leaves it to the order itself

    acme = client.get(f"{API}/orders?organisation_id={world['acme']}", headers=headers)
    assert [o["id"] for o in acme.json["items"]] == [world["order"]]

    page = client.get(f"{API}/orders?limit=1", headers=headers).json
    rest = client.get(f"{API}/orders?limit=1&cursor={page['next_cursor']}", headers=headers).json
    assert [o["id"] for o in page["items"] + rest["items"]] == [
        world["later_order"],
        world["order"],
    ]
    assert rest["next_cursor"] is None


def test_an_order_with_its_invoices_payments_refunds_and_shipments(client, world, bearer):
    headers = bearer(world["admin"])
    made = client.post(refund_url(world), json=REFUND, headers=with_key(headers, "first"))
    assert made.status_code == 201

    response = client.get(f"{API}/orders/{world['order']}", headers=headers)
    assert response.status_code == 200
    body = response.json
    assert body["licence_key"] == "KEY-ACME-1"
    assert [i["number"] for i in body["invoices"]] == ["INV-1"]
    assert [s["item"] for s in body["shipments"]] == ["Printer"]
    [payment] = body["payments"]
    assert payment["card"] == {"brand": "Visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}
    assert (payment["refunded_cents"], payment["refundable_cents"]) == (2_500, 7_500)
    [refund] = payment["refunds"]
    assert refund["reason"] == "Damaged in transit"
    assert refund["created_by"]["id"] == world["admin"]
    # The stored card's processor token and fingerprint hold a full test number.
    assert not LONG_DIGITS.search(response.get_data(as_text=True))


def test_a_payment_shows_the_card_as_brand_and_last_four_only(client, world, bearer):
    response = client.get(f"{API}/payments/{world['payment']}", headers=bearer(world["billing"]))
    assert response.status_code == 200
    body = response.json
    assert body["method"] == "card" and body["status"] == "succeeded"
    assert body["refundable_cents"] == 10_000 and body["refunds"] == []
    assert body["url"] == f"http://localhost/billing/payments/{world['payment']}"
    text = response.get_data(as_text=True)
    assert not LONG_DIGITS.search(text)
    for never in ("tok_", "processor", "fingerprint", "cvv", "cvc"):
        assert never not in text.lower()
    bank = client.get(f"{API}/payments/{world['bank_payment']}", headers=bearer(world["billing"]))
    assert bank.json["card"] is None


@pytest.mark.parametrize("path", ["/orders/999999", "/payments/999999", "/payments/999999/refunds"])
def test_unknown_orders_and_payments_are_not_found(client, world, bearer, path):
    headers = with_key(bearer(world["billing"]), "k")
    if path.endswith("/refunds"):
        response = client.post(API + path, json=REFUND, headers=headers)
    else:
        response = client.get(API + path, headers=headers)
    assert response.status_code == 404


def test_money_needs_the_billing_scope(client, world, bearer):
    headers = bearer(world["admin"], ["cases:read", "customers:read"])
    for method, path in (
        ("GET", "/orders"),
        ("GET", f"/orders/{world['order']}"),
        ("GET", f"/payments/{world['payment']}"),
        ("POST", f"/payments/{world['payment']}/refunds"),
    ):
        response = client.open(
            API + path, method=method, json=REFUND, headers=with_key(headers, "k")
        )
        assert response.status_code == 403, path
        assert "billing" in response.json["detail"]


def test_an_agent_without_the_billing_permission_cannot_refund(app, client, world, bearer):
    # The billing scope is not theirs to hold: their tokens never carry it...
    response = client.post(
        refund_url(world), json=REFUND, headers=with_key(bearer(world["agent"]), "agent-try")
    )
    assert response.status_code == 403
    assert refund_rows(app, world["payment"]) == []
    # ...and the refusal is on record: who, on which payment, from where, why.
    with app.app_context():
        [row] = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "refused.api.create_refund")
        ).all()
        assert (row.actor_id, row.object_type, row.object_id) == (
            world["agent"],
            "Payment",
            world["payment"],
        )
        assert "billing" in row.details["reason"]
        assert row.details["request"] == f"POST {refund_url(world)}"


def test_an_agent_granted_the_billing_permission_refunds_until_it_is_taken_away(
    app, client, world, bearer
):
    headers = bearer(world["permitted_agent"])  # its role's scopes, billing among them
    made = client.post(refund_url(world), json=REFUND, headers=with_key(headers, "granted"))
    assert made.status_code == 201
    assert client.get(f"{API}/orders", headers=headers).status_code == 200

    with app.app_context():
        db.session.get(User, world["permitted_agent"]).billing_permission = False
        db.session.commit()
    response = client.post(
        refund_url(world), json={**REFUND, "amount_cents": 100}, headers=with_key(headers, "x")
    )
    assert response.status_code == 403
    assert client.get(f"{API}/orders", headers=headers).status_code == 403
    assert len(refund_rows(app, world["payment"])) == 1


# --- refunds -------------------------------------------------------------------------------


def test_a_refund_is_made_mailed_and_answered_201(app, client, world, bearer):
    response = client.post(
        refund_url(world), json=REFUND, headers=with_key(bearer(world["billing"]), "order-77")
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/payments/{world['payment']}")
    refund, payment = response.json["refund"], response.json["payment"]
    assert refund["amount_cents"] == 2_500 and refund["destination"] == "card"
    assert refund["created_by"] == {"id": world["billing"], "name": "Bea Billing"}
    assert (payment["refunded_cents"], payment["refundable_cents"]) == (2_500, 7_500)
    assert [r["id"] for r in payment["refunds"]] == [refund["id"]]
    [row] = refund_rows(app, world["payment"])
    assert row.idempotency_key == service_key(world["billing"], "order-77")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 1


def test_the_same_key_again_answers_200_with_the_first_refund(app, client, world, bearer):
    headers = with_key(bearer(world["billing"]), "retry-me")
    first = client.post(refund_url(world), json=REFUND, headers=headers)
    again = client.post(
        refund_url(world), json={**REFUND, "reason": "Retried by the shop"}, headers=headers
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["refund"] == first.json["refund"]
    assert again.json["refund"]["reason"] == "Damaged in transit"  # the first one's
    assert len(refund_rows(app, world["payment"])) == 1
    with app.app_context():
        assert db.session.get(Payment, world["payment"]).refunded_cents == 2_500


@pytest.mark.parametrize(
    "change",
    [{"amount_cents": 2_600}, {"destination": "prepaid"}],
)
def test_the_same_key_for_another_refund_is_a_conflict(app, client, world, bearer, change):
    headers = with_key(bearer(world["billing"]), "one-key")
    assert client.post(refund_url(world), json=REFUND, headers=headers).status_code == 201
    response = client.post(refund_url(world), json={**REFUND, **change}, headers=headers)
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json["detail"]
    assert len(refund_rows(app, world["payment"])) == 1


def test_the_same_key_on_another_payment_is_a_conflict(app, client, world, bearer):
    headers = with_key(bearer(world["billing"]), "one-key")
    assert client.post(refund_url(world), json=REFUND, headers=headers).status_code == 201
    other = client.post(
        refund_url(world, "bank_payment"),
        json={**REFUND, "destination": "prepaid"},
        headers=headers,
    )
    assert other.status_code == 409
    assert refund_rows(app, world["bank_payment"]) == []


def test_keys_are_kept_per_token_owner(app, client, world, bearer):
    """Two staff members' systems that happen to send the same key make two refunds."""
    for owner in ("billing", "other_billing"):
        response = client.post(
            refund_url(world), json=REFUND, headers=with_key(bearer(world[owner]), "shared-key")
        )
        assert response.status_code == 201, owner
    rows = refund_rows(app, world["payment"])
    assert sorted(r.created_by_id for r in rows) == sorted(
        [world["billing"], world["other_billing"]]
    )
    # Another token of the same person shares that person's keys.
    again = client.post(
        refund_url(world), json=REFUND, headers=with_key(bearer(world["billing"]), "shared-key")
    )
    assert again.status_code == 200


def test_service_keys_fit_the_refund_service():
    key = service_key(2**31 - 1, "x" * 200)
    assert refunds.KEY_PATTERN.fullmatch(key)
    assert len(key) <= Refund.idempotency_key.type.length
    assert service_key(1, "a") != service_key(2, "a") != service_key(1, "b")


def test_a_refund_needs_an_idempotency_key(app, client, world, bearer):
    headers = bearer(world["billing"])
    missing = client.post(refund_url(world), json=REFUND, headers=headers)
    assert missing.status_code == 422
    assert problem_fields(missing) == ["Idempotency-Key"]
    unusable = client.post(refund_url(world), json=REFUND, headers=with_key(headers, "two words"))
    assert unusable.status_code == 422
    assert problem_fields(unusable) == ["Idempotency-Key"]
    assert refund_rows(app, world["payment"]) == []


def test_more_than_was_paid_is_refused(app, client, world, bearer):
    headers = bearer(world["billing"])
    too_much = client.post(
        refund_url(world), json={**REFUND, "amount_cents": 10_001}, headers=with_key(headers, "a")
    )
    assert too_much.status_code == 422
    assert problem_fields(too_much) == ["amount_cents"]
    assert "$100.00" in too_much.json["detail"]

    whole = client.post(
        refund_url(world), json={**REFUND, "amount_cents": 10_000}, headers=with_key(headers, "b")
    )
    assert whole.status_code == 201
    nothing_left = client.post(
        refund_url(world), json={**REFUND, "amount_cents": 1}, headers=with_key(headers, "c")
    )
    assert nothing_left.status_code == 422
    assert "refunded in full" in nothing_left.json["detail"]
    with app.app_context():
        assert db.session.get(Payment, world["payment"]).refunded_cents == 10_000


def test_a_payment_made_without_a_card_is_refunded_to_the_balance(app, client, world, bearer):
    headers = bearer(world["billing"])
    to_card = client.post(
        refund_url(world, "bank_payment"), json=REFUND, headers=with_key(headers, "card")
    )
    assert to_card.status_code == 422
    assert problem_fields(to_card) == ["destination"]
    to_balance = client.post(
        refund_url(world, "bank_payment"),
        json={**REFUND, "destination": "prepaid"},
        headers=with_key(headers, "prepaid"),
    )
    assert to_balance.status_code == 201
    assert to_balance.json["refund"]["destination"] == "prepaid"


@pytest.mark.parametrize(
    "body, field",
    [
        ({**REFUND, "amount_cents": "25.00"}, "amount_cents"),
        ({**REFUND, "amount_cents": 25.0}, "amount_cents"),
        ({**REFUND, "amount_cents": 0}, "amount_cents"),
        ({**REFUND, "amount_cents": -5}, "amount_cents"),
        ({**REFUND, "amount_cents": 2**63}, "amount_cents"),
        ({**REFUND, "destination": "cash"}, "destination"),
        ({**REFUND, "reason": ""}, "reason"),
        ({**REFUND, "reason": "x" * 501}, "reason"),
        ({**REFUND, "reason": "a\u0000b"}, "reason"),
        ({"amount_cents": 100, "destination": "card"}, "reason"),
        ({**REFUND, "card_number": "4111111111111111"}, "card_number"),
    ],
)
def test_a_refused_refund_body_names_the_field(app, client, world, bearer, body, field):
    response = client.post(
        refund_url(world), json=body, headers=with_key(bearer(world["billing"]), "bad-body")
    )
    assert response.status_code == 422
    assert problem_fields(response) == [field]
    assert refund_rows(app, world["payment"]) == []
