"""The case page's Support row in Chromium: the level kept at opening and today's beside it."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Case
from helpdesk.sample_data import demo
from tests.browser.axe import run_axe

AGENT = demo.STAFF[2]  # Tomas Tran, tier II: the demo's evaluator case is his
assert AGENT.email == "agent2@example.com"
SUBJECT = "Product image import stops halfway"  # opened while the evaluation was in its period

# Every visible element of the Support row that reaches past the window's right edge.
OVERFLOWING = """() => [...document.querySelectorAll('.case-eligibility, .case-eligibility *')]
  .filter(el => el.checkVisibility() && el.getBoundingClientRect().right > innerWidth + 1)
  .map(el => el.tagName.toLowerCase())"""


def open_case(page: Page, app: Flask, width: int, height: int) -> None:
    with app.app_context():
        number = db.session.scalars(sa.select(Case.number).where(Case.subject == SUBJECT)).one()
        db.session.remove()
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(AGENT.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue tracker")
    page.goto(f"/tracker/cases/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SUBJECT)


def test_the_level_at_opening_and_todays_are_both_shown(
    app: Flask, _chromium: Browser, live_server: str
):
    # bypass_csp: axe is injected as a script the app's policy rightly refuses.
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        page = context.new_page()
        open_case(page, app, 1366, 900)
        row = page.locator(".case-eligibility")
        expect(row).to_contain_text("Active support plan at opening")
        expect(row).to_contain_text("Evaluating for 85 days")
        expect(row.locator(".eligibility-now")).to_contain_text("Today: Send to sales")
        assert run_axe(page) == []
    finally:
        context.close()


def test_on_a_phone_the_support_row_fits(app: Flask, browser_page: Page):
    page = browser_page
    open_case(page, app, 390, 844)
    page.locator(".case-eligibility").scroll_into_view_if_needed()
    expect(page.locator(".case-eligibility .eligibility-now")).to_be_visible()
    assert page.evaluate(OVERFLOWING) == []
