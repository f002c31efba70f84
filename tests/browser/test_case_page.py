"""The agent's case page in Chromium: a wide reply box, "Send and close", and a phone layout."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from helpdesk.extensions import db
from helpdesk.models import Case
from helpdesk.sample_data import demo

AGENT = demo.STAFF[1]  # Lena Lind, tier 1
assert AGENT.email == "agent1@example.com"
SUBJECT = "Shipping rates not calculated"  # one of Lena's Open demo cases
REPLY = "The shipping module needed its carrier key again; rates show now."

# Every visible element inside the page's <main> that reaches past the window's right edge.
OVERFLOWING = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.checkVisibility() && el.getBoundingClientRect().right > innerWidth + 1)
  .map(el => `${el.tagName.toLowerCase()}.${el.className} ${el.getBoundingClientRect().right}`)"""


def case_number(app: Flask) -> int:
    with app.app_context():
        number = db.session.scalars(sa.select(Case.number).where(Case.subject == SUBJECT)).one()
        db.session.remove()
    return number


def open_case(page: Page, app: Flask, width: int, height: int) -> int:
    """Log in as Lena at this window size and open her case."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(AGENT.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue tracker")
    number = case_number(app)
    page.goto(f"/tracker/cases/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{number} {SUBJECT}")
    return number


def test_the_reply_box_is_at_least_half_the_window_wide_on_a_laptop(app: Flask, browser_page: Page):
    page = browser_page
    open_case(page, app, 1366, 900)
    box = page.locator("#composer textarea[name=body]").bounding_box()
    assert box is not None and box["width"] >= 683, box
    # The actions wait in closed panels: none of their forms is showing.
    visible_forms = page.locator(".case-actions form:visible")
    expect(visible_forms).to_have_count(0)
    page.get_by_text("Log a call", exact=True).click()
    expect(page.get_by_label("Call notes")).to_be_visible()


def test_send_and_close_answers_and_closes_in_one_step(app: Flask, browser_page: Page):
    page = browser_page
    open_case(page, app, 1366, 900)
    page.get_by_label("Message", exact=True).fill(REPLY)
    page.get_by_label("Status after sending").select_option(label="and close")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(
        page.get_by_role("status").filter(
            has_text="Reply sent to the customer. The case is closed."
        )
    ).to_be_visible()
    expect(page.locator(".case-head .status")).to_have_text("closed")
    expect(page.locator("#thread article.from-agent").filter(has_text=REPLY)).to_be_visible()
    timeline = page.locator(".case-timeline")
    expect(timeline).to_contain_text(f"Closed by {AGENT.name}")
    expect(timeline).to_contain_text(f"Answered by {AGENT.name}")


def test_on_a_phone_the_case_and_composer_come_first_and_nothing_overflows(
    app: Flask, browser_page: Page
):
    page = browser_page
    open_case(page, app, 390, 844)
    # The top bar is the frame's (checked on every page elsewhere); the case page is all in <main>.
    assert page.evaluate(OVERFLOWING) == []
    composer = page.locator("#composer textarea[name=body]").bounding_box()
    side = page.locator(".case-side").bounding_box()
    thread = page.locator("#thread").bounding_box()
    assert composer and side and thread
    assert thread["y"] < composer["y"] < side["y"]
    # The folders wait in a closed drawer, so they never come before the case.
    expect(page.get_by_role("navigation", name="Folders")).to_be_hidden()
    assert composer["x"] + composer["width"] <= 390
