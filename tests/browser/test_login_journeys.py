"""Login, logout and registration as a person does them, in a real browser."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import ConsoleMessage, Page, expect

from helpdesk.extensions import db
from helpdesk.models import OutboxMail
from helpdesk.sample_data import demo

HOMES = {
    "customer": ("/cases", "My cases"),
    "agent": ("/tracker/", "Issue tracker"),
    "billing": ("/billing/", "Payment manager"),
    "admin": ("/admin/", "Administration"),
}

LOGINS = [pytest.param(s.email, str(s.role), id=s.email) for s in demo.STAFF] + [
    pytest.param(c.email, "customer", id=c.email) for c in demo.CUSTOMERS[:1]
]


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def expect_login_page(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/auth/login(\?.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_demo_logins_cover_every_role():
    """The parametrization below reaches every home page."""
    assert {role for _, role in (p.values for p in LOGINS)} == set(HOMES)


@pytest.mark.parametrize(("email", "role"), LOGINS)
def test_login_lands_on_role_home_and_logout_ends_session(browser_page: Page, email, role):
    page = browser_page
    home_path, heading = HOMES[role]

    page.goto("/")
    expect_login_page(page)

    log_in(page, email, demo.DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert path_of(page) == home_path

    page.get_by_role("button", name="Log out").click()
    expect_login_page(page)
    expect(page.get_by_role("status")).to_have_text("You are logged out.")

    page.goto(home_path)
    expect_login_page(page)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def mailed_finish_path(app, email: str) -> str:
    """The path of the link mailed to `email` that finishes its registration."""
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail).where(OutboxMail.to_address == email))
        return urlsplit(re.search(r"https?://\S+", mail.body_text).group()).path


def test_registration_reports_weak_password_then_lands_on_my_cases(app, browser_page: Page):
    page = browser_page
    page.goto("/auth/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")

    page.get_by_label("Your name").fill("Rita Rowe")
    page.get_by_label("Company").fill("Riverside Bakery")
    page.get_by_label("E-mail").fill("rita@riverside.example")
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_label("Repeat password").fill("password")
    page.get_by_role("button", name="Create account").click()

    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    error = page.locator("#password-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("too common")
    expect(password).to_have_accessible_description(re.compile("too common"))
    # The error sits in the password's own field, not elsewhere on the form.
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator(".field.has-error #password")).to_have_count(1)
    expect(page.get_by_label("Your name")).to_have_value("Rita Rowe")
    expect(page.get_by_label("Company")).to_have_value("Riverside Bakery")
    expect(page.get_by_label("E-mail")).to_have_value("rita@riverside.example")
    expect(password).to_have_value("")  # passwords are never sent back to the browser

    password.fill("granite-kettle-41")
    page.get_by_label("Repeat password").fill("granite-kettle-41")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Check your e-mail to finish")

    page.goto(mailed_finish_path(app, "rita@riverside.example"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish creating your account")
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
    assert path_of(page) == "/cases"
    expect(page.get_by_text("You have no support cases yet.")).to_be_visible()
    expect(page.get_by_text("Rita Rowe")).to_be_visible()


def test_wrong_password_gives_a_generic_message_that_hides_whether_the_account_exists(
    browser_page: Page,
):
    page = browser_page
    seen = {}
    for email in ("agent1@example.com", "nobody@example.com"):
        page.goto("/auth/login")
        log_in(page, email, "not-the-password")

        expect_login_page(page)
        expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
        expect(page.locator(".error")).to_have_count(1)  # no field error such as "unknown e-mail"
        expect(page.locator("[aria-invalid]")).to_have_count(0)
        expect(page.get_by_label("E-mail")).to_have_value(email)
        expect(page.get_by_label("Password")).to_have_value("")
        seen[email] = page.locator("main").inner_text()

    # An existing account and a made-up one get exactly the same page.
    assert seen["agent1@example.com"] == seen["nobody@example.com"]


def expect_htmx_loaded(page: Page) -> None:
    """htmx is a deferred script: it runs after the heading can already be seen."""
    page.wait_for_function("typeof htmx === 'object'", timeout=5_000)
    assert page.evaluate("typeof htmx") == "object"


def test_pages_load_htmx_without_console_errors(browser_page: Page):
    page = browser_page
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))

    response = page.goto("/")
    assert response is not None
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    expect_login_page(page)
    expect_htmx_loaded(page)

    log_in(page, "agent1@example.com", demo.DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue tracker")
    expect_htmx_loaded(page)

    page.get_by_role("button", name="Log out").click()
    expect_login_page(page)
    expect_htmx_loaded(page)

    # No console error at all: CSP violations, uncaught script errors, missing resources.
    assert errors == []
