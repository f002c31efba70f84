"""Role gates: every blueprint checks its roles before each request, and each view again."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, g, make_response, redirect, request, url_for
from flask_login import current_user

from helpdesk.extensions import login_manager
from helpdesk.models import Role
from helpdesk.services.accounts import two_factor
from helpdesk.web.htmx import is_htmx_request


def refuse(reason: str) -> None:
    """Answer 403, keeping why for the audit of refused actions (helpdesk.web.refusals)."""
    g.refusal_reason = reason
    abort(403)


def refusal_reason() -> str | None:
    """Why this request was refused, when a guard said so."""
    return g.get("refusal_reason")


def _check(roles: frozenset[Role]) -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in roles:
        allowed = ", ".join(sorted(role.value for role in roles))
        refuse(f"role {current_user.role.value} is not one of: {allowed}")
    if (
        current_user.is_staff
        and request.endpoint not in COUNT_POLLS
        and two_factor.must_set_up(current_user)
    ):
        return _to_two_factor_setup()  # logged in before their role needed a second factor
    return None


# The live polls answer counts only, every few seconds, in one statement beyond the login: they
# skip the set-up check (a settings read); the next page the person opens makes them set it up.
COUNT_POLLS = frozenset({"tracker.counts", "reports.live"})


def _to_two_factor_setup() -> Any:
    target = url_for("auth.two_factor_setup")
    if is_htmx_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def role_required(*roles: Role) -> Callable:
    """Decorate a view: anonymous users go to the login page, other roles get 403."""
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = _check(allowed)
            return refusal if refusal is not None else view(*args, **kwargs)

        return wrapper

    return decorator


def gate_blueprint(blueprint: Blueprint, *roles: Role) -> None:
    """Refuse every request to `blueprint` from users without one of `roles`."""
    allowed = frozenset(roles)
    blueprint.before_request(lambda: _check(allowed))
