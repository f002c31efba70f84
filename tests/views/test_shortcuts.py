"""The keyboard shortcut list and its script on every signed-in page, per role.

static/shortcuts.js does nothing without the dialog: the dialog says which keys the reader has
(data-shortcut-keys) and, for agents, where g + letter leads (data-shortcut-g links).
"""

from __future__ import annotations

import re

import pytest

from helpdesk.extensions import db
from helpdesk.models import Role
from tests.conftest import login_as
from tests.factories import make_user

SCRIPT = '<script src="/static/shortcuts.js" defer></script>'
DIALOG = re.compile(r'<dialog id="shortcuts"[^>]*>(.*?)</dialog>', re.S)
KEYS = re.compile(r'<dialog id="shortcuts"[^>]*data-shortcut-keys="([^"]*)"')
GO_LINK = re.compile(r'<a href="([^"]+)"[^>]*data-shortcut-g="(\w)"')
HOME = {
    Role.CUSTOMER: "/cases",
    Role.AGENT: "/tracker/",
    Role.BILLING: "/billing/",
    Role.ADMIN: "/admin/",
}
EVERY_KEY = {"?", "/", "j", "k", "enter", "o", "x", "r", "n", "g"}
EXPECTED_KEYS = {
    Role.CUSTOMER: {"?", "/", "j", "k", "enter"},
    Role.BILLING: {"?", "/", "j", "k", "enter", "o", "x"},
    Role.AGENT: EVERY_KEY,
    Role.ADMIN: EVERY_KEY,
}


def page_as(app, client, role: Role, url: str | None = None) -> str:
    with app.app_context():
        login_as(client, make_user(role))
        db.session.commit()
    response = client.get(url or HOME[role])
    assert response.status_code == 200
    return response.get_data(as_text=True)


def dialog_of(html: str) -> str:
    match = DIALOG.search(html)
    assert match, "the page has no shortcut list"
    return match.group(1)


@pytest.mark.parametrize("role", list(Role))
def test_every_signed_in_page_has_the_list_and_the_script_at_the_end(app, client, role):
    html = page_as(app, client, role)
    assert html.count(SCRIPT) == 1
    assert html.index(SCRIPT) > html.index("</dialog>") > html.index("</main>")
    assert 'aria-labelledby="shortcuts-title"' in html
    assert '<h2 id="shortcuts-title">Keyboard shortcuts</h2>' in html
    assert set(KEYS.search(html).group(1).split()) == EXPECTED_KEYS[role]


def test_a_customer_is_told_only_the_keys_they_have(app, client):
    shown = dialog_of(page_as(app, client, Role.CUSTOMER))
    assert "Open the selected row" in shown and "Search" in shown
    for agent_only in ("private note", "reply to the customer", "bulk action", "Go to a folder"):
        assert agent_only not in shown
    assert "data-shortcut-g" not in shown


def test_billing_staff_get_no_folder_jumps(app, client):
    shown = dialog_of(page_as(app, client, Role.BILLING))
    assert "bulk action" in shown
    assert "data-shortcut-g" not in shown and "private note" not in shown


def test_the_list_offers_each_folder_jump_the_sidebar_offers(app, client):
    html = page_as(app, client, Role.AGENT, "/tracker/folders/open")
    shown = dialog_of(html)
    in_dialog = {letter: href for href, letter in GO_LINK.findall(shown)}
    assert in_dialog == {
        "q": "/tracker/folders/queue",
        "n": "/tracker/folders/new",
        "o": "/tracker/folders/open",
        "w": "/tracker/folders/waiting",
        "c": "/tracker/folders/closed",
        "a": "/tracker/folders/all",
        "s": "/tracker/start-of-day",
    }
    sidebar = html[
        html.index('id="tracker-sidebar"') : html.index(
            "</nav>", html.index('id="tracker-sidebar"')
        )
    ]
    assert {letter: href for href, letter in GO_LINK.findall(sidebar)} == in_dialog
    assert "<kbd>g</kbd> <kbd>w</kbd>" in shown and ">Waiting</a>" in shown


def test_anonymous_pages_have_no_shortcuts(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert "shortcuts.js" not in html and 'id="shortcuts"' not in html


def test_htmx_fragments_do_not_repeat_the_list(app, client):
    with app.app_context():
        login_as(client, make_user(Role.AGENT))
        db.session.commit()
    html = client.get("/tracker/folders/open", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'id="case-table"' in html
    assert 'id="shortcuts"' not in html and "shortcuts.js" not in html
