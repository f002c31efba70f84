"""Placing orders for customers: payment, FRAUD-STOP, idempotency, shipments, promotions."""

from __future__ import annotations

import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedAttempt,
    BlockedAttemptKind,
    BlockedCard,
    Contact,
    Invoice,
    InvoiceStatus,
    Order,
    OrderKind,
    OrderStatus,
    Organisation,
    OutboxMail,
    Payment,
    PaymentCard,
    PaymentMethod,
    PrepaidEntry,
    Promotion,
    Role,
    Shipment,
    ShipmentStatus,
    User,
    utcnow,
)
from helpdesk.services import ServiceError
from helpdesk.services.billing import orders
from helpdesk.services.fraud import fraud
from tests.factories import make_organisation, make_product, make_user
from tests.services import test_refund_concurrency
from tests.services.test_refunds import make_card

pytestmark = pytest.mark.usefixtures("ctx")

LONG_DIGITS = re.compile(r"\d{12,}")


@dataclass
class Shop:
    clerk: User
    organisation: Organisation
    card: PaymentCard
    hosting_id: int
    printer_id: int


@pytest.fixture
def shop() -> Shop:
    """Harbor Theatre with a stored Visa, $100.00 prepaid, a primary contact; a catalogue."""
    organisation = make_organisation(name="Harbor Theatre", prepaid_balance_cents=10_000)
    customer = make_user(Role.CUSTOMER, organisation=organisation, email="ben@harbor.example")
    db.session.add(
        Contact(
            organisation_id=organisation.id,
            user_id=customer.id,
            name="Ben Harris",
            email="ben@harbor.example",
            is_primary=True,
        )
    )
    shop = Shop(
        clerk=make_user(Role.BILLING, name="Bea Billing"),
        organisation=organisation,
        card=make_card(organisation),
        hosting_id=make_product(
            code="AC-HOST", name="AbleCommerce Hosting", kind=OrderKind.HOSTING, unit_cents=4900
        ).id,
        printer_id=make_product(
            code="HW-PRINTER",
            name="Receipt printer",
            version="TM-30",
            unit_cents=18900,
            physical=True,
        ).id,
    )
    db.session.commit()
    return shop


def place(shop: Shop, **overrides) -> orders.PlacedOrder:
    arguments = {
        "actor": shop.clerk,
        "organisation_id": shop.organisation.id,
        "product_id": shop.hosting_id,
        "quantity": 1,
        "promotion_code": None,
        "pay_with": f"card:{shop.card.id}",
        "ip": "198.51.100.7",
        "idempotency_key": secrets.token_urlsafe(16),
        **overrides,
    }
    return orders.place_order(**arguments)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def balance(shop: Shop) -> int:
    return db.session.scalar(
        sa.select(Organisation.prepaid_balance_cents).where(Organisation.id == shop.organisation.id)
    )


def make_promotion(**overrides) -> Promotion:
    today = utcnow().date()
    promotion = Promotion(
        **{
            "code": "WINTER26",
            "name": "Winter bundle",
            "percent_off": 15,
            "starts_on": today - timedelta(days=10),
            "ends_on": today + timedelta(days=50),
            **overrides,
        }
    )
    db.session.add(promotion)
    db.session.commit()
    return promotion


# --- paying ----------------------------------------------------------------------------------


def test_a_card_order_is_charged_paid_invoiced_audited_and_mailed(shop):
    result = place(shop, quantity=2)

    order = result.order
    assert not result.replay
    assert order.status == OrderStatus.PAID
    assert (order.product, order.version, order.kind) == (
        "AbleCommerce Hosting",
        "9.2",
        OrderKind.HOSTING,
    )
    assert order.amount_cents == 9800 and order.number.startswith("O")
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None
    assert invoice.total_cents == 9800
    payment = db.session.scalar(sa.select(Payment).where(Payment.order_id == order.id))
    assert payment.method == PaymentMethod.CARD and payment.card_id == shop.card.id
    assert payment.amount_cents == 9800 and payment.invoice_id == invoice.id
    assert payment.processor_reference.startswith("ch_")
    assert balance(shop) == 10_000  # the card paid, not the balance

    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "order.place"))
    assert entry.actor_id == shop.clerk.id and entry.object_id == order.id
    assert entry.details["card"] == "Visa ending 4242" and entry.details["amount_cents"] == 9800
    assert entry.ip_address == "198.51.100.7"
    mail = db.session.scalar(sa.select(OutboxMail))
    assert mail.to_address == "ben@harbor.example" and mail.template_key == "order_placed"
    assert order.number in mail.subject
    assert "2 x AbleCommerce Hosting" in mail.body_text and "Visa ending 4242" in mail.body_text
    assert "$98.00" in mail.body_text
    for text in (mail.body_text, str(entry.details)):
        assert not LONG_DIGITS.search(text)  # never a card number, not even the token's


def test_a_prepaid_order_lowers_the_balance_with_a_ledger_row(shop):
    order = place(shop, pay_with="prepaid", quantity=2).order

    assert order.status == OrderStatus.PAID
    assert balance(shop) == 10_000 - 9800
    payment = db.session.scalar(sa.select(Payment).where(Payment.order_id == order.id))
    assert payment.method == PaymentMethod.PREPAID and payment.card_id is None
    entry = db.session.scalar(sa.select(PrepaidEntry))
    assert entry.amount_cents == -9800 and entry.payment_id == payment.id
    assert entry.created_by_id == shop.clerk.id and order.number in entry.description
    mail = db.session.scalar(sa.select(OutboxMail))
    assert "prepaid balance" in mail.body_text


def test_a_short_prepaid_balance_is_refused_and_nothing_is_saved(shop):
    with pytest.raises(ServiceError) as refused:
        place(shop, pay_with="prepaid", quantity=3)  # $147.00 of $100.00

    assert refused.value.field == "pay_with"
    assert refused.value.message == (
        "The prepaid balance ($100.00) does not cover the order total ($147.00)."
    )
    assert balance(shop) == 10_000
    assert (count(Order), count(Payment), count(PrepaidEntry), count(OutboxMail)) == (0, 0, 0, 0)


def test_an_invoiced_order_stays_pending_with_an_open_invoice(shop):
    order = place(shop, pay_with="invoice").order

    assert order.status == OrderStatus.PENDING
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.status == InvoiceStatus.OPEN and invoice.paid_at is None
    assert invoice.due_on == invoice.issued_on + timedelta(days=orders.INVOICE_DAYS)
    assert count(Payment) == 0 and balance(shop) == 10_000
    assert invoice.number in db.session.scalar(sa.select(OutboxMail.body_text))


@pytest.mark.parametrize("broken", ["other organisation", "inactive", "expired", "unknown"])
def test_only_the_customers_own_usable_cards_pay(shop, broken):
    if broken == "other organisation":
        card = make_card(make_organisation())
    elif broken == "inactive":
        card = make_card(shop.organisation, active=False)
    elif broken == "expired":
        card = make_card(shop.organisation, exp_year=utcnow().year - 1)
    db.session.commit()
    card_id = 999_999 if broken == "unknown" else card.id

    with pytest.raises(ServiceError) as refused:
        place(shop, pay_with=f"card:{card_id}")
    assert refused.value.field == "pay_with"
    assert count(Order) == 0


@pytest.mark.parametrize("pay_with", ["", "cash", "card:", "card:x", "card:٣"])
def test_unknown_ways_to_pay_are_refused(shop, pay_with):
    with pytest.raises(ServiceError) as refused:
        place(shop, pay_with=pay_with)
    assert refused.value.field == "pay_with"


@pytest.mark.parametrize("quantity", [0, -1, 1000, True, "2"])
def test_quantities_are_whole_numbers_in_range(shop, quantity):
    with pytest.raises(ServiceError) as refused:
        place(shop, quantity=quantity)
    assert refused.value.field == "quantity"


def test_a_withdrawn_product_cannot_be_ordered(shop):
    retired = make_product(active=False)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        place(shop, product_id=retired.id)
    assert refused.value.field == "product"


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER])
def test_only_billing_staff_and_admins_place_orders(shop, role):
    with pytest.raises(ServiceError):
        place(shop, actor=make_user(role))
    assert count(Order) == 0


# --- FRAUD-STOP ------------------------------------------------------------------------------


def test_an_order_from_a_blocked_address_is_refused_and_logged(shop):
    admin = make_user(Role.ADMIN)
    blocked = fraud.block_ip("198.51.100.0/24", actor=admin, reason="Card testing")

    with pytest.raises(ServiceError) as refused:
        place(shop)

    assert refused.value.message == orders.NOT_PLACEABLE and refused.value.field is None
    attempt = db.session.scalar(sa.select(BlockedAttempt))
    assert attempt.kind == BlockedAttemptKind.ORDER
    assert (attempt.ip_address, attempt.email) == ("198.51.100.7", "ben@harbor.example")
    assert attempt.blocked_ip_id == blocked.id and attempt.blocked_card_id is None
    assert (count(Order), count(Payment), count(Invoice), count(OutboxMail)) == (0, 0, 0, 0)


def test_an_order_with_a_blocked_stored_card_is_refused_with_the_same_message(shop):
    db.session.add(
        BlockedCard(fingerprint=shop.card.fingerprint, brand="Visa", last4="4242", reason="Stolen")
    )
    db.session.commit()

    with pytest.raises(ServiceError) as refused:
        place(shop)

    assert refused.value.message == orders.NOT_PLACEABLE
    attempt = db.session.scalar(sa.select(BlockedAttempt))
    assert attempt.card_last4 == "4242" and attempt.blocked_card_id is not None
    assert attempt.blocked_ip_id is None
    assert count(Order) == 0


def test_a_blocked_address_is_refused_before_anything_else_is_checked(shop):
    fraud.block_ip("198.51.100.0/24", actor=make_user(Role.ADMIN), reason="Card testing")
    with pytest.raises(ServiceError) as refused:
        place(shop, pay_with="card:999999", product_id=999_999)
    assert refused.value.message == orders.NOT_PLACEABLE
    assert count(BlockedAttempt) == 1


def test_a_blocked_card_does_not_stop_prepaid_or_invoiced_orders(shop):
    db.session.add(
        BlockedCard(fingerprint=shop.card.fingerprint, brand="Visa", last4="4242", reason="Stolen")
    )
    db.session.commit()
    assert place(shop, pay_with="invoice").order.status == OrderStatus.PENDING


# --- once per key ----------------------------------------------------------------------------


def test_the_same_key_twice_places_one_order_and_charges_once(shop):
    first = place(shop, pay_with="prepaid", idempotency_key="key-double-click-1")
    again = place(shop, pay_with="prepaid", idempotency_key="key-double-click-1")

    assert again.replay and again.order.id == first.order.id
    assert (count(Order), count(Payment), count(PrepaidEntry), count(OutboxMail)) == (1, 1, 1, 1)
    assert balance(shop) == 10_000 - 4900


def test_a_key_used_for_a_different_order_is_refused(shop):
    place(shop, idempotency_key="key-reused-000001")
    with pytest.raises(ServiceError) as refused:
        place(shop, idempotency_key="key-reused-000001", quantity=2)
    assert refused.value.message == orders.KEY_REUSED
    assert count(Order) == 1


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "has space in it"])
def test_unusable_keys_are_refused(shop, key):
    with pytest.raises(ServiceError):
        place(shop, idempotency_key=key)


# --- equipment -------------------------------------------------------------------------------


def test_equipment_goes_to_the_shipment_queue(shop):
    order = place(shop, product_id=shop.printer_id, quantity=2, pay_with="invoice").order

    shipment = db.session.scalar(sa.select(Shipment))
    assert shipment.order_id == order.id and shipment.organisation_id == shop.organisation.id
    assert shipment.status == ShipmentStatus.PENDING and shipment.item == "2 x Receipt printer"
    assert "prepared for shipment" in db.session.scalar(sa.select(OutboxMail.body_text))


def test_software_does_not_ship(shop):
    place(shop)
    assert count(Shipment) == 0


# --- promotions ------------------------------------------------------------------------------


def test_an_eligible_promotion_discounts_the_order(shop):
    promotion = make_promotion(product="AC-HOST")
    order = place(shop, quantity=2, promotion_code=" winter26 ").order

    assert order.promotion_id == promotion.id and order.amount_cents == 8330  # 98.00 - 15%
    payment = db.session.scalar(sa.select(Payment))
    assert payment.amount_cents == 8330
    assert "Promotion WINTER26" in db.session.scalar(sa.select(OutboxMail.body_text))


@pytest.mark.parametrize(
    "promotion, message",
    [
        ({"product": "HW-PRINTER"}, "Promotion WINTER26 is only for HW-PRINTER"),
        ({"ends_on": utcnow().date() - timedelta(days=1)}, "Promotion WINTER26 ended on"),
        ({"active": False}, "Promotion WINTER26 has been withdrawn."),
        (None, "There is no promotion WINTER26."),
    ],
)
def test_an_ineligible_promotion_refuses_the_order(shop, promotion, message):
    if promotion is not None:
        today = utcnow().date()
        make_promotion(**{"starts_on": today - timedelta(days=30), **promotion})
    with pytest.raises(ServiceError) as refused:
        place(shop, promotion_code="WINTER26")
    assert refused.value.field == "promotion_code"
    assert refused.value.message.startswith(message)
    assert count(Order) == 0


def test_a_promotion_is_assigned_to_a_pending_order_and_its_open_invoice(shop):
    make_promotion(percent_off=None, amount_off_cents=1000)
    order = place(shop, pay_with="invoice", quantity=3).order  # $147.00

    changed = orders.assign_promotion(actor=shop.clerk, order_id=order.id, code="winter26")

    assert changed.amount_cents == 13700 and changed.promotion.code == "WINTER26"
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.total_cents == 13700 and invoice.status == InvoiceStatus.OPEN
    entry = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "order.assign_promotion")
    )
    assert entry.details["amount_before_cents"] == 14700 and entry.details["amount_cents"] == 13700

    with pytest.raises(ServiceError, match="has a promotion already"):
        orders.assign_promotion(actor=shop.clerk, order_id=order.id, code="WINTER26")


def test_a_paid_order_takes_no_promotion(shop):
    make_promotion()
    order = place(shop).order
    with pytest.raises(ServiceError) as refused:
        orders.assign_promotion(actor=shop.clerk, order_id=order.id, code="WINTER26")
    assert refused.value.field == "code" and "this one is paid" in refused.value.message
    assert db.session.get(Order, order.id).amount_cents == 4900


def test_an_ineligible_promotion_is_not_assigned(shop):
    make_promotion(product="HW-PRINTER")
    order = place(shop, pay_with="invoice").order
    with pytest.raises(ServiceError) as refused:
        orders.assign_promotion(actor=shop.clerk, order_id=order.id, code="WINTER26")
    assert refused.value.field == "code"
    assert db.session.get(Order, order.id).promotion_id is None


def test_promotions_are_created_audited_and_withdrawn(shop):
    today = utcnow().date()
    promotion = orders.create_promotion(
        actor=shop.clerk,
        code="spring-bundle",
        name="Spring  bundle",
        description="",
        product_code="AC-HOST",
        percent_off=None,
        amount_off_cents=2500,
        starts_on=today,
        ends_on=today + timedelta(days=30),
    )
    assert (promotion.code, promotion.name, promotion.product) == (
        "SPRING-BUNDLE",
        "Spring bundle",
        "AC-HOST",
    )
    with pytest.raises(ServiceError) as duplicate:
        orders.create_promotion(
            actor=shop.clerk,
            code="SPRING-BUNDLE",
            name="Again",
            description="",
            product_code=None,
            percent_off=10,
            amount_off_cents=None,
            starts_on=today,
            ends_on=today,
        )
    assert duplicate.value.field == "code"

    orders.deactivate_promotion(actor=shop.clerk, promotion_id=promotion.id)
    assert not db.session.get(Promotion, promotion.id).active
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"promotion.create", "promotion.deactivate"} <= actions


# --- simultaneous requests -------------------------------------------------------------------
# Each thread has its own connection on a database of its own (race_app): on SQLite BEGIN
# IMMEDIATE serialises the writers, on PostgreSQL the customer's row lock does.

RACERS = 8
race_app = test_refund_concurrency.race_app  # the fixture: an app on a database of its own


def _race_setup(app) -> tuple[int, int, int]:
    with app.app_context():
        organisation = make_organisation(prepaid_balance_cents=10_000)  # two orders of 49.00
        clerk = make_user(Role.BILLING)
        product = make_product(unit_cents=4900)
        db.session.commit()
        return clerk.id, organisation.id, product.id


def _race(app, clerk_id: int, organisation_id: int, product_id: int, keys: list[str]) -> list:
    barrier = threading.Barrier(len(keys))

    def worker(key: str):
        with app.app_context():
            try:
                actor = db.session.get(User, clerk_id)  # opens this thread's own connection
                barrier.wait(timeout=60)
                try:
                    result = orders.place_order(
                        actor=actor,
                        organisation_id=organisation_id,
                        product_id=product_id,
                        quantity=1,
                        promotion_code=None,
                        pay_with="prepaid",
                        ip="198.51.100.7",
                        idempotency_key=key,
                    )
                    return (result.order.id, result.replay)
                except ServiceError as refusal:
                    return refusal
            except Exception as error:  # e.g. "database is locked": the test must see it
                return repr(error)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(worker, key) for key in keys]]


def test_simultaneous_prepaid_orders_never_overdraw_the_balance(race_app):
    clerk_id, organisation_id, product_id = _race_setup(race_app)
    keys = [secrets.token_urlsafe(16) for _ in range(RACERS)]

    outcomes = _race(race_app, clerk_id, organisation_id, product_id, keys)

    assert [o for o in outcomes if isinstance(o, str)] == []
    placed = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(placed) == 2 and len(refused) == RACERS - 2
    assert all(r.field == "pay_with" for r in refused)
    with race_app.app_context():
        assert db.session.get(Organisation, organisation_id).prepaid_balance_cents == 200
        ledger = db.session.scalars(
            sa.select(PrepaidEntry.amount_cents).where(
                PrepaidEntry.organisation_id == organisation_id
            )
        ).all()
        assert sorted(ledger) == [-4900, -4900]


def test_simultaneous_posts_of_one_form_place_one_order(race_app):
    clerk_id, organisation_id, product_id = _race_setup(race_app)

    outcomes = _race(race_app, clerk_id, organisation_id, product_id, ["same-key-0001"] * RACERS)

    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert len({order_id for order_id, _ in outcomes}) == 1
    assert sum(not replay for _, replay in outcomes) == 1
    with race_app.app_context():
        assert db.session.get(Organisation, organisation_id).prepaid_balance_cents == 10_000 - 4900
