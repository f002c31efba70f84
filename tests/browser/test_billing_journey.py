"""Issue 10: the billing clerk's day in one browser, on the demo data.

Bob Berg finds a customer in the system manager (by a card's last four, then by company), opens
the profile, places an order paid with the stored card, checks a card number (which is not
kept in the form afterwards), refunds part of the new payment, and FRAUD-STOPs the customer
from the payment page; the next order with that card is refused, and the FRAUD-STOP lists show
the block and the refused attempt. Screenshots of a failure come from the browser conftest.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from helpdesk.extensions import db
from helpdesk.models import AuditLog, BlockedAttempt, Payment, Refund
from helpdesk.sample_data import demo

CLERK = demo.STAFF[4]  # Bob Berg, payment and system manager
COMPANY = "Harbor Theatre"  # Ben Harris's company: a stored Visa ending 4242, no open blocks
PRODUCT = "Maintenance plan 9.2 · $299.00"
REASON = "Chargebacks on three orders from stolen cards"
assert CLERK.email == "billing@example.com"


def log_in(page: Page) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(CLERK.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment manager")


def search(page: Page, text: str) -> None:
    """Type into the live customer search (htmx swaps the table in place)."""
    box = page.get_by_role("searchbox", name="Search customers")
    box.fill(text)
    expect(page).to_have_url(re.compile(rf"/system/\?q={re.escape(text)}$"))


def flash(page: Page):
    return page.get_by_role("status").first


def place_order(page: Page) -> None:
    page.get_by_role("link", name="Place an order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("New order")
    page.get_by_label("Product").select_option(label=PRODUCT)
    page.get_by_label("Quantity").fill("1")
    card = page.get_by_role("radio", name="Visa ending 4242")
    expect(card).to_be_checked()  # the stored card is preselected
    page.get_by_role("button", name="Place order").click()


def test_billing_clerk_orders_checks_refunds_and_fraud_stops(browser_page: Page, app: Flask):
    page = browser_page
    log_in(page)

    # System manager: a card's last four finds every customer paying with such a card, the
    # company name narrows it to one.
    page.goto("/system/")
    search(page, "4242")
    rows = page.locator("#customer-table tbody tr")
    expect(rows.filter(has_text=COMPANY)).to_have_count(1)
    assert rows.count() > 1
    search(page, "Harbor")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=COMPANY).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    expect(page.locator("#cards")).to_contain_text("Visa •••• 4242")

    # An order paid with the stored card.
    place_order(page)
    expect(flash(page)).to_have_text(re.compile(r"Order O\d+ placed and paid: \$299\.00\."))
    page.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payment #")
    payment_url = page.url
    payment_id = int(payment_url.rsplit("/", 1)[1])

    # Check card: the verdict names the card by brand and last four only, and the number the
    # clerk typed is gone from the form.
    page.get_by_role("link", name="Check card").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("2031")
    page.get_by_role("button", name="Check").click()
    verdict = page.locator("#card-check-result")
    expect(verdict).to_contain_text("passes every check")
    expect(verdict).to_contain_text("Not on the blocklist")
    expect(page.get_by_label("Card number")).to_have_value("")
    assert "4242 4242 4242 4242" not in page.content()
    assert "4242424242424242" not in page.content()

    # Refund part of the payment to the card.
    page.goto(payment_url)
    refund_form = page.locator(".refund-form")
    refund_form.get_by_label("Amount (dollars and cents)").fill("120.50")
    refund_form.get_by_label("Reason").fill("Half the seats of the plan were never used")
    refund_form.get_by_role("button", name="Refund", exact=True).click()
    expect(flash(page)).to_have_text("Refunded $120.50 to Visa ending 4242.")
    expect(page.locator(".refund-remaining")).to_have_text("$178.50")
    expect(page.locator("table.refunds")).to_contain_text("Half the seats of the plan")

    # FRAUD-STOP from the payment page, with a reason. Its "Reason" label must lead to its own
    # field, not to the refund form's (they once shared the id "reason").
    fraud_stop = page.locator("#fraud-stop")
    fraud_stop.get_by_label("Reason").fill(REASON)
    fraud_stop.get_by_role("button", name="FRAUD-STOP").click()
    expect(flash(page)).to_contain_text("FRAUD-STOP: blocked")
    expect(flash(page)).to_contain_text("1 card(s)")

    # The card is blocked now: the next order with it is refused, without saying why.
    page.goto("/system/")
    search(page, "Harbor")
    page.locator("#customer-table").get_by_role("link", name=COMPANY).click()
    place_order(page)
    expect(
        page.get_by_text("This order cannot be placed. Please contact the fraud team.")
    ).to_be_visible()

    # The FRAUD-STOP lists: the block with who and why, and the refused attempt.
    page.goto("/system/fraud")
    blocked = page.locator("#list-cards tbody tr").filter(has_text=REASON)
    expect(blocked).to_have_count(1)
    expect(blocked).to_contain_text("Visa •••• 4242")
    expect(blocked).to_contain_text(CLERK.name)
    attempt = page.locator("#list-attempts tbody tr").first
    expect(attempt).to_contain_text("order")
    expect(attempt).to_contain_text("•••• 4242")
    expect(attempt).to_contain_text("card block")

    # What the clerk saw is what the database holds.
    with app.app_context():
        payment = db.session.get(Payment, payment_id)
        assert (payment.amount_cents, payment.refunded_cents) == (29_900, 12_050)
        [refund] = db.session.scalars(sa.select(Refund).where(Refund.payment_id == payment_id))
        assert refund.amount_cents == 12_050
        actions = set(db.session.scalars(sa.select(AuditLog.action)))
        assert {"refund.create", "fraud.stop"} <= actions, actions
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockedAttempt)) >= 1
        db.session.remove()
