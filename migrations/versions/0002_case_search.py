"""case search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 0002_case_search
Revises: 0001_initial
Create Date: 2026-11-26 09:00:00

The table is dialect-specific and deliberately not a model on the metadata: rows are
written by helpdesk.services.tracker.search (reindex_cases), one per case, keyed by cases.id.
An existing database gets its rows with `flask search-reindex`.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002_case_search'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


# Weights: number and subject A, people and body B, the thread C. Punctuation becomes a
# space first, so e-mail addresses, host names and versions are found by their parts (as
# FTS5's unicode61 tokenizer does on SQLite), and "<" never starts an HTML tag for the parser.
def _words(column):
    return f"regexp_replace(coalesce({column}, ''), '[[:punct:]]+', ' ', 'g')"


POSTGRES_DOCUMENT = (
    f"setweight(to_tsvector('simple', {_words('number')}), 'A')"
    f" || setweight(to_tsvector('english', {_words('subject')}), 'A')"
    f" || setweight(to_tsvector('simple', {_words('people')}), 'B')"
    f" || setweight(to_tsvector('english', {_words('body')}), 'B')"
    f" || setweight(to_tsvector('english', {_words('thread')}), 'C')"
)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # rowid = cases.id. A virtual table has no foreign key: the service deletes rows.
        op.execute(
            "CREATE VIRTUAL TABLE case_search USING fts5("
            "number, subject, body, people, thread, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        return
    op.execute(
        "CREATE TABLE case_search ("
        " case_id integer NOT NULL,"
        " number text,"
        " subject text,"
        " body text,"
        " people text,"
        " thread text,"
        f" document tsvector GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) STORED,"
        " CONSTRAINT pk_case_search PRIMARY KEY (case_id),"
        " CONSTRAINT fk_case_search_case_id_cases FOREIGN KEY (case_id)"
        "  REFERENCES cases (id) ON DELETE CASCADE"
        ")"
    )
    op.execute("CREATE INDEX ix_case_search_document ON case_search USING gin (document)")


def downgrade():
    # On SQLite dropping the virtual table drops its shadow tables too.
    op.execute("DROP TABLE case_search")
