"""The customer portal: a customer's own organisation's cases."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask_login import current_user

from helpdesk.models import Case, Role
from helpdesk.web.guards import gate_blueprint, role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of

bp = Blueprint("portal", __name__)
gate_blueprint(bp, Role.CUSTOMER)


@bp.route("/cases")
@role_required(Role.CUSTOMER)
def case_list():
    """My organisation's cases, most recently updated first."""
    query = (
        sa.select(Case)
        .where(Case.organisation_id == current_user.organisation_id)
        .order_by(Case.updated_at.desc(), Case.id.desc())
    )
    return render_page_or_fragment(
        "portal/case_list.html", "portal/_case_table.html", page=page_of(query)
    )
