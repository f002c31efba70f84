"""Notifications in a real browser: a colleague assigns a case and mentions me in a note; my
bell counts them without a reload, the list links to the case, and reading it clears the bell."""

from __future__ import annotations

import os
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from helpdesk.extensions import db
from helpdesk.models import Case, User
from tests.browser.axe import run_axe
from tests.browser.logins import logged_in

SHOTS = os.environ.get("HELPDESK_SCREENSHOTS")
# Ben Harris has no plan: his new question on the portal is a tier-1 case, routed to Lena Lind.
SUBJECT = "Season tickets: how do I set up a subscription series?"


def unread(label: str | None) -> int:
    match = re.search(r"(\d+) unread", label or "")
    return int(match.group(1)) if match else 0


def test_a_colleague_assigns_and_mentions_me_and_my_bell_counts_it(app, _chromium, live_server):
    with app.app_context():
        tomas_id = db.session.scalar(sa.select(User.id).where(User.email == "agent2@example.com"))
        lena_id = db.session.scalar(sa.select(User.id).where(User.email == "agent1@example.com"))
        number, tier, assignee = db.session.execute(
            sa.select(Case.number, Case.tier, Case.assignee_id).where(Case.subject == SUBJECT)
        ).one()
    assert (tier, assignee) == (1, lena_id)
    tomas = logged_in(_chromium, live_server, "agent2@example.com")
    lena = logged_in(_chromium, live_server, "agent1@example.com")
    tomas.goto("/tracker/")
    bell = tomas.locator("#notification-bell")
    before = unread(bell.get_attribute("aria-label"))  # the demo has some already

    lena.goto(f"/tracker/cases/{number}")
    body = lena.get_by_role("textbox", name="Message")
    lena.get_by_label("Private note (agents only)").check()
    body.click()
    body.press_sequentially("Please take this one, @tomas")
    choices = lena.locator("#mention-choices")
    expect(choices.get_by_role("option")).to_have_text(["Tomas Tran (@tomas.tran)"])
    body.press("Enter")
    expect(body).to_have_value("Please take this one, @tomas.tran ")
    lena.get_by_role("button", name="Send").click()
    expect(lena.get_by_text("Note added.")).to_be_visible()

    lena.locator("#assign summary").click()
    lena.locator("#assign select[name=assignee_id]").select_option(str(tomas_id))
    lena.get_by_role("button", name="Assign", exact=True).click()

    # Lena's page was not reloaded: the sidebar's poll brings the count.
    label = f"Notifications, {before + 2} unread"
    expect(bell).to_have_attribute("aria-label", label, timeout=15_000)
    expect(bell.locator(".bell-count")).to_have_text(str(before + 2))
    bell.click()
    expect(tomas.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert run_axe(tomas) == []
    if SHOTS:
        tomas.screenshot(path=f"{SHOTS}/notifications-1366.png", full_page=True)
    items = tomas.locator(".notification-list li")
    expect(items.first).to_contain_text(f"Lena Lind assigned you #{number}")
    expect(items.nth(1)).to_contain_text(f"Lena Lind mentioned you in a note on #{number}")
    items.first.get_by_role("link").click()
    expect(tomas).to_have_url(re.compile(rf"/tracker/cases/{number}$"))
    # Opening the case read both of its notifications.
    after = "Notifications" + (f", {before} unread" if before else "")
    expect(tomas.locator("#notification-bell")).to_have_attribute("aria-label", after)
