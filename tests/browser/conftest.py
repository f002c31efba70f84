"""Browser tests: the app served on a free local port, driven by headless Chromium.

Chromium comes from Debian (/usr/bin/chromium); `playwright install` is never used. Without it
these tests are skipped, unless HELPDESK_REQUIRE_BROWSER=1 (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from helpdesk.extensions import db
from helpdesk.sample_data import demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous: a wait only lasts this long when something is wrong, and a saturated machine
# (CI on 2 cores, `make test-under-load`) may take seconds to serve a page.
DEFAULT_TIMEOUT_MS = 30_000
LIVE_POLL_SECONDS = 2
HERE = Path(__file__).parent

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError as error:  # pragma: no cover: depends on the machine
    sync_playwright = None
    MISSING = f"Python Playwright is not installed ({error}); pip install -e '.[dev]'"
else:
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)  # assertions wait as long as actions
    MISSING = (
        None
        if CHROMIUM.exists()
        else f"{CHROMIUM} not found; install it with `apt-get install -y chromium`"
    )
REQUIRED = os.environ.get("HELPDESK_REQUIRE_BROWSER") == "1"


def _in_this_folder(item: pytest.Item) -> bool:
    return HERE in item.path.parents


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so `-m "not browser"` sees the mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _in_this_folder(item):
            item.add_marker(pytest.mark.browser)
            if MISSING and not REQUIRED:
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {MISSING}"))


@pytest.fixture(autouse=True, scope="session")
def _browser_available() -> None:
    """With HELPDESK_REQUIRE_BROWSER=1 a missing browser is a failure, never a silent skip."""
    if MISSING:
        pytest.fail(f"HELPDESK_REQUIRE_BROWSER=1 but {MISSING}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item (rep_setup, rep_call, rep_teardown)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def live_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test app with the demo data, served on 127.0.0.1:<free port>; yields the base URL.

    Live regions poll every LIVE_POLL_SECONDS; 2 s here instead of 10 keeps the journeys short
    while still proving the page updates itself without a reload.
    """
    monkeypatch.setitem(app.config, "LIVE_POLL_SECONDS", LIVE_POLL_SECONDS)
    with app.app_context():
        demo.load(app.config["CARD_HASH_KEY"].encode())
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Browser]:
    """One headless Chromium per run; each test gets its own context (cookies, storage)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _artifact_name(test_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_") + ".png"


@pytest.fixture
def browser_page(
    request: pytest.FixtureRequest, _chromium: Browser, live_server: str
) -> Iterator[Page]:
    """A fresh page in a new browser context whose relative URLs go to `live_server`.

    On a failing test a full-page screenshot is saved to test-artifacts/<test name>.png.
    """
    context = _chromium.new_context(base_url=live_server)
    try:
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            folder = request.config.rootpath / "test-artifacts"
            folder.mkdir(exist_ok=True)
            path = folder / _artifact_name(request.node.name)
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as error:  # a screenshot must never hide the failure
                print(f"could not save a screenshot to {path}: {error}")
            else:
                print(f"screenshot of the failing page: {path}")
    finally:
        context.close()
