"""search stems on SQLite and finds contacts and intake fields; fraud flags on cases

Revision ID: 0016_search_stems_fraud_flags
Revises: 0015_request_a_key_wording

- case_search gets a `details` column (callback number, product version, operating system).
  On SQLite the FTS5 table is rebuilt with the porter stemmer in front of unicode61 (which
  already removes diacritics), its rows copied from the old index: "installing" then finds
  "installation" as PostgreSQL's English configuration does. On PostgreSQL the generated
  tsvector is recreated with the new column.
- contact_search: one row per contact (name, e-mail, phone, organisation), FTS5 or tsvector +
  GIN like case_search, not a model; helpdesk.services.tracker.search keeps it current. Built here
  from the existing contacts.
- seen_addresses.address_key and case_fraud_flags (models), filled by the data revision
  0016_fraud_flags_data.
"""

# ruff: noqa: S608  (SQL assembled from this file's constants only; nothing typed by a user)

import sqlalchemy as sa
from alembic import op

revision = "0016_search_stems_fraud_flags"
down_revision = "0015_request_a_key_wording"
branch_labels = None
depends_on = None

OLD_TOKENIZER = "unicode61 remove_diacritics 2"
TOKENIZER = f"porter {OLD_TOKENIZER}"
CASE_COLUMNS = "number, subject, body, people, thread"


def _words(column):
    # Punctuation becomes a space first, as FTS5's unicode61 tokenizer does on SQLite.
    return f"regexp_replace(coalesce({column}, ''), '[[:punct:]]+', ' ', 'g')"


CASE_DOCUMENT = (
    f"setweight(to_tsvector('simple', {_words('number')}), 'A')"
    f" || setweight(to_tsvector('english', {_words('subject')}), 'A')"
    f" || setweight(to_tsvector('simple', {_words('people')}), 'B')"
    f" || setweight(to_tsvector('english', {_words('body')}), 'B')"
    f" || setweight(to_tsvector('english', {_words('thread')}), 'C')"
)
CASE_DOCUMENT_WITH_DETAILS = (
    f"{CASE_DOCUMENT} || setweight(to_tsvector('simple', {_words('details')}), 'B')"
)
CONTACT_DOCUMENT = (
    f"setweight(to_tsvector('simple', {_words('name')}), 'A')"
    f" || setweight(to_tsvector('simple', {_words('email')}), 'A')"
    f" || setweight(to_tsvector('simple', {_words('phone')}), 'B')"
    f" || setweight(to_tsvector('simple', {_words('organisation')}), 'C')"
)


def _digits(column):
    """The phone number without its usual punctuation: "+1 (555) 010-2233" -> 15550102233."""
    sql = column
    for char in (" ", "-", "(", ")", ".", "+", "/"):
        sql = f"replace({sql}, '{char}', '')"
    return sql


def _phone(column, sqlite):
    """What helpdesk.services.tracker.search.phone_words indexes: as typed, digits, last ten digits."""
    digits = _digits(column)
    last_ten = f"substr({digits}, -10)" if sqlite else f"right({digits}, 10)"
    return (
        f"CASE WHEN {column} IS NULL OR {column} = '' THEN '' ELSE {column} || ' ' || {digits}"
        f" || CASE WHEN length({digits}) > 10 THEN ' ' || {last_ten} ELSE '' END END"
    )


def _details(sqlite):
    """cases.* columns as helpdesk.services.tracker.search indexes them (alias c)."""
    return (
        f"trim({_phone('c.callback_phone', sqlite)} || ' ' || coalesce(c.product_version, '')"
        " || ' ' || coalesce(c.operating_system, ''))"
    )


def _contact_rows(sqlite):
    key = "rowid" if sqlite else "contact_id"
    return (
        f"INSERT INTO contact_search ({key}, name, email, phone, organisation)"
        f" SELECT c.id, c.name, coalesce(c.email, ''), {_phone('c.phone', sqlite)}, o.name"
        " FROM contacts c JOIN organisations o ON o.id = c.organisation_id"
    )


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(
            f"CREATE VIRTUAL TABLE case_search_new USING fts5({CASE_COLUMNS}, details,"
            f" tokenize='{TOKENIZER}')"
        )
        op.execute(
            f"INSERT INTO case_search_new (rowid, {CASE_COLUMNS}, details)"
            " SELECT s.rowid, s.number, s.subject, s.body, s.people, s.thread,"
            f" {_details(True)} FROM case_search s JOIN cases c ON c.id = s.rowid"
        )
        op.execute("DROP TABLE case_search")
        op.execute("ALTER TABLE case_search_new RENAME TO case_search")
        op.execute(
            "CREATE VIRTUAL TABLE contact_search USING fts5("
            f"name, email, phone, organisation, tokenize='{TOKENIZER}')"
        )
    else:
        op.execute("ALTER TABLE case_search ADD COLUMN details text")
        op.execute("ALTER TABLE case_search DROP COLUMN document")  # and its GIN index
        op.execute(
            f"UPDATE case_search SET details = {_details(False)} FROM cases c"
            " WHERE c.id = case_search.case_id AND (c.callback_phone IS NOT NULL"
            " OR c.product_version IS NOT NULL OR c.operating_system IS NOT NULL)"
        )
        op.execute(
            "ALTER TABLE case_search ADD COLUMN document tsvector"
            f" GENERATED ALWAYS AS ({CASE_DOCUMENT_WITH_DETAILS}) STORED"
        )
        op.execute("CREATE INDEX ix_case_search_document ON case_search USING gin (document)")
        op.execute(
            "CREATE TABLE contact_search ("
            " contact_id integer NOT NULL,"
            " name text,"
            " email text,"
            " phone text,"
            " organisation text,"
            f" document tsvector GENERATED ALWAYS AS ({CONTACT_DOCUMENT}) STORED,"
            " CONSTRAINT pk_contact_search PRIMARY KEY (contact_id),"
            " CONSTRAINT fk_contact_search_contact_id_contacts FOREIGN KEY (contact_id)"
            "  REFERENCES contacts (id) ON DELETE CASCADE"
            ")"
        )
        op.execute("CREATE INDEX ix_contact_search_document ON contact_search USING gin (document)")
    op.execute(_contact_rows(sqlite))

    with op.batch_alter_table("seen_addresses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_key", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_seen_addresses_address_key"), ["address_key"], unique=False
        )

    op.create_table(
        "case_fraud_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("blocked_ip_id", sa.Integer(), nullable=True),
        sa.Column("blocked_card_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(blocked_ip_id IS NULL) <> (blocked_card_id IS NULL)",
            name=op.f("ck_case_fraud_flags_one_block"),
        ),
        sa.ForeignKeyConstraint(
            ["blocked_card_id"],
            ["blocked_cards.id"],
            name=op.f("fk_case_fraud_flags_blocked_card_id_blocked_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocked_ip_id"],
            ["blocked_ips.id"],
            name=op.f("fk_case_fraud_flags_blocked_ip_id_blocked_ips"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_fraud_flags_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_case_fraud_flags_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_fraud_flags")),
        sa.UniqueConstraint("case_id", "blocked_card_id", name="case_card"),
        sa.UniqueConstraint("case_id", "blocked_ip_id", name="case_ip"),
    )
    with op.batch_alter_table("case_fraud_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_fraud_flags_blocked_card_id"), ["blocked_card_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_fraud_flags_blocked_ip_id"), ["blocked_ip_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_fraud_flags_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("case_fraud_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_fraud_flags_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_fraud_flags_blocked_ip_id"))
        batch_op.drop_index(batch_op.f("ix_case_fraud_flags_blocked_card_id"))
    op.drop_table("case_fraud_flags")
    with op.batch_alter_table("seen_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_addresses_address_key"))
        batch_op.drop_column("address_key")

    op.execute("DROP TABLE contact_search")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE case_search_old USING fts5({CASE_COLUMNS},"
            f" tokenize='{OLD_TOKENIZER}')"
        )
        op.execute(
            f"INSERT INTO case_search_old (rowid, {CASE_COLUMNS})"
            f" SELECT rowid, {CASE_COLUMNS} FROM case_search"
        )
        op.execute("DROP TABLE case_search")
        op.execute("ALTER TABLE case_search_old RENAME TO case_search")
        return
    op.execute("ALTER TABLE case_search DROP COLUMN document")
    op.execute("ALTER TABLE case_search DROP COLUMN details")
    op.execute(
        "ALTER TABLE case_search ADD COLUMN document tsvector"
        f" GENERATED ALWAYS AS ({CASE_DOCUMENT}) STORED"
    )
    op.execute("CREATE INDEX ix_case_search_document ON case_search USING gin (document)")
