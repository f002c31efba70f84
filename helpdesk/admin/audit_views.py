"""The audit log: every money, permission and blocklist action, newest first, filtered."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import joinedload

from helpdesk.admin.forms import AuditFilterForm
from helpdesk.admin.responses import page_or_fragment
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import AuditLog, Role, User
from helpdesk.web.guards import role_required
from helpdesk.web.paging import page_of

PER_PAGE = 50


def _conditions(form: AuditFilterForm) -> tuple[list[Any], dict[str, str]]:
    """SQL conditions for the valid filters, and those filters as link parameters."""
    conditions: list[Any] = []
    kept: dict[str, str] = {}
    valid = {name: form[name].data for name in form.data if not form[name].errors}
    if actor := (valid.get("actor") or "").strip():
        needle = actor.lower()
        matching = sa.select(User.id).where(
            sa.or_(
                sa.func.lower(User.name).contains(needle, autoescape=True),
                sa.func.lower(User.email).contains(needle, autoescape=True),
            )
        )
        conditions.append(AuditLog.actor_id.in_(matching))
        kept["actor"] = actor
    if action := (valid.get("action") or "").strip():
        conditions.append(AuditLog.action.startswith(action, autoescape=True))
        kept["action"] = action
    if object_type := (valid.get("object_type") or "").strip():
        conditions.append(AuditLog.object_type == object_type)
        kept["object_type"] = object_type
    if since := valid.get("since"):
        conditions.append(AuditLog.created_at >= datetime.combine(since, time.min))
        kept["since"] = since.isoformat()
    if until := valid.get("until"):
        # Inclusive: everything before the start of the next day (UTC, as stored).
        conditions.append(
            AuditLog.created_at < datetime.combine(until + timedelta(days=1), time.min)
        )
        kept["until"] = until.isoformat()
    return conditions, kept


def details_text(details: Any) -> str:
    """The details as indented JSON text; the template escapes it like any other text."""
    if not details:
        return ""
    return json.dumps(details, indent=1, sort_keys=True, ensure_ascii=False, default=str)


def _choices() -> dict[str, list[str]]:
    """Action prefixes and object types seen so far, offered as suggestions."""
    actions = db.session.scalars(sa.select(AuditLog.action).distinct()).all()
    object_types = db.session.scalars(
        sa.select(AuditLog.object_type).where(AuditLog.object_type.is_not(None)).distinct()
    ).all()
    prefixes = sorted({action.partition(".")[0] + "." for action in actions})
    return {"action_prefixes": prefixes, "object_types": sorted(object_types)}


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    """Audit entries, newest first, paged in the database; bad filters are named and ignored."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    conditions, kept = _conditions(form)
    query = (
        sa.select(AuditLog)
        .options(joinedload(AuditLog.actor))
        .where(*conditions)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    )
    return page_or_fragment(
        "admin/audit.html",
        "admin/_audit_list.html",
        status=200 if valid else 422,
        form=form,
        page=page_of(query, per_page=PER_PAGE),
        kept=kept,
        details_text=details_text,
        **_choices(),
    )
