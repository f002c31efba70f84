"""Role gates on every blueprint, error pages, security headers and htmx fragments."""

from __future__ import annotations

import pytest

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Role
from tests.conftest import config_for_tests, login_as
from tests.factories import make_case, make_user

AREAS = ["/cases", "/tracker/", "/billing/", "/system/", "/admin/"]
ALLOWED = {
    Role.CUSTOMER: {"/cases"},
    Role.AGENT: {"/tracker/"},
    Role.BILLING: {"/billing/", "/system/"},
    Role.ADMIN: {"/tracker/", "/billing/", "/system/", "/admin/"},
}


@pytest.mark.parametrize("url", AREAS)
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next={url.replace('/', '%2F')}"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("url", AREAS)
def test_each_area_admits_only_its_roles(app, client, role, url):
    with app.app_context():
        login_as(client, make_user(role))
        db.session.commit()
    response = client.get(url)
    expected = 200 if url in ALLOWED[role] else 403
    assert response.status_code == expected
    if expected == 403:
        assert "Not allowed" in response.get_data(as_text=True)


def test_every_blueprint_gates_before_any_view(app):
    """A view added later without its own decorator is still behind its blueprint's gate
    (the API's gate is its bearer token: helpdesk.api.blueprint.authenticate)."""
    gated = {name for name, bp in app.blueprints.items() if bp.before_request_funcs}
    assert gated == {
        "api",
        "portal",
        "tracker",
        "billing",
        "system",
        "admin",
        "reports",
        "notifications",
    }
    assert all(app.before_request_funcs.get(name) for name in gated)


def test_customer_sees_only_their_organisations_cases(app, client):
    with app.app_context():
        mine = make_user(Role.CUSTOMER)
        other = make_user(Role.CUSTOMER)
        make_case(mine.organisation, subject="Our printer jams")
        make_case(other.organisation, subject="Their secret outage")
        db.session.commit()
        login_as(client, mine)
    html = client.get("/cases").get_data(as_text=True)
    assert "Our printer jams" in html and "Their secret outage" not in html


def test_lists_page_in_the_database(app, client):
    with app.app_context():
        customer = make_user(Role.CUSTOMER)
        for n in range(30):
            make_case(customer.organisation, subject=f"Numbered case {n:02d}")
        db.session.commit()
        login_as(client, customer)
    first = client.get("/cases").get_data(as_text=True)
    second = client.get("/cases?page=2").get_data(as_text=True)
    # Count the listed links, not the full subject repeated in each cell's title="".
    assert first.count(">Numbered case") == 25 and second.count(">Numbered case") == 5
    assert "Page 2 of 2 (30 in all)" in second
    assert client.get("/cases?page=-3").status_code == 200
    assert client.get("/cases?page=999").status_code == 200


def test_htmx_request_gets_the_fragment_only(app, client):
    with app.app_context():
        login_as(client, make_user(Role.AGENT))
        db.session.commit()
    full = client.get("/tracker/")
    fragment = client.get("/tracker/", headers={"HX-Request": "true"})
    restore = client.get(
        "/tracker/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in full.text and "<html" in restore.text
    assert "<html" not in fragment.text and 'id="case-table"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize(
    "url, code, words",
    [
        ("/no-such-page", 404, "Not found"),
        ("/auth/logout", 405, "Method not allowed"),
    ],
)
def test_error_pages_explain_without_internals(client, url, code, words):
    response = client.get(url)
    assert response.status_code == code
    assert words in response.text and "Traceback" not in response.text


def test_unexpected_error_gives_a_plain_500_page(tmp_path):
    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/500.db", tmp_path))

    @app.route("/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_security_headers_on_every_page(client):
    for url in ["/auth/login", "/auth/register", "/no-such-page"]:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_csrf_token_for_htmx_and_pinned_htmx(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<meta name="csrf-token"' in html
    assert 'hx-headers=\'{"X-CSRFToken":' in html
    assert "htmx-2.0.11.min.js" in html
    assert client.get("/static/htmx-2.0.11.min.js").status_code == 200
