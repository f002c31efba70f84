"""The payment manager (seed 002)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from sqlalchemy.orm import joinedload

from helpdesk.models import Payment, Role
from helpdesk.web.guards import gate_blueprint, role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of

bp = Blueprint("billing", __name__)
gate_blueprint(bp, Role.BILLING, Role.ADMIN)


@bp.route("/")
@role_required(Role.BILLING, Role.ADMIN)
def home():
    """Latest transactions, newest first."""
    query = (
        sa.select(Payment)
        .options(joinedload(Payment.organisation))
        .order_by(Payment.created_at.desc(), Payment.id.desc())
    )
    return render_page_or_fragment(
        "billing/home.html", "billing/_payment_table.html", page=page_of(query)
    )
