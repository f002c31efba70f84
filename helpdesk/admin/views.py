"""Administration home and settings pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import joinedload

from helpdesk.admin import priority_views, routing_views
from helpdesk.extensions import db
from helpdesk.models import AuditLog, Role, User
from helpdesk.web.guards import gate_blueprint, role_required

bp = Blueprint("admin", __name__)
gate_blueprint(bp, Role.ADMIN)


@bp.route("/")
@role_required(Role.ADMIN)
def home():
    """People by role and the latest audit entries."""
    role_counts = dict(
        db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all()
    )
    audit_entries = db.session.scalars(
        sa.select(AuditLog)
        .options(joinedload(AuditLog.actor))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/home.html", role_counts=role_counts, roles=list(Role), audit_entries=audit_entries
    )


bp.add_url_rule(
    "/priority",
    view_func=role_required(Role.ADMIN)(priority_views.priority_weights),
    methods=["GET", "POST"],
)

bp.add_url_rule("/routing", view_func=role_required(Role.ADMIN)(routing_views.routing_rules))
bp.add_url_rule(
    "/routing/rules",
    view_func=role_required(Role.ADMIN)(routing_views.routing_rule_create),
    methods=["POST"],
)
bp.add_url_rule(
    "/routing/<int:rule_id>/move",
    view_func=role_required(Role.ADMIN)(routing_views.routing_rule_move),
    methods=["POST"],
)
bp.add_url_rule(
    "/routing/<int:rule_id>/active",
    view_func=role_required(Role.ADMIN)(routing_views.routing_rule_active),
    methods=["POST"],
)
bp.add_url_rule(
    "/routing/<int:rule_id>/delete",
    view_func=role_required(Role.ADMIN)(routing_views.routing_rule_delete),
    methods=["POST"],
)
bp.add_url_rule(
    "/routing/topics",
    view_func=role_required(Role.ADMIN)(routing_views.routing_topic_create),
    methods=["POST"],
)
bp.add_url_rule(
    "/routing/topics/delete",
    view_func=role_required(Role.ADMIN)(routing_views.routing_topic_delete),
    methods=["POST"],
)

import helpdesk.admin.api_token_views  # noqa: E402,F401  (everyone's API tokens on bp)
import helpdesk.admin.audit_views  # noqa: E402,F401  (audit log viewer routes on bp)
import helpdesk.admin.catalogue_views  # noqa: E402,F401  (case catalogue routes on bp)
import helpdesk.admin.jobs_views  # noqa: E402,F401  (scheduled jobs page on bp)
import helpdesk.admin.mail_views  # noqa: E402,F401  (inbound mail quarantine routes on bp)
import helpdesk.admin.sent_mail_views  # noqa: E402,F401  (outbound mail reader routes on bp)
import helpdesk.admin.settings_views  # noqa: E402,F401  (settings and holidays routes on bp)
import helpdesk.admin.sla_views  # noqa: E402,F401  (service-level policies on bp)
import helpdesk.admin.tag_views  # noqa: E402,F401  (suggested tags on bp)
import helpdesk.admin.users_views  # noqa: E402,F401  (people routes on bp)
import helpdesk.admin.webhook_views  # noqa: E402,F401  (webhook endpoints on bp)
from helpdesk.admin import canned_views  # noqa: E402, F401  (system e-mail routes on bp)
