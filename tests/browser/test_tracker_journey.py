"""Issue 4: the tracker stays live while a customer and an agent talk, in two browsers at once.

The agent never reloads: the sidebar counts, the folder list and the case thread (polling
every LIVE_POLL_SECONDS, 2 s here) bring the customer's new case and replies to the open page.
A second test shows the presence warning when two agents have the same case open.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import BrowserContext, Locator, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Case
from helpdesk.sample_data import demo
from tests.browser.conftest import LIVE_POLL_SECONDS

# Ben Harris, Harbor Theatre: no active plan, so his questions are tier 1 (seed 000) and the
# catch-all routes them to Lena; a customer with an active plan would need tier 2.
CUSTOMER = demo.CUSTOMERS[1]
AGENT = demo.STAFF[1]  # Lena Lind, tier 1: web support questions are routed to her
ADMIN = demo.STAFF[0]  # Ada Admin
assert AGENT.email == "agent1@example.com" and ADMIN.email == "admin@example.com"

CATEGORY = "Installation or support question"
SUBJECT = "Shop stays in maintenance mode after the update"
DESCRIPTION = "Since last night's update the storefront only shows the maintenance page."
AGENT_REPLY = "Please delete the file app_offline.htm in the web root, then reload the shop."
CUSTOMER_REPLY = "That file is gone now, but the maintenance page still shows on mobile."

COUNTS_POLL_WAIT_MS = 15_000  # the sidebar polls every LIVE_POLL_SECONDS
LIST_POLL_WAIT_MS = 20_000  # the folder list polls every 1.5 x LIVE_POLL_SECONDS
THREAD_POLL_WAIT_MS = 15_000  # the case thread polls every 10 s
PRESENCE_WAIT_MS = 15_000  # the presence heartbeat runs every 10 s
SCREENSHOT = "tracker-journey.png"
MARK = "__trackerJourneyMark"


def log_in(page: Page, email: str, heading: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def watch_errors(page: Page, who: str, errors: list[str]) -> None:
    """Collect console errors (CSP violations, failed loads) and uncaught script errors."""
    page.on(
        "console",
        lambda message: (
            errors.append(f"{who}: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(f"{who}: uncaught: {error}"))


def mark_document(page: Page) -> None:
    """Tag the loaded document; a reload or a navigation would lose the tag."""
    page.evaluate(f"window.{MARK} = true")


def expect_same_document(page: Page, url: str) -> None:
    assert page.evaluate(f"window.{MARK} === true"), f"{url} was reloaded"
    assert page.url == url


def sidebar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Folders")


def folder_count(page: Page, folder: str) -> Locator:
    return sidebar(page).locator(f'[data-folder="{folder}"]')


def read_count(page: Page, folder: str) -> int:
    count = folder_count(page, folder)
    expect(count).to_have_text(re.compile(r"^\s*\d+\s*$"))
    return int(count.inner_text())


def took(what: str, since: float) -> None:
    """How long a live update took to show (in the captured output, for slow CI runs)."""
    print(f"{what}: live after {time.monotonic() - since:.1f} s")


def case_row(page: Page, subject: str) -> Locator:
    return page.locator("#case-table").get_by_role("row").filter(has_text=subject)


@pytest.fixture
def second_context(browser_page: Page, live_server: str) -> Iterator[BrowserContext]:
    """Another browser context (own cookies) in the same Chromium, closed at the end."""
    browser = browser_page.context.browser
    assert browser is not None
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def test_customer_and_agent_talk_while_the_tracker_updates_itself(
    request: pytest.FixtureRequest, browser_page: Page, second_context: BrowserContext
):
    agent = browser_page
    customer = second_context.new_page()
    errors: list[str] = []
    watch_errors(agent, "agent", errors)
    watch_errors(customer, "customer", errors)

    try:
        # 1. The agent logs in and stays on the tracker: her New folder.
        log_in(agent, AGENT.email, "Issue tracker")
        expect(agent.locator("h2.folder-title")).to_have_text("New")
        new_before = read_count(agent, "new")
        expect(case_row(agent, SUBJECT)).to_have_count(0)
        tracker_url = agent.url
        mark_document(agent)

        # 2. The customer opens a case about installation or support.
        log_in(customer, CUSTOMER.email, "My cases")
        customer.get_by_role("navigation", name="Main").get_by_role(
            "link", name="New case", exact=True
        ).click()
        expect(customer.get_by_role("heading", level=1)).to_have_text("Open a support case")
        order = customer.get_by_label("Order")
        order.select_option(index=0)
        customer.get_by_label("What is it about?").select_option(label=CATEGORY)
        customer.get_by_label("Subject").fill(SUBJECT)
        customer.get_by_label("Description").fill(DESCRIPTION)
        customer.get_by_role("button", name="Open case").click()
        opened_at = time.monotonic()
        flash = customer.get_by_role("status").filter(has_text="is open")
        expect(flash).to_contain_text(re.compile(r"Your case #\d+ is open"))
        number = re.search(r"#(\d+)", flash.inner_text()).group(1)
        expect(customer.get_by_role("heading", level=1)).to_have_text(f"#{number} {SUBJECT}")
        case_url = customer.url
        mark_document(customer)

        # 3. The agent's New count rises by one on its own (sidebar poll), no reload.
        expect(folder_count(agent, "new")).to_have_text(
            str(new_before + 1), timeout=COUNTS_POLL_WAIT_MS
        )
        expect_same_document(agent, tracker_url)
        took("New count", opened_at)

        # 4. The new row appears in the New list on its own (list poll); open the case.
        row = case_row(agent, SUBJECT)
        expect(row).to_have_count(1, timeout=LIST_POLL_WAIT_MS)
        took("New row", opened_at)
        expect(row.get_by_role("link", name=f"#{number}", exact=True)).to_be_visible()
        expect(row).to_contain_text(AGENT.name)
        expect_same_document(agent, tracker_url)
        row.get_by_role("link", name=SUBJECT, exact=True).click()
        expect(agent.get_by_role("heading", level=1)).to_have_text(f"#{number} {SUBJECT}")
        agent_thread = agent.locator("#thread")
        expect(agent_thread.locator("article.from-customer")).to_contain_text(DESCRIPTION)
        expect(agent.get_by_label("Public reply (mailed to the customer)")).to_be_checked()
        agent.get_by_label("Message", exact=True).fill(AGENT_REPLY)
        agent.get_by_role("button", name="Send", exact=True).click()
        answered_at = time.monotonic()
        expect(
            agent.get_by_role("status").filter(has_text="Reply sent to the customer.")
        ).to_be_visible()
        expect(
            agent_thread.locator("article.from-agent").filter(has_text=AGENT_REPLY)
        ).to_be_visible()

        # 6 (first half). The agent opens her Waiting folder before the customer answers.
        sidebar(agent).get_by_role("link", name=re.compile(r"^Waiting\b")).click()
        expect(agent.locator("h2.folder-title")).to_have_text("Waiting")
        expect(
            sidebar(agent).get_by_role("link", name=re.compile(r"^Waiting\b"))
        ).to_have_attribute("aria-current", "page")
        waiting_before = read_count(agent, "waiting")
        expect(case_row(agent, SUBJECT)).to_have_count(0)
        waiting_url = agent.url
        mark_document(agent)

        # 5. The customer sees the answer arrive without reloading (thread poll), and replies.
        answer = customer.locator("#thread article.from-agent").filter(has_text=AGENT_REPLY)
        expect(answer).to_be_visible(timeout=THREAD_POLL_WAIT_MS)
        took("answer in the customer's thread", answered_at)
        expect(answer).to_contain_text(AGENT.name)
        expect_same_document(customer, case_url)
        customer.get_by_label("Your reply").fill(CUSTOMER_REPLY)
        customer.get_by_role("button", name="Send reply").click()
        replied_at = time.monotonic()
        expect(
            customer.get_by_role("status").filter(has_text="Your reply is sent.")
        ).to_be_visible()
        expect(
            customer.locator("#thread article.from-customer").filter(has_text=CUSTOMER_REPLY)
        ).to_have_count(1)

        # 6. The case shows in the agent's open Waiting folder without reload, and is counted.
        row = case_row(agent, SUBJECT)
        expect(row).to_have_count(1, timeout=LIST_POLL_WAIT_MS)
        took("Waiting row", replied_at)
        expect(row.get_by_role("link", name=f"#{number}", exact=True)).to_be_visible()
        expect(row.locator(".status")).to_have_text("waiting")
        expect(folder_count(agent, "waiting")).to_have_text(
            str(waiting_before + 1), timeout=COUNTS_POLL_WAIT_MS
        )
        took("Waiting count", replied_at)
        expect_same_document(agent, waiting_url)

        # No CSP violation, script error or failed resource in either browser.
        assert errors == []
    finally:
        # 7. Always a picture of the agent's page where the journey ended.
        folder = request.config.rootpath / "test-artifacts"
        folder.mkdir(exist_ok=True)
        path = folder / SCREENSHOT
        agent.screenshot(path=str(path), full_page=True)
        print(f"tracker journey screenshot: {path}")


def shipping_case_number(app: Flask) -> int:
    """A demo case of Lena's that is already Open (viewing it changes nothing)."""
    with app.app_context():
        number = db.session.scalars(
            sa.select(Case.number).where(Case.subject == "Shipping rates not calculated")
        ).one()
        db.session.remove()
    return number


def presence_line(page: Page, text: str) -> Locator:
    return page.locator("#presence").get_by_text(text, exact=True)


def test_presence_warns_when_another_agent_views_and_types(
    app: Flask, browser_page: Page, second_context: BrowserContext
):
    number = shipping_case_number(app)
    lena = browser_page
    ada = second_context.new_page()
    errors: list[str] = []
    watch_errors(lena, "agent", errors)
    watch_errors(ada, "admin", errors)

    log_in(lena, AGENT.email, "Issue tracker")
    log_in(ada, ADMIN.email, "Administration")
    lena.goto(f"/tracker/cases/{number}")
    expect(lena.get_by_role("heading", level=1)).to_contain_text(f"#{number} ")
    ada.goto(f"/tracker/cases/{number}")
    expect(ada.get_by_role("heading", level=1)).to_contain_text(f"#{number} ")
    lena_url, ada_url = lena.url, ada.url
    mark_document(lena)
    mark_document(ada)

    # Lena's first heartbeat (1 s after load) came before Ada's, which names her.
    viewing = presence_line(ada, f"{AGENT.name} is viewing this case right now.")
    expect(viewing).to_be_visible(timeout=PRESENCE_WAIT_MS)

    # Lena starts typing an answer: one of Ada's next heartbeats says so.
    lena.get_by_label("Message", exact=True).press_sequentially("Checking the ship", delay=20)
    typing = presence_line(ada, f"{AGENT.name} is typing a reply right now.")
    expect(typing).to_be_visible(timeout=PRESENCE_WAIT_MS)
    expect(viewing).to_have_count(0)

    # Lena is warned about Ada too (viewing only: Ada typed nothing).
    expect(presence_line(lena, f"{ADMIN.name} is viewing this case right now.")).to_be_visible(
        timeout=PRESENCE_WAIT_MS
    )
    expect_same_document(lena, lena_url)
    expect_same_document(ada, ada_url)
    assert errors == []


def test_presence_heartbeat_runs_once_per_poll_interval(app: Flask, browser_page: Page):
    number = shipping_case_number(app)
    page = browser_page
    beats: list[float] = []
    page.on(
        "request",
        lambda sent: beats.append(time.monotonic()) if sent.url.endswith("/presence") else None,
    )
    log_in(page, AGENT.email, "Issue tracker")
    page.goto(f"/tracker/cases/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{number} ")
    page.wait_for_timeout(6_000)
    # One beat 1 s after load, then one per poll interval: never one a second.
    most = 1 + 6 // LIVE_POLL_SECONDS
    assert len(beats) <= most, f"{len(beats)} heartbeats in 6 s (at most {most})"
