"""Orders, payments and refunds through the API, for those who may handle money
(helpdesk.rules.billing_access.may_handle_money: billing staff, administrators and agents
granted the billing permission). A refund goes through the same service as the payment page:
the payment row locked, never more than was paid, one refund per Idempotency-Key. A refused
refund (403) is audited, as on the pages (helpdesk.api.refusals)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import g, request, url_for

from helpdesk.api.blueprint import bp
from helpdesk.api.problems import Problem, refused
from helpdesk.api.refusals import account
from helpdesk.api.schemas import billing as schemas
from helpdesk.api.schemas.common import NamedRef, PersonRef, decode_cursor, encode_cursor
from helpdesk.api.spec import IDEMPOTENCY_HEADER, Reply, operation
from helpdesk.extensions import db
from helpdesk.models import (
    Invoice,
    Order,
    Organisation,
    Payment,
    PaymentCard,
    Promotion,
    Refund,
    Shipment,
    User,
)
from helpdesk.rules.billing_access import may_handle_money
from helpdesk.services import ServiceError
from helpdesk.services.billing import refunds

TAG = "Billing"
FIELD_NAMES = {"amount": "amount_cents"}
KEY_PREFIX = "api:"  # never in a payment page's keys (URL-safe base64 has no colon)


def _user() -> User:
    return g.api.user


def _may_handle_money() -> User:
    user = _user()
    if not may_handle_money(user.role.value, user.billing_permission, user.active):
        raise Problem(
            403,
            f"{account(user.role.value)} without the billing permission cannot handle money.",
        )
    return user


# --- what is answered ----------------------------------------------------------------------


def _names(model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all())


def _card(card: PaymentCard | None) -> schemas.Card | None:
    if card is None:
        return None
    return schemas.Card(
        brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year
    )


def _refunds_by_payment(payment_ids: list[int]) -> dict[int, list[schemas.Refund]]:
    found: dict[int, list[schemas.Refund]] = {pid: [] for pid in payment_ids}
    if not payment_ids:
        return found
    rows = db.session.execute(
        sa.select(Refund, User.id, User.name)
        .outerjoin(User, User.id == Refund.created_by_id)
        .where(Refund.payment_id.in_(payment_ids))
        .order_by(Refund.created_at, Refund.id)
    ).all()
    for row, user_id, user_name in rows:
        found[row.payment_id].append(_refund(row, user_id, user_name))
    return found


def _refund(row: Refund, user_id: int | None, user_name: str | None) -> schemas.Refund:
    return schemas.Refund(
        id=row.id,
        payment_id=row.payment_id,
        amount_cents=row.amount_cents,
        destination=row.destination,
        reason=row.reason,
        created_by=PersonRef(id=user_id, name=user_name) if user_id else None,
        created_at=row.created_at,
    )


def _payments(rows: list[Payment]) -> list[schemas.Payment]:
    """The payments with their refunds and cards (brand and last four), in a few reads."""
    refunds_of = _refunds_by_payment([p.id for p in rows])
    card_ids = {p.card_id for p in rows if p.card_id}
    cards = (
        {
            c.id: c
            for c in db.session.scalars(sa.select(PaymentCard).where(PaymentCard.id.in_(card_ids)))
        }
        if card_ids
        else {}
    )
    names = _names(Organisation, {p.organisation_id for p in rows})
    return [
        schemas.Payment(
            id=p.id,
            organisation=NamedRef(id=p.organisation_id, name=names.get(p.organisation_id, "")),
            order_id=p.order_id,
            invoice_id=p.invoice_id,
            method=p.method,
            status=p.status,
            amount_cents=p.amount_cents,
            refunded_cents=p.refunded_cents,
            refundable_cents=refunds.remaining_cents(p),
            currency=p.currency,
            card=_card(cards.get(p.card_id)),
            created_at=p.created_at,
            refunds=refunds_of[p.id],
            url=url_for("billing.payment", payment_id=p.id, _external=True),
        )
        for p in rows
    ]


def _order_fields(order: Order, organisation_name: str) -> dict:
    return {
        "id": order.id,
        "number": order.number,
        "organisation": NamedRef(id=order.organisation_id, name=organisation_name),
        "product": order.product,
        "version": order.version,
        "kind": order.kind,
        "status": order.status,
        "quantity": order.quantity,
        "amount_cents": order.amount_cents,
        "currency": order.currency,
        "ordered_at": order.ordered_at,
        "expires_on": order.expires_on,
        "licensed_website": order.licensed_website,
        "url": url_for("billing.order_view", order_id=order.id, _external=True),
    }


def _order_detail(order: Order) -> schemas.OrderDetail:
    names = _names(Organisation, {order.organisation_id})
    promotion = db.session.get(Promotion, order.promotion_id) if order.promotion_id else None
    payments = db.session.scalars(
        sa.select(Payment)
        .where(Payment.order_id == order.id)
        .order_by(Payment.created_at, Payment.id)
    ).all()
    invoices = db.session.scalars(
        sa.select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)
    ).all()
    shipments = db.session.scalars(
        sa.select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
    ).all()
    return schemas.OrderDetail(
        **_order_fields(order, names.get(order.organisation_id, "")),
        licence_key=order.licence_key,
        promotion=promotion.code if promotion else None,
        invoices=[
            schemas.Invoice(
                id=i.id,
                number=i.number,
                status=i.status,
                issued_on=i.issued_on,
                due_on=i.due_on,
                paid_at=i.paid_at,
                total_cents=i.total_cents,
                currency=i.currency,
            )
            for i in invoices
        ],
        payments=_payments(list(payments)),
        shipments=[
            schemas.Shipment(
                id=s.id,
                item=s.item,
                status=s.status,
                scheduled_on=s.scheduled_on,
                carrier=s.carrier,
                tracking_number=s.tracking_number,
                shipped_at=s.shipped_at,
                reship_of_id=s.reship_of_id,
            )
            for s in shipments
        ],
    )


# --- the operations ------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/orders",
    summary="List orders",
    tag=TAG,
    scope="billing",
    query=schemas.OrderListQuery,
    response=schemas.OrderPage,
)
def list_orders(query: schemas.OrderListQuery) -> schemas.OrderPage:
    """Orders, newest first, a page at a time; of one customer with `organisation_id`."""
    _may_handle_money()
    conditions = []
    if query.organisation_id is not None:
        conditions.append(Order.organisation_id == query.organisation_id)
    after = decode_cursor(query.cursor)
    if after is not None:
        conditions.append(Order.id < after)
    rows = db.session.scalars(
        sa.select(Order).where(*conditions).order_by(Order.id.desc()).limit(query.limit + 1)
    ).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    names = _names(Organisation, {o.organisation_id for o in rows})
    return schemas.OrderPage(
        items=[
            schemas.OrderSummary(**_order_fields(o, names.get(o.organisation_id, ""))) for o in rows
        ],
        next_cursor=encode_cursor(rows[-1].id) if more else None,
    )


@operation(
    bp,
    "GET",
    "/orders/<int:order_id>",
    summary="Get an order",
    tag=TAG,
    scope="billing",
    response=schemas.OrderDetail,
)
def get_order(order_id: int) -> schemas.OrderDetail:
    """The order with its invoices, payments (and their refunds) and shipments."""
    _may_handle_money()
    order = db.session.get(Order, order_id)
    if order is None:
        raise Problem(404, f"There is no order {order_id}.")
    return _order_detail(order)


def _payment(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise Problem(404, f"There is no payment {payment_id}.")
    return payment


@operation(
    bp,
    "GET",
    "/payments/<int:payment_id>",
    summary="Get a payment",
    tag=TAG,
    scope="billing",
    response=schemas.Payment,
)
def get_payment(payment_id: int) -> schemas.Payment:
    """The payment: amounts, what is left to refund, the card (brand and last four) and its
    refunds."""
    _may_handle_money()
    return _payments([_payment(payment_id)])[0]


def service_key(user_id: int, key: str) -> str:
    """The refund service's idempotency key for a client's key: kept per token owner, so two
    staff members (or a payment page's form) never share one, and short enough to store."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"{KEY_PREFIX}{user_id}:{digest}"


@operation(
    bp,
    "POST",
    "/payments/<int:payment_id>/refunds",
    summary="Refund a payment",
    tag=TAG,
    scope="billing",
    body=schemas.RefundCreate,
    response=schemas.RefundCreated,
    status=201,
    idempotency=True,
)
def create_refund(
    payment_id: int, body: schemas.RefundCreate, idempotency_key: str | None
) -> Reply:
    """Refund part or all of a payment to its card or the customer's prepaid balance; the
    customer is mailed. `Idempotency-Key` is required: the same key again answers 200 with the
    first refund and refunds nothing (its reason is not compared); the same key with another
    payment, amount or destination is a 409. More than is left to refund is a 422."""
    user = _may_handle_money()
    payment = _payment(payment_id)
    if idempotency_key is None:
        raise Problem(
            422,
            "Send an Idempotency-Key header: a retried refund must not refund twice.",
            errors=[{"field": IDEMPOTENCY_HEADER, "message": "Required for refunds."}],
        )
    try:
        result = refunds.refund(
            actor=user,
            payment_id=payment.id,
            amount_cents=body.amount_cents,
            reason=body.reason,
            destination=body.destination,
            idempotency_key=service_key(user.id, idempotency_key),
            ip=request.remote_addr,
        )
    except ServiceError as error:
        db.session.rollback()
        if error.message == refunds.KEY_REUSED:
            raise Problem(409, "This Idempotency-Key was used for another refund.") from None
        raise refused(error, FIELD_NAMES) from None
    refund = db.session.get(Refund, result.refund.id)
    creator = db.session.get(User, refund.created_by_id) if refund.created_by_id else None
    created = schemas.RefundCreated(
        refund=_refund(refund, creator.id if creator else None, creator.name if creator else None),
        payment=_payments([db.session.get(Payment, payment.id)])[0],
    )
    return Reply(
        created,
        200 if result.replay else 201,
        {"Location": url_for("api.get_payment", payment_id=payment.id)},
    )
