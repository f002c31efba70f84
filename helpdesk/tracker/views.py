"""The agents' issue tracker."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask_login import current_user
from sqlalchemy.orm import joinedload

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Role
from helpdesk.web.guards import gate_blueprint, role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of

bp = Blueprint("tracker", __name__)
gate_blueprint(bp, Role.AGENT, Role.ADMIN)


@bp.route("/")
@role_required(Role.AGENT, Role.ADMIN)
def home():
    """My open cases, highest priority first, then first come first served."""
    query = (
        sa.select(Case)
        .options(joinedload(Case.organisation))
        .where(Case.assignee_id == current_user.id, Case.status != CaseStatus.CLOSED)
        .order_by(Case.priority_score.desc(), Case.created_at, Case.id)
    )
    queue_size = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Case)
        .where(Case.assignee_id.is_(None), Case.status != CaseStatus.CLOSED)
    )
    return render_page_or_fragment(
        "tracker/home.html",
        "tracker/_case_table.html",
        page=page_of(query),
        queue_size=queue_size,
    )
