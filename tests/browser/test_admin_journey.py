"""Issue 10: the administrator's round in one browser, on the demo data.

Ada Admin changes a setting, adds a holiday, edits a system e-mail after previewing it, creates
a staff login, finds each of those actions in the audit log by its filter, and reads the
reports: the dashboard (which states the new setting), the support report with its SVG chart,
and one table downloaded as CSV. Screenshots of a failure come from the browser conftest.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from helpdesk.extensions import db
from helpdesk.models import CannedResponse, Holiday, Role, User
from helpdesk.sample_data import demo

ADMIN = demo.STAFF[0]  # Ada Admin
assert ADMIN.email == "admin@example.com"
CANNED = "FAQ-Available support resources"
NEW_SUBJECT = "Where to find answers"
NEW_LINE = "Our forum is open around the clock, {customer_name}."
HOLIDAY = "Company retreat"
NEW_AGENT = ("Nora North", "nora.north@example.com")


def log_in(page: Page) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(ADMIN.email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")


def flash(page: Page):
    return page.get_by_role("status").first


def audit_rows(page: Page, action_prefix: str):
    """Filter the audit log by action (htmx swaps the list in place); the rows shown."""
    page.get_by_label("Action starts with").fill(action_prefix)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"action={re.escape(action_prefix)}"))
    rows = page.locator("#audit-list tbody tr")
    expect(rows.first).to_be_visible()
    actions = [cell.strip() for cell in rows.locator("td:nth-child(3)").all_inner_texts()]
    assert actions and all(a.startswith(action_prefix) for a in actions), actions
    return rows


def test_admin_configures_audits_and_reports(browser_page: Page, app: Flask):
    page = browser_page
    log_in(page)

    # A setting: the first-response goal goes from 4 to 6 business hours.
    page.goto("/admin/settings")
    goal = page.get_by_label("First response within (business hours)")
    expect(goal).to_have_value("4")
    goal.fill("6")
    page.get_by_role("button", name="Save settings").click()
    expect(flash(page)).to_have_text("Settings saved: 1 changed. They apply at once.")
    expect(page.get_by_label("First response within (business hours)")).to_have_value("6")

    # A holiday, added in place.
    page.get_by_role("link", name="Manage holidays").click()
    day = date.today() + timedelta(days=40)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Name").fill(HOLIDAY)
    page.get_by_role("button", name="Add holiday").click()
    expect(page.locator("#holidays").get_by_role("status")).to_have_text(
        f"{day.day} {day:%b %Y} ({HOLIDAY}) added."
    )
    expect(page.locator("table.holidays")).to_contain_text(HOLIDAY)

    # A system e-mail: the preview fills in the sample values and saves nothing ...
    page.goto("/admin/canned")
    page.get_by_role("link", name=CANNED).click()
    page.get_by_label("Subject").fill(NEW_SUBJECT)
    body = page.get_by_label("Text")
    body.fill(body.input_value().replace("Hello {customer_name},", f"Hello,\n{NEW_LINE}"))
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".mail-preview")
    expect(preview).to_contain_text(f"Subject: {NEW_SUBJECT}")
    expect(preview).to_contain_text("Our forum is open around the clock, Ben Harris.")
    expect(preview).not_to_contain_text("{customer_name}")
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(CannedResponse.subject).where(CannedResponse.title == CANNED)
            )
            != NEW_SUBJECT
        )
        db.session.remove()
    # ... and Save keeps it.
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_have_text(f"“{CANNED}” saved.")
    row = page.locator("tbody tr").filter(has_text=CANNED)
    expect(row).to_contain_text(NEW_SUBJECT)

    # A staff login: no password is typed, a link is mailed.
    page.goto("/admin/users")
    page.get_by_role("link", name="New staff login").click()
    name, email = NEW_AGENT
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Role").select_option(label="Agent")
    page.get_by_label("Tier").select_option(label="Tier 1")
    page.get_by_role("button", name="Create and mail the link").click()
    expect(flash(page)).to_have_text(
        f"{name} can log in once they set a password: the link is on its way to {email}."
    )

    # The audit log, filtered to each of those actions.
    page.goto("/admin/audit")
    expect(audit_rows(page, "settings.").first).to_contain_text("FIRST_RESPONSE_HOURS")
    expect(audit_rows(page, "holiday.").first).to_contain_text(HOLIDAY)
    expect(audit_rows(page, "canned.").first).to_contain_text("faq-support-resources")
    created = audit_rows(page, "user.create").first
    expect(created).to_contain_text(ADMIN.name)
    expect(created).to_contain_text("agent")

    # Reports: the dashboard states the goal just set; the support report draws its charts.
    page.goto("/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support dashboard")
    expect(page.get_by_text("a first answer within 6 business hours")).to_be_visible()
    page.get_by_role("navigation", name="Reports").get_by_role(
        "link", name="Support report"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support report")
    section = page.locator("#first-response")
    chart = section.locator("svg.chart:visible")  # the one drawing that fits the page
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute("role", "img")
    assert chart.locator("rect").count() > 0  # bars, not an empty frame
    expect(section).to_contain_text("Goal: a first answer within 6 business hours")

    # One table as CSV, as the browser downloads it.
    with page.expect_download() as download_info:
        section.get_by_role("link", name=re.compile(r"^CSV")).click()
    download = download_info.value
    assert re.fullmatch(r"support-first-response-.+\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(io.StringIO(handle.read())))
    assert table[0][:2] == ["Origin", "Cases"]
    assert table[1][0] == "All origins" and int(table[1][1]) > 0
    on_screen = section.locator("tbody tr").first.locator("td").first.inner_text()
    assert table[1][1] == on_screen.replace(",", "")

    # What the admin saw is what the database holds.
    with app.app_context():
        assert db.session.scalar(sa.select(Holiday.name).where(Holiday.day == day)) == HOLIDAY
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert (user.name, user.role, user.tier) == (name, Role.AGENT, 1)
        db.session.remove()
