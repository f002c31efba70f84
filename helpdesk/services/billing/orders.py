"""Orders placed by billing staff for a customer, and promotions (seed 002 Payment Manager).

`place_order` is one transaction. FRAUD-STOP comes first: a blocked request address or a
blocked stored card is refused with one message that never says which list matched, and the
attempt is logged for the fraud team. Then, holding the customer's row (SELECT ... FOR UPDATE
on PostgreSQL, BEGIN IMMEDIATE on SQLite, as in refunds), it checks the idempotency key, the
promotion and the prepaid balance, takes the payment, and writes the order, its invoice, a
shipment for equipment, the audit row and the confirmation mail before committing. The key
makes a double click or a retried request return the first order instead of a second one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.formatting import money
from helpdesk.models import (
    BlockedAttemptKind,
    Contact,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Organisation,
    Payment,
    PaymentCard,
    PaymentMethod,
    PrepaidEntry,
    Product,
    Promotion,
    Role,
    Shipment,
    User,
    utcnow,
)
from helpdesk.rules.promotions import (
    CODE_MAX,
    PromotionTerms,
    check_promotion,
    discount_cents,
    discounted_total,
    normalise_code,
    terms_problem,
)
from helpdesk.services import ServiceError
from helpdesk.services.billing import locking
from helpdesk.services.core import audit
from helpdesk.services.core.counters import next_number
from helpdesk.services.fraud import fraud
from helpdesk.services.mail.outbox import queue_mail

ORDER_STAFF = frozenset({Role.BILLING, Role.ADMIN})
# Never says which list matched: telling a fraudster whether the address or the card is
# blocked tells them which one to change.
NOT_PLACEABLE = "This order cannot be placed. Please contact the fraud team."
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # orders.idempotency_key is VARCHAR(64)
KEY_REUSED = "This form was already used for a different order: reload the page and try again."
MAX_QUANTITY = 999
MAX_TOTAL_CENTS = 2**31 - 1  # orders.amount_cents is a 32-bit INTEGER
INVOICE_DAYS = 14
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,39}")
NAME_MAX = 120
DESCRIPTION_MAX = 2000

CARD = "card"
PREPAID = "prepaid"
INVOICE = "invoice"


@dataclass(frozen=True)
class PayWith:
    """How an order is paid: a stored card of the customer, the prepaid balance or later."""

    method: str
    card_id: int | None = None


@dataclass(frozen=True)
class PlacedOrder:
    """The order, and whether a request with the same key placed it earlier."""

    order: Order
    replay: bool


def parse_pay_with(value: str | None) -> PayWith:
    """ "card:<id>", "prepaid" or "invoice" as the form posts it."""
    text = (value or "").strip()
    if text in (PREPAID, INVOICE):
        return PayWith(text)
    prefix, _, card_id = text.partition(":")
    if prefix == CARD and card_id.isascii() and card_id.isdigit():
        return PayWith(CARD, int(card_id))
    raise ServiceError("Choose how the order is paid.", field="pay_with")


def card_label(card: PaymentCard) -> str:
    """Brand and last four only (PCI DSS): never more of the number."""
    return f"{card.brand} ending {card.last4}"


def _check_actor(actor: User | None) -> None:
    if actor is None or actor.role not in ORDER_STAFF or not actor.active:
        # The views gate the role too; this keeps CLI and future callers honest.
        raise ServiceError("Only billing staff and administrators can do this.")


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise ServiceError("Enter the quantity as a whole number.", field="quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ServiceError(f"Order from 1 to {MAX_QUANTITY} at a time.", field="quantity")


def place_order(
    *,
    actor: User,
    organisation_id: int,
    product_id: int,
    quantity: int,
    promotion_code: str | None,
    pay_with: str,
    ip: str | None,
    idempotency_key: str,
) -> PlacedOrder:
    """Place and pay (or invoice) an order for a customer; commit. See the module docstring."""
    _check_actor(actor)
    _check_quantity(quantity)
    paying = parse_pay_with(pay_with)
    if not isinstance(idempotency_key, str) or not KEY_PATTERN.fullmatch(idempotency_key):
        raise ServiceError("This form is out of date: reload the page and try again.")
    request = _OrderRequest(
        organisation_id=organisation_id,
        product_id=product_id,
        quantity=quantity,
        promotion_code=normalise_code(promotion_code) or None,
        paying=paying,
        ip=ip,
        key=idempotency_key,
    )
    try:
        return _place_locked(actor, request)
    except IntegrityError:
        db.session.rollback()
        # Another transaction committed this key first: answer as the second request.
        first = _order_by_key(idempotency_key)
        if first is not None:
            return _replay(first, request)
        current_app.logger.warning(
            "order for organisation %s refused by the database", organisation_id
        )
        raise ServiceError("The order could not be placed; nothing was saved. Try again.") from None


@dataclass(frozen=True)
class _OrderRequest:
    organisation_id: int
    product_id: int
    quantity: int
    promotion_code: str | None
    paying: PayWith
    ip: str | None
    key: str


def _place_locked(actor: User, request: _OrderRequest) -> PlacedOrder:
    try:
        organisation = locking.locked_row(Organisation, request.organisation_id)
        if organisation is None:
            raise ServiceError("This customer does not exist.")
        recipient = _recipient(organisation.id)
        try:
            card, unusable = _stored_card(organisation.id, request.paying), None
        except ServiceError as error:
            card, unusable = None, error
        # FRAUD-STOP before any other answer: a blocked address learns nothing else.
        _fraud_stop(request.ip, card, recipient)
        if unusable is not None:
            raise unusable
        first = _order_by_key(request.key)
        if first is not None:
            return _replay(first, request)
        product = db.session.get(Product, request.product_id)
        if product is None or not product.active:
            raise ServiceError("Choose a product from the catalogue.", field="product")
        today = utcnow().date()
        promotion = _eligible_promotion(request.promotion_code, product.code, product.name, today)
        total = discounted_total(product.unit_cents, request.quantity, _terms(promotion))
        if total > MAX_TOTAL_CENTS:
            raise ServiceError("That order is too large to place at once.", field="quantity")
        if request.paying.method == PREPAID and organisation.prepaid_balance_cents < total:
            raise ServiceError(
                f"The prepaid balance ({money(organisation.prepaid_balance_cents)}) does not "
                f"cover the order total ({money(total)}).",
                field="pay_with",
            )
    except ServiceError:
        db.session.rollback()  # release the lock
        raise
    order = _write_order(
        actor, request, organisation, product, promotion, total, card=card, recipient=recipient
    )
    return PlacedOrder(order=order, replay=False)


def _write_order(
    actor: User,
    request: _OrderRequest,
    organisation: Organisation,
    product: Product,
    promotion: Promotion | None,
    total: int,
    *,
    card: PaymentCard | None,
    recipient: _Recipient | None,
) -> Order:
    now = utcnow()
    paid = request.paying.method != INVOICE or total == 0  # nothing to invoice later
    order = Order(
        number=f"O{next_number('order')}",
        organisation_id=organisation.id,
        purchaser_id=recipient.user.id if recipient and recipient.user else None,
        product_id=product.id,
        product=product.name,
        version=product.version,
        kind=product.kind,
        status=OrderStatus.PAID if paid else OrderStatus.PENDING,
        ordered_at=now,
        quantity=request.quantity,
        amount_cents=total,
        promotion_id=promotion.id if promotion else None,
        idempotency_key=request.key,
    )
    db.session.add(order)
    db.session.flush()
    invoice = Invoice(
        number=f"I{next_number('invoice')}",
        organisation_id=organisation.id,
        order_id=order.id,
        status=InvoiceStatus.PAID if paid else InvoiceStatus.OPEN,
        issued_on=now.date(),
        due_on=now.date() if paid else now.date() + timedelta(days=INVOICE_DAYS),
        paid_at=now if paid else None,
        total_cents=total,
    )
    db.session.add(invoice)
    db.session.flush()
    payment = _take_payment(actor, order, invoice, card, request.paying) if total else None
    shipment = None
    if product.physical:
        shipment = Shipment(
            order_id=order.id,
            organisation_id=organisation.id,
            item=f"{request.quantity} x {product.name}"[:200],
        )
        db.session.add(shipment)
        db.session.flush()
    mailed = _mail_confirmation(recipient, order, invoice, card, shipment, promotion)
    audit.record(
        "order.place",
        actor=actor,
        obj=order,
        organisation_id=organisation.id,
        ip_address=request.ip,
        number=order.number,
        product=product.code,
        quantity=request.quantity,
        amount_cents=total,
        currency=order.currency,
        promotion=promotion.code if promotion else None,
        paid_by=request.paying.method,
        card=card_label(card) if card else None,
        payment_id=payment.id if payment else None,
        invoice_id=invoice.id,
        shipment_id=shipment.id if shipment else None,
        mailed=mailed,
    )
    db.session.commit()
    return order


def _take_payment(
    actor: User, order: Order, invoice: Invoice, card: PaymentCard | None, paying: PayWith
) -> Payment | None:
    """Charge the stored card or the prepaid balance; None for an order paid later."""
    if paying.method == INVOICE:
        return None
    payment = Payment(
        organisation_id=order.organisation_id,
        order_id=order.id,
        invoice_id=invoice.id,
        card_id=card.id if card else None,
        method=PaymentMethod.CARD if card else PaymentMethod.PREPAID,
        amount_cents=order.amount_cents,
        processor_reference=_charge(card, order.amount_cents) if card else None,
    )
    db.session.add(payment)
    db.session.flush()
    if card is None:
        db.session.add(
            PrepaidEntry(
                organisation_id=order.organisation_id,
                amount_cents=-order.amount_cents,
                description=f"Order {order.number}: {order.quantity} x {order.product}"[:200],
                payment_id=payment.id,
                created_by_id=actor.id,
            )
        )
        # Relative to the stored value; the CHECK (balance >= 0) stays behind the lock.
        db.session.execute(
            sa.update(Organisation)
            .where(Organisation.id == order.organisation_id)
            .values(prepaid_balance_cents=Organisation.prepaid_balance_cents - order.amount_cents)
        )
    return payment


def _charge(card: PaymentCard, amount_cents: int) -> str:
    """Charge the processor token of a stored card; the processor's charge id.

    Simulated: no processor is connected. A real one is called with `card.processor_token`
    only, so no card number ever passes through this application (PCI DSS).
    """
    return f"ch_{secrets.token_hex(12)}"


def _stored_card(organisation_id: int, paying: PayWith) -> PaymentCard | None:
    """The customer's active, unexpired stored card chosen to pay with, if any."""
    if paying.method != CARD:
        return None
    card = db.session.get(PaymentCard, paying.card_id)
    if card is None or card.organisation_id != organisation_id or not card.active:
        raise ServiceError("Choose one of the customer's stored cards.", field="pay_with")
    today = utcnow().date()
    if (card.exp_year, card.exp_month) < (today.year, today.month):
        raise ServiceError(f"{card_label(card)} has expired.", field="pay_with")
    return card


def _fraud_stop(ip: str | None, card: PaymentCard | None, recipient: _Recipient | None) -> None:
    """Refuse an order from a blocked address or with a blocked card, and log the attempt."""
    blocked_ip = fraud.is_ip_blocked(ip)
    blocked_card = fraud.is_fingerprint_blocked(card.fingerprint) if card is not None else None
    if blocked_ip is None and blocked_card is None:
        return
    last4 = card.last4 if card is not None else None
    db.session.rollback()  # nothing of the order is kept: only the attempt row
    fraud.record_attempt(
        BlockedAttemptKind.ORDER,
        ip,
        recipient.email if recipient else None,
        last4,
        blocked_ip=blocked_ip,
        blocked_card=blocked_card,
    )
    raise ServiceError(NOT_PLACEABLE)


def _order_by_key(key: str) -> Order | None:
    return db.session.scalar(
        sa.select(Order)
        .where(Order.idempotency_key == key)
        .execution_options(populate_existing=True)
    )


def _replay(first: Order, request: _OrderRequest) -> PlacedOrder:
    """The order placed earlier with this key, if this request asks for the same one."""
    same = (first.organisation_id, first.product_id, first.quantity) == (
        request.organisation_id,
        request.product_id,
        request.quantity,
    )
    db.session.rollback()  # nothing was written; end the transaction and its lock
    if not same:
        raise ServiceError(KEY_REUSED)
    return PlacedOrder(order=first, replay=True)


# --- promotions ------------------------------------------------------------------------------


def _terms(promotion: Promotion | None) -> PromotionTerms | None:
    if promotion is None:
        return None
    return PromotionTerms(
        code=promotion.code,
        starts_on=promotion.starts_on,
        ends_on=promotion.ends_on,
        product=promotion.product,
        percent_off=promotion.percent_off,
        amount_off_cents=promotion.amount_off_cents,
        active=promotion.active,
    )


def _eligible_promotion(
    code: str | None,
    product_code: str | None,
    product_name: str,
    today: date,
    field: str = "promotion_code",
) -> Promotion | None:
    """The promotion with this code if it applies to the product today; None without a code."""
    if not code:
        return None
    promotion = db.session.scalar(sa.select(Promotion).where(Promotion.code == code))
    if promotion is None:
        raise ServiceError(f"There is no promotion {code}.", field=field)
    check = check_promotion(
        _terms(promotion), product_code=product_code, product_name=product_name, on=today
    )
    if not check.eligible:
        raise ServiceError(check.reason, field=field)
    return promotion


def assign_promotion(*, actor: User, order_id: int, code: str, ip: str | None = None) -> Order:
    """Take an eligible promotion off an unpaid order and its open invoice; commit."""
    _check_actor(actor)
    code = normalise_code(code)
    if not code:
        raise ServiceError("Enter a promotion code.", field="code")
    locking.begin_immediate_on_sqlite()
    try:
        order = db.session.scalar(
            sa.select(Order)
            .where(Order.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if order is None:
            raise ServiceError("This order does not exist.")
        if order.status != OrderStatus.PENDING:
            raise ServiceError(
                f"Only an unpaid order can take a promotion; this one is {order.status}.",
                field="code",
            )
        if order.promotion_id is not None:
            raise ServiceError("This order has a promotion already.", field="code")
        product = db.session.get(Product, order.product_id) if order.product_id else None
        promotion = _eligible_promotion(
            code, product.code if product else None, order.product, utcnow().date(), "code"
        )
    except ServiceError:
        db.session.rollback()
        raise
    before = order.amount_cents
    order.amount_cents = before - discount_cents(before, _terms(promotion))
    order.promotion_id = promotion.id
    db.session.execute(
        sa.update(Invoice)
        .where(Invoice.order_id == order.id, Invoice.status == InvoiceStatus.OPEN)
        .values(total_cents=order.amount_cents)
    )
    audit.record(
        "order.assign_promotion",
        actor=actor,
        obj=order,
        organisation_id=order.organisation_id,
        ip_address=ip,
        number=order.number,
        promotion=promotion.code,
        amount_before_cents=before,
        amount_cents=order.amount_cents,
    )
    db.session.commit()
    return order


def create_promotion(
    *,
    actor: User,
    code: str,
    name: str,
    description: str,
    product_code: str | None,
    percent_off: int | None,
    amount_off_cents: int | None,
    starts_on: date,
    ends_on: date,
    ip: str | None = None,
) -> Promotion:
    """Add a promotion for one catalogue product or any; commit."""
    _check_actor(actor)
    code = normalise_code(code)
    if not CODE_PATTERN.fullmatch(code):
        raise ServiceError(
            f"Use 2 to {CODE_MAX} letters, digits, dashes or underscores.", field="code"
        )
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise ServiceError(f"Give a name of at most {NAME_MAX} characters.", field="name")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(f"Use at most {DESCRIPTION_MAX} characters.", field="description")
    problem = terms_problem(percent_off, amount_off_cents, starts_on, ends_on)
    if problem is not None:
        raise ServiceError(problem[1], field=problem[0])
    if product_code:
        product = db.session.scalar(sa.select(Product).where(Product.code == product_code))
        if product is None:
            raise ServiceError("Choose a product from the catalogue.", field="product")
    if db.session.scalar(sa.select(Promotion.id).where(Promotion.code == code)) is not None:
        raise ServiceError(f"Promotion {code} exists already.", field="code")
    promotion = Promotion(
        code=code,
        name=name,
        description=description,
        product=product_code or None,
        percent_off=percent_off,
        amount_off_cents=amount_off_cents,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(promotion)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the same code, saved a moment ago by someone else
        raise ServiceError(f"Promotion {code} exists already.", field="code") from None
    audit.record(
        "promotion.create",
        actor=actor,
        obj=promotion,
        ip_address=ip,
        code=code,
        product=promotion.product,
        percent_off=percent_off,
        amount_off_cents=amount_off_cents,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
    )
    db.session.commit()
    return promotion


def deactivate_promotion(*, actor: User, promotion_id: int, ip: str | None = None) -> Promotion:
    """Withdraw a promotion: it no longer applies to new or pending orders; commit."""
    _check_actor(actor)
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None:
        raise ServiceError("This promotion does not exist.")
    if not promotion.active:
        raise ServiceError(f"Promotion {promotion.code} is withdrawn already.")
    promotion.active = False
    audit.record(
        "promotion.deactivate", actor=actor, obj=promotion, ip_address=ip, code=promotion.code
    )
    db.session.commit()
    return promotion


# --- the customer's confirmation -------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    email: str
    name: str
    user: User | None


def _recipient(organisation_id: int) -> _Recipient | None:
    """The primary contact (a current one with an e-mail), else the first customer login."""
    contact = db.session.scalar(
        sa.select(Contact)
        .where(
            Contact.organisation_id == organisation_id,
            Contact.email.is_not(None),
            Contact.former_employee.is_(False),
        )
        .order_by(Contact.is_primary.desc(), Contact.id)
        .limit(1)
    )
    if contact is not None:
        user = db.session.get(User, contact.user_id) if contact.user_id else None
        return _Recipient(contact.email, contact.name, user)
    user = db.session.scalar(
        sa.select(User)
        .where(
            User.organisation_id == organisation_id,
            User.role == Role.CUSTOMER,
            User.active.is_(True),
        )
        .order_by(User.id)
        .limit(1)
    )
    return _Recipient(user.email, user.name, user) if user is not None else None


def _mail_confirmation(
    recipient: _Recipient | None,
    order: Order,
    invoice: Invoice,
    card: PaymentCard | None,
    shipment: Shipment | None,
    promotion: Promotion | None,
) -> bool:
    """Queue the order confirmation in this transaction; False when nobody can receive it."""
    if recipient is None:
        return False
    queue_mail(
        to_address=recipient.email,
        to_name=recipient.name,
        subject=f"Your order {order.number}",
        template="order_placed",
        user=recipient.user,
        organisation_id=order.organisation_id,
        name=recipient.name,
        order=order,
        invoice=invoice,
        card_label=card_label(card) if card else None,
        shipment=shipment,
        promotion=promotion,
    )
    return True
