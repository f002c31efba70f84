"""The start-of-day list (seed 003 "Daily Activities") and the SLA helpers of tracker templates."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from helpdesk.models import Case, utcnow
from helpdesk.services.tracker import sla
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.common import sidebar_context
from helpdesk.web.guards import role_required


@bp.app_template_global("sla_state")
def sla_state_global(case: Case) -> str | None:
    """'met', 'ok', 'near' or 'breached' for a case's first response, now."""
    return sla.sla_state_of(case, utcnow())


@bp.app_template_global("sla_summary")
def sla_summary_global(case: Case) -> sla.SlaSummary | None:
    """The due time, its state and a remark, now."""
    return sla.summary_of(case, utcnow())


@bp.route("/start-of-day")
@role_required(*STAFF)
def start_of_day():
    """First thing: overnight voice mails, after-hours customers, replies, then by priority."""
    now = utcnow()
    calendar = sla.current_calendar(now)
    since, sections = sla.start_of_day(current_user, now, calendar)
    return render_template(
        "tracker/start_of_day.html",
        since=since,
        sections=sections,
        **sidebar_context(),
    )
