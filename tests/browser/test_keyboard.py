"""Keyboard shortcuts in Chromium (static/shortcuts.js), as an agent works a day with the demo data.

? shows the list, j/k move through a folder, Enter opens, x ticks, r/n write a reply or a note,
g + letter jumps to a folder, / searches, and nothing fires while the agent types in a field.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from helpdesk.sample_data import demo
from tests.browser.test_tracker_journey import log_in, watch_errors

AGENT = demo.STAFF[1]  # Lena Lind, tier 1
CUSTOMER = demo.CUSTOMERS[0]  # Anna Novak, Northwind Outfitters: has cases in the portal
assert AGENT.email == "agent1@example.com"

SELECTED = re.compile(r"\bkb-selected\b")


@pytest.fixture
def agent(browser_page: Page) -> Page:
    """agent1 logged in, on the All folder, with console errors collected (checked at the end)."""
    errors: list[str] = []
    watch_errors(browser_page, "agent", errors)
    log_in(browser_page, AGENT.email, "Issue tracker")
    browser_page.goto("/tracker/folders/all")
    expect(rows(browser_page).first).to_be_visible()
    keys_ready(browser_page)
    yield browser_page
    assert errors == []


def keys_ready(page: Page) -> None:
    """Wait until the deferred shortcut script has bound its keys on the current page."""
    expect(page.locator("html[data-shortcuts=ready]")).to_have_count(1)


def rows(page: Page) -> Locator:
    return page.locator("table.list tbody tr")


def selected(page: Page) -> Locator:
    return page.locator(".kb-selected")


def test_j_then_enter_opens_the_first_case(agent: Page):
    first_link = rows(agent).first.locator("a[href]").first
    href = first_link.get_attribute("href")

    agent.keyboard.press("j")
    expect(rows(agent).first).to_have_class(SELECTED)
    agent.keyboard.press("Enter")

    expect(agent).to_have_url(re.compile(re.escape(href) + "$"))
    expect(agent.locator("#composer")).to_be_visible()


def test_j_j_k_comes_back_to_the_first_row_and_x_ticks_it(agent: Page):
    agent.keyboard.press("j")
    agent.keyboard.press("j")
    expect(rows(agent).nth(1)).to_have_class(SELECTED)
    agent.keyboard.press("k")

    expect(rows(agent).first).to_have_class(SELECTED)
    expect(selected(agent)).to_have_count(1)
    checkbox = rows(agent).first.locator("input[type=checkbox]")
    expect(checkbox).not_to_be_checked()
    agent.keyboard.press("x")
    expect(checkbox).to_be_checked()
    expect(rows(agent).nth(1).locator("input[type=checkbox]")).not_to_be_checked()
    agent.keyboard.press("x")
    expect(checkbox).not_to_be_checked()


def test_k_stops_at_the_first_row_and_j_at_the_last(agent: Page):
    count = rows(agent).count()
    agent.keyboard.press("k")
    agent.keyboard.press("k")
    expect(rows(agent).first).to_have_class(SELECTED)
    for _ in range(count + 2):
        agent.keyboard.press("j")
    expect(rows(agent).last).to_have_class(SELECTED)
    expect(selected(agent)).to_have_count(1)


def test_the_selection_survives_the_list_being_swapped_in_again(agent: Page):
    agent.keyboard.press("j")
    agent.keyboard.press("j")
    expect(rows(agent).nth(1)).to_have_class(SELECTED)
    # What a live poll or the pager does: htmx replaces the whole table with fresh rows.
    rows(agent).nth(1).evaluate("row => { row.dataset.old = 'yes'; }")
    agent.evaluate(
        "url => new Promise(done => { document.body.addEventListener('htmx:afterSettle', done,"
        " {once: true}); htmx.ajax('GET', url, {target: '#case-table', swap: 'outerHTML'}); })",
        "/tracker/folders/all",
    )
    expect(agent.locator("tr[data-old]")).to_have_count(0)
    expect(rows(agent).nth(1)).to_have_class(SELECTED)
    agent.keyboard.press("j")
    expect(rows(agent).nth(2)).to_have_class(SELECTED)
    expect(selected(agent)).to_have_count(1)


def test_r_and_n_focus_the_composer_as_reply_or_note(agent: Page):
    agent.keyboard.press("j")
    agent.keyboard.press("Enter")
    body = agent.locator("#composer textarea[name=body]")
    expect(body).to_be_visible()
    # A key opened this page, so nothing waited for its deferred scripts (the shortcuts) yet.
    keys_ready(agent)

    agent.keyboard.press("r")
    expect(body).to_be_focused()
    expect(body).to_have_value("")  # the r itself is not typed
    expect(agent.locator("input[name=kind][value=reply]")).to_be_checked()

    agent.keyboard.press("Escape")  # leaves the field, so the next key is a shortcut again
    expect(body).not_to_be_focused()
    agent.keyboard.press("n")
    expect(body).to_be_focused()
    expect(agent.locator("input[name=kind][value=note]")).to_be_checked()
    expect(body).to_have_value("")


def test_question_mark_opens_the_list_and_escape_closes_it(agent: Page):
    dialog = agent.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()
    agent.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Open the selected row")
    agent.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_the_footer_button_opens_the_list_for_those_who_do_not_know_the_key(agent: Page):
    dialog = agent.get_by_role("dialog", name="Keyboard shortcuts")
    agent.locator("footer").get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    agent.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_g_then_n_goes_to_the_new_folder(agent: Page):
    agent.keyboard.press("g")
    agent.keyboard.press("n")
    expect(agent).to_have_url(re.compile(r"/tracker/folders/new$"))
    nav = agent.get_by_role("navigation", name="Folders")
    expect(nav.locator("[aria-current=page]")).to_contain_text("New")


def test_slash_focuses_search_where_j_is_typed_not_obeyed(agent: Page):
    search = agent.locator("#tracker-search")
    agent.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the / itself is not typed

    agent.keyboard.type("j")
    expect(search).to_have_value("j")
    expect(selected(agent)).to_have_count(0)
    assert agent.url.endswith("/tracker/folders/all")


def test_escape_leaves_the_caller_lookup_with_its_results_and_j_enter_opens_one(agent: Page):
    agent.goto("/tracker/callers")
    keys_ready(agent)
    box = agent.get_by_role("searchbox", name="Find the caller's account")
    box.press_sequentially("harbor", delay=30)
    result = agent.locator(".caller-list > li").first
    expect(result).to_contain_text("Harbor Theatre")

    agent.keyboard.press("Escape")
    expect(box).not_to_be_focused()
    expect(box).to_have_value("harbor")  # Esc leaves the box; it does not empty it
    agent.keyboard.press("j")
    expect(result).to_have_class(SELECTED)
    agent.keyboard.press("Enter")
    expect(
        agent.locator("#account-panel").get_by_role("heading", name="Harbor Theatre")
    ).to_be_visible()

    agent.keyboard.press("/")  # on a page with its own search box, / goes there
    expect(box).to_be_focused()


def test_a_customer_moves_through_their_cases_but_has_no_agent_keys(browser_page: Page):
    page = browser_page
    log_in(page, CUSTOMER.email, "My cases")
    first = page.locator("table.list tbody tr").first
    href = first.locator("a[href]").first.get_attribute("href")
    keys_ready(page)

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).not_to_contain_text("private note")
    page.keyboard.press("Escape")

    page.keyboard.press("g")
    page.keyboard.press("n")  # no folders for customers: stays on the page
    page.keyboard.press("j")
    expect(first).to_have_class(SELECTED)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
