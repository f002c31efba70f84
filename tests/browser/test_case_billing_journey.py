"""Issue 15 item 15 in a browser: the billing clerk opens a case about an order, refunds part
of its payment from the case page, and finds the refund on the case's timeline and on the
payment manager's page of that payment; sends a replacement of the shipped parcel from there
too. The case page passes axe on a laptop and a phone."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Activity, Case, Payment, Refund, Shipment, ShipmentStatus
from helpdesk.sample_data import demo
from helpdesk.sample_data.demo_billingcase import demo_case_number
from tests.browser.axe import run_axe
from tests.browser.conftest import DEFAULT_TIMEOUT_MS

CLERK = demo.STAFF[4]
assert CLERK.email == "billing@example.com"
REASON = "Printer arrived a week late"
LOST = "Lost by the carrier"


def log_in(page: Page) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(CLERK.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment manager")


def the_case(app: Flask) -> tuple[int, int]:
    """The demo case about an order with a payment and a shipped parcel, and that payment."""
    with app.app_context():
        number = demo_case_number()
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        payment_id = db.session.scalar(
            sa.select(Payment.id).where(Payment.order_id == case.order_id).order_by(Payment.id)
        )
        return number, payment_id


def test_billing_refunds_part_of_the_payment_from_the_case_page(browser_page: Page, app: Flask):
    page = browser_page
    log_in(page)
    number, payment_id = the_case(app)
    with app.app_context():
        before = db.session.get(Payment, payment_id).refunded_cents
    page.goto(f"/tracker/cases/{number}")
    panel = page.locator("#billing")
    expect(panel.get_by_role("heading", name="Payments and shipments")).to_be_visible()
    expect(panel).to_contain_text(f"Payment #{payment_id}")
    expect(panel).to_contain_text("Visa ending 4242")
    expect(panel).to_contain_text("shipped")
    # Billing staff work the money here; the agents' tools are not offered.
    expect(page.get_by_role("button", name="Accept into my queue")).to_have_count(0)
    expect(page.get_by_role("radio", name=re.compile("Public reply"))).to_have_count(0)

    panel.get_by_text(f"Refund from payment #{payment_id}").click()
    panel.get_by_label("Amount (dollars and cents)").fill("45.50")
    panel.get_by_label("Reason").fill(REASON)
    panel.get_by_role("button", name="Refund", exact=True).click()

    expect(page.get_by_role("status").first).to_have_text(
        "Refunded $45.50 to Visa ending 4242. The customer is e-mailed."
    )
    assert page.url.endswith(f"/tracker/cases/{number}#billing")
    timeline = page.locator(".case-timeline")
    expect(timeline).to_contain_text(
        f"Refunded $45.50 of payment #{payment_id} to Visa ending 4242: {REASON}"
    )
    expect(timeline).to_contain_text(CLERK.name)
    expect(panel).to_contain_text(REASON)

    # The payment manager's page of that payment shows the same refund.
    panel.get_by_role("link", name=f"Payment #{payment_id}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Payment #{payment_id}")
    expect(page.locator("table.refunds")).to_contain_text(REASON)
    expect(page.locator("table.refunds")).to_contain_text("$45.50")
    assert "4242424242424242" not in page.content()

    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert payment.refunded_cents == before + 4550
        refund = db.session.scalar(sa.select(Refund).where(Refund.reason == REASON))
        assert refund.amount_cents == 4550
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        assert db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Activity)
            .where(Activity.case_id == case.id, Activity.summary.contains(REASON))
        )


def test_billing_sends_a_replacement_of_the_shipped_parcel_from_the_case_page(
    browser_page: Page, app: Flask
):
    page = browser_page
    log_in(page)
    number, _ = the_case(app)
    with app.app_context():
        shipped = db.session.scalar(
            sa.select(Shipment)
            .join(Case, Case.order_id == Shipment.order_id)
            .where(Case.number == number, Shipment.status == ShipmentStatus.SHIPPED)
        )
        shipped_id, item = shipped.id, shipped.item
        db.session.remove()
    page.goto(f"/tracker/cases/{number}")
    line = page.locator(f"#shipment-{shipped_id}")
    expect(line).to_contain_text("shipped")
    line.get_by_text("Send a replacement", exact=True).first.click()
    line.get_by_label("Why it is sent again").fill(LOST)
    line.locator("form").get_by_role("button", name="Send a replacement").click()

    expect(page.get_by_role("status").first).to_have_text(
        f"A replacement {item} is in the shipment queue."
    )
    assert page.url.endswith(f"/tracker/cases/{number}#billing")
    expect(page.locator(".case-timeline")).to_contain_text(
        f"Replacement of {item} queued for shipping: {LOST}"
    )
    expect(page.locator("#billing")).to_contain_text(f"Replacement ({LOST})")

    with app.app_context():
        replacement = db.session.scalar(
            sa.select(Shipment).where(Shipment.reship_of_id == shipped_id)
        )
        assert (replacement.item, replacement.status) == (item, ShipmentStatus.PENDING)
        assert replacement.reship_reason == LOST
        db.session.remove()


def test_the_case_page_of_billing_staff_passes_axe_and_fits_a_phone(
    app: Flask, _chromium: Browser, live_server: str
):
    number, _ = the_case(app)
    for viewport in ({"width": 1366, "height": 900}, {"width": 390, "height": 844}):
        context = _chromium.new_context(base_url=live_server, viewport=viewport, bypass_csp=True)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        try:
            page = context.new_page()
            log_in(page)
            page.goto(f"/tracker/cases/{number}")
            page.evaluate(
                "document.querySelectorAll('#billing details').forEach(d => d.open = true)"
            )
            assert [str(f) for f in run_axe(page)] == []
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"scrolls sideways at {viewport}: {width}px"
        finally:
            context.close()
