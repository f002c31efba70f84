"""The frame and the lists at a laptop (1366x900) and a phone (390x844) size, in Chromium.

Nothing may scroll sideways, folder rows stay one line high on the laptop, and on the phone the
navigation folds behind a menu button whose Profile and Log out stay readable.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from helpdesk.sample_data import demo

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# Each role's main list pages (and a few pages reached from them).
PAGES = {
    "agent1@example.com": [
        "/tracker/folders/queue",
        "/tracker/folders/all",
        "/tracker/folders/closed",
        "/tracker/start-of-day",
        "/tracker/team",
        "/tracker/search?q=licence",
        "/reports/",
    ],
    "billing@example.com": [
        "/billing/",
        "/billing/orders",
        "/billing/shipments",
        "/billing/promotions",
        "/system/",
        "/system/fraud",
        "/reports/billing",
    ],
    "admin@example.com": [
        "/admin/",
        "/admin/users",
        "/admin/audit",
        "/admin/settings",
        "/admin/routing",
        "/tracker/folders/all?scope=everyone",
        "/system/",
    ],
    "anna@northwind.example": ["/cases", "/cases?show=closed", "/cases/new", "/help"],
}


def log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


def sideways(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits the window)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def first_case_path(page: Page) -> str:
    page.goto("/tracker/folders/all")
    return page.locator("#case-table tbody tr a").first.get_attribute("href")


@pytest.mark.parametrize("email", list(PAGES))
def test_no_page_scrolls_sideways_on_a_laptop_or_a_phone(browser_page: Page, email: str):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    log_in(page, email)
    paths = list(PAGES[email])
    if email.startswith("agent1"):
        paths.append(first_case_path(page))
    wide = {}
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.ok, path
            if (extra := sideways(page)) > 1:
                wide[(size["width"], path)] = extra
    assert wide == {}


@pytest.mark.parametrize("folder", ["queue", "all"])
def test_folder_rows_are_one_line_high_on_a_laptop(browser_page: Page, folder: str):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    log_in(page, "agent1@example.com")
    page.goto(f"/tracker/folders/{folder}")
    rows = page.locator("#case-table tbody tr")
    expect(rows.first).to_be_visible()
    heights = rows.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    line = page.locator("#case-table tbody td.cut").first.evaluate(
        "td => parseFloat(getComputedStyle(td).lineHeight)"
    )
    assert len(heights) >= 2
    assert max(heights) - min(heights) <= 1, heights
    assert max(heights) < 2.2 * line, (heights, line)
    # The subject is cut, not wrapped, and its whole text is on hover.
    subject = page.locator("#case-table tbody td.cut").first
    assert subject.get_attribute("title") == subject.locator("a").first.inner_text()


def test_search_results_are_one_line_each_on_a_laptop(browser_page: Page):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    log_in(page, "agent1@example.com")
    page.goto("/tracker/search?q=the")
    results = page.locator("ol.results > li")
    expect(results.first).to_be_visible()
    heights = results.evaluate_all("items => items.map(i => i.getBoundingClientRect().height)")
    line = results.first.evaluate("li => parseFloat(getComputedStyle(li).lineHeight)")
    assert len(heights) >= 2
    assert max(heights) < 2.2 * line, (heights, line)
    snippet = results.first.locator(".snippet")
    assert snippet.get_attribute("title") == snippet.inner_text()
    assert sideways(page) <= 1


def test_phone_menu_opens_the_navigation_with_profile_and_log_out(browser_page: Page):
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, "agent1@example.com")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    profile = page.get_by_role("link", name="Profile", exact=True)
    log_out = page.get_by_role("button", name="Log out")
    bar = page.locator("header.topbar")

    def readable_in_the_bar() -> None:
        """Profile and Log out are shown inside the dark bar, not white text on the light page."""
        box = bar.bounding_box()
        for control in (profile, log_out):
            expect(control).to_be_visible()
            inner = control.bounding_box()
            assert (
                box["y"] <= inner["y"] and inner["y"] + inner["height"] <= box["y"] + box["height"]
            )

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    readable_in_the_bar()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    tracker = nav.get_by_role("link", name="Issue tracker")
    expect(tracker).to_be_visible()
    expect(tracker).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("My status")).to_be_visible()
    readable_in_the_bar()
    menu.click()
    expect(nav).to_be_hidden()
    log_out.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_phone_case_page_shows_the_case_before_the_folders(browser_page: Page):
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, "agent1@example.com")
    page.goto(first_case_path(page))
    folders = page.get_by_role("navigation", name="Folders")
    expect(folders).to_be_hidden()
    heading = page.get_by_role("heading", level=1)
    assert heading.bounding_box()["y"] < PHONE["height"] / 2
    drawer = page.get_by_role("button", name="Folders and tools")
    drawer.click()
    expect(folders.get_by_role("link", name="Support queue")).to_be_visible()
    drawer.click()
    expect(folders).to_be_hidden()


def test_skip_link_is_the_first_tab_stop_and_moves_to_the_content(browser_page: Page):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    log_in(page, "billing@example.com")
    page.goto("/billing/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    marked = page.get_by_role("navigation", name="Main").locator("[aria-current=page]")
    expect(marked).to_have_text("Payment manager")
    expect(
        page.get_by_role("navigation", name="Payment manager").locator("[aria-current=page]")
    ).to_have_text("Transactions")


def test_top_bar_is_one_line_for_the_admin_on_a_laptop(browser_page: Page):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    log_in(page, "admin@example.com")
    page.goto("/admin/users")
    bar = page.locator("header.topbar")
    brand = bar.locator(".brand").bounding_box()
    log_out = page.get_by_role("button", name="Log out").bounding_box()
    # Same row: the last control's middle is level with the brand's.
    assert abs((brand["y"] + brand["height"] / 2) - (log_out["y"] + log_out["height"] / 2)) < 4
    assert bar.bounding_box()["height"] < 60
