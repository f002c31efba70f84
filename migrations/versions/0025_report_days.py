"""report_days: each business day's support figures, and the dates writes made stale

The support report added up every case of its period on each view (seven seconds for 30 days at
a million cases). It now adds up one summary per day; triggers on cases, messages and orders
record, in the same transaction as each write, the UTC date whose days it changed, so a summary
is built again only when something it counts changed. Messages gain an index on their time, so a
day's replies are one range.

Revision ID: 0025_report_days
Revises: 0024_caller_trigrams
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_report_days"
down_revision = "0024_caller_trigrams"
branch_labels = None
depends_on = None

# The columns of a case the report counts: a write to any of them changes a summary.
CASE_COLUMNS = (
    "created_at, origin, first_response_at, sla_due_at, case_type_id, case_reason_id,"
    " order_id, product_version, subject, status, closed_at, closed_by_id"
)
MESSAGE_COLUMNS = "case_id, author_id, kind, from_customer, created_at"


def _sqlite_dates(*expressions: str) -> str:
    values = " UNION ".join(f"SELECT date({e}) AS d" for e in expressions)
    # Built from this file's own column names, never from input.
    return f"INSERT INTO report_stale_dates (day) SELECT d FROM ({values}) WHERE d IS NOT NULL;"  # noqa: S608


def _sqlite_triggers() -> None:
    for table, columns, times in (
        ("cases", CASE_COLUMNS, ("created_at", "closed_at")),
        ("messages", MESSAGE_COLUMNS, ("created_at",)),
    ):
        new = _sqlite_dates(*(f"new.{t}" for t in times))
        old = _sqlite_dates(*(f"old.{t}" for t in times))
        both = _sqlite_dates(*(f"{row}.{t}" for row in ("old", "new") for t in times))
        name = f"report_stale_{table}"
        op.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {new} END")
        op.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {old} END")
        op.execute(
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {columns} ON {table} BEGIN {both} END"
        )
    op.execute(
        "CREATE TRIGGER report_stale_orders_update AFTER UPDATE OF product ON orders BEGIN"
        " INSERT INTO report_stale_dates (day) SELECT DISTINCT date(created_at) FROM cases"
        " WHERE order_id = new.id; END"
    )


def _postgres_dates(*expressions: str) -> str:
    values = ", ".join(f"({e}::date)" for e in expressions)
    return (
        "INSERT INTO report_stale_dates (day) SELECT DISTINCT d"
        f" FROM (VALUES {values}) AS v(d) WHERE d IS NOT NULL;"  # noqa: S608
    )


def _postgres_triggers() -> None:
    for table, columns, times in (
        ("cases", CASE_COLUMNS, ("created_at", "closed_at")),
        ("messages", MESSAGE_COLUMNS, ("created_at",)),
    ):
        new = _postgres_dates(*(f"NEW.{t}" for t in times))
        old = _postgres_dates(*(f"OLD.{t}" for t in times))
        both = _postgres_dates(*(f"{row}.{t}" for row in ("OLD", "NEW") for t in times))
        name = f"report_stale_{table}"
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF TG_OP = 'INSERT' THEN {new} ELSIF TG_OP = 'DELETE' THEN {old} ELSE {both}"
            " END IF; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    op.execute(
        "CREATE FUNCTION report_stale_orders() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " INSERT INTO report_stale_dates (day) SELECT DISTINCT created_at::date FROM cases"
        " WHERE order_id = NEW.id; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER report_stale_orders AFTER UPDATE OF product ON orders"
        " FOR EACH ROW EXECUTE FUNCTION report_stale_orders()"
    )


def upgrade():
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_days")),
    )
    op.create_table(
        "report_stale_dates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_stale_dates")),
    )
    # Plain indexes, not batch operations: SQLite would copy the tables (and lose triggers).
    op.create_index(op.f("ix_report_stale_dates_day"), "report_stale_dates", ["day"])
    op.create_index("ix_messages_created", "messages", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("cases", "messages", "orders"):
            op.execute(f"DROP TRIGGER IF EXISTS report_stale_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS report_stale_{table}()")
    else:
        for table in ("cases", "messages"):
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS report_stale_{table}_{event}")
        op.execute("DROP TRIGGER IF EXISTS report_stale_orders_update")
    op.drop_index("ix_messages_created", table_name="messages")
    op.drop_index(op.f("ix_report_stale_dates_day"), table_name="report_stale_dates")
    op.drop_table("report_stale_dates")
    op.drop_table("report_days")
