"""Tiers, cloning, agent status, the team panel, end of day and hand-over (seeds 001, 003)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from helpdesk import i18n
from helpdesk.extensions import db
from helpdesk.models import Role, User, utcnow
from helpdesk.rules.numbers import parse_id
from helpdesk.services import ServiceError
from helpdesk.services.cases import clone
from helpdesk.services.tracker import escalation, handover, queue_health, team
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.case_views import act
from helpdesk.tracker.common import sidebar_context, staff_members
from helpdesk.tracker.forms import (
    CloneDepartmentForm,
    CloneOrdersForm,
    EscalateForm,
    PlainForm,
    SendBackForm,
    StatusForm,
    SubcaseForm,
    Tier2Form,
)
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required


@bp.app_template_global()
def queue_alerts() -> list:
    """Seed 001 queue health, shown as a banner on full tracker pages."""
    return queue_health.alerts(utcnow())


@bp.app_template_global()
def status_form() -> StatusForm:
    """The header's status picker, filled with the current status."""
    return StatusForm(
        status=current_user.agent_status or "available",
        note=current_user.status_note,
        away_until=current_user.away_until,
    )


def _to_utc(local: datetime | None) -> datetime | None:
    """A time typed in the viewer's zone as naive UTC, as every stored time is."""
    if local is None:
        return None
    zone = i18n.viewer_zone()
    aware = zone.localize(local) if hasattr(zone, "localize") else local.replace(tzinfo=zone)
    return aware.astimezone(UTC).replace(tzinfo=None)


def _to_local(stored: datetime | None) -> datetime | None:
    if stored is None:
        return None
    return stored.replace(tzinfo=UTC).astimezone(i18n.viewer_zone()).replace(tzinfo=None)


def _my_status_form() -> StatusForm:
    """The team page's status form: status, reason and back-at time in my own zone."""
    return StatusForm(
        formdata=None,
        status=current_user.agent_status or "available",
        note=current_user.status_note,
        away_until=_to_local(current_user.away_until),
    )


def _team_page(form: StatusForm, status: int = 200):
    return (
        render_template(
            "tracker/team.html", members=team.team(), my_status=form, **sidebar_context()
        ),
        status,
    )


@bp.route("/status", methods=["POST"])
@role_required(*STAFF)
def status_set():
    """Set my status (the header's picker, or the team page's form with a reason and a
    back-at time); routing passes over agents who are away."""
    form = StatusForm()
    target = request.form.get("back", "")
    full = target == "" or target == url_for("tracker.team_panel")
    if form.validate_on_submit():
        try:
            team.set_status(
                current_user,
                form.status.data,
                note=form.note.data or "",
                away_until=_to_utc(form.away_until.data),
                now=i18n.now(),
            )
        except ServiceError as error:
            if full:
                show_service_error(form, error)
                return _team_page(form, 422)
            flash(error.message, "error")
        else:
            said = f"Your status: {form.status.data.replace('_', ' ')}."
            if not full and form.status.data == "away":
                said += " Add a reason and a return time on the team page."
            flash(said, "success")
    elif full:
        return _team_page(form, 422)
    else:
        flash("Choose a status from the list.", "error")
    return redirect(target if target.startswith("/tracker/") else url_for("tracker.team_panel"))


@bp.route("/team")
@role_required(*STAFF)
def team_panel():
    """Who is available, on the phone, training or away, and how many open cases each has."""
    return _team_page(_my_status_form())


@bp.route("/end-of-day", methods=["POST"])
@role_required(*STAFF)
def end_of_day():
    """Return my unanswered cases to the support queue (administrators: everyone's)."""
    if not PlainForm().validate_on_submit():
        abort(400)
    everyone = request.form.get("everyone") == "1" and current_user.role == Role.ADMIN
    moved = handover.end_of_day(current_user, None if everyone else current_user.id)
    flash(
        f"{moved} unanswered case{'' if moved == 1 else 's'} returned to the support queue.",
        "success",
    )
    return redirect(url_for("tracker.folder", name="queue"))


def _leaving_agent() -> User:
    agent_id = parse_id(request.values.get("agent_id"))
    if agent_id is None or agent_id == current_user.id:
        return current_user
    if current_user.role != Role.ADMIN:
        abort(403)
    agent = db.session.get(User, agent_id)
    if agent is None or not agent.is_staff:
        abort(404)
    return agent


@bp.route("/handover", methods=["GET", "POST"])
@role_required(*STAFF)
def handover_screen():
    """Seed 003: before leave, hand each open case to a colleague with a note."""
    leaving = _leaving_agent()
    form = PlainForm()
    if form.validate_on_submit():
        plan = {}
        for key, value in request.form.items():
            match = re.fullmatch(r"assignee_([0-9]+)", key)
            if match and (case_id := parse_id(match.group(1))) is not None:
                plan[case_id] = (
                    parse_id(value),  # anything but a user id is no choice
                    request.form.get(f"note_{case_id}", ""),
                )
        try:
            changed = handover.hand_over(current_user, leaving, plan)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(f"{changed} case{'' if changed == 1 else 's'} handed over.", "success")
            return redirect(url_for("tracker.handover_screen", agent_id=leaving.id))
    colleagues = [u for u in staff_members() if u.id != leaving.id]
    return render_template(
        "tracker/handover.html",
        leaving=leaving,
        form=form,
        cases=handover.open_cases_of(leaving.id),
        colleagues=colleagues,
        agents=staff_members(),
        **sidebar_context(),
    )


@bp.route("/cases/<int:number>/escalate", methods=["POST"])
@role_required(*STAFF)
def case_escalate(number: int):
    """Move the case one tier up, with a note for the next tier."""
    return act(
        number,
        "escalate_form",
        EscalateForm(),
        lambda case, f: escalation.escalate(current_user, case, f.note.data or ""),
        "Escalated.",
    )


@bp.route("/cases/<int:number>/send-back", methods=["POST"])
@role_required(*STAFF)
def case_send_back(number: int):
    """Tier II sends the case back to primary support with the reason."""
    return act(
        number,
        "send_back_form",
        SendBackForm(),
        lambda case, f: escalation.send_back(current_user, case, f.note.data),
        "Sent back to primary support.",
    )


@bp.route("/cases/<int:number>/tier2", methods=["POST"])
@role_required(*STAFF)
def case_tier2(number: int):
    """Record tier II's estimate, bug or enhancement, and criticality."""
    return act(
        number,
        "tier2_form",
        Tier2Form(),
        lambda case, f: escalation.record_tier2(
            current_user,
            case,
            estimate_minutes=f.estimate_minutes.data,
            kind=f.kind.data or None,
            criticality=f.criticality.data or None,
            note=f.note.data or "",
        ),
        "Tier II details saved.",
    )


@bp.route("/cases/<int:number>/subcase", methods=["POST"])
@role_required(*STAFF)
def case_subcase(number: int):
    """Attach this case to an item already with tier II; the customer is told."""

    def attach(case, form):
        parent = get_case_or_404(form.parent_number.data, current_user)
        escalation.attach_as_subcase(current_user, case, parent)

    return act(
        number,
        "subcase_form",
        SubcaseForm(),
        attach,
        "Attached as a sub-case; the customer was told.",
    )


@bp.route("/cases/<int:number>/clone", methods=["POST"])
@role_required(*STAFF)
def case_clone(number: int):
    """Seed 001 reason one: another department must act on this case too."""

    def copy(case, form):
        made = clone.clone_for_department(
            current_user, case, form.assignee_id.data, form.reason.data
        )
        flash(f"Cloned as #{made.number}.", "success")

    form = CloneDepartmentForm()
    form.assignee_id.choices = [SelectChoice(str(u.id), u.name) for u in staff_members()]
    return act(number, "clone_department_form", form, copy, None)


@bp.route("/cases/<int:number>/clone-orders", methods=["POST"])
@role_required(*STAFF)
def case_clone_orders(number: int):
    """Seed 001 reason two: one case for every affected order (e.g. a cancelled category)."""

    def copy(case, form):
        numbers = re.split(r"[\s,;]+", form.order_numbers.data or "")
        made = clone.clone_for_orders(
            current_user, case, numbers, form.subject.data, form.body.data
        )
        flash(f"{len(made)} cases opened, each linked to #{case.number}.", "success")

    return act(number, "clone_orders_form", CloneOrdersForm(), copy, None)
