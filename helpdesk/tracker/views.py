"""The agents' Issue Tracker: folders with live counts, filters, bulk actions and search."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from helpdesk.extensions import db, limiter
from helpdesk.models import Case, CaseType, Order, Origin, utcnow
from helpdesk.rules import tags as tag_rules
from helpdesk.rules.folders import Folder
from helpdesk.rules.numbers import parse_id
from helpdesk.services import ServiceError
from helpdesk.services.cases import tags
from helpdesk.services.fraud import fraud_flags
from helpdesk.services.tracker import case_filters, change_stamp, folders, saved_views, tracker
from helpdesk.services.tracker import search as case_search
from helpdesk.services.tracker.sla import sla_state_of
from helpdesk.tracker import (
    case_views,  # noqa: F401  (registers the case page routes)
    contact_views,  # noqa: F401  (organisation contacts, a case's correspondent)
    macro_views,  # noqa: F401  (the composer's macro picker and the macros page)
    phone_views,  # noqa: F401  (caller lookup, phone procedure, intake, case links)
    priority_views,  # noqa: F401  (the priority panel and its factor routes)
    remote_views,  # noqa: F401  (a case's remote session: identity check, start, end)
    start_of_day,  # noqa: F401  (the start-of-day list and the SLA template helpers)
    team_views,  # noqa: F401
)
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.common import folder_settings, sidebar_context, signature, staff_members
from helpdesk.tracker.forms import BulkForm, PlainForm, SaveViewForm
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request, render_page_or_fragment
from helpdesk.web.paging import page_of
from helpdesk.web.params import arg_page, form_ids

__all__ = ["bp"]


def _filter_choices() -> dict:
    return {
        "case_types": db.session.scalars(
            sa.select(CaseType).where(CaseType.active).order_by(CaseType.position)
        ).all(),
        "agents": staff_members(),
        "products": db.session.scalars(
            sa.select(Order.product).distinct().order_by(Order.product).limit(50)
        ).all(),
        "origins": list(Origin),
        "tag_suggestions": tags.suggestions(),
    }


@bp.route("/")
@role_required(*STAFF)
def home():
    """The agent's New folder: work starts with what was assigned to me."""
    return _folder_page(Folder.NEW)


@bp.route("/folders/<name>")
@role_required(*STAFF)
def folder(name: str):
    """A folder of seed 002, filtered and paged in the database."""
    chosen = folders.parse_folder(name)
    if chosen is None:
        abort(404)
    return _folder_page(chosen)


def _folder_page(chosen):
    settings = folder_settings()
    scope = folders.scope_for(current_user, request.args.get("scope") == "everyone")
    order = folders.folder_order(chosen)
    # The page is cut from ids alone (an index can skip the rows of a deep page without
    # reading them), then its cases are loaded (issue 9).
    ids = (
        sa.select(Case.id)
        .where(
            folders.folder_condition(chosen, utcnow(), settings),
            folders.scope_condition(chosen, scope),
            *case_filters.conditions(request.args),
        )
        .order_by(*order)
    )
    sidebar = None
    known_total = None
    if chosen in folders.WORK_FOLDERS and not case_filters.conditions(request.args):
        # Without filters a work folder holds exactly its sidebar count (kept, and reused
        # while no case changes): the page needs no count of its own.
        sidebar = sidebar_context()
        known_total = sidebar["counts"][chosen.value]
    page = page_of(ids, total=known_total)
    page.items = _cases_in_order(page.items)
    now = utcnow()
    flags = fraud_flags.flags_for_cases([case.id for case in page.items])
    # Versions catch edits; SLA states catch the clock moving a due time to near or breached;
    # a new or lifted block changes the fraud marker.
    list_signature = signature(
        page.total,
        [(case.id, case.version, sla_state_of(case, now), case.id in flags) for case in page.items],
    )
    if is_htmx_request() and request.args.get("known") == list_signature:
        return "", 204  # the live list is unchanged since the page last looked
    filters = {key: request.args.get(key, "") for key in case_filters.FILTERS}
    active_filters = {key: value for key, value in filters.items() if value}
    view = saved_views.get_visible(current_user, parse_id(request.args.get("view")))
    context = {
        "case_tags": tags.names_by_case([case.id for case in page.items]),
        "current_view": view,
        "folder": chosen,
        "page": page,
        "list_signature": list_signature,
        "filters": filters,
        "active_filters": active_filters,
        "explanation": folders.EXPLANATIONS[chosen].format(
            e1=settings.agent_reply_days, e2=settings.unviewed_days
        ),
        "bulk_form": _bulk_form(),
        "everyone": scope.everyone,
        "fraud_flags": flags,
    }
    if is_htmx_request():
        return render_template("tracker/_case_table.html", **context)
    return render_template(
        "tracker/folder.html",
        **context,
        **_filter_choices(),
        **(sidebar or sidebar_context()),
        view_form=SaveViewForm(formdata=None),
        may_delete_view=view is not None and saved_views.may_delete(current_user, view),
    )


def _cases_in_order(ids: list[int]) -> list[Case]:
    """These cases, with organisation and assignee, in the order of `ids`."""
    found = {
        case.id: case
        for case in db.session.scalars(
            sa.select(Case)
            .options(selectinload(Case.organisation), selectinload(Case.assignee))
            .where(Case.id.in_(ids))
        )
    }
    return [found[case_id] for case_id in ids if case_id in found]


def _bulk_form() -> BulkForm:
    form = BulkForm()
    form.assignee_id.choices = [SelectChoice("", "Support queue (unassigned)")] + [
        SelectChoice(str(user.id), user.name) for user in staff_members()
    ]
    return form


@bp.route("/counts")
@limiter.exempt  # nothing to limit, and the most frequent request of all
@role_required(*STAFF)
def counts():
    """Sidebar poll: 204 while every count is unchanged.

    While no case has changed since the sidebar was drawn (same stamp) the counts cannot have
    moved, and one read answers; otherwise they are counted again and compared."""
    fresh_enough = current_app.config["CHANGE_STAMP_CACHE_SECONDS"]
    if request.args.get("known") and request.args.get("stamp") == change_stamp.current(
        max_age=fresh_enough
    ):
        return "", 204
    context = sidebar_context()
    if request.args.get("known") == context["counts_signature"]:
        return "", 204
    return render_template("tracker/_sidebar.html", current=request.args.get("current"), **context)


@bp.route("/bulk", methods=["POST"])
@role_required(*STAFF)
def bulk():
    """Assign, prioritise or close the selected cases at once."""
    form = _bulk_form()
    back = request.form.get("back") or url_for("tracker.home")
    if not back.startswith("/tracker/"):
        back = url_for("tracker.home")
    numbers = form_ids("cases")
    if not form.validate_on_submit() or not numbers:
        flash("Select at least one case and what to do with it.", "error")
        return redirect(back)
    value = form.assignee_id.data if form.action.data == "assign" else form.priority_score.data
    chosen = tracker.bulk_cases(numbers)
    try:
        if form.action.data in ("tag_add", "tag_remove"):
            change = tags.add if form.action.data == "tag_add" else tags.remove
            changed = change(current_user, chosen, form.tags.data or "")
        else:
            changed = tracker.bulk_apply(current_user, chosen, form.action.data, value)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"{changed} case{'' if changed == 1 else 's'} updated.", "success")
    return redirect(back)


@bp.route("/views", methods=["POST"])
@role_required(*STAFF)
def view_create():
    """Save the folder and filters being looked at as a named view."""
    form = SaveViewForm()
    folder_name = request.form.get("folder", "")
    back = (
        url_for("tracker.folder", name=folder_name)
        if folders.parse_folder(folder_name)
        else (url_for("tracker.home"))
    )
    if not form.validate_on_submit():
        flash("Name the view (at most 60 characters).", "error")
        return redirect(back)
    try:
        view = saved_views.create(
            current_user,
            name=form.name.data,
            folder=folder_name,
            filters=request.form,
            shared=form.shared.data,
        )
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(back)
    flash(f"Saved the view “{view.name}”" + (" for the team." if view.shared else "."), "success")
    return redirect(url_for("tracker.folder", name=view.folder, view=view.id, **view.filters))


@bp.route("/views/<int:view_id>/delete", methods=["POST"])
@role_required(*STAFF)
def view_delete(view_id: int):
    """Delete a saved view (its owner; an administrator for a shared one)."""
    view = saved_views.get_visible(current_user, view_id)
    if view is None:
        abort(404)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        saved_views.delete(current_user, view)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("tracker.folder", name=view.folder, view=view.id, **view.filters))
    flash(f"Deleted the view “{view.name}”.", "success")
    return redirect(url_for("tracker.folder", name=view.folder))


@bp.route("/search")
@role_required(*STAFF)
def search():
    """Jump straight to a case by its number, or search subjects, threads and customers."""
    text = request.args.get("q", "").strip()[:200]
    if (number := parse_id(text.lstrip("#"))) is not None:
        case = db.session.scalar(sa.select(Case.number).where(Case.number == number))
        if case is not None:
            return redirect(url_for("tracker.case_view", number=case))
    tag = tag_rules.normalised(request.args.get("tag", "")[:100])
    if tag and not case_search.parse_query(text).terms and not is_htmx_request():
        return redirect(url_for("tracker.folder", name="all", tag=tag))  # the tag's cases
    page_number = arg_page()
    tag_id = tags.tag_id(tag) if tag else None
    if tag and tag_id is None:  # nobody ever used it: nothing can match
        results = case_search.SearchPage(text, 0, [], 25, 0)
    else:
        results = case_search.search_cases(
            text, limit=25, offset=(page_number - 1) * 25, tag_id=tag_id
        )
    contacts = case_search.search_contacts(text) if page_number == 1 and not tag else []
    return render_page_or_fragment(
        "tracker/search.html",
        "tracker/_search_results.html",
        results=results,
        contacts=contacts,
        q=text,
        tag=tag,
        page_number=page_number,
        **(sidebar_context() if not is_htmx_request() else {}),
    )
