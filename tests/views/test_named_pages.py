"""Every page or button a system e-mail or help article tells its reader to open exists for
that reader (issue: the licence-key e-mail sent customers to a "My orders" page that was not
there).

The names are found in the texts ("open My orders", "choose Request a key", a quoted
"Forgot your password?") and must each be listed in NAMED below with where the reader finds
them; a new e-mail naming a new page fails here until the page exists and is listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Article, CannedResponse, User
from helpdesk.sample_data import demo
from tests.conftest import login_as

MAIL_TEMPLATES = Path(__file__).parents[2] / "templates" / "mail"

# name -> (reader, where): "nav" is a link in the reader's navigation; any other value is the
# nav link of the page that must show `name` as a button, link or choice.
CUSTOMER, VISITOR = "customer", "visitor"
NAMED: dict[str, tuple[str, str]] = {
    "My orders": (CUSTOMER, "nav"),
    "Request a key": (CUSTOMER, "My orders"),
    "New case": (CUSTOMER, "nav"),
    "Bug report": (CUSTOMER, "New case"),
    "Hosting or website": (CUSTOMER, "New case"),
    "Forgot your password?": (VISITOR, "Log in"),
}

# A capitalised name after a verb that sends the reader somewhere, up to the next clause;
# or a capitalised phrase in double quotes.
_VERBS = r"(?i:\b(?:open|choose|click|press|select|then)\s+)"
_AFTER_VERB = re.compile(
    _VERBS + r"(?P<name>[A-Z][\w?-]*(?:\s+(?!(?:and|then|to|for|pick|with)\b)[\w?-]+)*)"
)
_QUOTED = re.compile(r"[\"“](?P<name>[A-Z][^\"”\n]{1,60})[\"”]")


def named_in(text: str) -> set[str]:
    """The page and button names a text tells its reader to open or choose."""
    text = re.sub(r"\{[{%].*?[}%]\}|\{\w+\}", " ", text)  # template tags and {variables}
    return {m.group("name").strip() for m in [*_AFTER_VERB.finditer(text), *_QUOTED.finditer(text)]}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("2. Open My orders and choose the order.", {"My orders"}),
        ("3. Choose Request a key, and give the name.", {"Request a key"}),
        ("choose New case, then Bug report.", {"New case", "Bug report"}),
        ("Pick your hosting order and choose Hosting or website.", {"Hosting or website"}),
        ('with "Forgot your password?" on the page', {"Forgot your password?"}),
        ("Open the case: {{ mail_link('x') }}. How to open a support case.", set()),
        ("Hello {customer_name}, you can choose:", set()),
    ],
)
def test_names_are_found_in_a_text(text, names):
    assert named_in(text) == names


@dataclass
class _Element:
    tag: str
    text: str = ""
    href: str | None = None
    in_nav: bool = False


class _Controls(HTMLParser):
    """Links, buttons, choices and folding-panel titles of a page, with their text."""

    def __init__(self):
        super().__init__()
        self.found: list[_Element] = []
        self._open: list[_Element] = []
        self._nav_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "nav":
            self._nav_depth += 1
        if tag in ("a", "button", "option", "summary"):
            self._open.append(
                _Element(tag, href=dict(attrs).get("href"), in_nav=self._nav_depth > 0)
            )

    def handle_endtag(self, tag):
        if tag == "nav":
            self._nav_depth -= 1
        if self._open and self._open[-1].tag == tag:
            element = self._open.pop()
            element.text = " ".join(element.text.split())
            self.found.append(element)

    def handle_data(self, data):
        for element in self._open:
            element.text += data


def controls(html: str) -> list[_Element]:
    parser = _Controls()
    parser.feed(html)
    return parser.found


def texts_sent_to_readers() -> dict[str, str]:
    """Every system e-mail, help article and mail template, by where it comes from."""
    texts = {
        f"system e-mail {c.title}": f"{c.subject}\n{c.body}"
        for c in db.session.scalars(
            sa.select(CannedResponse).where(CannedResponse.key.is_not(None))
        )
    }
    texts |= {f"help article {a.slug}": a.body for a in db.session.scalars(sa.select(Article))}
    texts |= {f"mail {p.name}": p.read_text() for p in sorted(MAIL_TEMPLATES.glob("*.txt"))}
    return texts


@pytest.fixture
def demo_world(app):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output


def test_every_named_page_and_button_is_listed_and_exists(app, client, demo_world):
    with app.app_context():
        texts = texts_sent_to_readers()
        customer = db.session.scalar(sa.select(User).where(User.email == demo.CUSTOMERS[0].email))
    assert any("system e-mail" in source for source in texts)
    assert any("help article" in source for source in texts)
    named = {name: source for source, text in texts.items() for name in named_in(text)}
    unlisted = {name: source for name, source in named.items() if name not in NAMED}
    assert not unlisted, f"list these names in NAMED, with the page that has them: {unlisted}"
    assert {"My orders", "Request a key"} <= named.keys()

    pages = {VISITOR: controls(client.get("/auth/login").get_data(as_text=True))}
    with app.app_context():
        login_as(client, db.session.get(User, customer.id))
    pages[CUSTOMER] = controls(client.get("/cases").get_data(as_text=True))
    for name, (reader, where) in NAMED.items():
        nav = {e.text: e.href for e in pages[reader] if e.tag == "a" and e.in_nav}
        if where == "nav":
            assert name in nav, f"{name!r} is not in the {reader}'s navigation: {sorted(nav)}"
            assert client.get(nav[name]).status_code == 200
            continue
        assert where in nav, f"{where!r} (where {name!r} is) is not in the {reader}'s navigation"
        if reader == VISITOR:
            response = client.application.test_client().get(nav[where])
        else:
            response = client.get(nav[where])
        assert response.status_code == 200
        on_page = {e.text for e in controls(response.get_data(as_text=True))}
        assert name in on_page, f"{name!r} is not a button, link or choice on {where}"
