"""Migration 0021_clean_subjects: subjects stored with control characters become one line."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import Case, utcnow
from tests.conftest import config_for_tests, throwaway_database
from tests.factories import make_organisation

# As folded mail left them; PostgreSQL text cannot hold a NUL, so none is here.
STORED = {
    "Printer\r\n offline": "Printer offline",
    "Tab\tand\x07bell": "Tab and bell",
    "\r\n": "(no subject)",
    "Already clean": "Already clean",
}


def test_existing_subjects_are_cleaned_and_others_left_alone(tmp_path):
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade(revision="0020_pending_registrations")
            organisation = make_organisation()
            # Written as older code did, past today's model (cases had fewer columns then).
            cases = sa.Table("cases", sa.MetaData(), autoload_with=db.engine)
            now = utcnow()
            ids = {
                raw: db.session.execute(
                    cases.insert()
                    .values(
                        number=10_000 + n,
                        subject=raw,
                        body="",
                        body_html="",
                        organisation_id=organisation.id,
                        origin="web",
                        category="support",
                        status="new",
                        tier=1,
                        priority_score=0,
                        priority_factors=[],
                        version=1,
                        updated_at=now,
                        created_at=now,
                    )
                    .returning(cases.c.id)
                ).scalar_one()
                for n, raw in enumerate(STORED)
            }
            db.session.commit()
            stored = dict(db.session.execute(sa.select(Case.id, Case.subject)).all())
            assert sorted(stored.values()) == sorted(STORED)  # still as written
            db.session.remove()

            flask_migrate.upgrade()
            subjects = dict(db.session.execute(sa.select(Case.id, Case.subject)).all())
            assert {raw: subjects[case_id] for raw, case_id in ids.items()} == STORED
            # The read's transaction ends first: on PostgreSQL, dropping the triggers on
            # cases waits for every open transaction that has read the table.
            db.session.remove()
            flask_migrate.downgrade(revision="0020_pending_registrations")  # a no-op, no error
            db.session.remove()
            db.engine.dispose()
