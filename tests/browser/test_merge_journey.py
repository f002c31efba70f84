"""Merging in a real browser: an agent merges a customer's second case into the first; the
customer's old link then opens the case that lives on, which shows both threads."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from helpdesk.sample_data import demo
from tests.browser.axe import run_axe

KEEP, MERGED = 10003, 10041  # two open cases of Northwind Outfitters in the demo


def logged_in(browser: Browser, base_url: str, email: str) -> Page:
    # bypass_csp: axe is injected as a script the app's policy rightly refuses.
    page = browser.new_context(base_url=base_url, bypass_csp=True).new_page()
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def test_an_agent_merges_and_the_customer_sees_one_case(_chromium, live_server):
    agent = logged_in(_chromium, live_server, "agent1@example.com")
    agent.goto(f"/tracker/cases/{MERGED}")
    merged_subject = agent.locator("h1").inner_text().split(" ", 1)[1]
    agent.locator("#merge summary").click()
    agent.get_by_label("Merge into case number").fill("10012")  # another organisation's
    agent.get_by_role("button", name="Merge", exact=True).click()
    expect(agent.get_by_text("belongs to another organisation")).to_be_visible()
    assert run_axe(agent) == []

    agent.get_by_label("Merge into case number").fill(str(KEEP))
    agent.get_by_role("button", name="Merge", exact=True).click()
    expect(agent).to_have_url(re.compile(rf"/tracker/cases/{KEEP}$"))
    expect(agent.get_by_text(f"#{MERGED} is merged into this case and closed.")).to_be_visible()
    expect(agent.locator(".case-timeline")).to_contain_text(f"#{MERGED} merged into this case")

    customer = logged_in(_chromium, live_server, "anna@northwind.example")
    customer.goto(f"/cases/{MERGED}")
    expect(customer).to_have_url(re.compile(rf"/cases/{KEEP}$"))
    customer.goto("/cases?show=all")
    expect(customer.get_by_role("link", name=re.escape(merged_subject))).to_have_count(0)
