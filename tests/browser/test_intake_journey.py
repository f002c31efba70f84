"""Intake in the browser: a call whose follow-up stays on the same case (seed 000 V.4, the
persistent caller), and a voice mail typed in the next morning with the time it was left,
then its details edited and its origin corrected on the case page (seed 003, issue 12)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from helpdesk.extensions import db
from helpdesk.models import Activity, ActivityKind, Case, Organisation, Origin
from helpdesk.sample_data import demo
from tests.browser.axe import run_axe
from tests.browser.test_tracker_journey import log_in, watch_errors

AGENT = demo.STAFF[1]  # Lena Lind, level-one technician
HARBOR = demo.CUSTOMERS[1]  # Harbor Theatre: purchase 200 days ago, no active plan
PINECREST = demo.CUSTOMERS[5]  # Pinecrest Festival: the after-hours (911) plan
assert AGENT.email == "agent1@example.com" and HARBOR.company == "Harbor Theatre"
assert PINECREST.after_hours


def _organisation_id(app: Flask, name: str) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name))
        db.session.remove()
        return found


def _phone_cases(app: Flask, organisation_id: int) -> list[int]:
    with app.app_context():
        found = db.session.scalars(
            sa.select(Case.number).where(
                Case.organisation_id == organisation_id, Case.origin == Origin.PHONE
            )
        ).all()
        db.session.remove()
        return list(found)


def test_a_persistent_callers_follow_up_stays_on_the_calls_case(
    app: Flask, _chromium: Browser, live_server: str
):
    harbor = _organisation_id(app, HARBOR.company)
    before = _phone_cases(app, harbor)
    # bypass_csp: axe is injected as a script the app's policy rightly refuses.
    context = _chromium.new_context(
        base_url=live_server, bypass_csp=True, viewport={"width": 1366, "height": 900}
    )
    try:
        page = context.new_page()
        errors: list[str] = []
        watch_errors(page, "agent", errors)
        log_in(page, AGENT.email, "Issue tracker")
        page.goto(f"/tracker/callers/{harbor}/phone")

        # The call: the issue and a new case for it; Send.
        page.get_by_label("What is the call about?").select_option(
            label="Installation or support question"
        )
        recommendation = page.locator("#phone-recommendation")
        expect(recommendation.locator(".canned-title")).to_have_text(
            "FAQ-Available support resources"
        )
        expect(page.get_by_label("Log it on")).to_have_value("")
        recommendation.get_by_role("button", name="Send").click()
        confirmation = page.get_by_role("status").filter(has_text="Sent")
        expect(confirmation).to_contain_text("logged on a new phone case #")
        number = int(re.search(r"new phone case #(\d+)", confirmation.inner_text()).group(1))

        # The follow-up: the issue and the call's case are still chosen.
        expect(page.get_by_label("What is the call about?")).to_have_value("support")
        log_on = page.get_by_label("Log it on")
        expect(log_on.locator("option:checked")).to_have_text(re.compile(rf"^#{number} "))
        expect(recommendation).to_contain_text(f"Sent and logged on #{number}.")
        assert run_axe(page) == []

        # The caller insists: the priority options, logged on the same case.
        page.get_by_label("Persistent: asks for more help than the e-mail gives").check()
        expect(recommendation.locator(".canned-title")).to_have_text(
            "FAQ-What are my priority support options"
        )
        expect(recommendation).to_contain_text(f"Logged on #{number}.")
        recommendation.get_by_role("button", name="Send").click()
        expect(page.get_by_role("status").filter(has_text="Sent")).to_contain_text(
            f"logged on case #{number}."
        )
        expect(page.get_by_label("Log it on").locator("option:checked")).to_have_text(
            re.compile(rf"^#{number} ")
        )
        assert errors == []
    finally:
        context.close()

    after = _phone_cases(app, harbor)
    assert sorted(set(after) - set(before)) == [number]  # one case for the call, not two
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.number == number))
        mails = db.session.scalars(
            sa.select(Activity.summary).where(
                Activity.case_id == case_id, Activity.kind == ActivityKind.MAIL
            )
        ).all()
        db.session.remove()
    assert len(mails) == 2 and "priority support options" in mails[-1]


def _last_evening() -> str:
    """Yesterday (or the last weekday) at 21:40 in the business zone, as the input takes it."""
    zone = ZoneInfo("America/Denver")
    day = datetime.now(zone).date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(21, 40)).strftime("%Y-%m-%dT%H:%M")


def test_a_voice_mail_left_overnight_is_typed_in_edited_and_its_origin_corrected(
    app: Flask, _chromium: Browser, live_server: str
):
    context = _chromium.new_context(
        base_url=live_server, bypass_csp=True, viewport={"width": 1366, "height": 900}
    )
    try:
        _voice_mail_journey(app, context.new_page())
    finally:
        context.close()


def _voice_mail_journey(app: Flask, page: Page) -> None:
    errors: list[str] = []
    watch_errors(page, "agent", errors)
    pinecrest = _organisation_id(app, PINECREST.company)
    log_in(page, AGENT.email, "Issue tracker")
    page.goto(f"/tracker/intake?organisation_id={pinecrest}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone intake")

    left = _last_evening()
    page.get_by_label("Title").fill("Scanners reject tickets at the gate")
    page.get_by_label("Synopsis").fill("Finn called: the gate scanners reject every ticket.")
    page.get_by_label("Message left at").fill(left)
    page.get_by_label("Callback number").fill("+1 303 555 0188")
    page.get_by_label("Customer cannot process a sale (+10)").check()
    page.get_by_label("Product version").fill("9.0")
    page.get_by_label("Computer OS").fill("Windows 11")
    assert run_axe(page) == []
    page.get_by_role("button", name="Create the case").click()

    expect(page.get_by_role("status").filter(has_text="created")).to_contain_text("Phone case #")
    # Overnight from an after-hours customer (+5, not also +3) and a lost sale (+10).
    expect(page.locator(".priority-score strong")).to_have_text("15")
    panel = page.locator("#intake")
    expect(panel).to_contain_text("Message left")
    expect(panel).to_contain_text(left[-5:])  # 21:40, shown in the agent's zone
    expect(panel.get_by_role("link", name="+1 303 555 0188")).to_be_visible()

    panel.get_by_text("Change the details").click()
    panel.get_by_label("Computer OS").fill("macOS 15")
    panel.get_by_label("Estimate (minutes)").fill("45")
    panel.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status").filter(has_text="Details saved.")).to_be_visible()
    expect(page.locator("#intake")).to_contain_text("macOS 15")
    expect(page.locator("#intake")).to_contain_text("45 min")
    page.evaluate("document.querySelectorAll('#intake details').forEach(d => d.open = true)")
    assert run_axe(page) == []
    page.evaluate("document.querySelectorAll('#intake details').forEach(d => d.open = false)")

    page.locator("#intake summary", has_text="Correct the origin").click()
    page.get_by_label("It reached us by").select_option(label="e-mail")
    page.get_by_role("button", name="Save the origin").click()
    expect(page.locator(".case-timeline")).to_contain_text("Origin corrected: phone → e-mail")
    expect(page.locator("#intake")).to_contain_text("e-mail")
    assert errors == []
    with app.app_context():
        case = db.session.scalar(
            sa.select(Case).where(Case.subject == "Scanners reject tickets at the gate")
        )
        stored_left = case.received_at.replace(tzinfo=UTC).astimezone(ZoneInfo("America/Denver"))
        assert stored_left.strftime("%Y-%m-%dT%H:%M") == left
        assert case.priority_factors == ["cannot_sell", "after_hours_overnight"]
        db.session.remove()
