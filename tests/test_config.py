"""Settings: environment parsing, generated secrets, production hardening."""

from __future__ import annotations

import pytest

from helpdesk.config import Config, ConfigError, finalise, from_environment


def base() -> dict:
    return {key: getattr(Config, key) for key in dir(Config) if key.isupper()}


def test_environment_values_are_parsed():
    settings = from_environment(
        {
            "DATABASE_URL": "postgres://u@db/helpdesk",
            "HELPDESK_EXPIRED1_DAYS": "45",
            "HELPDESK_MAIL_PORT": "587",
            "UNRELATED": "x",
        }
    )
    assert settings == {
        "SQLALCHEMY_DATABASE_URI": "postgres://u@db/helpdesk",
        "EXPIRED1_DAYS": 45,
        "MAIL_PORT": 587,
    }


def test_malformed_number_is_a_clear_start_up_error():
    with pytest.raises(ConfigError, match="HELPDESK_EXPIRED1_DAYS"):
        from_environment({"HELPDESK_EXPIRED1_DAYS": "thirty"})


def test_development_defaults_sqlite_and_keeps_generated_secrets(tmp_path):
    first = base()
    finalise(first, str(tmp_path))
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'helpdesk.db'}"
    assert len(first["SECRET_KEY"]) == 64 and first["CARD_HASH_KEY"] != first["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by owner only
    second = base()
    finalise(second, str(tmp_path))
    assert second["SECRET_KEY"] == first["SECRET_KEY"]  # a restart keeps sessions valid


def test_postgres_urls_use_psycopg(tmp_path):
    settings = {**base(), "SQLALCHEMY_DATABASE_URI": "postgresql://u@db/helpdesk"}
    finalise(settings, str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/helpdesk"


def test_production_requires_secrets(tmp_path):
    settings = {**base(), "HELPDESK_ENV": "production", "CARD_HASH_KEY": "k"}
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        finalise(settings, str(tmp_path))
    assert not (tmp_path / "secret_key").exists()


def test_production_cookies_are_secure(tmp_path):
    settings = {
        **base(),
        "HELPDESK_ENV": "production",
        "SECRET_KEY": "s",
        "CARD_HASH_KEY": "k",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    }
    finalise(settings, str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize(
    ("raw", "roles"),
    [("none", ()), ("admin", ("admin",)), ("Billing, admin, agent", ("billing", "admin", "agent"))],
)
def test_two_factor_roles_come_from_the_environment(raw, roles):
    assert from_environment({"HELPDESK_TWO_FACTOR_REQUIRED_ROLES": raw}) == {
        "TWO_FACTOR_REQUIRED_ROLES": roles
    }


@pytest.mark.parametrize("raw", ["customer", "billing,root", ","])
def test_two_factor_roles_are_staff_roles(raw):
    with pytest.raises(ConfigError, match="HELPDESK_TWO_FACTOR_REQUIRED_ROLES"):
        from_environment({"HELPDESK_TWO_FACTOR_REQUIRED_ROLES": raw})


def test_billing_and_admin_need_two_factor_by_default():
    assert Config.TWO_FACTOR_REQUIRED_ROLES == ("billing", "admin")
