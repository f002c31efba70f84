"""Seed 002: from a customer's profile in the system manager, every money page is one click away."""

from __future__ import annotations

import re

from helpdesk.extensions import db
from helpdesk.models import Role
from tests.conftest import as_user
from tests.factories import make_order, make_organisation, make_product, make_user


def test_each_payment_manager_link_on_the_profile_opens_for_that_customer(app, client):
    with app.app_context():
        organisation = make_organisation(name="Quill & Ink Stationers")
        make_order(organisation)
        make_product()
        clerk = make_user(Role.BILLING)
        db.session.commit()
        organisation_id, clerk_id = organisation.id, clerk.id
    as_user(app, client, clerk_id)

    profile = client.get(f"/system/customers/{organisation_id}").text
    nav = re.search(
        r'<nav class="subnav" aria-label="Payment manager for this customer">(.*?)</nav>',
        profile,
        re.S,
    )
    links = re.findall(r'href="([^"]+)">([^<]+)</a>', nav.group(1))

    assert [text for _, text in links] == [
        "Place an order",
        "Orders",
        "Transactions",
        "Recurring payments &amp; plans",
        "Statements",
    ]
    for href, text in links:
        page = client.get(href.replace("&amp;", "&"))
        assert page.status_code == 200, text
    assert "Quill &amp; Ink Stationers" in client.get(links[0][0]).text
