"""In Chromium: people and stemmed matches in search, fraud warnings on a case and in a list."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from helpdesk.sample_data import demo
from tests.browser.axe import run_axe

AGENT = demo.STAFF[1]  # Lena Lind, tier 1
assert AGENT.email == "agent1@example.com"
SIZES = [(1366, 900), (390, 844)]


@pytest.fixture
def browser_page(_chromium: Browser, live_server: str) -> Iterator[Page]:
    """A page whose context lets axe-core in past the app's Content-Security-Policy."""
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Page, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(AGENT.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue tracker")


def sideways(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_typing_a_name_shows_the_person_and_a_stemmed_word_finds_cases(
    browser_page: Page, width: int, height: int
):
    page = browser_page
    log_in(page, width, height)
    page.goto("/tracker/search")
    page.get_by_role("searchbox", name="Search cases").fill("hannah")  # live, as typed
    people = page.get_by_role("region", name="People")
    expect(people).to_contain_text("Hannah Price")
    expect(people).to_contain_text("former employee")
    expect(people).to_contain_text("Harbor Theatre")
    assert run_axe(page) == []
    assert sideways(page) <= 1

    page.get_by_role("searchbox", name="Search cases").fill("installing")
    expect(page.locator("#search-results ol.results")).to_contain_text("install")
    assert sideways(page) <= 1

    page.get_by_role("searchbox", name="Search cases").fill("hannah")
    people.get_by_role("link", name="Account").click()
    expect(page).to_have_url(re.compile(r"/tracker/callers/\d+"))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_flagged_case_warns_and_the_list_marks_and_filters_it(
    browser_page: Page, width: int, height: int
):
    page = browser_page
    log_in(page, width, height)
    page.goto("/tracker/folders/all")
    page.get_by_label("Fraud warnings", exact=True).check()
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.list tbody tr")
    expect(rows.first).to_contain_text("Lakeside Crafts")
    assert rows.count() == rows.filter(has=page.locator(".fraud-mark")).count() >= 1
    title = rows.first.locator(".fraud-mark").get_attribute("title")
    assert title.startswith("Login address 203.0.113.45 is blocked (203.0.113.0/24)")
    assert run_axe(page) == []
    assert sideways(page) <= 1

    rows.first.locator("a").first.click()
    warning = page.get_by_role("alert").filter(has_text="Fraud warning")
    expect(warning).to_contain_text("Dan Ortiz came from 203.0.113.45")
    expect(warning).to_contain_text("Card testing from this range")
    assert run_axe(page) == []
    assert sideways(page) <= 1
