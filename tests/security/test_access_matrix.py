"""Issue 10 item 1: every URL rule, requested by every role, answers what the access table
declares: the login page for visitors, 403 for the wrong role, 404 for someone else's object."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, url_for
from flask.testing import FlaskClient

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.rules.api_tokens import grantable
from helpdesk.services.accounts import api_tokens
from tests.conftest import as_user, csrf_from
from tests.security.access_table import (
    LOGIN,
    OK,
    REDIRECT,
    ROLES,
    TABLE,
    Row,
    resolve,
    resolve_json,
)
from tests.security.world import build_world

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CHECKED_METHODS = {"GET"} | UNSAFE


def app_routes(app: Flask) -> set[tuple[str, str]]:
    """(endpoint, method) of every URL rule but `static`; HEAD and OPTIONS follow GET."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods & CHECKED_METHODS
    }


def test_every_route_has_a_row_in_the_access_table(app):
    declared = {(row.endpoint, row.method) for row in TABLE}
    missing = sorted(app_routes(app) - declared)
    stale = sorted(declared - app_routes(app))
    assert not missing, f"routes without a row in tests/security/access_table.py: {missing}"
    assert not stale, f"rows for routes that do not exist: {stale}"
    for row in TABLE:
        assert set(row.expect) == set(ROLES), f"{row.endpoint} {row.method}: name every role"


def _mismatch(response, expected) -> str | None:
    """Why `response` is not `expected`, or None when it is."""
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    to_login = status in (301, 302, 303, 307) and location == "/auth/login"
    if expected == LOGIN:
        ok = to_login
    elif expected == REDIRECT:
        ok = status in (301, 302, 303, 307) and not to_login
    elif expected == OK:
        ok = status < 500 and status not in (401, 403, 404) and not to_login
    else:
        ok = status == expected
    return None if ok else f"got {status}{f' -> {location}' if location else ''}"


def role_clients(app: Flask, world: dict) -> dict[str, tuple[FlaskClient, str]]:
    """A test client per role, signed in as the world's user, with its CSRF token."""
    clients = {}
    for index, role in enumerate(ROLES):
        client = app.test_client()
        # One address per role: the per-IP limits on login, register and reset stay out of it.
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{10 + index}"
        if role != "anonymous":
            as_user(app, client, world["users"][role])
        token = csrf_from(client.get("/help").get_data(as_text=True))
        clients[role] = (client, token)
    return clients


def role_tokens(app: Flask, world: dict) -> dict[str, dict[str, str]]:
    """API headers per role: a token with every scope the role may hold, for staff; nothing
    for customers and visitors, who hold no tokens."""
    headers: dict[str, dict[str, str]] = {}
    with app.app_context():
        for role in ROLES:
            user = db.session.get(User, world["users"][role]) if role != "anonymous" else None
            scopes = grantable(user.role.value, user.billing_permission) if user else set()
            if not scopes:
                headers[role] = {}
                continue
            made = api_tokens.create(user, name="Matrix", scopes=scopes, expires_in_days=30)
            headers[role] = {"Authorization": f"Bearer {made.secret}"}
    return headers


def api_request(client: FlaskClient, row: Row, url: str, world: dict, headers: dict, key: str):
    """An API row's request: the role's token (if any), its JSON body, a fresh
    Idempotency-Key. The session cookie goes along too, and must not count."""
    headers = {**headers, "Idempotency-Key": key}
    if row.method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=row.method, json=resolve_json(row, world), headers=headers)


def url_of(app: Flask, row: Row, world: dict) -> str:
    """The row's URL with the world's ids filled in."""
    args, query = resolve(row, world)
    with app.test_request_context():
        return url_for(row.endpoint, **args, **query)


def test_access_matrix(app, capsys):
    world = build_world(app)
    clients = role_clients(app, world)
    tokens = role_tokens(app, world)

    # Pages first, then the posts (some change what later rows see: close, delete ...).
    rows = [r for r in TABLE if r.method == "GET"] + [r for r in TABLE if r.method != "GET"]
    problems, checks = [], 0
    for row in rows:
        url = url_of(app, row, world)
        headers = {"HX-Request": "true"} if row.htmx else {}
        for role in ROLES:
            client, token = clients[role]
            if role != "anonymous":
                as_user(app, client, world["users"][role])  # logout and password rows end it
            if row.api:
                key = f"matrix-{checks}"
                response = api_request(client, row, url, world, tokens[role], key)
            elif row.method == "GET":
                response = client.get(url, headers=headers)
            else:
                data = {**row.data, "csrf_token": token}
                response = client.open(url, method=row.method, data=data, headers=headers)
            response.get_data()  # streamed bodies (CSV) run to the end inside the request
            response.close()
            checks += 1
            why = _mismatch(response, row.expect[role])
            if why:
                problems.append(
                    f"{row.method} {url} [{row.endpoint}] as {role}: "
                    f"expected {row.expect[role]}, {why}"
                )
    with capsys.disabled():
        print(f"\naccess matrix: {len(rows)} rows x {len(ROLES)} roles = {checks} checks")
    assert not problems, "\n".join(["access table mismatches:", *problems])
