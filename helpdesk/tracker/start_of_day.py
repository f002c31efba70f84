"""The start-of-day list (seed 003 "Daily Activities") and the SLA helpers of tracker templates."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from helpdesk.models import Case, utcnow
from helpdesk.services.tracker import sla, sla_policies
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


@bp.app_template_global("sla_targets")
def sla_targets_global(case: Case) -> list:
    """A case's next-reply and resolution targets and how each stands, now."""
    return sla_policies.targets(case, utcnow())


@bp.app_template_global("sla_next_target")
def sla_next_target_global(case: Case):
    """(target, remark) of the next running target after the first response, or None."""
    return sla_policies.next_target(case, utcnow())


@bp.app_template_global("sla_policy_name")
def sla_policy_name_global(case: Case) -> str | None:
    return sla_policies.policy_name(case)


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
