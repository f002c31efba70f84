"""The bell, the notifications page and the sidebar poll that brings new ones (issue 19
item 1)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CaseStatus, Notification, Role, User
from helpdesk.services.tracker import tracker
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_user

BELL = re.compile(r'<a id="notification-bell"[^>]*aria-label="Notifications(?:, (\d+) unread)?"')


@pytest.fixture
def desk(app):
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind")
        tomas = make_user(Role.AGENT, name="Tomas Tran")
        customer = make_user(Role.CUSTOMER)
        cases = [
            make_case(customer.organisation, status=CaseStatus.OPEN, subject=f"Printer {n}")
            for n in range(2)
        ]
        db.session.commit()
        return {
            "lena": lena.id,
            "tomas": tomas.id,
            "customer": customer.id,
            "numbers": [c.number for c in cases],
            "ids": [c.id for c in cases],
        }


def assign(app, desk, index: int, *, by="tomas", to="lena"):
    with app.app_context():
        from helpdesk.models import Case

        case = db.session.get(Case, desk["ids"][index])
        tracker.bulk_apply(db.session.get(User, desk[by]), [case], "assign", desk[to])


def bell(html: str) -> int:
    match = BELL.search(html)
    assert match, "no bell on the page"
    return int(match.group(1) or 0)


def test_the_bell_counts_unread_and_the_page_lists_them(app, desk):
    client = as_user(app, app.test_client(), desk["lena"])
    assert bell(client.get("/tracker/").get_data(as_text=True)) == 0
    assign(app, desk, 0)
    assign(app, desk, 1)
    assert bell(client.get("/reports/").get_data(as_text=True)) == 2  # on every staff page
    page = client.get("/notifications/").get_data(as_text=True)
    first, second = desk["numbers"]
    assert f"Tomas Tran assigned you #{second} Printer 1" in page
    assert page.index(f"#{second}") < page.index(f"#{first}")  # newest first

    with app.app_context():
        newest = db.session.scalar(sa.select(sa.func.max(Notification.id)))
    opened = client.get(f"/notifications/{newest}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/tracker/cases/{second}"
    assert bell(client.get("/tracker/").get_data(as_text=True)) == 1

    client.get(f"/tracker/cases/{first}")  # reading the case reads its notification
    assert bell(client.get("/tracker/").get_data(as_text=True)) == 0


def test_the_sidebar_poll_brings_the_new_count(app, desk):
    client = as_user(app, app.test_client(), desk["lena"])
    page = client.get("/tracker/").get_data(as_text=True)
    poll = re.search(r'hx-get="(/tracker/counts[^"]*)"', page).group(1).replace("&amp;", "&")
    assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204
    assign(app, desk, 0)
    fresh = client.get(poll, headers={"HX-Request": "true"})
    assert fresh.status_code == 200
    html = fresh.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in html and bell(html) == 1


def test_nobody_opens_someone_elses_notification(app, desk):
    assign(app, desk, 0)
    with app.app_context():
        theirs = db.session.scalar(sa.select(Notification.id))
    other = as_user(app, app.test_client(), desk["tomas"])
    assert other.get(f"/notifications/{theirs}/open").status_code == 404
    customer = as_user(app, app.test_client(), desk["customer"])
    assert customer.get("/notifications/").status_code == 403


def test_choosing_what_is_mailed(app, desk):
    client = as_user(app, app.test_client(), desk["lena"])
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.count('type="checkbox"') == 7 and page.count("checked") == 7  # all, at first
    done = post_form(
        client,
        "/notifications/mail",
        {"events": ["mentioned", "sla_missed"]},
        page="/notifications/",
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(User, desk["lena"]).notify_by_mail == ["mentioned", "sla_missed"]
    assert client.get("/notifications/").get_data(as_text=True).count("checked") == 2
    post_form(client, "/notifications/mail", {}, page="/notifications/")
    assert "No notifications are mailed to you now" in client.get("/notifications/").get_data(
        as_text=True
    )


def test_mark_all_read(app, desk):
    assign(app, desk, 0)
    assign(app, desk, 1)
    client = as_user(app, app.test_client(), desk["lena"])
    token = csrf_from(client.get("/notifications/").get_data(as_text=True))
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    page = client.get("/notifications/").get_data(as_text=True)
    assert "2 notifications marked read." in page and bell(page) == 0


def test_the_composer_offers_colleagues_to_mention(app, desk):
    client = as_user(app, app.test_client(), desk["lena"])
    page = client.get(f"/tracker/cases/{desk['numbers'][0]}").get_data(as_text=True)
    assert "data-mentions=" in page and "tomas.tran" in page and "mentions.js" in page
