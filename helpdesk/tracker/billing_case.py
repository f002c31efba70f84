"""The case page's billing panel (issue 15 item 15): the order's payments, refunds and
shipments for staff, with refund and replacement forms for those allowed to move money.

Who may do what is decided by helpdesk.rules.billing_access; the refund and the replacement
are the payment manager's own services (row-locked, idempotent, audited), called with the case
so its timeline shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from helpdesk.billing.forms import new_idempotency_key
from helpdesk.billing.queries import PaymentDetail, payment_detail
from helpdesk.billing.refund_post import post_refund
from helpdesk.extensions import db
from helpdesk.models import Case, Payment, Shipment, User
from helpdesk.rules.billing_access import may_handle_money, may_on_case
from helpdesk.services import ServiceError
from helpdesk.services.billing import shipments
from helpdesk.tracker.billing_forms import NoteOnlyForm, refund_form, reship_form
from helpdesk.tracker.blueprint import CASE_READERS, bp
from helpdesk.tracker.forms import MessageForm
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import refuse, role_required

ALREADY_RESHIPPED = "Already queued: this replacement was requested before."


@dataclass
class ShipmentLine:
    shipment: Shipment
    replaces: Shipment | None
    form: object | None = None


@dataclass
class CaseBilling:
    """What the panel shows: payments with their refunds, shipments, and the forms."""

    payments: list[PaymentDetail]
    shipments: list[ShipmentLine]
    can_act: bool
    refund_forms: dict[int, object] = field(default_factory=dict)
    payment_manager: bool = False


def composer_form_class(user: User) -> type[MessageForm]:
    """The composer's form: the full one for agents, notes only for billing staff."""
    return MessageForm if may_on_case(user.role, "reply") else NoteOnlyForm


def billing_case_context(case: Case, failed: tuple[str, int, object] | None = None) -> dict:
    """Context of templates/tracker/_case_billing.html; `failed` is a refused form to show."""
    user = current_user
    agent_tools = may_on_case(user.role, "assign")
    if case.order_id is None:
        return {"case_billing": None, "agent_tools": agent_tools}
    payments = db.session.scalars(
        sa.select(Payment).where(Payment.order_id == case.order_id).order_by(Payment.id)
    ).all()
    shipment_rows = db.session.scalars(
        sa.select(Shipment).where(Shipment.order_id == case.order_id).order_by(Shipment.id)
    ).all()
    by_id = {s.id: s for s in shipment_rows}
    can_act = may_handle_money(user.role, user.billing_permission, user.active)
    panel = CaseBilling(
        payments=[payment_detail(p) for p in payments],
        shipments=[ShipmentLine(s, by_id.get(s.reship_of_id)) for s in shipment_rows],
        can_act=can_act,
        payment_manager=user.role in ("billing", "admin"),
    )
    if can_act:
        for detail in panel.payments:
            panel.refund_forms[detail.payment.id] = refund_form(
                detail.payment.id, detail.card_label
            )
        for line in panel.shipments:
            line.form = reship_form(line.shipment.id)
    if failed is not None:
        kind, object_id, form = failed
        if kind == "refund":
            panel.refund_forms[object_id] = form
        else:
            for line in panel.shipments:
                if line.shipment.id == object_id:
                    line.form = form
    return {"case_billing": panel, "agent_tools": agent_tools}


def _money_case(number: int) -> Case:
    """The case, for someone who may move money; 403 for other staff."""
    case = get_case_or_404(number, current_user)
    if not may_handle_money(
        current_user.role, current_user.billing_permission, current_user.active
    ):
        refuse("no billing permission")
    return case


def _refused(case: Case, kind: str, object_id: int, form):
    from helpdesk.tracker.case_views import _page  # the case page, with this form's errors

    return _page(case, 422, billing_failed=(kind, object_id, form))


@bp.route("/cases/<int:number>/payments/<int:payment_id>/refunds", methods=["POST"])
@role_required(*CASE_READERS)
def case_refund(number: int, payment_id: int):
    """Refund part or all of a payment of the case's order; logged on the case."""
    case = _money_case(number)
    payment = db.session.get(Payment, payment_id)
    if payment is None or case.order_id is None or payment.order_id != case.order_id:
        abort(404)
    detail = payment_detail(payment)
    form = refund_form(payment.id, detail.card_label, posted=True)
    if post_refund(form, detail, case_id=case.id, done_note=" The customer is e-mailed."):
        return redirect(url_for("tracker.case_view", number=number, _anchor="billing"), 303)
    return _refused(case, "refund", payment.id, form)


@bp.route("/cases/<int:number>/shipments/<int:shipment_id>/reship", methods=["POST"])
@role_required(*CASE_READERS)
def case_reship(number: int, shipment_id: int):
    """Queue a replacement of a shipped parcel of the case's order; logged on the case."""
    case = _money_case(number)
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None or case.order_id is None or shipment.order_id != case.order_id:
        abort(404)
    form = reship_form(shipment.id, posted=True)
    if form.validate_on_submit():
        try:
            result = shipments.reship(
                shipment.id,
                actor=current_user._get_current_object(),
                reason=form.reason.data,
                idempotency_key=form.idempotency_key.data,
                case_id=case.id,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            if not show_service_error(form, error):
                form.idempotency_key.data = new_idempotency_key()
        else:
            flash(
                ALREADY_RESHIPPED
                if result.replay
                else f"A replacement {shipment.item} is in the shipment queue.",
                "info" if result.replay else "success",
            )
            return redirect(url_for("tracker.case_view", number=number, _anchor="billing"), 303)
    return _refused(case, "reship", shipment.id, form)
