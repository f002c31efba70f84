"""Logging a demo person in, in a browser context of their own."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from helpdesk.sample_data import demo


def logged_in(browser: Browser, base_url: str, email: str) -> Page:
    """A page of a new context, logged in through the real form as the demo person `email`.

    bypass_csp: axe is injected as a script the app's policy rightly refuses."""
    page = browser.new_context(base_url=base_url, bypass_csp=True).new_page()
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page
