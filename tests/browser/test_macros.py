"""Macros in Chromium: agent1 opens a case, finds a macro with the keyboard, the composer fills
with the text rendered for the case, "Send" sends it, and the macro's status action took effect.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus
from helpdesk.sample_data import demo
from tests.browser.axe import run_axe
from tests.browser.test_tracker_journey import log_in, watch_errors

AGENT = demo.STAFF[1]
assert AGENT.email == "agent1@example.com"
SUBJECT = "Shipping rates not calculated"  # a demo case of agent1's in Open


def _case(app: Flask) -> tuple[int, CaseStatus]:
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.subject == SUBJECT))
        result = case.number, case.status
        db.session.remove()
        return result


def _open_the_case_as_the_agent(app: Flask, page: Page) -> int:
    """agent1 logged in and on the demo case's page; its number."""
    number, _ = _case(app)
    log_in(page, AGENT.email, "Issue tracker")
    page.goto(f"/tracker/cases/{number}")
    return number


def test_agent_answers_with_a_macro_and_its_status_applies(
    app: Flask, browser_page: Page, live_server: str
) -> None:
    page = browser_page
    errors: list[str] = []
    watch_errors(page, "agent", errors)
    number, status = _case(app)
    assert status == CaseStatus.OPEN
    log_in(page, AGENT.email, "Issue tracker")
    page.goto(f"/tracker/cases/{number}")

    search = page.get_by_label("Insert a macro")
    search.focus()  # the first focus lists the macros
    expect(page.locator(".macro-option").first).to_be_visible()
    search.fill("closing")
    option = page.locator(".macro-option", has_text="Solved: closing the case")
    expect(option).to_be_visible()
    expect(page.locator(".macro-option")).to_have_count(1)
    expect(option).to_contain_text("On send: status: closed")
    page.keyboard.press("ArrowDown")
    expect(option).to_be_focused()
    page.keyboard.press("Enter")

    box = page.locator("#composer textarea[name=body]")
    expect(box).to_be_focused()
    expect(box).to_have_value(re.compile(r"^Hello Anna Novak,\n\nglad to hear it works now\."))
    expect(box).to_have_value(
        re.compile(rf"closing case #{number};.*\n\nLena Lind\nSupport team$", re.S)
    )
    expect(page.locator("[data-macro-chosen]")).to_contain_text("Using Solved: closing the case")
    expect(page.locator(".macro-option")).to_have_count(0)  # the list closed

    # The status beside "Send" follows the macro's, so what the agent sees is what happens.
    expect(page.locator("#composer select[name=then]")).to_have_value("closed")
    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    thread = page.locator(".case-thread")
    expect(thread).to_contain_text("glad to hear it works now")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Macro “Solved: closing the case” used")
    expect(timeline).to_contain_text("Closed by Lena Lind")
    assert _case(app)[1] == CaseStatus.CLOSED
    assert errors == []


def test_escape_closes_the_list_and_enter_in_the_search_never_sends(
    app: Flask, browser_page: Page, live_server: str
) -> None:
    page = browser_page
    number = _open_the_case_as_the_agent(app, page)
    search = page.get_by_label("Insert a macro")
    search.focus()
    expect(page.locator(".macro-option").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")  # from an option: the list closes, back to the search box
    expect(page.locator(".macro-option")).to_have_count(0)
    expect(search).to_be_focused()
    page.keyboard.press("Escape")  # and from the search box Esc leaves the field
    expect(search).not_to_be_focused()
    search.fill("error log")
    expect(page.locator(".macro-option")).to_have_count(1)
    page.keyboard.press("Enter")  # picks the only match; the form is not submitted
    box = page.locator("#composer textarea[name=body]")
    expect(box).to_have_value(re.compile("the error log of the Northwind Outfitters store"))
    assert page.url.endswith(f"/tracker/cases/{number}")
    expect(search).to_have_value("")
    # "Don't apply" forgets the macro and gives back the status the agent had chosen.
    page.locator("#composer select[name=then]").select_option("open")
    search.fill("closing")
    page.locator(".macro-option", has_text="Solved: closing the case").click()
    expect(page.locator("#composer select[name=then]")).to_have_value("closed")
    page.get_by_role("button", name="Don't apply").click()
    expect(page.locator("#composer select[name=then]")).to_have_value("open")
    expect(page.locator("input[name=macro_id]")).to_have_value("")
    assert _case(app)[1] == CaseStatus.OPEN


def test_slash_still_goes_to_the_case_search_not_the_macro_search(
    app: Flask, browser_page: Page, live_server: str
) -> None:
    page = browser_page
    _open_the_case_as_the_agent(app, page)
    expect(page.get_by_label("Insert a macro")).to_be_visible()
    # The shortcut script is deferred: wait until it has bound its keys.
    expect(page.locator("html[data-shortcuts=ready]")).to_have_count(1)
    page.keyboard.press("/")
    expect(page.locator("#tracker-search")).to_be_focused()


def test_the_open_picker_has_no_serious_accessibility_findings(
    app: Flask, _chromium: Browser, live_server: str
) -> None:
    # bypass_csp: axe is injected as a script the app's policy rightly refuses.
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        page = context.new_page()
        _open_the_case_as_the_agent(app, page)
        page.get_by_label("Insert a macro").focus()
        expect(page.locator(".macro-option").first).to_be_visible()
        page.locator(".macro-option", has_text="Solved: closing the case").click()
        expect(page.locator("[data-macro-chosen]")).to_be_visible()
        page.get_by_label("Insert a macro").fill("FAQ")
        expect(page.locator(".macro-option").first).to_be_visible()
        assert run_axe(page) == []
    finally:
        context.close()
