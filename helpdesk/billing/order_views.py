"""The payment manager's orders and promotions (seed 002): list, order page, placing an order
for a customer, assigning a promotion to an unpaid order, and the promotion catalogue."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from helpdesk.billing import order_queries
from helpdesk.billing.blueprint import MONEY_STAFF, bp
from helpdesk.billing.forms import new_idempotency_key
from helpdesk.billing.order_forms import (
    AssignPromotionForm,
    ConfirmForm,
    OrderFilterForm,
    PlaceOrderForm,
    PromotionForm,
)
from helpdesk.extensions import db
from helpdesk.models import Order, OrderStatus, Organisation, Promotion
from helpdesk.services import ServiceError
from helpdesk.services.billing import orders
from helpdesk.web.filters import money
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of

FILTER_FIELDS = ("date_from", "date_to", "customer", "product", "status")
ALREADY_PLACED = "This order was placed already: nothing was charged twice."


def _actor():
    return current_user._get_current_object()


def _filters(form: OrderFilterForm) -> order_queries.OrderFilters:
    """The valid filters of the form; an invalid one is shown as an error and ignored."""
    form.validate()

    def valid(name: str):
        field = getattr(form, name)
        return None if field.errors or field.data in ("", None) else field.data

    customer, status = valid("customer"), valid("status")
    return order_queries.OrderFilters(
        date_from=valid("date_from"),
        date_to=valid("date_to"),
        customer=(customer.strip() or None) if customer else None,
        product=valid("product"),
        status=OrderStatus(status) if status else None,
    )


@bp.route("/orders")
@role_required(*MONEY_STAFF)
def orders_list():
    """Orders, newest first, filtered by date range, customer, product and status."""
    form = OrderFilterForm(request.args, product_names=order_queries.product_names())
    page = page_of(order_queries.orders(_filters(form)))
    kept = {name: request.args[name] for name in FILTER_FIELDS if request.args.get(name)}
    return render_page_or_fragment(
        "billing/orders.html", "billing/_order_table.html", page=page, form=form, kept=kept
    )


@bp.route("/orders/new")
@role_required(*MONEY_STAFF)
def order_start():
    """Open the order form of the customer with the ID typed on the order list."""
    number = " ".join(request.args.get("customer", "").split()).upper()[:32]
    organisation = (
        db.session.scalar(sa.select(Organisation).where(Organisation.customer_number == number))
        if number
        else None
    )
    if organisation is None:
        flash(f"No customer has the ID “{number}”." if number else "Enter a customer ID.", "error")
        return redirect(url_for("billing.orders_list"), code=303)
    return redirect(url_for("billing.order_new", organisation_id=organisation.id), code=303)


def _order_page(order: Order, form: AssignPromotionForm, *, status: int = 200):
    detail = order_queries.order_detail(order)
    return render_template("billing/order.html", detail=detail, order=order, form=form), status


@bp.route("/orders/<int:order_id>")
@role_required(*MONEY_STAFF)
def order_view(order_id: int):
    """One order: customer, product, amount, promotion, invoice, payments and shipment."""
    return _order_page(db.get_or_404(Order, order_id), AssignPromotionForm(formdata=None))


@bp.route("/orders/<int:order_id>/promotion", methods=["POST"])
@role_required(*MONEY_STAFF)
def order_promotion_assign(order_id: int):
    """Assign an eligible promotion to an unpaid order; its open invoice follows."""
    order = db.get_or_404(Order, order_id)
    form = AssignPromotionForm()
    if form.validate_on_submit():
        try:
            order = orders.assign_promotion(
                actor=_actor(), order_id=order.id, code=form.code.data, ip=request.remote_addr
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                f"Promotion applied: order {order.number} now costs "
                f"{money(order.amount_cents, order.currency)}.",
                "success",
            )
            return redirect(url_for("billing.order_view", order_id=order.id), code=303)
    # The refusal may come from a stale page: show the order as it is now.
    db.session.refresh(order)
    return _order_page(order, form, status=422)


def _order_choices(organisation: Organisation) -> dict:
    return {
        "products": order_queries.active_products(),
        "cards": order_queries.usable_cards(organisation.id),
        "prepaid_balance_cents": organisation.prepaid_balance_cents,
    }


def _placed_message(order: Order, replay: bool) -> str:
    if replay:
        return ALREADY_PLACED
    total = money(order.amount_cents, order.currency)
    if order.status == OrderStatus.PENDING:
        return f"Order {order.number} placed: {total} to pay by invoice."
    return f"Order {order.number} placed and paid: {total}."


@bp.route("/customers/<int:organisation_id>/orders/new", methods=["GET", "POST"])
@role_required(*MONEY_STAFF)
def order_new(organisation_id: int):
    """Place an order for a customer: product, quantity, promotion, and how it is paid."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if request.method == "GET":
        form = PlaceOrderForm.blank(**_order_choices(organisation))
        return render_page_or_fragment(
            "billing/order_new.html", "billing/_order_form.html", form=form, org=organisation
        )
    form = PlaceOrderForm(**_order_choices(organisation))
    if form.validate_on_submit():
        try:
            result = orders.place_order(
                actor=_actor(),
                organisation_id=organisation.id,
                product_id=int(form.product.data),
                quantity=form.quantity_value,
                promotion_code=form.promotion_code.data,
                pay_with=form.pay_with.data,
                ip=request.remote_addr,
                idempotency_key=form.idempotency_key.data,
            )
        except ServiceError as error:
            if not show_service_error(form, error):
                # Refused as a whole (or the key was used): a corrected post needs a new key.
                form.idempotency_key.data = new_idempotency_key()
        else:
            flash(_placed_message(result.order, result.replay), "success")
            return redirect(url_for("billing.order_view", order_id=result.order.id), code=303)
    # A refusal may have changed what can be chosen (e.g. the balance): offer current choices.
    db.session.refresh(organisation)
    current = PlaceOrderForm(**_order_choices(organisation))
    form.product.choices, form.pay_with.choices = current.product.choices, current.pay_with.choices
    return render_page_or_fragment(
        "billing/order_new.html", "billing/_order_form.html", form=form, org=organisation
    ), 422


def _promotions_page(form: PromotionForm, *, status: int = 200):
    page = page_of(order_queries.promotions())
    return render_page_or_fragment(
        "billing/promotions.html",
        "billing/_promotion_table.html",
        page=page,
        form=form,
        products=order_queries.product_labels(),
    ), status


@bp.route("/promotions")
@role_required(*MONEY_STAFF)
def promotions_list():
    """Promotions, running ones first, and the form to add one."""
    form = PromotionForm(formdata=None, products=order_queries.active_products())
    return _promotions_page(form)


@bp.route("/promotions", methods=["POST"])
@role_required(*MONEY_STAFF)
def promotion_create():
    """Add a promotion for one product or any, with its dates and discount."""
    form = PromotionForm(products=order_queries.active_products())
    if form.validate_on_submit():
        try:
            promotion = orders.create_promotion(
                actor=_actor(),
                code=form.code.data,
                name=form.name.data,
                description=form.description.data or "",
                product_code=form.product.data or None,
                percent_off=form.percent_value,
                amount_off_cents=form.amount_cents,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                ip=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"Promotion {promotion.code} added.", "success")
            return redirect(url_for("billing.promotions_list"), code=303)
    return _promotions_page(form, status=422)


@bp.route("/promotions/<int:promotion_id>/deactivate", methods=["POST"])
@role_required(*MONEY_STAFF)
def promotion_deactivate(promotion_id: int):
    """Withdraw a promotion: pending orders and new orders can no longer take it."""
    promotion = db.get_or_404(Promotion, promotion_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("This page was out of date: try again.", "error")
    else:
        try:
            orders.deactivate_promotion(
                actor=_actor(), promotion_id=promotion.id, ip=request.remote_addr
            )
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(f"Promotion {promotion.code} withdrawn.", "success")
    return redirect(url_for("billing.promotions_list"), code=303)
