"""case_tallies: open cases per assignee, state and tier, kept by triggers on cases

The sidebar's folder counts and the dashboard read these rows instead of counting every open case
on each view (at a million cases that count took seconds on a cold cache). Triggers keep them in
the same transaction as every insert, update and delete of a case, whatever wrote it (the ORM, a
bulk statement, the benchmark loader).

Revision ID: 0023_folder_tallies
Revises: 0022_worker_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_folder_tallies"
down_revision = "0022_worker_jobs"
branch_labels = None
depends_on = None

TRACKED = "status, assignee_id, tier, last_agent_reply_at, customer_viewed_at"


def state_of(row: str) -> str:
    """The tally state of `row` (NEW, OLD or the table): NULL for a closed case.

    "unviewed" is an answer the customer has not looked at since it was sent: what Expired 2
    picks from once it is old enough (helpdesk.services.tracker.folders)."""
    return (
        f"CASE WHEN {row}.status IN ('new', 'open', 'waiting') THEN {row}.status"
        f" WHEN {row}.status = 'answered' AND {row}.last_agent_reply_at IS NOT NULL"
        f" AND ({row}.customer_viewed_at IS NULL"
        f" OR {row}.customer_viewed_at < {row}.last_agent_reply_at) THEN 'unviewed'"
        f" WHEN {row}.status = 'answered' THEN 'answered' END"
    )


def key_of(row: str) -> str:
    return f"COALESCE({row}.assignee_id, 0), {state_of(row)}, {row}.tier"


def add_one(row: str, conflict_target: str) -> str:
    return (
        f"INSERT INTO case_tallies (assignee_key, state, tier, n) SELECT {key_of(row)}, 1"
        f" WHERE {state_of(row)} IS NOT NULL"
        f" ON CONFLICT (assignee_key, state, tier) DO UPDATE SET n = {conflict_target}.n + 1"
    )


def take_one(row: str) -> str:
    return (
        "UPDATE case_tallies SET n = n - 1"
        f" WHERE assignee_key = COALESCE({row}.assignee_id, 0)"
        f" AND state = {state_of(row)} AND tier = {row}.tier"
    )


def changed() -> str:
    return (
        "COALESCE(OLD.assignee_id, 0) <> COALESCE(NEW.assignee_id, 0) OR OLD.tier <> NEW.tier"
        f" OR COALESCE({state_of('OLD')}, '-') <> COALESCE({state_of('NEW')}, '-')"
    )


def sqlite_triggers() -> list[str]:
    return [
        "CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases BEGIN "
        f"{add_one('NEW', 'case_tallies')}; END",
        f"CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases BEGIN {take_one('OLD')}; END",
        f"CREATE TRIGGER case_tallies_update AFTER UPDATE OF {TRACKED} ON cases"
        f" WHEN {changed()} BEGIN {take_one('OLD')}; {add_one('NEW', 'case_tallies')}; END",
    ]


def postgresql_triggers() -> list[str]:
    return [
        "CREATE FUNCTION case_tallies_track() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP <> 'INSERT' THEN {take_one('OLD')}; END IF;"
        f" IF TG_OP <> 'DELETE' THEN {add_one('NEW', 'case_tallies')}; END IF;"
        " RETURN NULL; END $$",
        "CREATE TRIGGER case_tallies_insert_delete AFTER INSERT OR DELETE ON cases"
        " FOR EACH ROW EXECUTE FUNCTION case_tallies_track()",
        f"CREATE TRIGGER case_tallies_update AFTER UPDATE OF {TRACKED} ON cases"
        f" FOR EACH ROW WHEN ({changed()}) EXECUTE FUNCTION case_tallies_track()",
    ]


def upgrade():
    op.create_table(
        "case_tallies",
        sa.Column("assignee_key", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("assignee_key", "state", "tier", name=op.f("pk_case_tallies")),
    )
    # An agent's folder page walks this index in its order (priority, then age) and skips
    # the expired cases inside it, without reading the table.
    op.drop_index("ix_cases_assignee_folder", table_name="cases")
    op.create_index(
        "ix_cases_assignee_folder",
        "cases",
        ["assignee_id", "status", "priority_score", "created_at", "awaiting_agent_since"],
    )
    op.create_index(
        "ix_cases_assignee_awaiting", "cases", ["assignee_id", "status", "awaiting_agent_since"]
    )
    # Staff lists (assignment, filters, the team): a few dozen rows among every customer login.
    staff = sa.text("role <> 'customer'")
    op.create_index("ix_users_staff", "users", ["name"], sqlite_where=staff, postgresql_where=staff)
    op.create_index(
        "ix_cases_assignee_answered",
        "cases",
        ["assignee_id", "status", "last_agent_reply_at", "customer_viewed_at"],
    )
    op.execute(
        f"INSERT INTO case_tallies (assignee_key, state, tier, n) SELECT {key_of('cases')},"
        f" COUNT(*) FROM cases WHERE {state_of('cases')} IS NOT NULL"
        " GROUP BY 1, 2, 3"
    )
    # On SQLite a later migration that rebuilds `cases` in batch mode drops these triggers: it
    # must create them again (tests/services/test_folder_tallies.py would catch it).
    dialect = op.get_bind().dialect.name
    for statement in postgresql_triggers() if dialect == "postgresql" else sqlite_triggers():
        op.execute(statement)
    # Without statistics for the new indexes the planners guess, and at a million cases
    # SQLite's guess sorted every New case of an agent (a second to read them all).
    op.execute("ANALYZE cases")
    op.execute("ANALYZE users")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_tallies_update ON cases")
        op.execute("DROP TRIGGER IF EXISTS case_tallies_insert_delete ON cases")
        op.execute("DROP FUNCTION IF EXISTS case_tallies_track()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS case_tallies_{name}")
    op.drop_index("ix_users_staff", table_name="users")
    op.drop_index("ix_cases_assignee_answered", table_name="cases")
    op.drop_index("ix_cases_assignee_awaiting", table_name="cases")
    op.drop_index("ix_cases_assignee_folder", table_name="cases")
    op.create_index(
        "ix_cases_assignee_folder",
        "cases",
        ["assignee_id", "status", "priority_score", "created_at"],
    )
    op.drop_table("case_tallies")
