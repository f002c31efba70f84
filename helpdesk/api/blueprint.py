"""The `/api/v1` blueprint: every request but the document itself carries a bearer token.

No cookies are read or set here, so there is nothing for a cross-site request to ride on: the
blueprint is exempt from CSRF. Each token has its own rate limit, counted in the same storage
as the login limits (shared by every worker in production).
"""

from __future__ import annotations

import math
import time

from flask import Blueprint, Response, current_app, g, request
from limits import parse_many

from helpdesk.api.problems import Problem
from helpdesk.extensions import csrf, db, limiter
from helpdesk.rules.api_tokens import bearer_token
from helpdesk.services.accounts import api_tokens
from helpdesk.web.security import set_no_store

bp = Blueprint("api", __name__)
csrf.exempt(bp)

# The document and its page: readable without a token, so clients can be generated from it.
OPEN_ENDPOINTS = frozenset({"api.openapi_document", "api.docs_page"})


@bp.before_request
def authenticate() -> None:
    if request.endpoint in OPEN_ENDPOINTS:
        return
    secret = bearer_token(request.headers.get("Authorization"))
    if secret is None:
        raise Problem(401)
    try:
        g.api = api_tokens.authenticate(secret, ip_address=request.remote_addr)
    except api_tokens.Refused as refused:
        db.session.rollback()
        raise Problem(401, str(refused)) from None
    _count_against_limit(g.api.token.id)


def _count_against_limit(token_id: int) -> None:
    """429 with Retry-After once this token has used up any of its limits."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    strategy = limiter.limiter
    for item in parse_many(current_app.config["API_LIMIT_PER_TOKEN"]):
        if not strategy.hit(item, "api-token", str(token_id)):
            reset = strategy.get_window_stats(item, "api-token", str(token_id)).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            raise Problem(
                429,
                f"This token may make {item}; retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )


@bp.after_request
def never_cached(response: Response) -> Response:
    if request.endpoint not in OPEN_ENDPOINTS:
        set_no_store(response)
    return response


@bp.errorhandler(Problem)
def problem(error: Problem) -> Response:
    db.session.rollback()
    return error.get_response()


def load_operations() -> None:
    """Import the modules that declare the operations (each adds its routes once)."""
    from helpdesk.api import (  # noqa: F401
        articles_api,
        billing_api,
        cases_api,
        docs_views,
        people_api,
        refusals,
    )


def register(app) -> None:
    """Load the operations and mount the blueprint at /api/v1."""
    load_operations()
    app.register_blueprint(bp, url_prefix="/api/v1")
