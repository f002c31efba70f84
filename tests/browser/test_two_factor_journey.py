"""Two-factor login in a real browser: billing staff set up an app at their first login, keep
their recovery codes, then log in with a code; at 1366 and 390 px nothing scrolls sideways and
axe finds nothing serious."""

from __future__ import annotations

import os

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from helpdesk.sample_data import demo
from tests.browser.axe import run_axe

pytestmark = pytest.mark.usefixtures("two_factor_roles")

SHOTS = os.environ.get("HELPDESK_SCREENSHOTS")  # a folder: save screenshots of each step


def look(page: Page, name: str) -> None:
    """No sideways scrolling and no serious axe finding, at a laptop's width and a phone's."""
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    assert run_axe(page) == [], name


def log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def page(_chromium: Browser, live_server: str):
    # bypass_csp: axe is injected as a script the app's policy rightly refuses.
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_billing_sets_up_an_app_then_logs_in_with_a_code(page: Page, frozen_clock):
    log_in(page, "billing@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor login")
    expect(page.locator(".qr svg")).to_be_visible()
    look(page, "two-factor-setup")
    key = page.locator(".setup-key").inner_text().replace(" ", "")

    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()

    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).at(frozen_clock.time()))
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor login is on")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    look(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment manager")

    page.goto("/auth/profile")
    expect(page.get_by_text("Recovery codes left: 10 of 10.")).to_be_visible()
    look(page, "two-factor-profile")
    page.get_by_role("button", name="Log out").click()

    frozen_clock.advance(30)
    log_in(page, "billing@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor login")
    look(page, "two-factor-code")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(key).at(frozen_clock.time()))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment manager")
    page.get_by_role("button", name="Log out").click()

    log_in(page, "billing@example.com")
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment manager")
    expect(page.get_by_text("You logged in with a recovery code; 9 left.")).to_be_visible()
