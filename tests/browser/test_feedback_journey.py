"""Did this solve it? in Chromium: Lena answers a case, the customer opens the No link from the
captured mail (no login), sees what it records and confirms with one button; an administrator
then finds the answer in the support report, beside Lena's name."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Case, Feedback, OutboxMail, utcnow
from helpdesk.sample_data import demo
from helpdesk.services.reports import feedback_report, reports
from tests.browser.axe import run_axe

AGENT = demo.STAFF[1]  # Lena Lind, tier 1
ADMIN = demo.STAFF[0]
assert AGENT.email == "agent1@example.com" and ADMIN.email == "admin@example.com"
SUBJECT = "Shipping rates not calculated"  # one of Lena's Open demo cases
REPLY = "The carrier key had expired; enter the new one under Shipping > Carriers."
LINK = re.compile(r"Did this solve it\? Yes: (\S+)  No: (\S+)")


def log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def captured_links(app: Flask, number: int) -> tuple[str, str]:
    """The Yes and No links of the last mail on the case, as paths on the test server."""
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMail.body_text)
            .join(Case, Case.id == OutboxMail.case_id)
            .where(Case.number == number, OutboxMail.template_key == "agent_replied")
            .order_by(OutboxMail.id.desc())
            .limit(1)
        )
        db.session.remove()
    yes, no = LINK.search(body).groups()
    base = app.config["BASE_URL"].rstrip("/")
    return yes.removeprefix(base), no.removeprefix(base)


def lena_scores(app: Flask) -> tuple:
    """Lena's row of the report's per-agent table, as the service computes it now."""
    with app.app_context():
        today = reports.local_today(utcnow(), reports.business_zone())
        table = feedback_report.agents_table(reports.default_period(today))
        db.session.remove()
    return next(row for row in table.rows if row[0] == AGENT.name)


def test_a_customer_answers_no_from_the_mail_and_the_report_counts_it(
    app: Flask, live_server: str, _chromium: Browser
):
    # bypass_csp: the axe script is injected into the page (tests/browser/axe.py).
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        journey(app, context.new_page())
    finally:
        context.close()


def journey(app: Flask, page: Page) -> None:
    log_in(page, AGENT.email)
    with app.app_context():
        number = db.session.scalars(sa.select(Case.number).where(Case.subject == SUBJECT)).one()
        db.session.remove()
    page.goto(f"/tracker/cases/{number}")
    page.get_by_label("Message", exact=True).fill(REPLY)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Reply sent")).to_be_visible()
    yes, no = captured_links(app, number)
    _, asked, answered, solved, not_solved, _ = lena_scores(app)

    # The customer is not logged in in this browser.
    page.context.clear_cookies()
    page.goto(no)
    expect(page.get_by_role("heading", level=1)).to_have_text("Did this solve it?")
    expect(page.get_by_text(f"case #{number} “{SUBJECT}”")).to_be_visible()
    expect(page.get_by_role("link", name="Yes, it solved it")).to_have_attribute("href", yes)
    assert run_axe(page) == []
    with app.app_context():  # opening the link recorded nothing: scanners cannot vote
        assert (
            db.session.scalars(sa.select(Feedback.solved).order_by(Feedback.id.desc())).first()
            is None
        )
        db.session.remove()
    page.get_by_role("button", name="No, it did not solve it").click()
    expect(page.get_by_role("status")).to_have_text(
        "Thank you for telling us. Reply to the e-mail if you still need help."
    )
    expect(page.get_by_text("You already answered this e-mail")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)

    log_in(page, ADMIN.email)
    page.goto("/reports/support")
    section = page.locator("#solved-agents")
    expect(section.get_by_role("heading", level=2)).to_have_text("Did this solve it? per agent")
    row = section.locator("tr", has=page.get_by_role("rowheader", name=AGENT.name))
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text(str(asked))
    expect(cells.nth(1)).to_have_text(str(answered + 1))
    expect(cells.nth(2)).to_have_text(str(solved))
    expect(cells.nth(3)).to_have_text(str(not_solved + 1))
    # The demo's key-request e-mail is the one flagged.
    flagged = page.locator("#solved-emails tr", has_text="Often does not solve it")
    expect(flagged).to_have_count(1)
    expect(flagged.get_by_role("rowheader")).to_have_text("FAQ-How to request a key")
