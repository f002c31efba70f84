"""A newcomer with no mail server: a customer's password reset is finished by an
administrator reading the mail under Sent mail and handing over its link, in a real browser."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from helpdesk.sample_data import demo
from tests.browser.conftest import DEFAULT_TIMEOUT_MS

CUSTOMER = "anna@northwind.example"
ADMIN = "admin@example.com"
NEW_PASSWORD = "lighthouse-keeper-42"


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def contexts(_chromium: Browser, live_server: str):
    made = []

    def new_page() -> Page:
        context = _chromium.new_context(base_url=live_server)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        made.append(context)
        return context.new_page()

    yield new_page
    for context in made:
        context.close()


def test_a_reset_is_finished_through_the_sent_mail_view(
    app: Flask, live_server: str, contexts, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_HOST", "")  # the development default: captured
    monkeypatch.setitem(app.config, "BASE_URL", live_server)  # mailed links reach this server
    customer = contexts()
    customer.goto("/auth/reset")
    customer.get_by_label("E-mail").fill(CUSTOMER)
    customer.get_by_role("button", name="Send the link").click()
    expect(customer.get_by_text("we have sent a link to reset the password")).to_be_visible()

    admin = contexts()
    log_in(admin, ADMIN, demo.DEMO_PASSWORD)
    admin.get_by_role("link", name="Sent mail").click()
    expect(admin.get_by_text("Mail is captured, not sent")).to_be_visible()
    newest = admin.locator("tbody tr").first  # newest first: the reset just asked for
    expect(newest).to_contain_text(CUSTOMER)
    newest.get_by_role("link", name="Reset your password").click()
    link = admin.get_by_role("link", name=re.compile("auth.reset."))
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    assert href.startswith(live_server)

    customer.goto(href)
    customer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    customer.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    customer.get_by_role("button", name="Set password").click()
    log_in(customer, CUSTOMER, NEW_PASSWORD)
    expect(customer.get_by_role("heading", level=1)).to_have_text("My cases")
