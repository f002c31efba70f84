"""The webhook pages: administrators add an endpoint (its secret shown once), change it, see
its deliveries, make a new secret, turn it on again and remove it; bad URLs are form errors;
everyone else is refused; every post needs its CSRF token."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, DeliveryStatus, Role, WebhookDelivery, WebhookEndpoint
from helpdesk.services.webhooks.transport import RESOLVER_EXTENSION, Refused
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_organisation, make_user
from tests.views.test_admin_settings import save_settings

SECRET_SHOWN = re.compile(r'id="webhook-secret">(whsec_[A-Za-z0-9_-]+)<')


@pytest.fixture(autouse=True)
def dns(app, monkeypatch):
    def resolve(host: str, port: int) -> list[str]:
        if host == "hooks.example.com":
            return ["93.184.215.14"]
        if host == "intranet.example.com":
            return ["10.0.0.8"]
        raise Refused(f"{host} could not be resolved.")

    monkeypatch.setitem(app.extensions, RESOLVER_EXTENSION, resolve)


@pytest.fixture
def admin(app):
    with app.app_context():
        user = make_user(Role.ADMIN)
        db.session.commit()
        user_id = user.id
    return as_user(app, app.test_client(), user_id)


def add(client, **fields):
    data = {
        "url": "https://hooks.example.com/in",
        "description": "Order system",
        "events": ["case.created", "refund.created"],
        "active": "y",
        **fields,
    }
    return post_form(client, "/admin/webhooks/new", data)


def only_endpoint(app) -> WebhookEndpoint:
    with app.app_context():
        endpoint = db.session.scalar(sa.select(WebhookEndpoint))
        db.session.expunge_all()
        return endpoint


def test_adding_an_endpoint_shows_its_secret_once(app, admin):
    listing = admin.get("/admin/webhooks").get_data(as_text=True)
    assert "No endpoints yet" in listing
    assert "Add an endpoint" in admin.get("/admin/webhooks/new").get_data(as_text=True)

    response = add(admin)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    secret = SECRET_SHOWN.search(html).group(1)
    assert "it is not shown again" in html
    endpoint = only_endpoint(app)
    assert endpoint.secret == secret
    assert endpoint.events == "case.created refund.created" and endpoint.active
    assert "whsec_" not in response.headers.get("Set-Cookie", "")
    # Never again: not on the list, not on its page.
    for url in ("/admin/webhooks", f"/admin/webhooks/{endpoint.id}"):
        page = admin.get(url).get_data(as_text=True)
        assert secret not in page
        assert "https://hooks.example.com/in" in page
    assert endpoint.secret[:10] in admin.get(f"/admin/webhooks/{endpoint.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/", "Use an https:// (or http://) URL."),
        ("http://127.0.0.1:5000/", "127.0.0.1 is a loopback address"),
        ("http://0x7f000001/", "127.0.0.1 is a loopback address"),
        ("https://[::ffff:169.254.169.254]/", "the cloud metadata service"),
        ("https://intranet.example.com/", "intranet.example.com is at 10.0.0.8"),
        ("https://nowhere.example.com/", "could not be resolved"),
        ("https://hooks.example.com/#x", "Leave out the # part"),
        ("not a url", "without spaces"),
        ("https://hooks.example.com:99999/", "not a valid URL"),
        ("https://" + "a" * 2100, "Field cannot be longer than 2000 characters."),
        ("", "Enter the URL the events are sent to."),
    ],
)
def test_a_bad_url_is_a_form_error(app, admin, url, message):
    response = add(admin, url=url)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message.replace("&", "&amp;") in html.replace("&#34;", '"')
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_no_event_chosen_is_a_form_error(admin):
    response = add(admin, events=[])

    assert response.status_code == 422
    assert "Choose at least one event." in response.get_data(as_text=True)


def test_editing_turning_on_again_new_secret_and_removing(app, admin):
    add(admin)
    endpoint = only_endpoint(app)
    page = f"/admin/webhooks/{endpoint.id}"

    saved = post_form(
        admin,
        page,
        {"url": endpoint.url, "description": "Shop", "events": ["case.closed"], "active": "y"},
    )
    assert saved.status_code == 302
    assert "Endpoint saved." in admin.get(page).get_data(as_text=True)
    assert only_endpoint(app).events == "case.closed"
    bad = post_form(admin, page, {"url": "http://10.1.1.1/", "events": ["case.closed"]})
    assert bad.status_code == 422 and "10.1.1.1 is a private address" in bad.get_data(True)

    with app.app_context():  # the failure rule turned it off
        row = db.session.get(WebhookEndpoint, endpoint.id)
        row.active, row.disabled_reason = False, "10 delivery attempts in a row failed."
        row.disabled_at = row.created_at
        db.session.commit()
    html = admin.get(page).get_data(as_text=True)
    assert "10 delivery attempts in a row failed." in html and "Turn on again" in html
    listing = admin.get("/admin/webhooks").get_data(as_text=True)
    assert "turned off" in listing and 'title="10 delivery attempts in a row failed."' in listing
    on = post_form(admin, f"{page}/enable", {}, page=page)
    assert on.status_code == 302
    assert only_endpoint(app).active and only_endpoint(app).disabled_reason is None

    rotated = post_form(admin, f"{page}/secret", {}, page=page)
    assert rotated.status_code == 200
    new_secret = SECRET_SHOWN.search(rotated.get_data(as_text=True)).group(1)
    assert only_endpoint(app).secret == new_secret

    removed = post_form(admin, f"{page}/delete", {}, page=page)
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0
        actions = list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == [
        "webhook.create",
        "webhook.update",
        "webhook.enable",
        "webhook.rotate_secret",
        "webhook.delete",
    ]
    assert admin.get(page).status_code == 404


def test_the_endpoint_page_lists_its_deliveries_and_pages_them_for_htmx(app, admin):
    add(admin, events=["case.created"])
    endpoint = only_endpoint(app)
    with app.app_context():
        organisation = make_organisation()
        for _ in range(30):
            make_case(organisation)
        db.session.commit()
        failed = db.session.scalar(sa.select(WebhookDelivery).order_by(WebhookDelivery.id.desc()))
        failed.status, failed.attempts = DeliveryStatus.PENDING, 2
        failed.last_status_code, failed.last_duration_ms = 500, 1234
        failed.last_error = "HTTP 500 Internal Server Error: database down"
        db.session.commit()

    html = admin.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)

    assert "Recent deliveries" in html
    assert html.count('id="delivery-') == 25
    assert "HTTP 500 Internal Server Error: database down" in html
    assert "1,234" in html and "retrying" in html
    fragment = admin.get(
        f"/admin/webhooks/{endpoint.id}?page=2", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="webhook-deliveries">')
    assert fragment.count('id="delivery-') == 5
    listing = admin.get("/admin/webhooks").get_data(as_text=True)
    assert ">30<" in listing  # waiting


@pytest.mark.parametrize("role", [Role.AGENT, Role.BILLING, Role.CUSTOMER])
def test_only_administrators_may(app, role):
    with app.app_context():
        endpoint_owner = make_user(Role.ADMIN)
        endpoint = WebhookEndpoint(
            url="https://hooks.example.com/in",
            events="case.created",
            secret="whsec_x",
            created_by_id=endpoint_owner.id,
        )
        db.session.add(endpoint)
        user = make_user(role)
        db.session.commit()
        user_id, endpoint_id = user.id, endpoint.id
    client = as_user(app, app.test_client(), user_id)
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    for url in ("/admin/webhooks", "/admin/webhooks/new", f"/admin/webhooks/{endpoint_id}"):
        assert client.get(url).status_code == 403
    for url in (
        "/admin/webhooks/new",
        f"/admin/webhooks/{endpoint_id}",
        f"/admin/webhooks/{endpoint_id}/secret",
        f"/admin/webhooks/{endpoint_id}/enable",
        f"/admin/webhooks/{endpoint_id}/delete",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id).secret == "whsec_x"


def test_posts_without_the_csrf_token_are_refused(app, admin):
    add(admin)
    endpoint = only_endpoint(app)

    for url in (
        "/admin/webhooks/new",
        f"/admin/webhooks/{endpoint.id}/secret",
        f"/admin/webhooks/{endpoint.id}/delete",
    ):
        assert admin.post(url, data={"url": "https://hooks.example.com/x"}).status_code == 400
    assert only_endpoint(app).secret == endpoint.secret


def test_the_settings_page_takes_the_allowed_ranges(app, admin):
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Internal addresses webhooks may reach" in page
    refused = add(admin, url="https://intranet.example.com/")
    assert "Internal addresses webhooks may reach" in refused.get_data(as_text=True)

    bad = save_settings(app, admin, WEBHOOK_ALLOWED_NETWORKS="0.0.0.0/0")
    assert bad.status_code == 422
    assert "0.0.0.0/0 is too wide: use at most a /8." in bad.get_data(as_text=True)
    good = save_settings(app, admin, WEBHOOK_ALLOWED_NETWORKS="10.0.0.0/24")
    assert good.status_code == 302

    assert add(admin, url="https://intranet.example.com/").status_code == 200
    assert 'value="10.0.0.0/24"' in admin.get("/admin/settings").get_data(as_text=True)
