"""Stored and reflected XSS in a real browser (issue 10 item 3): the nastiest payloads stored in
a case, replies, a private note, a help article and a profile name, then every page that shows
them opened in headless Chromium as the people who read them. No dialog may open.

The pages are opened twice: with the Content-Security-Policy bypassed, so escaping alone must
hold (a payload that reached the page live would run and open its alert), and with it
enforced, where the console must not report a blocked inline script or handler either.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Article, Case, Order, User
from helpdesk.sample_data import demo
from tests.conftest import as_user, post_form
from tests.security.xss_payloads import BROWSER_SELECTION, BY_MARKER

CUSTOMER = demo.CUSTOMERS[0]  # Anna Novak
AGENT = demo.STAFF[1]  # Lena Lind
NASTY = [BY_MARKER[marker] for marker in BROWSER_SELECTION]
BODY = "\n\n".join(p.text for p in NASTY)
SETTLE_MS = 1_500  # hx-trigger="load" and the 2 s live polls get their chance to fire

# Every element's attributes after htmx has processed the page: a handler or hx-on carrying
# a payload marker, or a script holding one, means a payload reached the DOM live.
LIVE_IN_DOM = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if ((name.startsWith('on') || name.includes('hx-on')) && /XSS_\\d\\d/i.test(attr.value)) {
        found.push(el.tagName + ' ' + name);
      }
    }
    if (el.tagName === 'SCRIPT' && /XSS_\\d\\d/i.test(el.textContent)) found.push('SCRIPT');
    if (el.tagName === 'IFRAME' && /XSS_\\d\\d/i.test(el.getAttribute('srcdoc') || '')) {
      found.push('IFRAME srcdoc');
    }
  }
  return found;
}"""


def _store(app: Flask) -> dict:
    """Through the real forms: a case and reply (customer), a reply and note (agent), an
    article (agent) and the customer's profile name."""
    with app.app_context():
        anna = db.session.scalar(sa.select(User).where(User.email == CUSTOMER.email))
        agent = db.session.scalar(sa.select(User).where(User.email == AGENT.email))
        order_id = db.session.scalar(
            sa.select(Order.id).where(Order.organisation_id == anna.organisation_id)
        )
        ids = {"anna": anna.id, "agent": agent.id}
    customer = as_user(app, app.test_client(), ids["anna"])
    subject = " ".join(p.text for p in NASTY[:4])
    response = post_form(
        customer,
        "/cases/new",
        {"order_id": str(order_id), "category": "support", "subject": subject, "body": BODY},
    )
    assert response.status_code in (302, 303), response.status_code
    with app.app_context():
        number = db.session.scalar(
            sa.select(Case.number).where(Case.subject == subject).order_by(Case.id.desc())
        )
    assert number
    reply = post_form(customer, f"/cases/{number}/reply", {"body": BODY}, page=f"/cases/{number}")
    assert reply.status_code in (302, 303), reply.status_code
    name = NASTY[1].text  # <img src=x onerror=...>
    profile = post_form(customer, "/auth/profile", {"name": name, "time_zone": "UTC"})
    assert profile.status_code in (200, 302, 303), profile.status_code

    staff = as_user(app, app.test_client(), ids["agent"])
    for kind in ("reply", "note"):
        answer = post_form(
            staff,
            f"/tracker/cases/{number}/messages",
            {"kind": kind, "body": BODY},
            page=f"/tracker/cases/{number}",
        )
        assert answer.status_code in (302, 303), answer.status_code
    article = post_form(
        staff,
        "/help/new",
        {"title": " ".join(p.text for p in NASTY[:3]), "body": BODY, "visibility": "public"},
    )
    assert article.status_code in (302, 303), article.status_code
    with app.app_context():
        slug = db.session.scalar(sa.select(Article.slug).order_by(Article.id.desc()))
        assert db.session.get(User, ids["anna"]).name == name
    return {"number": number, "slug": slug}


def _log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    expect(page).not_to_have_url("/auth/login")


def _visit_all(browser: Browser, base_url: str, stored: dict, *, bypass_csp: bool) -> dict:
    number, slug = stored["number"], stored["slug"]
    visits = [
        (CUSTOMER.email, f"/cases/{number}"),
        (CUSTOMER.email, "/cases"),
        (CUSTOMER.email, "/auth/profile"),
        (CUSTOMER.email, f"/help/{slug}"),
        (AGENT.email, f"/tracker/cases/{number}"),
        (AGENT.email, "/tracker/folders/all"),
        (AGENT.email, f"/help/{slug}"),
        (AGENT.email, "/tracker/search?q=alert"),
        # Reflected: the payload itself in the query string.
        (AGENT.email, "/tracker/search?q=" + NASTY[0].text),
        (None, "/help?q=" + NASTY[5].text),
    ]
    dialogs: list[str] = []
    blocked: list[str] = []
    live: dict[str, list[str]] = {}
    for email in (CUSTOMER.email, AGENT.email, None):
        context = browser.new_context(base_url=base_url, bypass_csp=bypass_csp)
        try:
            page = context.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

            def on_console(message: ConsoleMessage) -> None:
                text = message.text
                if "Content Security Policy" in text and "script" in text.lower():
                    blocked.append(text[:200])

            page.on("console", on_console)
            if email:
                _log_in(page, email)
            for who, path in visits:
                if who != email:
                    continue
                response = page.goto(path)
                assert response is not None and response.status < 500, (path, response)
                page.wait_for_timeout(SETTLE_MS if "cases/" in path else 300)
                found = page.evaluate(LIVE_IN_DOM)
                if found:
                    live[path] = found
                # Hover and focus everything a payload could hide a handler on.
                page.mouse.move(5, 5)
                page.keyboard.press("Tab")
        finally:
            context.close()
    return {"dialogs": dialogs, "blocked": blocked, "live": live}


@pytest.fixture
def stored(app: Flask, live_server: str) -> dict:
    return _store(app)


def test_the_harness_sees_a_payload_that_runs(_chromium: Browser, live_server: str):
    # The control: the same detection on a page that does contain a live payload.
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.set_content(f"<div>{NASTY[1].text}</div>")
        page.wait_for_timeout(300)
        assert dialogs == [f"/{NASTY[1].marker}/"]
        assert page.evaluate(LIVE_IN_DOM)
    finally:
        context.close()


def test_no_stored_or_reflected_payload_runs_even_without_csp(
    _chromium: Browser, live_server: str, stored: dict
):
    assert len(NASTY) >= 10
    seen = _visit_all(_chromium, live_server, stored, bypass_csp=True)
    assert seen["dialogs"] == [], seen["dialogs"]
    assert seen["live"] == {}, seen["live"]


def test_with_csp_nothing_inline_is_even_attempted(
    _chromium: Browser, live_server: str, stored: dict
):
    seen = _visit_all(_chromium, live_server, stored, bypass_csp=False)
    assert seen["dialogs"] == [], seen["dialogs"]
    assert seen["blocked"] == [], seen["blocked"]
    assert seen["live"] == {}, seen["live"]
