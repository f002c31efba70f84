"""Merging in a real browser: an agent merges a customer's second case into the first; the
customer's old link then opens the case that lives on, which shows both threads."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.axe import run_axe
from tests.browser.logins import logged_in

KEEP, MERGED = 10003, 10041  # two open cases of Northwind Outfitters in the demo


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
