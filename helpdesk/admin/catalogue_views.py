"""The case catalogue (seed 001): case types, reasons and the action pick list."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from helpdesk.admin.forms import ActiveForm, CatalogueAddForm, MoveForm, PostOnlyForm, RenameForm
from helpdesk.admin.responses import page_or_fragment
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import CaseType, Role
from helpdesk.services import ServiceError
from helpdesk.services.cases import catalogue
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request

PAGE = "admin/catalogue.html"
FRAGMENT = "admin/_catalogue_section.html"
KIND = "<any(types,reasons,actions):kind>"


def _add_form(kind: catalogue.Kind, *, blank: bool = False) -> CatalogueAddForm:
    form = CatalogueAddForm(formdata=None) if blank else CatalogueAddForm()
    types = db.session.scalars(sa.select(CaseType).order_by(CaseType.position, CaseType.id))
    form.case_type_id.choices = [SelectChoice("", "Any case type")] + [
        SelectChoice(str(t.id), t.name if t.active else f"{t.name} (switched off)") for t in types
    ]
    if kind.key != "reasons":
        del form.case_type_id  # only reasons belong to a type
    return form


def _section(
    kind: catalogue.Kind,
    form: CatalogueAddForm | None = None,
    *,
    notice: str | None = None,
    problem: str | None = None,
) -> dict:
    return {
        "kind": kind,
        "rows": catalogue.rows(kind),
        "form": form or _add_form(kind, blank=True),
        "notice": notice,
        "problem": problem,
    }


def _render(section: dict, *, status: int = 200) -> ResponseReturnValue:
    """The changed section for htmx; the whole catalogue otherwise."""
    sections = [
        section if kind.key == section["kind"].key else _section(kind)
        for kind in catalogue.KINDS.values()
    ]
    return page_or_fragment(PAGE, FRAGMENT, status=status, sections=sections, **section)


def _done(kind: catalogue.Kind, message: str) -> ResponseReturnValue:
    if is_htmx_request():
        return _render(_section(kind, notice=message))
    flash(message, "success")
    return redirect(url_for("admin.catalogue_list") + f"#catalogue-{kind.key}")


def _refused(kind: catalogue.Kind, message: str) -> ResponseReturnValue:
    return _render(_section(kind, problem=message), status=422)


@bp.route("/catalogue")
@role_required(Role.ADMIN)
def catalogue_list() -> ResponseReturnValue:
    """Case types, reasons and actions in pick-list order, with add and edit forms."""
    sections = [_section(kind) for kind in catalogue.KINDS.values()]
    return render_template(PAGE, sections=sections)


@bp.route(f"/catalogue/{KIND}", methods=["POST"])
@role_required(Role.ADMIN)
def catalogue_add(kind: str) -> ResponseReturnValue:
    """Add an entry at the end of its list."""
    chosen = catalogue.kind_of(kind)
    form = _add_form(chosen)
    if form.validate_on_submit():
        try:
            entry = catalogue.add(
                current_user,
                chosen,
                form.name.data,
                case_type_id=form.case_type_id.data if "case_type_id" in form else None,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            target = next((f for f in form if f.name == error.field), form.name)
            target.errors.append(error.message)
        else:
            return _done(chosen, f"\u201c{entry.name}\u201d added.")
    return _render(_section(chosen, form), status=422)


def _entry_or_refusal(kind: catalogue.Kind, entry_id: int):
    entry = db.session.get(kind.model, entry_id)
    if entry is None:
        if is_htmx_request():
            # Another admin deleted it: refresh the stale list instead of a silent 404.
            abort(_render(_section(kind, problem="That entry no longer exists.")))
        abort(404)
    return entry


@bp.route(f"/catalogue/{KIND}/<int:entry_id>/rename", methods=["POST"])
@role_required(Role.ADMIN)
def catalogue_rename(kind: str, entry_id: int) -> ResponseReturnValue:
    """Give an entry a new name."""
    chosen = catalogue.kind_of(kind)
    entry = _entry_or_refusal(chosen, entry_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return _refused(chosen, " ".join(form.name.errors) or "Enter a name.")
    before = entry.name
    try:
        catalogue.rename(
            current_user, chosen, entry, form.name.data, ip_address=request.remote_addr
        )
    except ServiceError as error:
        return _refused(chosen, error.message)
    return _done(chosen, f"\u201c{before}\u201d is now \u201c{entry.name}\u201d.")


@bp.route(f"/catalogue/{KIND}/<int:entry_id>/move", methods=["POST"])
@role_required(Role.ADMIN)
def catalogue_move(kind: str, entry_id: int) -> ResponseReturnValue:
    """Move an entry one place up or down its pick list."""
    chosen = catalogue.kind_of(kind)
    entry = _entry_or_refusal(chosen, entry_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        catalogue.move(
            current_user, chosen, entry, form.direction.data, ip_address=request.remote_addr
        )
    except ServiceError as error:
        return _refused(chosen, error.message)
    return _done(chosen, f"\u201c{entry.name}\u201d moved {form.direction.data}.")


@bp.route(f"/catalogue/{KIND}/<int:entry_id>/active", methods=["POST"])
@role_required(Role.ADMIN)
def catalogue_active(kind: str, entry_id: int) -> ResponseReturnValue:
    """Take an entry off its pick list, or put it back."""
    chosen = catalogue.kind_of(kind)
    entry = _entry_or_refusal(chosen, entry_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    catalogue.set_active(current_user, chosen, entry, active, ip_address=request.remote_addr)
    state = "back on the pick list" if active else "off the pick list; cases keep it"
    return _done(chosen, f"\u201c{entry.name}\u201d is {state}.")


@bp.route(f"/catalogue/{KIND}/<int:entry_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def catalogue_delete(kind: str, entry_id: int) -> ResponseReturnValue:
    """Delete an entry nothing uses."""
    chosen = catalogue.kind_of(kind)
    entry = _entry_or_refusal(chosen, entry_id)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    name = entry.name
    try:
        catalogue.delete(current_user, chosen, entry, ip_address=request.remote_addr)
    except ServiceError as error:
        return _refused(chosen, error.message)
    return _done(chosen, f"\u201c{name}\u201d deleted.")
