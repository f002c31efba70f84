"""The system manager (seed 002): customer profiles."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint

from helpdesk.models import Organisation, Role
from helpdesk.web.guards import gate_blueprint, role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of

bp = Blueprint("system", __name__)
gate_blueprint(bp, Role.BILLING, Role.ADMIN)


@bp.route("/")
@role_required(Role.BILLING, Role.ADMIN)
def home():
    """Customers by name."""
    query = sa.select(Organisation).order_by(Organisation.name, Organisation.id)
    return render_page_or_fragment(
        "system/home.html", "system/_customer_table.html", page=page_of(query)
    )
