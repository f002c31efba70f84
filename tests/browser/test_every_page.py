"""Every page every demo login can open, in a real browser: no serious or critical axe-core
finding (WCAG 2 A/AA and best practices) at 1366x900, nothing scrolling sideways at 1366x900
and 390x844, and no tracker jargon on screen.

The pages come from the app's URL map through tests/security/access_table.py (every GET route
with sample arguments and the roles admitted to it), the arguments from the demo data
(tests/browser/demo_world.py). Every problem on every page is collected and reported at once,
so one run shows the whole picture.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask, url_for
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from helpdesk.rules.folders import Folder
from helpdesk.sample_data import demo
from helpdesk.services.tracker.folders import ALL
from tests.browser.axe import run_axe
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.demo_world import demo_world
from tests.conftest import PG_SERVER_URL
from tests.security.access_table import TABLE, Row, resolve

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
JARGON = re.compile(r"\bseeds?\b|\bissue \d+\b", re.IGNORECASE)

# Demo login -> its column in the access table (None: not logged in).
ROLES: dict[str, tuple[str | None, str]] = {
    "anonymous": (None, "anonymous"),
    "anna": ("anna@northwind.example", "customer_a"),
    "agent1": ("agent1@example.com", "agent_t1"),
    "agent2": ("agent2@example.com", "agent_t2"),
    "billing": ("billing@example.com", "billing"),
    "admin": ("admin@example.com", "admin"),
}

# GET routes that are not pages a person looks at: files, CSV exports and the small fragments
# that htmx polls or fetches into a page (those are checked inside the page that loads them).
NOT_PAGES = {
    "health.healthz": "a JSON probe for load balancers",
    "health.readyz": "a JSON probe for load balancers",
    "portal.attachment_download": "a file download",
    "tracker.attachment_download": "a file download",
    "reports.cases_csv": "a CSV export",
    "reports.table_csv": "a CSV export",
    "admin.inbound_mail_raw": "the raw e-mail as a file",
    "tracker.counts": "the sidebar's poll",
    "reports.live": "the dashboard's poll",
    "portal.case_thread": "the thread's poll",
    "portal.article_suggestions": "suggestions fetched while typing",
    "tracker.case_thread": "the thread's poll",
    "tracker.case_article_suggestions": "suggestions fetched into the case page",
    "tracker.case_macro_picker": "the macro list fetched into the composer (see test_macros)",
    "system.customer_list": "a tab fetched into the customer page",
    "system.fraud_list": "a tab fetched into the FRAUD-STOP page",
    "auth.two_factor_code": "the step after a password (see test_two_factor_journey)",
    "notifications.notification_open": "reads a notification and goes to its case",
    "api.openapi_document": "the API's OpenAPI document (JSON)",
}
# The API's rows (`api=True`) answer other systems in JSON, with a token, not people in a
# browser; its reference page, api.docs_page, is a page and is visited.

# One route, several screens: every folder, and the everyone scope administrators have.
VARIANTS: dict[str, list[dict[str, str]]] = {
    "tracker.folder": [{"name": folder.value} for folder in Folder]
    + [{"name": ALL}, {"name": ALL, "scope": "everyone"}],
}


@dataclass(frozen=True)
class Visit:
    role: str
    url: str


def _admitted(row: Row, column: str) -> bool:
    return row.method == "GET" and not row.htmx and not row.api and row.expect[column] == 200


def _urls(row: Row, world: dict) -> list[str]:
    args, query = resolve(row, world)
    variants = VARIANTS.get(row.endpoint, [{}])
    return [url_for(row.endpoint, **{**args, **query, **variant}) for variant in variants]


def plan(app: Flask, world: dict) -> tuple[list[Visit], list[str]]:
    """The visits of every role, and the GET routes of the URL map no role gets to see."""
    visits, seen = [], set()
    with app.test_request_context():
        for role, (_, column) in ROLES.items():
            for row in TABLE:
                if row.endpoint in NOT_PAGES or not _admitted(row, column):
                    continue
                seen.add(row.endpoint)
                visits += [Visit(role, url) for url in _urls(row, world)]
    api_rows = {row.endpoint for row in TABLE if row.api}
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint != "static" and rule.endpoint not in api_rows
    }
    # Redirect-only routes (the root, the new-order start) and guest-only forms a logged-in
    # demo role is redirected from are opened by the anonymous role or lead to a visited page.
    unseen = sorted(routes - seen - set(NOT_PAGES) - {"index", "billing.order_start"})
    return list(dict.fromkeys(visits)), unseen


def log_in(context: BrowserContext, email: str) -> Page:
    """Log in through the real form, as a person does."""
    page = context.new_page()
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    return page


def _overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _settle(page: Page) -> None:
    """Wait for content that htmx loads into the page after it arrives, if there is any."""
    if page.locator("[hx-trigger^='load'], [hx-trigger*=' load']").count():
        page.wait_for_load_state("networkidle")


def check(page: Page, visit: Visit) -> Iterator[str]:
    """Every problem of one page, as text."""
    try:
        response = page.goto(visit.url)
    except PlaywrightError as error:  # a download, a crash: this page's problem, not the run's
        yield f"could not be opened: {error.message.splitlines()[0]}"
        return
    if response is None or response.status != 200:
        yield f"answered {response.status if response else 'nothing'}, not a page"
        return
    _settle(page)
    for finding in run_axe(page):
        yield f"axe: {finding}"
    if (wide := _overflow(page)) > 1:
        yield f"scrolls sideways by {wide}px at 1366x900"
    words = JARGON.findall(page.evaluate("document.body.innerText"))
    if words:
        yield f"shows tracker jargon: {sorted(set(words))}"
    page.set_viewport_size(PHONE)
    if (wide := _overflow(page)) > 1:
        yield f"scrolls sideways by {wide}px at 390x844"
    page.set_viewport_size(LAPTOP)


def test_every_get_route_is_a_page_some_demo_role_opens(app: Flask, live_server: str):
    visits, unseen = plan(app, demo_world(app))
    assert len(visits) > 100, "the plan lost its pages"
    assert not unseen, "GET routes no demo role opens: " + ", ".join(unseen)


# Roles with many pages are split into parts of about 20 visits: one test of a minute would
# keep one of the suite's workers busy while the other runs out of tests.
PARTS = {"admin": 3, "agent1": 2, "agent2": 2}


# One test per role (or part), so the roles' visits run side by side on the suite's workers. What it
# checks (layout, accessibility, words) is the same HTML and CSS whatever the database, so the
# PostgreSQL run leaves it to the SQLite run; the pages' data on PostgreSQL is covered by the
# access matrix and the view tests, which both runs make.
@pytest.mark.skipif(
    PG_SERVER_URL is not None, reason="rendering checks: the SQLite run of the suite makes them"
)
@pytest.mark.parametrize(
    ("role", "part"),
    [(role, part) for role in ROLES for part in range(PARTS.get(role, 1))],
    ids=lambda value: str(value) if isinstance(value, str) else f"part{value + 1}",
)
def test_every_page_of_a_demo_role(
    role: str, part: int, app: Flask, live_server: str, _chromium: Browser
):
    visits, _ = plan(app, demo_world(app))
    mine = [visit for visit in visits if visit.role == role][part :: PARTS.get(role, 1)]
    email = ROLES[role][0]
    failures: list[str] = []
    context = _chromium.new_context(base_url=live_server, viewport=LAPTOP, bypass_csp=True)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        page = log_in(context, email) if email else context.new_page()
        for visit in mine:
            failures += [f"{visit.url} as {role}: {p}" for p in check(page, visit)]
    finally:
        context.close()
    assert mine, f"{role} has no pages to visit"
    assert not failures, f"{len(failures)} problem(s) on {len(mine)} visits:\n" + "\n".join(
        failures
    )


def test_the_accessibility_check_catches_faint_text(_chromium: Browser):
    """The check above can fail: light grey on white is reported as a serious finding."""
    context = _chromium.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content(
            "<!doctype html><html lang='en'><head><title>Faint</title></head><body><main>"
            "<h1>Faint</h1><p style='color:#aaa;background:#fff'>Hard to read</p></main></body>"
            "</html>"
        )
        assert [f.rule for f in run_axe(page)] == ["color-contrast"]
    finally:
        context.close()
