"""Time on a case (issue 19 item 6): its total and entries on the case page, and time logged
on its own. Time logged with a reply, a note or a call goes through `log_time` too."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from helpdesk.models import TimeKind
from helpdesk.services import ServiceError
from helpdesk.services.cases import time_tracking
from helpdesk.services.reports.reports import business_zone
from helpdesk.tracker.blueprint import CASE_READERS, bp
from helpdesk.tracker.forms import TimeForm
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required


def case_time_context(case, given: dict) -> dict:
    """The time panel: the total, the latest entries and the form (with errors when given)."""
    context = {"case_time": time_tracking.of_case(case)}
    if "time_form" not in given:  # a given form reaches the page with the other forms
        context["time_form"] = TimeForm(formdata=None)
    return context


def log_time(case, minutes: int, kind: TimeKind, *, worked_on=None, note: str = "") -> None:
    """Time the current agent spent on `case`, counted on today's date unless told."""
    time_tracking.log(
        current_user,
        case,
        minutes,
        kind,
        worked_on=worked_on or time_tracking.today(business_zone()),
        note=note,
    )


@bp.route("/cases/<int:number>/time", methods=["POST"])
@role_required(*CASE_READERS)
def case_time(number: int):
    """Log time spent on the case on its own."""
    case = get_case_or_404(number, current_user)
    form = TimeForm()
    if form.validate_on_submit():
        try:
            minutes = time_tracking.parsed_minutes(form.time_minutes.data, field="time_minutes")
            today = time_tracking.today(business_zone())
            day = form.time_day.data or today
            if day > today:
                raise ServiceError("Time is logged for today or an earlier day.", "time_day")
            log_time(case, minutes, TimeKind.WORK, worked_on=day, note=form.time_note.data or "")
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Time logged.", "success")
            return redirect(url_for("tracker.case_view", number=number) + "#case-time")
    from helpdesk.tracker.case_views import _page

    return _page(case, 422, time_form=form)
