"""Seed 001's protocol in Chromium: an agent opens a queued case, sets its type, and routing
delegates it; the page says to whom and the timeline says why. A tier-1 agent meets a tier-2
case with "Accept anyway", and an agent away gives a reason and a return time."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Case
from helpdesk.sample_data import demo, demo_routing
from tests.browser.axe import run_axe

AGENT = demo.STAFF[1]  # Lena Lind, tier 1
assert AGENT.email == "agent1@example.com"
TIER2_WAITING = "Evaluation: payment gateway stays in test mode"  # the demo's tier-2 queue case


def number_of(app: Flask, subject: str) -> int:
    with app.app_context():
        number = db.session.scalars(sa.select(Case.number).where(Case.subject == subject)).one()
        db.session.remove()
    return number


def log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue tracker")


def test_classifying_a_queued_case_routes_it_and_the_timeline_says_why(
    app: Flask, browser_page: Page
):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, AGENT.email)
    # The support queue lists the untyped e-mail; the agent opens it.
    page.get_by_role("navigation", name="Folders").get_by_role(
        "link", name=re.compile(r"^Support queue\b")
    ).click()
    page.locator("#case-table").get_by_role("link", name=demo_routing.QUEUED_SUBJECT).click()
    number = number_of(app, demo_routing.QUEUED_SUBJECT)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"#{number} {demo_routing.QUEUED_SUBJECT}"
    )
    facts = page.locator(".case-facts-line")
    expect(facts).to_contain_text("support queue")

    page.get_by_text("Type and reason", exact=True).click()
    expect(page.get_by_text("Nobody holds this case yet")).to_be_visible()
    page.get_by_label("Case type").select_option(label="Billing")
    page.locator("#classify").get_by_role("button", name="Save").click()

    # The finance-minded agent is away in the demo: the Billing rule's fallback took it.
    expect(
        page.get_by_role("status").filter(has_text="Type and reason saved. Routed to Priya Patel.")
    ).to_be_visible()
    expect(facts).to_contain_text("Priya Patel")
    timeline = page.locator(".case-timeline")
    expect(timeline).to_contain_text("Type and reason: Billing")
    expect(timeline).to_contain_text(
        re.compile(
            r"Routed to Priya Patel by rule \u201cBilling\u201d; Tomas Tran is away until "
            rf".+ \({re.escape(demo_routing.AWAY_REASON)}\), so the fallback took it\."
        )
    )
    # Now someone holds it: no accept button, and the hint about routing is gone.
    expect(page.get_by_role("button", name="Accept into my queue")).to_have_count(0)
    page.get_by_text("Type and reason", exact=True).click()
    expect(page.get_by_text("Nobody holds this case yet")).to_have_count(0)


def test_a_tier1_agent_accepts_a_tier2_case_only_with_a_reason(
    app: Flask, _chromium: Browser, live_server: str
):
    # bypass_csp: axe is injected as a script the app's policy rightly refuses.
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        page = context.new_page()
        for width, height in ((1366, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            if width == 1366:
                log_in(page, AGENT.email)
            number = number_of(app, TIER2_WAITING)
            page.goto(f"/tracker/cases/{number}")
            expect(page.get_by_text("This case needs tier 2 and you are tier 1")).to_be_visible()
            expect(page.get_by_role("button", name="Accept into my queue")).to_have_count(0)
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert run_axe(page) == []
        page.locator("#accept-anyway summary").click()
        page.get_by_role("button", name="Accept anyway").click()
        expect(page.get_by_text("accept it anyway and say why")).to_be_visible()
        page.get_by_label("Why you take it anyway").fill("Tier 2 is out until this afternoon")
        page.get_by_role("button", name="Accept anyway").click()
        expect(page.get_by_role("status").filter(has_text="The case is yours.")).to_be_visible()
        expect(page.locator(".case-timeline")).to_contain_text(
            "Override: Lena Lind gave this tier 2 case to themselves (tier 1): "
            "Tier 2 is out until this afternoon"
        )
        expect(page.get_by_role("button", name=re.compile("Escalate to tier"))).to_have_count(0)
    finally:
        context.close()


def test_an_agent_goes_away_with_a_reason_and_a_return_time(
    app: Flask, _chromium: Browser, live_server: str
):
    context = _chromium.new_context(base_url=live_server, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 1366, "height": 900})
        log_in(page, AGENT.email)
        page.goto("/tracker/team")
        form = page.locator(".my-status")
        form.get_by_label("My status").select_option("away")
        form.get_by_label("Reason (optional)").fill("at the dentist")
        form.get_by_label("Back at (optional)").fill("2030-01-02T14:00")
        form.get_by_role("button", name="Save my status").click()
        expect(page.get_by_role("status").filter(has_text="Your status: away.")).to_be_visible()
        row = page.locator("table.list tr").filter(has_text=AGENT.name)
        expect(row).to_contain_text("at the dentist")
        expect(row).to_contain_text("2 Jan 2030, 14:00")
        expect(page.locator(".my-status")).to_contain_text("You are away until 2 Jan 2030, 14:00")
        assert run_axe(page) == []
        # A time already past is a form error, and nothing is changed.
        form = page.locator(".my-status")
        form.get_by_label("Back at (optional)").fill("2020-01-02T14:00")
        form.get_by_role("button", name="Save my status").click()
        expect(page.get_by_text("Enter a time that is still to come")).to_be_visible()
        expect(page.locator("table.list tr").filter(has_text=AGENT.name)).to_contain_text(
            "2 Jan 2030, 14:00"
        )
    finally:
        context.close()
