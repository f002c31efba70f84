"""The payment manager (seed 002): transactions, a payment's page and its refunds."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from helpdesk.billing.blueprint import bp
from helpdesk.billing.forms import RefundForm, TransactionFilterForm
from helpdesk.billing.queries import PaymentDetail, TransactionFilters, payment_detail, transactions
from helpdesk.billing.refund_post import post_refund
from helpdesk.extensions import db
from helpdesk.models import Payment, PaymentMethod, PaymentStatus, Role
from helpdesk.services import ServiceError
from helpdesk.services.fraud import fraud
from helpdesk.system.forms import FraudStopForm
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of

FILTER_FIELDS = ("date_from", "date_to", "customer", "method", "status")


def _filters(form: TransactionFilterForm) -> TransactionFilters:
    """The valid filters of the form; an invalid one is shown as an error and ignored."""
    form.validate()

    def valid(name: str):
        field = getattr(form, name)
        return None if field.errors or field.data in ("", None) else field.data

    customer = valid("customer")
    method, status = valid("method"), valid("status")
    return TransactionFilters(
        date_from=valid("date_from"),
        date_to=valid("date_to"),
        customer=(customer.strip() or None) if customer else None,
        method=PaymentMethod(method) if method else None,
        status=PaymentStatus(status) if status else None,
    )


@bp.route("/")
@role_required(Role.BILLING, Role.ADMIN)
def home():
    """Transactions, newest first, filtered by date range, customer, method and status."""
    form = TransactionFilterForm(request.args)
    page = page_of(transactions(_filters(form)))
    # The pager keeps the filters as typed (only the ones given).
    kept = {name: request.args[name] for name in FILTER_FIELDS if request.args.get(name)}
    return render_page_or_fragment(
        "billing/home.html", "billing/_payment_table.html", page=page, form=form, kept=kept
    )


def _payment_or_404(payment_id: int) -> Payment:
    return db.get_or_404(Payment, payment_id)


def _customer_url(organisation_id: int) -> str | None:
    """The customer's profile in the system manager, when that page exists."""
    try:
        return url_for("system.customer", organisation_id=organisation_id)
    except BuildError:
        return None


def _payment_page(
    detail: PaymentDetail,
    form: RefundForm,
    *,
    fraud_form: FraudStopForm | None = None,
    status: int = 200,
):
    return (
        render_template(
            "billing/payment.html",
            detail=detail,
            payment=detail.payment,
            form=form,
            fraud_form=fraud_form or FraudStopForm(formdata=None),
            customer_url=_customer_url(detail.organisation.id),
        ),
        status,
    )


@bp.route("/payments/<int:payment_id>")
@role_required(Role.BILLING, Role.ADMIN)
def payment(payment_id: int):
    """One payment: customer, amounts, masked card, its refunds and the refund form."""
    detail = payment_detail(_payment_or_404(payment_id))
    return _payment_page(detail, RefundForm.blank(detail.card_label))


@bp.route("/payments/<int:payment_id>/refunds", methods=["POST"])
@role_required(Role.BILLING, Role.ADMIN)
def refund_create(payment_id: int):
    """Refund part or all of the payment; a repeated post (same form key) refunds once."""
    payment = _payment_or_404(payment_id)
    detail = payment_detail(payment)
    form = RefundForm(card_label=detail.card_label)
    if post_refund(form, detail):
        return redirect(url_for("billing.payment", payment_id=payment.id), code=303)
    # The refund may have been refused on a stale page: show the current amounts.
    return _payment_page(payment_detail(payment), form, status=422)


@bp.route("/payments/<int:payment_id>/fraud-stop", methods=["POST"])
@role_required(Role.BILLING, Role.ADMIN)
def payment_fraud_stop(payment_id: int):
    """FRAUD-STOP the paying customer: block its known addresses and cards in one step."""
    payment = _payment_or_404(payment_id)
    form = FraudStopForm()
    if form.validate_on_submit():
        try:
            result = fraud.fraud_stop(
                payment.organisation_id,
                actor=current_user._get_current_object(),
                reason=form.reason.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            form.reason.errors.append(error.message)
        else:
            flash(result.summary, "success" if result.changed else "info")
            return redirect(url_for("billing.payment", payment_id=payment.id), code=303)
    detail = payment_detail(payment)
    return _payment_page(detail, RefundForm.blank(detail.card_label), fraud_form=form, status=422)


# The other payment manager pages register their routes on the same blueprint.
from helpdesk.billing import account_views, order_views  # noqa: E402,F401
