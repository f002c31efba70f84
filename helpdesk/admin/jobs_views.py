"""Scheduled jobs: what `flask worker` ran, how it went, what runs next, and who is running."""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.wrappers import Response

from helpdesk.admin.views import bp
from helpdesk.clock import clock
from helpdesk.models import Role
from helpdesk.services.core import jobs
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import render_page_or_fragment


@bp.route("/jobs")
@role_required(Role.ADMIN)
def job_list() -> Response:
    """Each periodic job's last run, result and next run, and the live workers."""
    # The app's clock, not the machine's: a test decides which heartbeats are recent.
    now = datetime.fromtimestamp(clock().time(), UTC).replace(tzinfo=None)
    return render_page_or_fragment(
        "admin/jobs.html",
        "admin/_jobs.html",
        statuses=jobs.statuses(now),
        workers=jobs.live_workers(now),
    )
