"""The tags agents are offered first (issue 19 item 2): an administrator keeps the list."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from helpdesk.admin.forms import PostOnlyForm
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import Role, Tag
from helpdesk.services import ServiceError
from helpdesk.services.cases import tags
from helpdesk.web.guards import role_required


class SuggestedTagsForm(FlaskForm):
    name = StringField(
        "Tags to suggest",
        validators=[DataRequired("Type a tag."), Length(max=400)],
        description="Separate several with commas, e.g. vip, outage, refund.",
    )


def _page(form: SuggestedTagsForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "admin/tags.html", form=form, tags=tags.suggested_tags(), unsuggest_form=PostOnlyForm()
    ), status


@bp.route("/tags", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def tag_list() -> ResponseReturnValue:
    """Every tag with how many cases carry it; add tags to the suggested ones."""
    form = SuggestedTagsForm()
    if form.validate_on_submit():
        try:
            names = tags.set_suggested(form.name.data, True)
        except ServiceError as error:
            form.name.errors.append(error.message)
        else:
            flash(f"Suggested now: {', '.join(names)}.", "success")
            return redirect(url_for("admin.tag_list"))
    return _page(form, 422 if form.errors else 200)


@bp.route("/tags/<int:tag_id>/unsuggest", methods=["POST"])
@role_required(Role.ADMIN)
def tag_unsuggest(tag_id: int) -> ResponseReturnValue:
    """Stop suggesting a tag (cases keep it)."""
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        abort(404)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    tag.suggested = False
    db.session.commit()
    flash(f"“{tag.name}” is no longer suggested; cases keep it.", "info")
    return redirect(url_for("admin.tag_list"))
