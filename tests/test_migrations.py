"""`flask db upgrade` from empty builds exactly the schema the models describe."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.services.search import include_name
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
