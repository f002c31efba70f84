"""`/healthz` (the process answers) and `/readyz` (it can serve: database, migrations, worker)
for load balancers: JSON, public, no session, no CSRF, no rate limit."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from helpdesk.extensions import csrf, limiter
from helpdesk.services.core import readiness
from helpdesk.web.security import set_no_store

bp = Blueprint("health", __name__)
csrf.exempt(bp)
limiter.exempt(bp)


def _json(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    set_no_store(response)
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Answers without touching the database: a restart, not a failover, fixes a silent one."""
    return _json({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> Response:
    results = readiness.run_checks()
    failing = [name for name, result in results.items() if not result.ok]
    body = {
        "status": "unavailable" if failing else "ok",
        "checks": {name: result.detail for name, result in results.items()},
        "failing": failing,
    }
    return _json(body, 503 if failing else 200)
