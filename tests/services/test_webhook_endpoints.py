"""Registering webhook endpoints: the URL's form and every address it reaches are checked,
each change is audited (the secret never is), the secret is made by us and can be renewed."""

from __future__ import annotations

import json
import socket

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, Role, WebhookDelivery, WebhookEndpoint
from helpdesk.services import ServiceError
from helpdesk.services.core import settings
from helpdesk.services.webhooks import endpoints
from helpdesk.services.webhooks.transport import RESOLVER_EXTENSION, Refused, system_resolver
from tests.factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")

PUBLIC = "93.184.215.14"


class Resolver:
    """DNS as the test says: name -> addresses; unknown names do not resolve."""

    def __init__(self, **names: list[str]) -> None:
        self.names = {name.replace("_", "."): addresses for name, addresses in names.items()}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.names:
            raise Refused(f"{host} could not be resolved.")
        return self.names[host]


@pytest.fixture
def dns(app, monkeypatch) -> Resolver:
    resolver = Resolver(
        hooks_example_com=[PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        internal_example_com=["10.20.3.4"],
        mixed_example_com=[PUBLIC, "192.168.1.10"],
        metadata_example_com=["169.254.169.254"],
        rebind_example_com=["::ffff:127.0.0.1"],
    )
    monkeypatch.setitem(app.extensions, RESOLVER_EXTENSION, resolver)
    return resolver


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, name="Ada Admin")


def create(admin, url="https://hooks.example.com/in", **overrides):
    values = {"url": url, "description": "Shop", "events": ["case.created"], **overrides}
    return endpoints.create(admin, ip_address="198.51.100.4", **values)


def audit_rows(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def test_registering_makes_a_secret_shown_once_and_audits_without_it(dns, admin):
    endpoint, secret = create(admin, events=["refund.created", "case.created"])

    assert secret.startswith("whsec_") and len(secret) > 40
    assert endpoint.secret == secret  # kept to sign with
    assert endpoint.events == "case.created refund.created"  # in the offered order
    assert endpoint.active and endpoint.created_by_id == admin.id
    (row,) = audit_rows("webhook.create")
    assert row.details == {
        "url": "https://hooks.example.com/in",
        "events": ["case.created", "refund.created"],
        "active": True,
    }
    assert row.ip_address == "198.51.100.4"
    assert secret not in json.dumps(row.details)
    _, other = create(admin)
    assert other != secret


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
        ("http://0x7f000001/", "127.0.0.1 is a loopback address"),
        ("http://2130706433/", "loopback"),
        ("http://017700000001/", "loopback"),
        ("http://127.1/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://metadata.example.com/", "metadata"),
        ("https://internal.example.com/", "internal.example.com is at 10.20.3.4, a private"),
        ("https://mixed.example.com/", "192.168.1.10, a private address"),
        ("https://rebind.example.com/", "loopback"),
        ("https://nowhere.example.com/", "could not be resolved"),
        ("ftp://hooks.example.com/", "https://"),
        ("https://user:secret@hooks.example.com/", "user name"),
        ("", "Enter the URL"),
    ],
)
def test_urls_that_reach_inside_are_refused_with_a_reason(dns, admin, url, error):
    with pytest.raises(ServiceError, match=error) as refused:
        create(admin, url=url)

    assert refused.value.field == "url"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_a_private_address_names_the_setting_that_allows_it(dns, admin):
    with pytest.raises(ServiceError, match="Internal addresses webhooks may reach"):
        create(admin, url="https://internal.example.com/")


def test_the_allowed_ranges_let_an_internal_receiver_in(dns, admin):
    settings.save(admin, {"WEBHOOK_ALLOWED_NETWORKS": "10.20.0.0/16"})

    endpoint, _ = create(admin, url="https://internal.example.com/")

    assert endpoint.url == "https://internal.example.com/"
    with pytest.raises(ServiceError, match="192.168.1.10"):  # other ranges stay closed
        create(admin, url="https://mixed.example.com/")


@pytest.mark.parametrize(
    ("entered", "error"),
    [
        ("0.0.0.0/0", "too wide"),
        ("intranet", "not an address"),
    ],
)
def test_the_allowed_ranges_setting_is_checked(admin, entered, error):
    with pytest.raises(settings.SettingsError) as refused:
        settings.save(admin, {"WEBHOOK_ALLOWED_NETWORKS": entered})
    assert error in refused.value.errors["WEBHOOK_ALLOWED_NETWORKS"]


def test_the_allowed_ranges_are_stored_canonical(admin):
    settings.save(admin, {"WEBHOOK_ALLOWED_NETWORKS": " 10.20.9.9/16;127.0.0.1 "})

    assert settings.setting("WEBHOOK_ALLOWED_NETWORKS") == "10.20.0.0/16, 127.0.0.1/32"
    assert [str(n) for n in endpoints.allowed_networks()] == ["10.20.0.0/16", "127.0.0.1/32"]


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"events": []}, "events", "at least one event"),
        ({"events": ["case.deleted"]}, "events", "Unknown event"),
        ({"description": "x" * 201}, "description", "at most 200"),
    ],
)
def test_events_and_description_are_checked(dns, admin, overrides, field, error):
    with pytest.raises(ServiceError, match=error) as refused:
        create(admin, **overrides)
    assert refused.value.field == field


def test_changes_are_audited_and_a_new_url_is_checked_again(dns, admin):
    endpoint, _ = create(admin)
    dns.asked.clear()

    changes = endpoints.update(
        admin,
        endpoint,
        url=endpoint.url,
        description="Shop orders",
        events=["case.created", "case.closed"],
        active=False,
    )

    assert dns.asked == []  # the same URL: checked at every delivery anyway
    assert changes == {
        "description": {"before": "Shop", "after": "Shop orders"},
        "events": {"before": "case.created", "after": "case.created case.closed"},
        "active": {"before": True, "after": False},
    }
    assert audit_rows("webhook.update")[0].details == {"changes": changes}
    with pytest.raises(ServiceError, match="loopback"):
        endpoints.update(
            admin, endpoint, url="http://127.0.0.1/", description="", events=["case.created"],
            active=True,
        )  # fmt: skip
    db.session.rollback()
    assert db.session.get(WebhookEndpoint, endpoint.id).url == "https://hooks.example.com/in"
    assert endpoints.update(
        admin, endpoint, url=endpoint.url, description="Shop orders",
        events=["case.created", "case.closed"], active=False,
    ) == {}  # fmt: skip


def test_a_new_secret_replaces_the_old_one_and_is_audited_without_it(dns, admin):
    endpoint, first = create(admin)

    second = endpoints.rotate_secret(admin, endpoint)

    assert second != first and endpoint.secret == second
    (row,) = audit_rows("webhook.rotate_secret")
    assert row.object_id == endpoint.id
    assert first not in json.dumps(row.details) and second not in json.dumps(row.details)


def test_removing_an_endpoint_removes_its_deliveries(dns, admin):
    endpoint, _ = create(admin)
    make_case(make_organisation())
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 1

    endpoints.delete(admin, endpoint)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0
    (row,) = audit_rows("webhook.delete")
    assert row.details["undelivered"] == 1 and row.object_id is not None


def test_the_system_resolver_answers_for_localhost_and_refuses_a_name_it_cannot_find(
    monkeypatch,
):
    assert {"127.0.0.1", "::1"} & set(system_resolver("localhost", 80))

    def no_such_name(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(Refused, match="could not be resolved"):
        system_resolver("hooks.example.com", 443)
