"""Adjustable settings: parsing, stored values over config defaults, one read per request."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, Holiday, Role, Setting
from helpdesk.services import ServiceError
from helpdesk.services.core import settings
from tests.factories import make_user

SPEC = settings.BY_KEY


@pytest.mark.parametrize(
    ("key", "entered", "stored"),
    [
        ("EXPIRED1_DAYS", "10", 10),
        ("EXPIRED1_DAYS", " 3650 ", 3650),
        ("REOPEN_DAYS", "0", 0),
        ("ATTACHMENT_MAX_BYTES", "2", 2 * 1024 * 1024),
        ("BUSINESS_HOURS_START", "8:05", "08:05"),
        ("BUSINESS_HOURS_END", "23:59", "23:59"),
        ("BUSINESS_DAYS", ["fri", "mon"], "mon,fri"),
        ("BUSINESS_DAYS", "Sat, sun", "sat,sun"),
        ("BUSINESS_TIME_ZONE", "Europe/Berlin", "Europe/Berlin"),
        ("DIRECTOR_EMAIL", " Director@Example.COM ", "director@example.com"),
        ("DIRECTOR_EMAIL", "", ""),
        ("TWO_FACTOR_ALL_STAFF", "yes", True),
        ("TWO_FACTOR_ALL_STAFF", " No ", False),
        ("TWO_FACTOR_ALL_STAFF", True, True),
    ],
)
def test_parse_accepts_and_normalises(key, entered, stored):
    assert settings.parse(SPEC[key], entered) == stored


@pytest.mark.parametrize(
    ("key", "entered", "message"),
    [
        ("EXPIRED1_DAYS", "0", "from 1 to 3650"),
        ("EXPIRED1_DAYS", "ten", "whole number"),
        ("EXPIRED1_DAYS", "1.5", "whole number"),
        ("ATTACHMENT_MAX_BYTES", "51", "from 1 to 50"),
        ("ATTACHMENTS_PER_MESSAGE", "", "whole number"),
        ("BUSINESS_HOURS_START", "24:00", "HH:MM"),
        ("BUSINESS_HOURS_START", "8", "HH:MM"),
        ("BUSINESS_DAYS", [], "at least one"),
        ("BUSINESS_DAYS", ["mon", "someday"], "Monday to Sunday"),
        ("BUSINESS_TIME_ZONE", "Mars/Olympus", "from the list"),
        ("BUSINESS_TIME_ZONE", "../etc/passwd", "from the list"),
        ("DIRECTOR_EMAIL", "not an address", "valid e-mail"),
        ("TWO_FACTOR_ALL_STAFF", "perhaps", "Yes or No"),
        ("TWO_FACTOR_ALL_STAFF", "", "Yes or No"),
    ],
)
def test_parse_refuses_with_a_message(key, entered, message):
    with pytest.raises(ValueError, match=message):
        settings.parse(SPEC[key], entered)


def test_validate_needs_closing_after_opening():
    values, errors = settings.validate(
        {"BUSINESS_HOURS_START": "17:00", "BUSINESS_HOURS_END": "08:00", "EXPIRED1_DAYS": "x"}
    )
    assert errors == {
        "BUSINESS_HOURS_END": "Closing time must be after the opening time on the same day.",
        "EXPIRED1_DAYS": "Enter a whole number.",
    }
    assert values == {"BUSINESS_HOURS_START": "17:00", "BUSINESS_HOURS_END": "08:00"}


def test_every_config_default_is_a_valid_setting(app):
    # The form shows the defaults: each must survive a round trip through the form's units.
    with app.app_context():
        for spec in settings.REGISTRY:
            value = app.config[spec.key]
            assert settings.parse(spec, settings.entered_form(spec, value)) == value, spec.key


def test_a_stored_value_beats_the_config_and_a_broken_one_is_ignored(app):
    with app.app_context():
        db.session.add_all(
            [
                Setting(key="EXPIRED1_DAYS", value=10),
                Setting(key="EXPIRED2_DAYS", value="seven"),  # broken: ignored
                Setting(key="BUSINESS_TIME_ZONE", value="Nowhere/City"),  # broken: ignored
            ]
        )
        db.session.commit()
        assert settings.setting("EXPIRED1_DAYS") == 10
        assert settings.setting("EXPIRED2_DAYS") == app.config["EXPIRED2_DAYS"]
        assert settings.setting("BUSINESS_TIME_ZONE") == app.config["BUSINESS_TIME_ZONE"]
        assert settings.overridden() == {"EXPIRED1_DAYS": 10}


def test_stored_hours_contradicting_the_default_fall_back_to_the_defaults(app):
    with app.app_context():
        # Opening at 18:00 against the default close at 17:00 would break every SLA clock.
        db.session.add(Setting(key="BUSINESS_HOURS_START", value="18:00"))
        db.session.commit()
        assert settings.setting("BUSINESS_HOURS_START") == app.config["BUSINESS_HOURS_START"]


@contextlib.contextmanager
def settings_reads() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM settings" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_a_request_reads_the_settings_table_once(app):
    with app.app_context():
        db.session.add(Setting(key="REOPEN_DAYS", value=3))
        db.session.commit()
        with app.test_request_context("/"), settings_reads() as reads:
            for _ in range(3):
                assert settings.setting("REOPEN_DAYS") == 3
                assert settings.values()["EXPIRED1_DAYS"] == app.config["EXPIRED1_DAYS"]
            assert len(reads) == 1
        db.session.get(Setting, "REOPEN_DAYS").value = 4
        db.session.commit()
        # The next request in the same app context (so the same flask.g) reads afresh.
        with app.test_request_context("/"):
            assert settings.setting("REOPEN_DAYS") == 4


def test_save_stores_changes_audits_them_and_drops_overrides_equal_to_the_default(app):
    with app.app_context(), app.test_request_context("/"):
        admin = make_user(Role.ADMIN)
        db.session.commit()
        changes = settings.save(
            admin, {"EXPIRED1_DAYS": "10", "ATTACHMENT_MAX_BYTES": "2"}, ip_address="192.0.2.7"
        )
        assert changes == {
            "EXPIRED1_DAYS": {"before": 30, "after": 10},
            "ATTACHMENT_MAX_BYTES": {"before": 10 * 1024 * 1024, "after": 2 * 1024 * 1024},
        }
        assert settings.setting("EXPIRED1_DAYS") == 10  # the cache was dropped
        entry = db.session.scalar(sa.select(AuditLog))
        assert (entry.action, entry.actor_id, entry.ip_address) == (
            "settings.update",
            admin.id,
            "192.0.2.7",
        )
        assert entry.details["changes"]["EXPIRED1_DAYS"] == {"before": 30, "after": 10}

        assert settings.save(admin, {"EXPIRED1_DAYS": "30"})  # back to the default
        assert db.session.get(Setting, "EXPIRED1_DAYS") is None
        assert settings.save(admin, {"EXPIRED1_DAYS": "30"}) == {}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 2


def test_save_refuses_everything_when_one_value_is_bad(app):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        with pytest.raises(settings.SettingsError) as refused:
            settings.save(admin, {"EXPIRED1_DAYS": "10", "EXPIRED2_DAYS": "-1"})
        assert refused.value.errors == {"EXPIRED2_DAYS": "Enter a whole number from 1 to 3650."}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Setting)) == 0


def test_holidays_one_per_day(app):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        holiday = settings.add_holiday(admin, date(2025, 12, 25), " Christmas ")
        assert holiday.name == "Christmas"
        with pytest.raises(ServiceError, match="already a holiday") as refused:
            settings.add_holiday(admin, date(2025, 12, 25), "Again")
        assert refused.value.field == "day"
        with pytest.raises(ServiceError, match="name"):
            settings.add_holiday(admin, date(2025, 12, 26), "  ")
        settings.remove_holiday(admin, holiday)
        assert db.session.scalar(sa.select(Holiday)) is None
        actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["holiday.add", "holiday.remove"]
