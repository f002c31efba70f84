"""My orders: the organisation's orders with masked keys, and "Request a key" opening a
licence-key case for that order (the licence-key e-mail sends customers there)."""

from __future__ import annotations

import re

import pytest

from helpdesk.extensions import db
from helpdesk.models import OrderKind, OrderStatus, Role
from tests.conftest import as_user
from tests.factories import make_order, make_user


@pytest.fixture
def world(app):
    with app.app_context():
        anna = make_user(Role.CUSTOMER, name="Anna Novak")
        ben = make_user(Role.CUSTOMER, name="Ben Harris")
        bought = make_order(
            anna.organisation,
            number="OT-BOUGHT",
            licence_key="ABCD1234EFGH5678",
            licensed_website="shop.northwind.example",
        )
        trial = make_order(anna.organisation, number="OT-TRIAL", kind=OrderKind.EVALUATION)
        make_order(anna.organisation, number="OT-CANCEL", status=OrderStatus.CANCELLED)
        make_order(ben.organisation, number="OT-OTHER", licence_key="ZZZZ9999YYYY0000")
        db.session.commit()
        return {"anna": anna.id, "bought": bought.id, "trial": trial.id}


def test_my_orders_lists_our_orders_with_the_key_masked(app, client, world):
    page = as_user(app, client, world["anna"]).get("/orders").text
    assert "My orders" in page
    for number in ("OT-BOUGHT", "OT-TRIAL", "OT-CANCEL"):
        assert number in page
    assert "OT-OTHER" not in page  # another organisation's order
    assert "ABCD1234EFGH5678" not in page and "ZZZZ" not in page
    assert "5678" in page
    assert "shop.northwind.example" in page
    assert 'aria-current="page" href="/orders">My orders</a>' in page


def test_request_a_key_only_for_what_was_bought(app, client, world):
    page = as_user(app, client, world["anna"]).get("/orders").text
    buttons = re.findall(r'href="([^"]+)">Request a key</a>', page)
    assert buttons == [f"/cases/new?order={world['bought']}&amp;category=licence_key"]
    assert "Keys come with a purchase" in page


def test_request_a_key_opens_a_licence_key_case_form_for_that_order(app, client, world):
    page = (
        as_user(app, client, world["anna"])
        .get(f"/cases/new?order={world['bought']}&category=licence_key")
        .text
    )
    assert re.search(rf'<option selected value="{world["bought"]}">', page)
    assert '<option selected value="licence_key">Licence key</option>' in page
    assert 'value="Licence key request"' in page


def test_a_foreign_order_or_unknown_type_in_the_link_is_ignored(app, client, world):
    with app.app_context():
        other = make_order(make_user(Role.CUSTOMER).organisation, number="OT-ELSE")
        db.session.commit()
        other_id = other.id
    page = (
        as_user(app, client, world["anna"])
        .get(f"/cases/new?order={other_id}&category=nonsense")
        .text
    )
    assert "OT-ELSE" not in page
    assert "<option selected" not in page


def test_no_orders_says_so(app, client):
    with app.app_context():
        lonely = make_user(Role.CUSTOMER)
        db.session.commit()
        lonely_id = lonely.id
    page = as_user(app, client, lonely_id).get("/orders").text
    assert "has no orders yet" in page
