"""The admin "Scheduled jobs" page: each job's last run, result and next run; live workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.models import Role
from helpdesk.services.core import jobs
from tests.conftest import FrozenClock, as_user
from tests.factories import make_user

URL = "/admin/jobs"
PAGE_NOW = datetime.fromtimestamp(FrozenClock.EPOCH, UTC).replace(tzinfo=None)


@pytest.fixture
def people(app):
    with app.app_context():
        users = {"admin": make_user(Role.ADMIN).id, "agent": make_user(Role.AGENT).id}
        db.session.commit()
        return users


def test_the_page_shows_each_jobs_last_result_and_the_live_workers(app, client, people):
    ran_at = PAGE_NOW - timedelta(minutes=1)
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--now", ran_at.isoformat()])
    assert result.exit_code == 0, result.output
    with app.app_context():
        jobs.beat("worker-on-web-2", PAGE_NOW - timedelta(hours=1), PAGE_NOW)
        jobs.beat("worker-gone", PAGE_NOW - timedelta(hours=1), PAGE_NOW - timedelta(hours=1))

    html = as_user(app, client, people["admin"]).get(URL).get_data(as_text=True)

    assert "Scheduled jobs" in html
    assert "Deliver the outbox" in html
    assert "Sent 0, retried 0, failed 0." in html
    assert "0 new queue alerts mailed." in html
    assert "off: no mailbox is set up" in html  # fetch-mail without IMAP
    assert "worker-on-web-2" in html
    assert "worker-gone" not in html


def test_without_a_worker_the_page_says_so(app, client, people):
    response = as_user(app, client, people["admin"]).get(URL, headers={"HX-Request": "true"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No worker is running" in html
    assert "<h1>" not in html  # the partial for the poll


def test_the_admin_home_links_to_the_page(app, client, people):
    html = as_user(app, client, people["admin"]).get("/admin/").get_data(as_text=True)
    assert 'href="/admin/jobs"' in html


def test_staff_who_are_not_admins_may_not_see_it(app, client, people):
    assert as_user(app, client, people["agent"]).get(URL).status_code == 403
