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
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {names} ON {table} BEGIN {remove} {add} END"
    )
    op.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")


# Licence keys are compared without their separators, in lower case: what a caller reads out.
KEY = "lower(replace(replace({row}licence_key, ' ', ''), '-', ''))"


def _sqlite_key_index() -> None:
    """A contentless trigram table of the normalised keys (FTS5 cannot index an expression)."""
    new, old = KEY.format(row="new."), KEY.format(row="old.")
    remove = "INSERT INTO licence_key_trigrams (licence_key_trigrams, rowid, key)"
    op.execute(
        "CREATE VIRTUAL TABLE licence_key_trigrams USING fts5(key, content='', tokenize='trigram')"
    )
    add = f"INSERT INTO licence_key_trigrams (rowid, key) SELECT new.id, {new} WHERE new.licence_key IS NOT NULL;"
    take = f"{remove} SELECT 'delete', old.id, {old} WHERE old.licence_key IS NOT NULL;"
    op.execute(f"CREATE TRIGGER licence_key_trigrams_insert AFTER INSERT ON orders BEGIN {add} END")
    op.execute(
        f"CREATE TRIGGER licence_key_trigrams_delete AFTER DELETE ON orders BEGIN {take} END"
    )
    op.execute(
        "CREATE TRIGGER licence_key_trigrams_update AFTER UPDATE OF licence_key ON orders"
        f" BEGIN {take} {add} END"
    )
    op.execute(
        f"INSERT INTO licence_key_trigrams (rowid, key) SELECT id, {KEY.format(row='')}"
        " FROM orders WHERE licence_key IS NOT NULL"
    )


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_orders_licence_key_trigrams ON orders"
            f" USING gin (({KEY.format(row='')}) gin_trgm_ops)"
        )
    else:
        _sqlite_key_index()
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
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_orders_licence_key_trigrams")
    else:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS licence_key_trigrams_{event}")
        op.execute("DROP TABLE IF EXISTS licence_key_trigrams")
    for table, columns in COLUMNS.items():
        if postgres:
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trigrams")
            continue
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_trigrams_{event}")
        op.execute(f"DROP TABLE IF EXISTS {table}_trigrams")
