"""The case page's Support row: the level kept at opening, and today's beside it if it differs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.models import Organisation, Role, utcnow
from helpdesk.rules.eligibility import SupportLevel
from tests.conftest import as_user
from tests.factories import make_case, make_order, make_user


@pytest.fixture
def world(app):
    """An agent, and a customer whose only purchase is 40 days old (no plan today)."""
    with app.app_context():
        agent = make_user(Role.AGENT)
        customer = make_user(Role.CUSTOMER)
        make_order(customer.organisation, ordered_at=utcnow() - timedelta(days=40))
        db.session.commit()
        return {"agent": agent.id, "organisation": customer.organisation_id}


def support_row(app, client, world, **snapshot) -> str:
    with app.app_context():
        case = make_case(db.session.get(Organisation, world["organisation"]), **snapshot)
        db.session.commit()
        number = case.number
    page = as_user(app, client, world["agent"]).get(f"/tracker/cases/{number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = re.search(r'<dd class="case-eligibility">(.*?)</dd>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_the_level_at_opening_is_shown_with_todays_when_it_changed(app, client, world):
    text = support_row(
        app,
        client,
        world,
        eligibility_level=SupportLevel.ACTIVE,
        eligibility_reason="Ordered 10 days ago (within 30 days)",
    )
    assert text.startswith("Active support plan at opening Ordered 10 days ago")
    assert "Ordered 10 days ago (within 30 days)" in text
    assert "Today: No active plan Ordered 40 days ago (more than 30 days)" in text


def test_an_unchanged_level_is_shown_once(app, client, world):
    text = support_row(
        app,
        client,
        world,
        eligibility_level=SupportLevel.NO_PLAN,
        eligibility_reason="Ordered 35 days ago (more than 30 days)",
    )
    assert text.startswith("No active plan at opening")
    assert "Ordered 35 days ago" in text
    assert "Today" not in text


def test_a_case_from_before_the_record_says_not_recorded(app, client, world):
    text = support_row(app, client, world)
    assert text.startswith("Not recorded at opening")
    assert "Today: No active plan Ordered 40 days ago (more than 30 days)" in text
