"""`flask db upgrade` from empty builds exactly the schema the models describe."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.services.tracker.search import include_name
from tests.conftest import config_for_tests, throwaway_database


def _schema_differences() -> list:
    with db.engine.connect() as conn:
        # The search index is dialect-specific SQL, not a model: compare everything else.
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_models_and_downgrades(tmp_path):
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade()
            tables = set(sa.inspect(db.engine).get_table_names())
            assert set(db.metadata.tables) <= tables
            assert _schema_differences() == []

            flask_migrate.downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}

            flask_migrate.upgrade()  # and back up again: the downgrade left nothing behind
            assert _schema_differences() == []
            db.session.remove()
            db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    app = create_app(config_for_tests(f"sqlite:///{tmp_path}/wal.db", tmp_path))
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_system_emails_already_sent_become_macro_uses(tmp_path):
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade(revision="0008_macros")
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO canned_responses (id, key, title, subject, body,"
                        " customers_only, active, updated_at, created_at) VALUES"
                        " (1, 'faq-open-case', 'FAQ-Open', 'Open', 'Hi', false, true,"
                        " '2026-11-01 09:00:00', '2026-11-01 09:00:00'),"
                        " (2, 'faq-report-bug', 'FAQ-Bug', 'Bug', 'Hi', false, true,"
                        " '2026-11-01 09:00:00', '2026-11-01 09:00:00')"
                    )
                )
                for n, (key, at) in enumerate(
                    [
                        ("faq-open-case", "2026-11-02 10:00:00"),
                        ("faq-open-case", "2026-11-03 11:00:00"),
                        ("agent_replied", "2026-11-04 12:00:00"),  # not a system e-mail
                    ]
                ):
                    conn.execute(
                        sa.text(
                            "INSERT INTO outbox_mails (to_address, to_name, subject, body_text,"
                            " template_key, message_id, status, attempts, next_attempt_at,"
                            " created_at) VALUES ('a@example.test', '', 's', 'b', :key, :mid,"
                            " 'sent', 1, :at, :at)"
                        ),
                        {"key": key, "mid": f"<{n}@example.test>", "at": at},
                    )
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                counts = conn.execute(
                    sa.text("SELECT key, use_count, last_used_at FROM canned_responses ORDER BY id")
                ).all()
                uses = conn.execute(sa.text("SELECT COUNT(*) FROM macro_uses")).scalar()
            assert [(key, n) for key, n, _ in counts] == [
                ("faq-open-case", 2),
                ("faq-report-bug", 0),
            ]
            assert str(counts[0][2]).startswith("2026-11-03 11:00:00")
            assert counts[1][2] is None and uses == 2
            db.session.remove()
            db.engine.dispose()


def test_profiles_on_the_old_default_zone_follow_the_business_zone(tmp_path):
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade(revision="0009_macro_use_history")
            with db.engine.begin() as conn:
                for n, zone in enumerate(["America/Denver", "Europe/Berlin"]):
                    conn.execute(
                        sa.text(
                            "INSERT INTO users (email, name, password_hash, role, time_zone,"
                            " active, session_version, created_at) VALUES (:email, 'A', 'x',"
                            " 'agent', :zone, true, 1, '2026-11-01 09:00:00')"
                        ),
                        {"email": f"agent{n}@example.test", "zone": zone},
                    )
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                zones = conn.execute(sa.text("SELECT email, time_zone FROM users ORDER BY email"))
                assert zones.all() == [
                    ("agent0@example.test", None),  # the old default: follows the setting now
                    ("agent1@example.test", "Europe/Berlin"),  # chosen: kept
                ]
            db.session.remove()
            db.engine.dispose()
