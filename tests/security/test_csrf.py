"""Issue 10 item 2: every POST, PUT, PATCH and DELETE route refuses a request without a valid
CSRF token with 400 and changes nothing, for plain form posts and htmx requests alike.

Each route is posted by a role the access table admits (so the refusal can only come from the
CSRF check), with no token, a made-up token, and a real token of another session.

The API (/api/v1) takes no CSRF token: it never reads the session, so a cross-site request has
nothing to ride on. Its unsafe routes are posted the same way, by a signed-in browser the
access table admits with a token, and must answer 401 and change nothing even with the
session's own valid CSRF token."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import Flask, url_for

from helpdesk.extensions import db, limiter
from tests.conftest import as_user, csrf_from
from tests.security.access_table import OK, TABLE, resolve, resolve_json
from tests.security.world import build_world

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "Your form expired or was not sent from this site"
NO_BEARER = "Send a personal access token"
# Who posts: the first role of this list the access table admits to the route.
PREFERENCE = ("admin", "agent_t1", "billing", "customer_a", "anonymous")
# Logging out is for anyone logged in; its row expects the login page, not OK.
POSTER = {"auth.logout": "customer_a"}


def unsafe_routes(app: Flask) -> set[tuple[str, str]]:
    """(endpoint, method) of every rule that changes state."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & UNSAFE
    }


def snapshot() -> dict[str, str]:
    """A fingerprint of every table's rows, to show that a refused request changed nothing."""
    fingerprints = {}
    for table in db.metadata.sorted_tables:
        if table.name == "login_sessions":  # the test logging its clients in, not the requests
            continue
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        fingerprints[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return fingerprints


def _admitted(expected) -> bool:
    return expected == OK or (isinstance(expected, int) and expected < 400)


def _poster(row) -> str:
    if row.endpoint in POSTER:
        return POSTER[row.endpoint]
    return next((role for role in PREFERENCE if _admitted(row.expect[role])), "admin")


def _refused(row, response) -> bool:
    """Refused as it must be: a CSRF 400 for the pages, a 401 (no token) for the API."""
    body = response.get_data(as_text=True)
    if row.api:
        return response.status_code == 401 and NO_BEARER in body
    return response.status_code == 400 and CSRF_MESSAGE in body


def test_every_unsafe_route_refuses_requests_without_a_valid_token(app):
    world = build_world(app)
    # A real token, but of another browser's session: it must not work in this one.
    stranger = app.test_client()
    foreign_token = csrf_from(stranger.get("/help").get_data(as_text=True))
    with app.app_context():
        before = snapshot()

    first_rows = {}
    for row in TABLE:
        if row.method in UNSAFE:
            first_rows.setdefault((row.endpoint, row.method), row)
    covered, problems, requests = set(), [], 0
    for (endpoint, method), row in first_rows.items():
        role = _poster(row)
        client = app.test_client()
        if role != "anonymous":
            as_user(app, client, world["users"][role])
        own_token = csrf_from(client.get("/help").get_data(as_text=True))  # the session's own
        args, query = resolve(row, world)
        with app.test_request_context():
            url = url_for(endpoint, **args, **query)
        tokens = [("no", None), ("made-up", "not-a-token"), ("foreign", foreign_token)]
        if row.api:
            tokens.append(("own", own_token))  # cookies and CSRF token are no credentials
        for label, token in tokens:
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                data = dict(row.data)
                if token is not None:
                    headers["X-CSRFToken"] = token
                    data["csrf_token"] = token
                limiter.reset()  # the refusal must be CSRF's, not a rate limit's
                if row.api:
                    body = resolve_json(row, world)
                    response = client.open(url, method=method, json=body, headers=headers)
                else:
                    response = client.open(url, method=method, data=data, headers=headers)
                requests += 1
                if not _refused(row, response):
                    problems.append(
                        f"{method} {url} [{endpoint}] as {role}, {label} token"
                        f"{', htmx' if htmx else ''}: got {response.status_code}"
                    )
        covered.add((endpoint, method))

    with app.app_context():
        after = snapshot()
    changed = sorted(name for name in before if before[name] != after[name])
    print(f"\ncsrf: {len(covered)} unsafe routes, {requests} refused requests")
    report = ["accepted without a valid CSRF token:", *problems] if problems else []
    if changed:
        report.append(f"refused requests changed these tables: {changed}")
    assert not report, "\n".join(report)
    assert covered == unsafe_routes(app), sorted(unsafe_routes(app) - covered)
