"""One way to post a refund form, for the payment page and the case page alike."""

from __future__ import annotations

from flask import flash, request
from flask_login import current_user

from helpdesk.billing.forms import RefundForm, new_idempotency_key
from helpdesk.billing.queries import PaymentDetail
from helpdesk.models import RefundDestination
from helpdesk.services import ServiceError
from helpdesk.services.billing import refunds
from helpdesk.web.filters import money
from helpdesk.web.forms import show_service_error

ALREADY_REFUNDED = "Already refunded: this request was processed before."


def post_refund(
    form: RefundForm, detail: PaymentDetail, *, case_id: int | None = None, done_note: str = ""
) -> bool:
    """Refund as the valid `form` says and flash the outcome; False when the form shows why not.

    A repeated post (same form key) refunds once. `case_id` logs the refund on that case.
    """
    if not form.validate_on_submit():
        return False
    payment = detail.payment
    try:
        result = refunds.refund(
            actor=current_user._get_current_object(),
            payment_id=payment.id,
            amount_cents=form.amount_cents,
            reason=form.reason.data,
            destination=form.destination.data,
            idempotency_key=form.idempotency_key.data,
            ip=request.remote_addr,
            case_id=case_id,
        )
    except ServiceError as error:
        if not show_service_error(form, error):
            # The key was used, or is unusable: a corrected post needs a new one.
            form.idempotency_key.data = new_idempotency_key()
        return False
    if result.replay:
        flash(ALREADY_REFUNDED, "info")
        return True
    where = (
        detail.card_label
        if result.refund.destination == RefundDestination.CARD
        else "the prepaid balance"
    )
    amount = money(result.refund.amount_cents, payment.currency)
    flash(f"Refunded {amount} to {where}.{done_note}", "success")
    return True
