"""caller lookup by trigrams: "contains" searches of names, e-mails, websites and numbers use an index

The caller lookup finds an account from any part of a name, e-mail address, website, order
number or customer ID. A LIKE '%text%' reads every row, so at a million cases (50,000 accounts)
one lookup took 150-300 ms. PostgreSQL gets pg_trgm GIN indexes on those columns; SQLite gets
FTS5 trigram tables kept by triggers (external content: they hold no copy of the text).

Revision ID: 0024_caller_trigrams
Revises: 0023_folder_tallies
"""

from alembic import op

revision = "0024_caller_trigrams"
down_revision = "0023_folder_tallies"
branch_labels = None
depends_on = None

# table -> its searched columns; helpdesk.services.tracker.callers reads the same names.
COLUMNS = {
    "organisations": ("name", "customer_number"),
    "users": ("name", "email"),
    "contacts": ("name", "email"),
    "orders": ("number", "licensed_website"),
}


def _sqlite_upgrade(table: str, columns: tuple[str, ...]) -> None:
    index = f"{table}_trigrams"
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    remove = f"INSERT INTO {index} ({index}, rowid, {names}) VALUES ('delete', old.id, {old});"
    add = f"INSERT INTO {index} (rowid, {names}) VALUES (new.id, {new});"
    op.execute(
        f"CREATE VIRTUAL TABLE {index} USING fts5({names}, content='{table}',"
        " content_rowid='id', tokenize='trigram')"
    )
    op.execute(f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {add} END")
    op.execute(f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {names} ON {table}"
        f" BEGIN {remove} {add} END"
    )
    op.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in COLUMNS.items():
        if not postgres:
            _sqlite_upgrade(table, columns)
            continue
        for column in columns:
            op.execute(
                f"CREATE INDEX ix_{table}_{column}_trigrams ON {table}"
                f" USING gin ({column} gin_trgm_ops)"
            )


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, columns in COLUMNS.items():
        if postgres:
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trigrams")
            continue
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_trigrams_{event}")
        op.execute(f"DROP TABLE IF EXISTS {table}_trigrams")
