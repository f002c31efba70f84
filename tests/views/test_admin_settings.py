"""The admin's settings and holidays pages through the test client, and their effects."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, Case, CaseStatus, Holiday, Origin, Role, Setting, User, utcnow
from helpdesk.services.core import settings
from helpdesk.services.tracker import sla
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_order, make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(app):
    with app.app_context():
        anna = make_user(Role.CUSTOMER, name="Anna Novak")
        order = make_order(anna.organisation)
        users = {
            "admin": make_user(Role.ADMIN, name="Ada Admin").id,
            "agent": make_user(Role.AGENT, name="Lena Lind").id,
            "billing": make_user(Role.BILLING).id,
            "customer": anna.id,
            "order": order.id,
        }
        db.session.commit()
        return users


def settings_form(app, **overrides) -> dict:
    """Every field as the page shows the defaults, with `overrides`."""
    with app.app_context():
        data = {
            spec.key: settings.entered_form(spec, app.config[spec.key])
            for spec in settings.REGISTRY
        }
    return {**data, **overrides}


def save_settings(app, client, **overrides):
    token = csrf_from(client.get("/admin/settings").text)
    return client.post(
        "/admin/settings", data={"csrf_token": token, **settings_form(app, **overrides)}
    )


@pytest.mark.parametrize("role", ["agent", "billing", "customer"])
def test_only_administrators_reach_settings_and_holidays(app, client, people, role):
    as_user(app, client, people[role])
    assert client.get("/admin/settings").status_code == 403
    assert client.get("/admin/holidays").status_code == 403
    token = csrf_from(client.get("/auth/profile").text)
    refused = client.post("/admin/settings", data={"csrf_token": token, "EXPIRED1_DAYS": "1"})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(Setting)) is None


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/admin/settings", "/admin/holidays"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_settings_page_shows_the_values_and_the_mail_server_without_its_password(
    app, client, people, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_HOST", "smtp.example.test")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret-Mail-pass")
    as_user(app, client, people["admin"])
    html = client.get("/admin/settings").text
    assert 'name="EXPIRED1_DAYS"' in html and 'value="30"' in html
    assert "America/Denver" in html and 'value="08:00"' in html
    assert "smtp.example.test" in html
    assert "SMTP password</dt><dd>set</dd>" in html
    assert "s3cret-Mail-pass" not in html
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "")
    assert "SMTP password</dt><dd>not set</dd>" in client.get("/admin/settings").text


def test_bad_values_get_errors_per_field_and_nothing_is_saved(app, client, people):
    as_user(app, client, people["admin"])
    response = save_settings(
        app,
        client,
        EXPIRED1_DAYS="0",
        BUSINESS_HOURS_START="17:00",
        BUSINESS_HOURS_END="09:00",
        BUSINESS_TIME_ZONE="Mars/Olympus",
        BUSINESS_DAYS=[],
        ATTACHMENTS_PER_MESSAGE="lots",
    )
    assert response.status_code == 422
    html = response.text
    for message in (
        "Enter a whole number from 1 to 3650.",
        "Closing time must be after the opening time on the same day.",
        "Choose a time zone from the list.",
        "Choose at least one working day.",
        "Enter a whole number.",
    ):
        assert message in html
    assert 'value="lots"' in html  # what was typed stays on the page
    with app.app_context():
        assert db.session.scalar(sa.select(Setting)) is None
        assert db.session.scalar(sa.select(AuditLog)) is None


def test_saving_audits_before_and_after_and_marks_the_changed_values(app, client, people):
    as_user(app, client, people["admin"])
    response = save_settings(app, client, EXPIRED1_DAYS="10", DIRECTOR_EMAIL="boss@example.com")
    assert response.status_code == 302
    page = client.get("/admin/settings").text
    assert "Settings saved: 2 changed." in page
    assert "Changed from the default: 30." in page and "Changed from the default: empty." in page
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditLog))
        assert entry.action == "settings.update" and entry.actor_id == people["admin"]
        assert entry.details["changes"] == {
            "EXPIRED1_DAYS": {"before": 30, "after": 10},
            "DIRECTOR_EMAIL": {"before": "", "after": "boss@example.com"},
        }


def test_expired_1_follows_the_saved_days(app, client, people):
    with app.app_context():
        anna = db.session.get(User, people["customer"])
        case = make_case(
            anna.organisation,
            assignee_id=people["agent"],
            status=CaseStatus.OPEN,
            awaiting_agent_since=utcnow() - timedelta(days=11),
        )
        db.session.commit()
        number = case.number
    agent = app.test_client()
    as_user(app, agent, people["agent"])
    assert f"#{number}" not in agent.get("/tracker/folders/expired_1").text
    as_user(app, client, people["admin"])
    assert save_settings(app, client, EXPIRED1_DAYS="10").status_code == 302
    assert f'name="cases" value="{number}"' in agent.get("/tracker/folders/expired_1").text


def test_fewer_files_per_message_refuses_a_bigger_portal_upload(app, client, people):
    as_user(app, client, people["admin"])
    assert save_settings(app, client, ATTACHMENTS_PER_MESSAGE="1").status_code == 302
    customer = app.test_client()
    as_user(app, customer, people["customer"])
    token = csrf_from(customer.get("/cases/new").text)
    response = customer.post(
        "/cases/new",
        data={
            "csrf_token": token,
            "order_id": str(people["order"]),
            "category": "support",
            "subject": "Two logs",
            "body": "Both attached.",
            "attachments": [(io.BytesIO(b"one"), "a.log"), (io.BytesIO(b"two"), "b.log")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Attach at most 1 files." in response.text and 'value="Two logs"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(Case)) is None


def test_a_later_closing_time_moves_the_first_response_due_time(app, client, people):
    friday_1530_mst = datetime(2025, 3, 7, 22, 30)  # naive UTC, as stored
    as_user(app, client, people["admin"])
    assert save_settings(app, client, BUSINESS_HOURS_END="20:00").status_code == 302
    with app.app_context():
        case = Case(origin=Origin.WEB)
        sla.apply_first_response_due(case, friday_1530_mst)
        # 4 business hours from 15:30 with closing at 20:00: 19:30 the same day (MST).
        assert case.sla_due_at == datetime(2025, 3, 8, 2, 30)


# --- Holidays ---------------------------------------------------------------------------------


def add_holiday(client, day: str, name: str, **kwargs):
    token = csrf_from(client.get("/admin/holidays").text)
    return client.post(
        "/admin/holidays", data={"csrf_token": token, "day": day, "name": name}, **kwargs
    )


def test_holidays_are_listed_added_and_removed_with_an_audit(app, client, people):
    as_user(app, client, people["admin"])
    assert "No holidays" in client.get("/admin/holidays").text
    response = add_holiday(client, "2025-12-25", "Christmas Day")
    assert response.status_code == 302
    page = client.get("/admin/holidays").text
    assert "25 Dec 2025 (Christmas Day) added." in page
    assert "Thu 25 Dec 2025" in page and "Christmas Day" in page
    with app.app_context():
        holiday_id = db.session.scalar(sa.select(Holiday.id))
    token = csrf_from(page)
    removed = client.post(
        f"/admin/holidays/{holiday_id}/delete", data={"csrf_token": token}, headers=HTMX
    )
    assert removed.status_code == 200 and "<html" not in removed.text
    assert "25 Dec 2025 (Christmas Day) removed." in removed.text
    assert "No holidays" in removed.text
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["holiday.add", "holiday.remove"]
        assert db.session.scalar(sa.select(Holiday)) is None


def test_a_duplicate_or_bad_holiday_is_refused_with_the_form_kept(app, client, people):
    as_user(app, client, people["admin"])
    add_holiday(client, "2025-12-25", "Christmas Day")
    duplicate = add_holiday(client, "2025-12-25", "Xmas again")
    assert duplicate.status_code == 422
    assert "2025-12-25 is already a holiday (Christmas Day)." in duplicate.text
    assert 'value="Xmas again"' in duplicate.text
    bad_date = add_holiday(client, "25/12/2025", "Boxing Day")
    assert bad_date.status_code == 422 and "Enter a date as YYYY-MM-DD." in bad_date.text
    in_htmx = add_holiday(client, "2025-12-26", "", headers=HTMX)
    assert in_htmx.status_code == 200 and "Enter the holiday&#39;s name." in in_htmx.text
    assert "<html" not in in_htmx.text
    with app.app_context():
        assert db.session.scalars(sa.select(Holiday.name)).all() == ["Christmas Day"]


def test_a_holiday_moves_the_first_response_due_time_a_business_day_later(app, client, people):
    friday_1600_mst = datetime(2025, 3, 7, 23, 0)  # naive UTC
    with app.app_context():
        before = Case(origin=Origin.WEB)
        sla.apply_first_response_due(before, friday_1600_mst)
    as_user(app, client, people["admin"])
    assert add_holiday(client, "2025-03-10", "Founders' Day").status_code == 302
    with app.app_context():
        after = Case(origin=Origin.WEB)
        sla.apply_first_response_due(after, friday_1600_mst)
    # Friday 16-17 counts one hour; the other three fall on the next business day.
    assert before.sla_due_at.replace(tzinfo=UTC).date() == date(2025, 3, 10)
    assert after.sla_due_at - before.sla_due_at == timedelta(days=1)


def test_removing_a_holiday_someone_else_removed_refreshes_the_list(app, client, people):
    as_user(app, client, people["admin"])
    token = csrf_from(client.get("/admin/holidays").text)
    response = client.post("/admin/holidays/999/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert "That holiday was already removed." in client.get("/admin/holidays").text


def test_links_from_the_admin_home(app, client, people):
    as_user(app, client, people["admin"])
    html = client.get("/admin/").text
    for url in ("/admin/settings", "/admin/holidays", "/admin/users", "/admin/catalogue"):
        assert f'href="{url}"' in html
    assert re.search(r'href="/admin/audit"', html)


def test_a_fractional_environment_default_is_shown_and_asked_to_be_whole(
    app, client, people, monkeypatch
):
    monkeypatch.setitem(app.config, "FIRST_RESPONSE_HOURS", 4.5)
    as_user(app, client, people["admin"])
    page = client.get("/admin/settings")
    assert page.status_code == 200 and 'value="4.5"' in page.text
    response = save_settings(app, client, FIRST_RESPONSE_HOURS="4.5")
    assert response.status_code == 422 and "Enter a whole number." in response.text
