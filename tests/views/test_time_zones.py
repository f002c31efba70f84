"""Every time on a page is in the viewer's zone (their profile), in one format, zone named once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import OutboxMail, Role, Setting, User
from tests.conftest import as_user, post_form
from tests.factories import PASSWORD, make_case, make_user

# 2 Dec 2026, 15:41 UTC: 08:41 in Denver (MST), 16:41 in Berlin (CET).
OPENED = datetime(2026, 12, 2, 15, 41)
NOW = OPENED + timedelta(hours=3)


@pytest.fixture
def desk(app, monkeypatch):
    """Two agents in two zones and one case; the clock stands three hours after it opened."""
    monkeypatch.setitem(app.config, "CLOCK", lambda: NOW)
    with app.app_context():
        denver = make_user(Role.AGENT, time_zone="America/Denver")
        berlin = make_user(Role.AGENT, time_zone="Europe/Berlin")
        customer = make_user(Role.CUSTOMER)
        case = make_case(
            customer.organisation,
            requester_id=customer.id,
            created_at=OPENED,
            sla_due_at=OPENED + timedelta(hours=4),
        )
        db.session.commit()
        return {"denver": denver.id, "berlin": berlin.id, "case": case.number}


def opened_on(html: str) -> str:
    return re.search(r"<dt>Opened</dt><dd>(.*?)</dd>", html).group(1)


def sla_line(html: str) -> str:
    return re.search(r'<p id="sla"[^>]*>(.*?)</p>', html, re.S).group(1)


def test_the_same_case_shows_each_agent_their_own_zone(app, client, desk):
    url = f"/tracker/cases/{desk['case']}"
    denver = as_user(app, client, desk["denver"]).get(url).text
    berlin = as_user(app, app.test_client(), desk["berlin"]).get(url).text
    assert opened_on(denver) == "2 Dec 2026, 08:41"
    assert opened_on(berlin) == "2 Dec 2026, 16:41"
    # The first-response due time is on the same clock as the rest of the page.
    assert "2 Dec 2026, 12:41</time>" in sla_line(denver)
    assert "2 Dec 2026, 20:41</time>" in sla_line(berlin)
    # The zone is said once, in the footer, not beside each time.
    assert "Times are shown in Mountain Time (MST)." in denver
    assert "Times are shown in Central European Time (GMT+01:00)." in berlin
    for page in (denver, berlin):
        assert " UTC" not in page and " MST" not in page.replace("(MST)", "")


def test_lists_say_how_long_ago_with_the_exact_time_on_hover(app, client, desk):
    berlin = as_user(app, client, desk["berlin"]).get("/tracker/folders/queue").text
    assert '<time datetime="2026-12-02T15:41:00Z" title="2 Dec 2026, 16:41">3h ago</time>' in berlin


def test_changing_the_profile_zone_changes_the_times_shown(app, client, desk):
    url = f"/tracker/cases/{desk['case']}"
    as_user(app, client, desk["denver"])
    assert opened_on(client.get(url).text) == "2 Dec 2026, 08:41"
    saved = post_form(
        client, "/auth/profile", {"name": "Dee Denver", "phone": "", "time_zone": "Asia/Tokyo"}
    )
    assert saved.status_code == 302
    page = client.get(url).text
    assert opened_on(page) == "3 Dec 2026, 00:41"
    assert "Times are shown in Japan Time (GMT+09:00)." in page


def test_visitors_who_are_not_logged_in_see_the_business_zone(client):
    assert "Times are shown in Mountain Time (MST)." in client.get("/auth/login").text


def test_mail_to_a_customer_names_the_time_in_their_own_zone(app, client):
    with app.app_context():
        customer = make_user(Role.CUSTOMER, email="oslo@example.test", time_zone="Europe/Oslo")
        db.session.commit()
        user_id = customer.id
    as_user(app, client, user_id)
    changed = post_form(
        client,
        "/auth/password",
        {
            "current_password": PASSWORD,
            "new_password": "lighthouse-keeper-42",
            "confirm": "lighthouse-keeper-42",
        },
        page="/auth/profile",
    )
    assert changed.status_code in (200, 302)
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.user_id == user_id))
        sent_at = mail.created_at
    assert re.search(
        r"changed on \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d GMT\+0[12]:00", mail.body_text
    )
    # Oslo is one or two hours ahead of UTC: the hour written is the local one.
    local_hour = int(re.search(r", (\d\d):\d\d GMT", mail.body_text).group(1))
    assert (local_hour - sent_at.hour) % 24 in (1, 2)


def test_a_profile_without_a_zone_follows_the_business_zone_the_admin_sets(app, client, desk):
    url = f"/tracker/cases/{desk['case']}"
    as_user(app, client, desk["berlin"])
    saved = post_form(client, "/auth/profile", {"name": "Bo Berlin", "phone": "", "time_zone": ""})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(User, desk["berlin"]).time_zone is None
    assert opened_on(client.get(url).text) == "2 Dec 2026, 08:41"  # the default business zone
    profile = client.get("/auth/profile").text
    assert '<option selected value="">The business time zone (America/Denver)</option>' in profile
    with app.app_context():
        db.session.add(Setting(key="BUSINESS_TIME_ZONE", value="Asia/Tokyo"))
        db.session.commit()
    page = client.get(url).text
    assert opened_on(page) == "3 Dec 2026, 00:41"
    assert "Times are shown in Japan Time (GMT+09:00)." in page
