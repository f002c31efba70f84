"""Seed 000 on the phone: an agent finds Harbor Theatre by its website, sees it has no active
plan, follows the phone procedure for an installation question and sends the system e-mail;
an evaluator who ran too long is transferred to Sales, whose contact the page gives."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from helpdesk.extensions import db
from helpdesk.models import Case, Organisation, Origin, OutboxMail
from helpdesk.sample_data import demo
from helpdesk.sample_data.demo_intake import SALES_CONTACT as SALES
from tests.browser.test_tracker_journey import log_in, mark_document, watch_errors

AGENT = demo.STAFF[1]  # Lena Lind, level-one technician
HARBOR = demo.CUSTOMERS[1]  # Ben Harris, Harbor Theatre: purchase 200 days ago, no plan
EVALUATOR = demo.CUSTOMERS[3]  # Dan Ortiz, Lakeside Crafts: evaluating for months
assert AGENT.email == "agent1@example.com" and HARBOR.company == "Harbor Theatre"
assert EVALUATOR.company == "Lakeside Crafts"


def test_agent_looks_up_a_caller_and_sends_the_recommended_system_email(
    app: Flask, browser_page: Page
):
    page = browser_page
    errors: list[str] = []
    watch_errors(page, "agent", errors)
    log_in(page, AGENT.email, "Issue tracker")

    # Steps I-II: the caller names the licensed website; results arrive as the agent types.
    page.get_by_role("navigation", name="Folders").get_by_role("link", name="Caller lookup").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Caller lookup")
    mark_document(page)
    page.get_by_role("searchbox", name="Find the caller's account").press_sequentially(
        "harbortheatre", delay=30
    )
    results = page.locator("#caller-results")
    expect(results).to_contain_text("shop.harbortheatre.example")
    assert page.evaluate("window.__trackerJourneyMark === true"), "the lookup reloaded the page"

    # Step III: the account panel shows the support level, contacts and masked keys.
    results.get_by_role("link", name=HARBOR.company).click()
    panel = page.locator("#account-panel")
    expect(panel.get_by_role("heading", name=HARBOR.company)).to_be_visible()
    expect(panel.locator(".eligibility")).to_contain_text(re.compile("no active plan", re.I))
    expect(panel.locator("li.former")).to_contain_text("former")
    expect(panel.locator(".orders .key").first).to_have_text(re.compile(r"^•+[0-9A-F]{4}$"))
    assert page.evaluate("window.__trackerJourneyMark === true"), "the panel reloaded the page"

    # Steps V-VI: the issue decides the system e-mail; the agent sends it.
    panel.get_by_role("link", name="Phone procedure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Phone procedure: {HARBOR.company}")
    expect(page.get_by_label("Caller", exact=True)).to_have_value(re.compile(r"^contact-\d+$"))
    page.get_by_label("What is the call about?").select_option(
        label="Installation or support question"
    )
    recommendation = page.locator("#phone-recommendation")
    expect(recommendation.locator(".canned-title")).to_have_text("FAQ-Available support resources")
    expect(recommendation.locator(".mail-body")).to_contain_text(f"Hello {HARBOR.name},")
    expect(recommendation.locator(".mail-body")).to_contain_text(AGENT.name)
    recommendation.get_by_role("button", name="Send").click()

    confirmation = page.get_by_role("status").filter(has_text="Sent")
    expect(confirmation).to_contain_text(
        f"Sent “FAQ-Available support resources” to {HARBOR.name} <{HARBOR.email}>"
    )
    number = int(re.search(r"new phone case #(\d+)", confirmation.inner_text()).group(1))
    assert errors == []

    with app.app_context():
        mail = db.session.scalars(
            sa.select(OutboxMail).where(OutboxMail.template_key == "faq-support-resources")
        ).one()
        case = db.session.get(Case, mail.case_id)
        assert mail.to_address == HARBOR.email
        assert mail.body_text.startswith(f"Hello {HARBOR.name},")
        assert (case.number, case.origin) == (number, Origin.PHONE)
        db.session.remove()


def test_an_evaluation_run_too_long_is_sent_to_sales_with_the_sales_contact(
    app: Flask, browser_page: Page
):
    """Lakeside Crafts has evaluated for months and ordered a licence on an invoice not yet
    paid: still "Send to sales", and the page says whom to transfer the call to."""
    page = browser_page
    errors: list[str] = []
    watch_errors(page, "agent", errors)
    with app.app_context():
        lakeside = db.session.scalar(
            sa.select(Organisation.id).where(Organisation.name == EVALUATOR.company)
        )
        db.session.remove()
    log_in(page, AGENT.email, "Issue tracker")
    page.goto(f"/tracker/callers/{lakeside}")
    panel = page.locator("#account-panel")
    expect(panel.locator(".eligibility")).to_contain_text("Send to sales")
    expect(panel.locator(".orders")).to_contain_text("(pending)")  # the unpaid invoice order

    panel.get_by_role("link", name="Phone procedure").click()
    page.get_by_label("What is the call about?").select_option(
        label="Installation or support question"
    )
    recommendation = page.locator("#phone-recommendation")
    expect(recommendation).to_contain_text("Transfer the call to Sales.")
    contact = recommendation.get_by_label("Sales contact")
    expect(contact).to_contain_text(SALES["SALES_CONTACT_NAME"])
    expect(contact.get_by_role("link", name=SALES["SALES_CONTACT_PHONE"])).to_have_attribute(
        "href", "tel:" + SALES["SALES_CONTACT_PHONE"].replace(" ", "")
    )
    expect(contact.get_by_role("link", name=SALES["SALES_CONTACT_EMAIL"])).to_be_visible()
    assert errors == []
