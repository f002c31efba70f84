"""Migration 0016 on a database with data: the index is rebuilt stemmed, contacts indexed,
blocks made before it flag the cases they concern, and downgrading keeps the old index."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.rules.network import address_key, network_range
from helpdesk.services.tracker.search import search_cases, search_contacts
from tests.conftest import config_for_tests, throwaway_database

AT = "2026-11-01 09:00:00"


def _rows_before_0016(conn, sqlite: bool) -> None:
    def insert(sql: str, **values) -> None:
        conn.execute(sa.text(sql), {"at": AT, **values})

    insert(
        "INSERT INTO organisations (id, name, customer_number, is_reseller, time_zone,"
        " after_hours_support, prepaid_balance_cents, updated_at, created_at) VALUES"
        " (1, 'Shady Ltd', 'C1', false, 'UTC', false, 0, :at, :at)"
    )
    insert(
        "INSERT INTO users (id, email, name, password_hash, role, organisation_id, time_zone,"
        " active, session_version, created_at) VALUES (1, 'sam@shady.test', 'Sam Shade', 'x',"
        " 'customer', 1, NULL, true, 1, :at)"
    )
    insert(
        "INSERT INTO seen_addresses (id, user_id, ip_address, first_seen_at, last_seen_at)"
        " VALUES (1, 1, '203.0.113.7', :at, :at)"
    )
    network, first, last = network_range("203.0.113.0/24")
    insert(
        "INSERT INTO blocked_ips (id, network, range_start, range_end, reason, active,"
        " created_at) VALUES (1, :network, :first, :last, 'Bots', true, :at)",
        network=network,
        first=first,
        last=last,
    )
    insert(
        "INSERT INTO contacts (id, organisation_id, name, email, phone, is_primary,"
        " former_employee, created_at) VALUES (1, 1, 'Sam Shade', 'sam@shady.test',"
        " '+1 (555) 010-2233', true, false, :at)"
    )
    insert(
        "INSERT INTO cases (id, number, subject, body, body_html, organisation_id, requester_id,"
        " origin, category, status, tier, priority_score, priority_factors, updated_at, version,"
        " created_at, callback_phone, operating_system) VALUES (1, 10001, 'Installation fails',"
        " 'Setup stops.', '', 1, 1, 'phone', 'support', 'new', 1, 0, '[]', :at, 1, :at,"
        " '+1 (555) 010-2233', 'Ubuntu 24.04')"
    )
    key = "rowid" if sqlite else "case_id"
    insert(
        f"INSERT INTO case_search ({key}, number, subject, body, people, thread) VALUES"  # noqa: S608
        " (1, '10001', 'Installation fails', 'Setup stops.', 'Sam Shade · Shady Ltd', '')"
    )


def test_0016_rebuilds_the_index_and_flags_cases_of_existing_blocks(tmp_path):
    with throwaway_database(tmp_path) as url:
        app = create_app(config_for_tests(url, tmp_path))
        with app.app_context():
            flask_migrate.upgrade(revision="0011_user_zone_follows_business")
            sqlite = db.engine.dialect.name == "sqlite"
            with db.engine.begin() as conn:
                _rows_before_0016(conn, sqlite)

            flask_migrate.upgrade()
            assert [hit.number for hit in search_cases("installing").hits] == [10001]
            assert [hit.number for hit in search_cases("5550102233 ubuntu").hits] == [10001]
            assert [hit.name for hit in search_contacts("shady")] == ["Sam Shade"]
            assert db.session.scalar(sa.text("SELECT address_key FROM seen_addresses")) == (
                address_key("203.0.113.7")
            )
            flags = db.session.execute(
                sa.text("SELECT case_id, blocked_ip_id, address, user_id FROM case_fraud_flags")
            ).all()
            assert [tuple(row) for row in flags] == [(1, 1, "203.0.113.7", 1)]
            db.session.remove()

            flask_migrate.downgrade(revision="0011_user_zone_follows_business")
            words = (
                "SELECT count(*) FROM case_search WHERE case_search MATCH 'installation'"
                if sqlite
                else "SELECT count(*) FROM case_search"
                " WHERE document @@ to_tsquery('english', 'installation')"
            )
            assert db.session.scalar(sa.text(words)) == 1
            db.session.remove()
            db.engine.dispose()
