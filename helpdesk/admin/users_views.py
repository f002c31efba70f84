"""The administrator's people: the users list, new staff logins, role, tier and active."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from helpdesk.admin.forms import (
    BillingPermissionForm,
    PostOnlyForm,
    StaffCreateForm,
    StaffEditForm,
    UserFilterForm,
)
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import Role, User
from helpdesk.models.accounts import staff_rows
from helpdesk.services import ServiceError
from helpdesk.services.accounts import staff_admin, two_factor
from helpdesk.services.mail.links import mail_link
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of


def _filtered(form: UserFilterForm) -> tuple[sa.Select, dict[str, str]]:
    """The users query for the filters, and the filters kept in page links."""
    query = sa.select(User).order_by(User.name, User.id)
    kept: dict[str, str] = {}
    roles = {role.value for role in Role}
    if form.role.data in roles:
        query = query.where(User.role == Role(form.role.data))
        kept["role"] = form.role.data
    else:
        query = staff_rows(query).where(User.role.in_(staff_admin.STAFF_ROLES))
    if form.active.data in ("yes", "no"):
        query = query.where(User.active.is_(form.active.data == "yes"))
        kept["active"] = form.active.data
    return query, kept


@bp.route("/users")
@role_required(Role.ADMIN)
def user_list() -> ResponseReturnValue:
    """Staff (or any role) by name, filtered by role and whether the login is active."""
    form = UserFilterForm(request.args)
    query, kept = _filtered(form)
    return render_page_or_fragment(
        "admin/users.html",
        "admin/_users_list.html",
        form=form,
        page=page_of(query),
        kept=kept,
        staff_roles=staff_admin.STAFF_ROLES,
    )


def _link_settings() -> dict[str, Any]:
    return {
        "secret_key": current_app.config["SECRET_KEY"],
        "max_age": current_app.config["PASSWORD_RESET_MAX_AGE"],
        "link_for": lambda token: mail_link("auth.reset_password", token=token),
    }


def _show_error(form, error: ServiceError) -> None:
    target = next((f for f in form if f.name == error.field), None)
    (target.errors if target is not None else form.form_errors).append(error.message)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_create() -> ResponseReturnValue:
    """A new staff login; the person sets their own password through a mailed link."""
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user = staff_admin.create_staff(
                current_user,
                name=form.name.data,
                email=form.email.data,
                role=form.role.data,
                tier=form.tier.data,
                **_link_settings(),
            )
        except ServiceError as error:
            _show_error(form, error)
        else:
            flash(
                f"{user.name} can log in once they set a password: the link is on its way "
                f"to {user.email}.",
                "success",
            )
            return redirect(url_for("admin.user_edit", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/users_new.html", form=form), status


def _staff_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in staff_admin.STAFF_ROLES:
        abort(404)  # customer logins are managed on the customer's profile
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int) -> ResponseReturnValue:
    """Change a staff member's role, tier and whether they can log in."""
    user = _staff_or_404(user_id)
    form = StaffEditForm(data={"role": user.role.value, "tier": user.tier, "active": user.active})
    if form.validate_on_submit():
        try:
            changes = staff_admin.update_staff(
                current_user,
                user,
                role=form.role.data,
                tier=form.tier.data,
                active=form.active.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            db.session.rollback()  # the page shows the person as stored
            _show_error(form, error)
        else:
            flash(
                f"{user.name}: {', '.join(changes)} changed." if changes else "Nothing changed.",
                "success" if changes else "info",
            )
            return redirect(url_for("admin.user_edit", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/users_edit.html",
        form=form,
        user=user,
        link_form=PostOnlyForm(),
        billing_form=BillingPermissionForm(data={"billing_permission": user.billing_permission}),
        two_factor_required=two_factor.is_required(user),
    ), status


@bp.route("/users/<int:user_id>/billing-permission", methods=["POST"])
@role_required(Role.ADMIN)
def user_billing_permission(user_id: int) -> ResponseReturnValue:
    """Grant or take away an agent's billing permission (refunds, reships on case pages)."""
    user = _staff_or_404(user_id)
    form = BillingPermissionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = staff_admin.set_billing_permission(
            current_user,
            user,
            granted=form.billing_permission.data,
            ip_address=request.remote_addr,
        )
    except ServiceError as error:
        flash(error.message, "error")
    else:
        if not changed:
            flash("Nothing changed.", "info")
        elif user.billing_permission:
            flash(f"{user.name} may now refund and reship from case pages.", "success")
        else:
            flash(f"{user.name} may no longer refund or reship.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id), code=303)


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@role_required(Role.ADMIN)
def user_password_link(user_id: int) -> ResponseReturnValue:
    """Mail the person a new set-password link; nobody sees or sets the password here."""
    user = _staff_or_404(user_id)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    try:
        staff_admin.send_set_password_link(
            current_user, user, ip_address=request.remote_addr, **_link_settings()
        )
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"A set-password link is on its way to {user.email}.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@role_required(Role.ADMIN)
def user_two_factor_reset(user_id: int) -> ResponseReturnValue:
    """Clear a staff member's two-factor login (a lost phone, no recovery codes left)."""
    user = _staff_or_404(user_id)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    try:
        two_factor.reset(current_user, user, ip=request.remote_addr)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(
            f"{user.name}'s two-factor login is reset and every login of theirs has ended. "
            "They set up their app again at their next login.",
            "success",
        )
    return redirect(url_for("admin.user_edit", user_id=user.id), code=303)
