"""Refunds (seed 002 Payment Manager): never more than was paid, exactly once per request.

One transaction locks the payment row (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
SQLite), checks what is left, writes the refund, the prepaid ledger entry, the audit row and
the customer's mail, and commits. The idempotency key makes a double click or a retried request
return the first refund instead of making a second one; the database's unique key and its
CHECK (refunded_cents <= amount_cents) stay behind the lock as the last line of defence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.formatting import money
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    Contact,
    Order,
    Organisation,
    Payment,
    PaymentCard,
    PaymentStatus,
    PrepaidEntry,
    Refund,
    RefundDestination,
    Role,
    User,
)
from helpdesk.rules.billing_access import may_handle_money
from helpdesk.services import ServiceError
from helpdesk.services.billing import locking
from helpdesk.services.core import audit
from helpdesk.services.mail.outbox import queue_mail

REASON_MAX = 500  # refunds.reason is VARCHAR(500)
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # refunds.idempotency_key is VARCHAR(64)
KEY_REUSED = "This request was already used for a different refund."
NOT_THIS_CASE = "This payment is not one of the case's order: open it from its own case."


@dataclass(frozen=True)
class RefundResult:
    """The refund, and whether it was made earlier by a request with the same key."""

    refund: Refund
    replay: bool


def remaining_cents(payment: Payment) -> int:
    """What can still be refunded of `payment`."""
    return payment.amount_cents - payment.refunded_cents


def refund(
    *,
    actor: User,
    payment_id: int,
    amount_cents: int,
    reason: str,
    destination: RefundDestination | str,
    idempotency_key: str,
    ip: str | None = None,
    case_id: int | None = None,
) -> RefundResult:
    """Refund part or all of a payment to its card or the prepaid balance; commit.

    The same `idempotency_key` again returns the first refund (replay=True) and writes nothing;
    with a different payment, amount or destination it is refused. From a case page
    (`case_id`), the payment must belong to the case's order, and the case's timeline shows the
    refund in the same transaction.
    """
    if actor is None or not may_handle_money(actor.role, actor.billing_permission, actor.active):
        # The views gate the role too; this keeps CLI and future callers honest.
        raise ServiceError(
            "Only billing staff, administrators and agents with the billing permission can refund."
        )
    reason, destination = _checked(amount_cents, reason, destination, idempotency_key)
    try:
        return _refund_locked(
            actor=actor,
            payment_id=payment_id,
            amount_cents=amount_cents,
            reason=reason,
            destination=destination,
            idempotency_key=idempotency_key,
            ip=ip,
            case_id=case_id,
        )
    except IntegrityError:
        db.session.rollback()
        # Another transaction committed this key first (only possible when it locked a different
        # payment): answer as if this request had come second, which it did.
        first = _refund_by_key(idempotency_key)
        if first is not None:
            return _replay(first, payment_id, amount_cents, destination)
        # The CHECK on payments caught what the lock should have prevented: refuse, loudly.
        current_app.logger.warning("refund of payment %s refused by the database", payment_id)
        payment = db.session.get(Payment, payment_id)
        if payment is None:
            raise ServiceError("This payment does not exist.") from None
        raise ServiceError(_too_much(payment), field="amount") from None


def _checked(
    amount_cents: int, reason: str, destination: RefundDestination | str, key: str
) -> tuple[str, RefundDestination]:
    """The arguments' own rules, before touching the database."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise ServiceError("Enter the amount in whole cents.", field="amount")
    if amount_cents <= 0:
        raise ServiceError("Enter an amount greater than zero.", field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason for the refund.", field="reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Use at most {REASON_MAX} characters.", field="reason")
    try:
        destination = RefundDestination(destination)
    except ValueError:
        raise ServiceError(
            "Refund to the card or to the prepaid balance.", field="destination"
        ) from None
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ServiceError("This form is out of date: reload the page and try again.")
    return reason, destination


def _refund_locked(
    *,
    actor: User,
    payment_id: int,
    amount_cents: int,
    reason: str,
    destination: RefundDestination,
    idempotency_key: str,
    ip: str | None,
    case_id: int | None = None,
) -> RefundResult:
    payment = locking.locked_row(Payment, payment_id)
    try:
        if payment is None:
            raise ServiceError("This payment does not exist.")
        case = _case_of(payment, case_id)
        # The key is looked up under the lock: two requests with one key for one payment queue
        # here, and the second finds the first one's committed refund.
        first = _refund_by_key(idempotency_key)
        if first is not None:
            return _replay(first, payment_id, amount_cents, destination)
        card = _check_refundable(payment, amount_cents, destination)
    except ServiceError:
        db.session.rollback()  # release the lock
        raise

    new = Refund(
        payment_id=payment.id,
        amount_cents=amount_cents,
        reason=reason,
        destination=destination,
        idempotency_key=idempotency_key,
        created_by_id=actor.id,
    )
    db.session.add(new)
    db.session.flush()
    # Relative to the stored value, not the one read: even without the lock no update is lost,
    # and the CHECK refuses a total over the amount paid.
    db.session.execute(
        sa.update(Payment)
        .where(Payment.id == payment.id)
        .values(refunded_cents=Payment.refunded_cents + amount_cents)
    )
    if destination == RefundDestination.PREPAID:
        db.session.add(
            PrepaidEntry(
                organisation_id=payment.organisation_id,
                amount_cents=amount_cents,
                description=f"Refund of payment {payment.id}: {reason}"[:200],
                payment_id=payment.id,
                refund_id=new.id,
                created_by_id=actor.id,
            )
        )
        db.session.execute(
            sa.update(Organisation)
            .where(Organisation.id == payment.organisation_id)
            .values(prepaid_balance_cents=Organisation.prepaid_balance_cents + amount_cents)
        )
    mailed_to = _mail_customer(payment, new, card)
    if case is not None:
        where = f"{card.brand} ending {card.last4}" if card else "the prepaid balance"
        db.session.add(
            Activity(
                case_id=case.id,
                actor_id=actor.id,
                kind=ActivityKind.ACTION,
                summary=(
                    f"Refunded {money(amount_cents, payment.currency)} of payment #{payment.id} "
                    f"to {where}: {reason}"
                )[:500],
                details={"refund_id": new.id, "payment_id": payment.id},
            )
        )
    audit.record(
        "refund.create",
        actor=actor,
        obj=new,
        organisation_id=payment.organisation_id,
        ip_address=ip,
        payment_id=payment.id,
        amount_cents=amount_cents,
        currency=payment.currency,
        destination=destination.value,
        reason=reason,
        mailed=mailed_to is not None,
        **({"case_number": case.number} if case is not None else {}),
    )
    db.session.commit()
    return RefundResult(refund=new, replay=False)


def _case_of(payment: Payment, case_id: int | None) -> Case | None:
    """The case the refund is made from, if any; it must name the payment's order."""
    if case_id is None:
        return None
    case = db.session.get(Case, case_id)
    if case is None or case.order_id is None or case.order_id != payment.order_id:
        raise ServiceError(NOT_THIS_CASE)
    return case


def _refund_by_key(key: str) -> Refund | None:
    return db.session.scalar(
        sa.select(Refund)
        .where(Refund.idempotency_key == key)
        .execution_options(populate_existing=True)
    )


def _replay(
    first: Refund, payment_id: int, amount_cents: int, destination: RefundDestination
) -> RefundResult:
    """The first refund made with this key, if this request asks for the same one."""
    same = (first.payment_id, first.amount_cents, first.destination) == (
        payment_id,
        amount_cents,
        destination,
    )
    db.session.rollback()  # nothing was written; end the transaction and its lock
    if not same:
        raise ServiceError(KEY_REUSED)
    return RefundResult(refund=first, replay=True)


def _check_refundable(
    payment: Payment, amount_cents: int, destination: RefundDestination
) -> PaymentCard | None:
    """Refuse what this payment cannot take; the card refunded to, if any."""
    if payment.status != PaymentStatus.SUCCEEDED:
        raise ServiceError("Only a payment that went through can be refunded.")
    card = None
    if destination == RefundDestination.CARD:
        card = db.session.get(PaymentCard, payment.card_id) if payment.card_id else None
        if card is None:
            raise ServiceError(
                "This payment was not made by card: refund it to the prepaid balance.",
                field="destination",
            )
    elif db.session.get(Organisation, payment.organisation_id) is None:
        raise ServiceError(
            "This payment has no customer with a prepaid balance.", field="destination"
        )
    if amount_cents > remaining_cents(payment):
        raise ServiceError(_too_much(payment), field="amount")
    return card


def _too_much(payment: Payment) -> str:
    left = remaining_cents(payment)
    if left <= 0:
        return "This payment is refunded in full: nothing is left to refund."
    return (
        f"That is more than is left: at most {money(left, payment.currency)} can still be "
        f"refunded (paid {money(payment.amount_cents, payment.currency)}, refunded "
        f"{money(payment.refunded_cents, payment.currency)})."
    )


def _recipient(payment: Payment) -> tuple[str, str, User | None] | None:
    """Who hears about the refund: the purchaser, else the primary contact, else a login."""
    if payment.order_id is not None:
        order = db.session.get(Order, payment.order_id)
        purchaser = db.session.get(User, order.purchaser_id) if order.purchaser_id else None
        if purchaser is not None and purchaser.active:
            return purchaser.email, purchaser.name, purchaser
    contact = db.session.scalar(
        sa.select(Contact)
        .where(
            Contact.organisation_id == payment.organisation_id,
            Contact.email.is_not(None),
            Contact.former_employee.is_(False),
        )
        .order_by(Contact.is_primary.desc(), Contact.id)
        .limit(1)
    )
    if contact is not None:
        return contact.email, contact.name, None
    user = db.session.scalar(
        sa.select(User)
        .where(
            User.organisation_id == payment.organisation_id,
            User.role == Role.CUSTOMER,
            User.active.is_(True),
        )
        .order_by(User.id)
        .limit(1)
    )
    return (user.email, user.name, user) if user is not None else None


def _mail_customer(payment: Payment, new: Refund, card: PaymentCard | None) -> str | None:
    """Queue the customer's notice in this transaction; the address, or None without one."""
    recipient = _recipient(payment)
    if recipient is None:
        return None
    address, name, user = recipient
    queue_mail(
        to_address=address,
        to_name=name,
        subject=f"Your refund of {money(new.amount_cents, payment.currency)}",
        template="refund_issued",
        user=user,
        organisation_id=payment.organisation_id,
        name=name,
        refund=new,
        payment=payment,
        card=card,
    )
    return address
