"""A case's tags on its page: add some, take one off (issue 19 item 2). Staff only: the
customer's pages never show tags."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from helpdesk.services import ServiceError
from helpdesk.services.cases import tags
from helpdesk.tracker.blueprint import CASE_READERS, bp
from helpdesk.tracker.forms import PlainForm, TagsForm
from helpdesk.web.access import get_case_or_404
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request

PANEL = "tracker/_case_tags.html"


def case_tags_context(case, given: dict) -> dict:
    """What the tags panel of the case page needs. A form with errors in `given` is passed to
    the page with the other given forms (case_views._forms), so only a fresh one is added."""
    context = {
        "case_tag_names": tags.names_of(case),
        "tag_remove_form": PlainForm(formdata=None),
        "tag_suggestions": tags.suggestions(),
    }
    if "tags_form" not in given:
        context["tags_form"] = TagsForm(formdata=None)
    return context


def _answer(case, form: TagsForm | None = None, status: int = 200):
    """The panel for htmx, else back to the case page (with the errors, when there are)."""
    if is_htmx_request():
        context = case_tags_context(case, {})
        if form is not None:
            context["tags_form"] = form
        return render_template(PANEL, case=case, **context), status
    if status >= 400:
        from helpdesk.tracker.case_views import _page

        return _page(case, status, tags_form=form)
    return redirect(url_for("tracker.case_view", number=case.number) + "#case-tags")


@bp.route("/cases/<int:number>/tags", methods=["POST"])
@role_required(*CASE_READERS)
def case_tags_add(number: int):
    """Tag the case (several tags separated by commas)."""
    case = get_case_or_404(number, current_user)
    form = TagsForm()
    if form.validate_on_submit():
        try:
            tags.add(current_user, [case], form.tags.data)
        except ServiceError as error:
            form.tags.errors.append(error.message)
        else:
            if not is_htmx_request():
                flash("Tags saved.", "success")
            return _answer(case)
    return _answer(case, form, 422)


@bp.route("/cases/<int:number>/tags/remove", methods=["POST"])
@role_required(*CASE_READERS)
def case_tags_remove(number: int):
    """Take one tag off the case."""
    case = get_case_or_404(number, current_user)
    if not PlainForm().validate_on_submit():
        return _answer(case, None, 400)
    try:
        tags.remove(current_user, [case], request.form.get("tag", "")[:100])
    except ServiceError as error:
        flash(error.message, "error")
    return _answer(case)
