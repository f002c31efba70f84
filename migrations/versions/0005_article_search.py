"""article search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 0005_article_search
Revises: 0004_products
Create Date: 2026-11-27 09:00:00

Like case_search (0002), the table is dialect-specific and not a model: rows are written by
helpdesk.services.helpcentre.kb (reindex_articles), one per article, keyed by articles.id. The rows of
existing articles are built here, because an empty index would hide every article.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_article_search'
down_revision = '0004_products'
branch_labels = None
depends_on = None


def _words(column):
    # Punctuation becomes a space, as FTS5's unicode61 tokenizer does on SQLite.
    return f"regexp_replace(coalesce({column}, ''), '[[:punct:]]+', ' ', 'g')"


# Weights: the title A, tags B, the body C, so a title match ranks above a body match.
POSTGRES_DOCUMENT = (
    f"setweight(to_tsvector('english', {_words('title')}), 'A')"
    f" || setweight(to_tsvector('simple', {_words('tags')}), 'B')"
    f" || setweight(to_tsvector('english', {_words('body')}), 'C')"
)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # rowid = articles.id. A virtual table has no foreign key: the service deletes rows.
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "title, tags, body, tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO article_search (rowid, title, tags, body)"
            " SELECT id, title, tags, body FROM articles"
        )
        return
    op.execute(
        "CREATE TABLE article_search ("
        " article_id integer NOT NULL,"
        " title text,"
        " tags text,"
        " body text,"
        f" document tsvector GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) STORED,"
        " CONSTRAINT pk_article_search PRIMARY KEY (article_id),"
        " CONSTRAINT fk_article_search_article_id_articles FOREIGN KEY (article_id)"
        "  REFERENCES articles (id) ON DELETE CASCADE"
        ")"
    )
    op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    op.execute(
        "INSERT INTO article_search (article_id, title, tags, body)"
        " SELECT id, title, tags, body FROM articles"
    )


def downgrade():
    # On SQLite dropping the virtual table drops its shadow tables too.
    op.execute("DROP TABLE article_search")
