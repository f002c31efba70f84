"""Payment manager account tools (seed 002): check a card, customers' plans and statements,
and the shipment queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from flask_wtf import FlaskForm

from helpdesk.billing.account_forms import (
    CardCheckForm,
    PackForm,
    PlanChangeForm,
    ShipForm,
    ShipmentFilterForm,
    StatementFilterForm,
)
from helpdesk.billing.blueprint import MONEY_STAFF, bp
from helpdesk.extensions import db
from helpdesk.formatting import when
from helpdesk.models import Invoice, InvoiceStatus, Organisation, Payment, Shipment, User
from helpdesk.rules.card_check import check_card
from helpdesk.services import ServiceError
from helpdesk.services.billing import plans, recurring_charges, shipments
from helpdesk.services.core import settings
from helpdesk.services.fraud import fraud
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request, render_page_or_fragment
from helpdesk.web.paging import page_of
from helpdesk.web.params import arg_page

PLANS_PER_PAGE = 50


def _actor() -> User:
    return current_user._get_current_object()


def business_today() -> date:
    """Today where the business is: the day staff mean by "today"."""
    return datetime.now(ZoneInfo(settings.setting("BUSINESS_TIME_ZONE"))).date()


def _organisation_or_404(organisation_id: int) -> Organisation:
    """Billing staff and admins may see every customer (the blueprint gates the role)."""
    return db.get_or_404(Organisation, organisation_id)


# --- check a credit card ------------------------------------------------------------------


@dataclass(frozen=True)
class BlockDetail:
    """The FRAUD-STOP block that matched: when, why and by whom (billing staff may see it)."""

    blocked_on: datetime
    reason: str
    by: str


def _block_detail(pan: str) -> BlockDetail | None:
    block = fraud.is_card_blocked(pan)
    if block is None:
        return None
    names = fraud.user_names({block.created_by_id})
    return BlockDetail(block.created_at, block.reason, names.get(block.created_by_id, "(system)"))


@bp.route("/card-check", methods=["GET", "POST"])
@role_required(*MONEY_STAFF)
def card_check():
    """Luhn, brand, expiry and blocklist verdict; the number is used once and forgotten."""
    form = CardCheckForm()
    verdict = block = None
    status = 200
    if form.validate_on_submit():
        block = _block_detail(form.number.data)
        verdict = check_card(
            form.number.data,
            form.exp_month.data,
            form.exp_year.data,
            business_today(),
            blocked=block is not None,
        )
    elif form.is_submitted():
        status = 422
    form.forget_number()
    response = make_response(
        render_template("billing/card_check.html", form=form, verdict=verdict, block=block),
        status,
    )
    # The result names a card: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- recurring payments and service plans ---------------------------------------------------


def _plan_form(today: date) -> PlanChangeForm:
    return PlanChangeForm(formdata=None, data={"effective_on": today})


def _paged(query: sa.Select, page_arg: str) -> Pagination:
    page = arg_page(page_arg)
    return db.paginate(
        query, page=page, per_page=PLANS_PER_PAGE, error_out=False, max_per_page=PLANS_PER_PAGE
    )


def _plans_page(organisation: Organisation, *, failed: tuple[str, PlanChangeForm] | None = None):
    """The full plans page; `failed` is the (row id, form) of a refused change, shown in place."""
    today = business_today()
    recurring = _paged(plans.recurring_payments_query(organisation.id), "recurring_page")
    subscriptions = _paged(plans.subscriptions_query(organisation.id), "subscriptions_page")
    return render_template(
        "billing/plans.html",
        organisation=organisation,
        recurring=recurring,
        subscriptions=subscriptions,
        subscription_lines=plans.subscription_lines(subscriptions.items),
        last_charges=recurring_charges.last_charges([row.id for row in recurring.items]),
        kind_labels=plans.KIND_LABELS,
        blank_form=_plan_form(today),
        failed_row=failed[0] if failed else None,
        failed_form=failed[1] if failed else None,
        today=today,
    ), (422 if failed else 200)


@bp.route("/customers/<int:organisation_id>/plans")
@role_required(*MONEY_STAFF)
def customer_plans(organisation_id: int):
    """The customer's recurring payments and service plans, each with enable / disable."""
    return _plans_page(_organisation_or_404(organisation_id))


def _row_response(
    template: str, organisation: Organisation, form: PlanChangeForm, saved: bool, **row
):
    """After a change: the row for htmx; else the page (refused) or a redirect to it (done)."""
    if is_htmx_request():
        html = render_template(
            template,
            organisation=organisation,
            row_form=form if not saved else _plan_form(business_today()),
            saved=saved,
            kind_labels=plans.KIND_LABELS,
            today=business_today(),
            **row,
        )
        return html  # refused too: htmx 2 swaps no 4xx response, and the row shows the errors
    if not saved:
        return _plans_page(organisation, failed=(row["row_id"], form))
    return redirect(url_for("billing.customer_plans", organisation_id=organisation.id), code=303)


def _apply_change(form: FlaskForm, change: Callable[[], object]) -> bool:
    """Run the service call if the form is valid; False (errors on the form) if refused."""
    if not form.validate_on_submit():
        return False
    try:
        change()
    except ServiceError as error:
        show_service_error(form, error)
        return False
    return True


def _state_words(enabled: bool, effective_on: date) -> str:
    return f"{'enabled' if enabled else 'disabled'} from {when(effective_on)}"


@bp.route("/customers/<int:organisation_id>/recurring/<int:recurring_id>", methods=["POST"])
@role_required(*MONEY_STAFF)
def recurring_payment_update(organisation_id: int, recurring_id: int):
    """Enable or disable one recurring payment from a date (today or later)."""
    organisation = _organisation_or_404(organisation_id)
    if plans.recurring_payment_of(organisation_id, recurring_id) is None:
        abort(404)
    form = PlanChangeForm()
    done = _apply_change(
        form,
        lambda: plans.set_recurring_payment(
            recurring_id,
            organisation_id=organisation_id,
            actor=_actor(),
            enabled=form.enabled,
            effective_on=form.effective_on.data,
            today=business_today(),
            ip_address=request.remote_addr,
        ),
    )
    row = plans.recurring_payment_of(organisation_id, recurring_id)
    if done and not is_htmx_request():
        flash(f"{row.description} is {_state_words(row.enabled, row.effective_on)}.", "success")
    return _row_response(
        "billing/_plan_recurring_row.html",
        organisation,
        form,
        done,
        row=row,
        row_id=f"recurring-{recurring_id}",
        last_charges=recurring_charges.last_charges([recurring_id]),
    )


@bp.route("/customers/<int:organisation_id>/subscriptions/<int:subscription_id>", methods=["POST"])
@role_required(*MONEY_STAFF)
def subscription_update(organisation_id: int, subscription_id: int):
    """Enable or disable one service plan subscription from a date (today or later)."""
    organisation = _organisation_or_404(organisation_id)
    if plans.subscription_of(organisation_id, subscription_id) is None:
        abort(404)
    form = PlanChangeForm()
    done = _apply_change(
        form,
        lambda: plans.set_subscription(
            subscription_id,
            organisation_id=organisation_id,
            actor=_actor(),
            enabled=form.enabled,
            effective_on=form.effective_on.data,
            today=business_today(),
            ip_address=request.remote_addr,
        ),
    )
    [line] = plans.subscription_lines([plans.subscription_of(organisation_id, subscription_id)])
    if done and not is_htmx_request():
        row = line.subscription
        flash(f"{row.plan.name} is {_state_words(row.enabled, row.effective_on)}.", "success")
    return _row_response(
        "billing/_plan_subscription_row.html",
        organisation,
        form,
        done,
        line=line,
        row_id=f"subscription-{subscription_id}",
    )


# --- statements of paid invoices ------------------------------------------------------------


@dataclass(frozen=True)
class StatementPeriod:
    date_from: date | None
    date_to: date | None

    def conditions(self, organisation_id: int) -> list[sa.ColumnElement]:
        """The customer's paid invoices paid in the period (whole UTC days, both included)."""
        where = [Invoice.organisation_id == organisation_id, Invoice.status == InvoiceStatus.PAID]
        if self.date_from:
            where.append(Invoice.paid_at >= datetime.combine(self.date_from, time.min))
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time.min)
            where.append(Invoice.paid_at < end)
        return where


def _period(form: StatementFilterForm) -> StatementPeriod:
    """The valid dates of the form; an invalid one is shown as an error and ignored."""
    form.validate()
    return StatementPeriod(
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
    )


def _payments_of(invoices: list[Invoice]) -> dict[int, int]:
    """Each invoice's latest payment id, in one query."""
    ids = [i.id for i in invoices]
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Payment.invoice_id, sa.func.max(Payment.id))
            .where(Payment.invoice_id.in_(ids))
            .group_by(Payment.invoice_id)
        ).all()
    )


def _totals(conditions: list[sa.ColumnElement]) -> list[tuple[str, int]]:
    """The total paid in the period, per currency."""
    return db.session.execute(
        sa.select(Invoice.currency, sa.func.sum(Invoice.total_cents))
        .where(*conditions)
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    ).all()


@bp.route("/customers/<int:organisation_id>/statements")
@role_required(*MONEY_STAFF)
def customer_statements(organisation_id: int):
    """The customer's paid invoices, newest payment first, with the total paid in the period."""
    organisation = _organisation_or_404(organisation_id)
    form = StatementFilterForm(request.args)
    conditions = _period(form).conditions(organisation_id)
    page = page_of(
        sa.select(Invoice).where(*conditions).order_by(Invoice.paid_at.desc(), Invoice.id.desc())
    )
    kept = {name: request.args[name] for name in ("date_from", "date_to") if request.args.get(name)}
    return render_page_or_fragment(
        "billing/statements.html",
        "billing/_statement_table.html",
        organisation=organisation,
        form=form,
        page=page,
        payments=_payments_of(page.items),
        totals=_totals(conditions),
        kept=kept,
    )


# --- the shipment queue ---------------------------------------------------------------------


def _shipment_status(form: ShipmentFilterForm) -> str:
    if not form.validate() or not form.status.data:
        form.status.data = shipments.NOT_SHIPPED
    return form.status.data


@bp.route("/shipments")
@role_required(*MONEY_STAFF)
def shipment_queue():
    """Physical equipment to ship, earliest scheduled first; not yet shipped by default."""
    form = ShipmentFilterForm(request.args)
    status = _shipment_status(form)
    page = page_of(shipments.queue_query(status))
    return render_page_or_fragment(
        "billing/shipments.html",
        "billing/_shipment_table.html",
        form=form,
        page=page,
        lines=shipments.lines(page.items),
        status=status,
        pack_form=PackForm(formdata=None),
        ship_form=ShipForm(formdata=None),
    )


def _shipment_response(shipment_id: int, form: PackForm | ShipForm, done: bool):
    """The row for htmx; otherwise back to the queue (a refusal is flashed there)."""
    if is_htmx_request():
        [line] = shipments.lines([db.session.get(Shipment, shipment_id)])
        forms = {"pack_form": PackForm(formdata=None), "ship_form": ShipForm(formdata=None)}
        if isinstance(form, ShipForm) and not done:
            forms["ship_form"] = form  # the typed carrier and tracking number, with errors
        refusals = [] if done else [*form.form_errors, *form.csrf_token.errors]
        html = render_template(
            "billing/_shipment_row.html", line=line, saved=done, refusals=refusals, **forms
        )
        return html  # refused too: htmx 2 swaps no 4xx response, and the row shows the errors
    if not done:
        for message in _all_errors(form):
            flash(message, "error")
    return redirect(url_for("billing.shipment_queue", status=request.args.get("status")), 303)


def _all_errors(form: PackForm | ShipForm) -> list[str]:
    messages = list(form.form_errors)
    for field in form:
        prefix = "" if field.name == "csrf_token" else f"{field.label.text}: "
        messages += [prefix + error for error in field.errors]
    return messages


def _shipment_or_404(shipment_id: int) -> Shipment:
    return db.get_or_404(Shipment, shipment_id)


@bp.route("/shipments/<int:shipment_id>/pack", methods=["POST"])
@role_required(*MONEY_STAFF)
def shipment_pack(shipment_id: int):
    """Mark a pending shipment packed."""
    _shipment_or_404(shipment_id)
    form = PackForm()
    done = _apply_change(
        form,
        lambda: shipments.mark_packed(shipment_id, actor=_actor(), ip_address=request.remote_addr),
    )
    if done and not is_htmx_request():
        flash("The shipment is marked packed.", "success")
    return _shipment_response(shipment_id, form, done)


@bp.route("/shipments/<int:shipment_id>/ship", methods=["POST"])
@role_required(*MONEY_STAFF)
def shipment_ship(shipment_id: int):
    """Mark a packed shipment shipped, with the carrier and tracking number."""
    _shipment_or_404(shipment_id)
    form = ShipForm()
    done = _apply_change(
        form,
        lambda: shipments.mark_shipped(
            shipment_id,
            actor=_actor(),
            carrier=form.carrier.data,
            tracking_number=form.tracking_number.data,
            ip_address=request.remote_addr,
        ),
    )
    if done and not is_htmx_request():
        flash("The shipment is marked shipped.", "success")
    return _shipment_response(shipment_id, form, done)
