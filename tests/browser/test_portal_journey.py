"""The customer portal as a customer uses it: open a case with help suggestions, follow it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import Case, Message, MessageKind, Origin, User, utcnow
from helpdesk.sample_data import demo

CUSTOMER = demo.CUSTOMERS[0]  # Anna Novak, Northwind Outfitters: one recent order
AGENT = demo.STAFF[1]  # Lena Lind, level-one technician
SUBJECT = "Installation checklist fails on step two"
DESCRIPTION = "The installer stops at step two: the database check never finishes."
REPLY = "I ran the checklist again after a restart; it still stops at step two."
THREAD_POLL_WAIT_MS = 15_000  # the thread polls every 10 s
SCREENSHOT = "portal-journey.png"


def log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")


def nav_link(page: Page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def mark_document(page: Page) -> None:
    """Tag the loaded document; a reload or navigation would lose the tag."""
    page.evaluate("window.__portalJourneyMark = true")


def expect_same_document(page: Page, url: str) -> None:
    assert page.evaluate("window.__portalJourneyMark === true"), "the page was reloaded"
    assert page.url == url


def test_customer_opens_a_case_with_suggestions_then_follows_it_up(
    request: pytest.FixtureRequest, browser_page: Page, tmp_path: Path
):
    page = browser_page
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    suggestion_requests: list[str] = []

    def on_request(sent: Request) -> None:
        if "/help/suggestions" in sent.url:
            suggestion_requests.append(sent.url)

    page.on("request", on_request)

    try:
        # 1. Log in and open the new-case form from the navigation.
        log_in(page, CUSTOMER.email)
        nav_link(page, "New case").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Open a support case")
        assert page.url.endswith("/cases/new")

        # 2. The organisation's one order, and the category.
        order = page.get_by_label("Order")
        options = order.locator("option")
        expect(options).to_have_count(1)
        order_label = options.first.inner_text().strip()
        assert order_label.startswith("O") and "AbleCommerce 9.2" in order_label
        order.select_option(label=order_label)
        expect(order).to_have_value(options.first.get_attribute("value"))
        page.get_by_label("What is it about?").select_option(
            label="Installation or support question"
        )

        # 3. Suggestions follow the subject as it is typed, without a page load.
        suggestions = page.locator("#suggestions")
        expect(suggestions.get_by_role("link")).to_have_count(0)
        form_url = page.url
        mark_document(page)
        subject = page.get_by_label("Subject")
        subject.press_sequentially(SUBJECT, delay=40)
        expect(subject).to_have_value(SUBJECT)
        checklist = suggestions.get_by_role("link", name="Installation checklist", exact=True)
        expect(checklist).to_be_visible()
        expect_same_document(page, form_url)
        # Debounced: far fewer lookups than keystrokes.
        assert 1 <= len(suggestion_requests) < len(SUBJECT) // 4, suggestion_requests

        checklist.click()
        item = suggestions.locator("li").filter(
            has=page.get_by_role("link", name="Installation checklist", exact=True)
        )
        opened = item.locator(".article-inline")  # the article opens under its link
        expect(opened.get_by_role("heading", name="Installation checklist")).to_be_visible()
        expect(opened).to_contain_text("Check the server requirements, then run the installer.")
        expect_same_document(page, form_url)

        # 4. Description, an attachment, and open the case.
        page.get_by_label("Description").fill(DESCRIPTION)
        log_file = tmp_path / "install-log.txt"
        log_file.write_text("step 1: ok\nstep 2: database check timed out\n")
        page.get_by_label("Attachments (optional)").set_input_files(log_file)
        page.get_by_role("button", name="Open case").click()

        # 5. The case page: flash with the number, subject, description, the file.
        flash = page.get_by_role("status").filter(has_text="is open")
        expect(flash).to_contain_text(re.compile(r"Your case #\d+ is open"))
        number = re.search(r"#(\d+)", flash.inner_text()).group(1)
        assert page.url.endswith(f"/cases/{number}")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"#{number} {SUBJECT}")
        thread = page.locator("#thread")
        expect(thread).to_contain_text(DESCRIPTION)
        download = thread.get_by_role("link", name=log_file.name, exact=True)
        expect(download).to_be_visible()
        expect(download).to_have_attribute("download", "")
        expect(download).to_have_attribute("href", re.compile(rf"/cases/{number}/attachments/\d+$"))
        with page.expect_download() as downloaded:
            download.click()
        assert downloaded.value.suggested_filename == log_file.name
        assert Path(downloaded.value.path()).read_bytes() == log_file.read_bytes()

        # 6. My cases lists it as received.
        nav_link(page, "My cases").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
        row = page.get_by_role("row").filter(has_text=SUBJECT)
        expect(row).to_have_count(1)
        expect(row.get_by_role("link", name=f"#{number}", exact=True)).to_be_visible()
        expect(row.locator(".status")).to_have_text("Received")

        # 7. Open it again and reply.
        row.get_by_role("link", name=SUBJECT, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"#{number} {SUBJECT}")
        page.get_by_label("Your reply").fill(REPLY)
        page.get_by_role("button", name="Send reply").click()
        expect(page.get_by_role("status").filter(has_text="Your reply is sent.")).to_be_visible()
        reply = page.locator("#thread article.from-customer").filter(has_text=REPLY)
        expect(reply).to_have_count(1)
        expect(reply).to_contain_text(CUSTOMER.name)

        # No CSP violation, script error or missing resource along the way.
        assert errors == []
    finally:
        # 8. Always a picture of where the journey ended.
        folder = request.config.rootpath / "test-artifacts"
        folder.mkdir(exist_ok=True)
        path = folder / SCREENSHOT
        page.screenshot(path=str(path), full_page=True)
        print(f"portal journey screenshot: {path}")


def test_thread_shows_an_agent_reply_without_reloading(app: Flask, browser_page: Page):
    page = browser_page
    with app.app_context():
        case = db.session.scalars(
            sa.select(Case)
            .join(User, Case.requester_id == User.id)
            .where(User.email == CUSTOMER.email, Case.subject == demo.CASES[0][1])
        ).one()
        number = case.number
        db.session.remove()

    log_in(page, CUSTOMER.email)
    page.goto(f"/cases/{number}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{number} {demo.CASES[0][1]}")
    thread = page.locator("#thread")
    expect(thread).to_be_visible()
    text = "We found the cause: a stale cache after the upgrade. Clear it under Settings."
    expect(thread).not_to_contain_text(text)
    case_url = page.url
    mark_document(page)

    with app.app_context():
        case = db.session.scalars(sa.select(Case).where(Case.number == number)).one()
        agent = db.session.scalars(sa.select(User).where(User.email == AGENT.email)).one()
        now = utcnow()
        db.session.add(
            Message(
                case_id=case.id,
                author_id=agent.id,
                kind=MessageKind.REPLY,
                from_customer=False,
                origin=Origin.WEB,
                body=text,
                body_html=render_markup(text),
                created_at=now,
            )
        )
        case.version = Case.version + 1
        case.last_agent_reply_at = now
        case.updated_at = now
        db.session.commit()
        db.session.remove()

    answer = page.locator("#thread article.from-agent").filter(has_text=text)
    expect(answer).to_be_visible(timeout=THREAD_POLL_WAIT_MS)
    expect(answer).to_contain_text(AGENT.name)
    expect(answer).to_contain_text("Support")
    expect_same_document(page, case_url)
