"""API tokens on a staff member's own profile: make one, see the list, revoke one's own.

A new token is shown once, in the answer to the post that made it: never in a flash message
or the session (the session cookie is signed, not encrypted), never on a later page. Customers
hold no tokens: they see no section, and these endpoints answer them 404.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required

from helpdesk.auth.forms import ApiTokenForm, ApiTokenRevokeForm
from helpdesk.auth.views import bp, profile_page
from helpdesk.models import User, utcnow
from helpdesk.rules import api_tokens as rules
from helpdesk.services import ServiceError
from helpdesk.services.accounts import api_tokens
from helpdesk.services.accounts.api_tokens import NewToken
from helpdesk.web.api_tokens import token_rows
from helpdesk.web.forms import show_service_error
from helpdesk.web.htmx import is_htmx_request

FRAGMENT = "auth/_api_tokens.html"


def shows_tokens(user: User) -> bool:
    """Whether the profile offers API tokens to this login (staff who may hold them)."""
    return user.is_staff and api_tokens.may_hold_tokens(user)


def tokens_context(
    user: User,
    form: ApiTokenForm | None = None,
    *,
    new: NewToken | None = None,
    notice: str | None = None,
    problem: str | None = None,
) -> dict:
    """What the profile's API tokens section needs (nothing shows for customers)."""
    if not shows_tokens(user):
        return {"shows_api_tokens": False}
    form = form or ApiTokenForm(formdata=None)
    return {
        "shows_api_tokens": True,
        "token_form": form.for_user(user.role.value, user.billing_permission),
        "token_rows": token_rows(api_tokens.tokens_of(user), utcnow()),
        "revoke_form": ApiTokenRevokeForm(formdata=None),
        "scopes_described": rules.SCOPES,
        "new_token": new,
        "token_notice": notice,
        "token_problem": problem,
    }


def _token_holder() -> User:
    user = current_user._get_current_object()
    if not shows_tokens(user):
        abort(404)  # customers have no tokens to make or revoke
    return user


def _section(user: User, status: int = 200, **context) -> ResponseReturnValue:
    """The section for htmx (200, so htmx swaps a refusal in too); the profile page otherwise."""
    tokens = tokens_context(user, **context)
    if is_htmx_request():
        response = make_response(render_template(FRAGMENT, user=user, **tokens), 200)
        response.vary.add("HX-Request")
        return response
    return profile_page(status=status, tokens=tokens)


@bp.route("/api-tokens", methods=["POST"])
@login_required
def api_token_create() -> ResponseReturnValue:
    """Make a token; the answer shows it this once."""
    user = _token_holder()
    form = ApiTokenForm().for_user(user.role.value, user.billing_permission)
    if form.validate_on_submit():
        try:
            new = api_tokens.create(
                user,
                name=form.name.data or "",
                scopes=form.scopes.data or [],
                expires_in_days=form.expiry_days(),
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return _section(user, new=new)
    return _section(user, status=422, form=form)


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def api_token_revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of your own tokens: whatever uses it is refused from now on."""
    user = _token_holder()
    if not ApiTokenRevokeForm().validate_on_submit():
        abort(400)
    token = api_tokens.token_of(user, token_id)
    if token is None or token.user_id != user.id:
        abort(404)  # administrators revoke other people's tokens on /admin/api-tokens
    try:
        api_tokens.revoke(user, token, ip_address=request.remote_addr)
    except ServiceError as error:
        notice, problem = None, error.message
    else:
        notice = gettext("“%(name)s” is revoked: it no longer works.", name=token.name)
        problem = None
    if is_htmx_request():
        return _section(user, notice=notice, problem=problem)
    flash(problem or notice, "error" if problem else "success")
    return redirect(url_for("auth.profile", _anchor="api-tokens"))
