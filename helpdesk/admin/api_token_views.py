"""Every staff member's API tokens for administrators: who holds which, what each may do, when
it was last used, and Revoke (audited by services.accounts.api_tokens)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from helpdesk.admin.forms import PostOnlyForm
from helpdesk.admin.responses import page_or_fragment
from helpdesk.admin.views import bp
from helpdesk.models import Role, utcnow
from helpdesk.rules import api_tokens as rules
from helpdesk.services import ServiceError
from helpdesk.services.accounts import api_tokens
from helpdesk.web.api_tokens import token_rows
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request


def _with_revoked() -> bool:
    return request.args.get("revoked") == "1"


def _list(*, notice: str | None = None, problem: str | None = None) -> ResponseReturnValue:
    with_revoked = _with_revoked()
    return page_or_fragment(
        "admin/api_tokens.html",
        "admin/_api_tokens.html",
        token_rows=token_rows(api_tokens.all_tokens(include_revoked=with_revoked), utcnow()),
        with_revoked=with_revoked,
        revoke_form=PostOnlyForm(formdata=None),
        scopes_described=rules.SCOPES,
        notice=notice,
        problem=problem,
    )


@bp.route("/api-tokens")
@role_required(Role.ADMIN)
def api_token_list() -> ResponseReturnValue:
    """Every token not revoked (with `?revoked=1`, the revoked ones too), newest first."""
    return _list()


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def api_token_revoke(token_id: int) -> ResponseReturnValue:
    """Revoke anyone's token: whatever uses it is refused from the next request on."""
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    token = api_tokens.token_of(current_user, token_id)
    if token is None:
        abort(404)
    owner = token.user.name
    try:
        api_tokens.revoke(current_user, token, ip_address=request.remote_addr)
    except ServiceError as error:
        notice, problem = None, error.message
    else:
        notice, problem = f"{owner}’s token “{token.name}” is revoked: it no longer works.", None
    if is_htmx_request():
        return _list(notice=notice, problem=problem)
    flash(problem or notice, "error" if problem else "success")
    return redirect(url_for("admin.api_token_list", revoked="1" if _with_revoked() else None))
