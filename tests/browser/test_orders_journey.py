"""My orders as a customer uses it: the licence-key e-mail says "Open My orders and choose
Request a key"; that leads to a new-case form for the order, set to a licence key."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from helpdesk.sample_data import demo
from tests.browser.axe import run_axe

CUSTOMER = demo.CUSTOMERS[0]  # Anna Novak, Northwind Outfitters: one purchase with a key


def test_customer_requests_a_key_from_my_orders(_chromium: Browser, live_server: str):
    # bypass_csp: only so the axe-core engine can be injected into the page.
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        _journey(context.new_page())
    finally:
        context.close()


def _journey(page) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(CUSTOMER.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My orders")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Request a key"))
    expect(row).to_have_count(1)
    key = row.locator(".key").inner_text()
    assert re.fullmatch(r"•+[0-9A-F]{4}", key), key  # masked but for the last four
    order_number = row.get_by_role("cell").first.inner_text().strip()
    assert [f.rule for f in run_axe(page)] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path="/tmp/shots-contacts/my-orders-laptop.png", full_page=True)

    row.get_by_role("link", name="Request a key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a support case")
    order = page.get_by_label("Order")
    assert order.locator("option:checked").inner_text().startswith(order_number)
    expect(page.get_by_label("What is it about?")).to_have_value("licence_key")
    expect(page.get_by_label("Subject")).to_have_value("Licence key request")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/orders")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="/tmp/shots-contacts/my-orders-phone.png", full_page=True)
