"""Help articles (seed 003: a question answered more than once is answered with a web page).

Writing: agents and admins create and edit articles; every save keeps a revision. Reading:
full-text search, ranked, over `article_search` (migration 0005: FTS5 on SQLite, tsvector +
GIN on PostgreSQL), kept current by a session listener registered when this module is
imported. Counting: a public reply linking an article counts a link; a customer reading a
suggestion counts a deflection until they open a case after all.
"""

# ruff: noqa: S608  (SQL here is assembled from constants and placeholder names; the
# searcher's words only ever travel as bound parameters)

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from markupsafe import Markup, escape
from sqlalchemy import event
from sqlalchemy.orm import Session

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import Article, ArticleRevision, User, Visibility, utcnow
from helpdesk.rules.canned import SLUG
from helpdesk.rules.phone_procedure import subject_words
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import clean_text, committed
from helpdesk.services.mail.links import mail_link
from helpdesk.services.tracker.search import (
    _CONTROL,
    _HEADLINE_ALL,
    _HEADLINE_FRAGMENTS,
    _START,
    _STOP,
    ARTICLE_SEARCH_TABLE,
    marked_html,
    parse_query,
)

TITLE_MAX = 200
BODY_MAX = 100_000
TAG_MAX = 40
TAGS_MAX = 10
SLUG_MAX = 80
MAX_SUGGEST_WORDS = 8
MAX_LIMIT = 50
# Paths under /help that are pages, not articles (the portal owns /help/suggestions, ...).
RESERVED_SLUGS = frozenset({"new", "suggestions", "articles", "search", "results"})

_TAGS = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[^\W_]+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SNIPPET_TOKENS = 24
_FALLBACK_CHARS = 160
_SQLITE_WEIGHTS = "10.0, 5.0, 1.0"  # title, tags, body: a title match outranks a body match

_sqlite_rows = sa.table(
    ARTICLE_SEARCH_TABLE, *(sa.column(c) for c in ("rowid", "title", "tags", "body"))
)
_postgres_rows = sa.table(
    ARTICLE_SEARCH_TABLE, *(sa.column(c) for c in ("article_id", "title", "tags", "body"))
)
_articles = Article.__table__


# --- writing -----------------------------------------------------------------------------


def normalise_tags(text: str) -> str:
    """Comma-separated tags, trimmed, lower-case, each once: "Install, keys" -> "install, keys"."""
    tags = dict.fromkeys(" ".join(t.split()).lower() for t in (text or "").split(","))
    tags.pop("", None)
    if len(tags) > TAGS_MAX:
        raise ServiceError(f"Use at most {TAGS_MAX} tags.", field="tags")
    if any(len(tag) > TAG_MAX for tag in tags):
        raise ServiceError(f"Keep each tag under {TAG_MAX} characters.", field="tags")
    joined = ", ".join(tags)
    if len(joined) > Article.tags.type.length:
        raise ServiceError("The tags are too long together; use fewer.", field="tags")
    return joined


def tag_list(tags: str) -> list[str]:
    """The tags of an article as a list."""
    return [t for t in (tags or "").split(", ") if t]


def _slug_base(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = _NOT_SLUG.sub("-", ascii_title.lower()).strip("-")[:SLUG_MAX].strip("-")
    return base or "article"


def _unique_slug(title: str) -> str:
    base = _slug_base(title)
    taken = set(
        db.session.scalars(
            sa.select(Article.slug).where(
                sa.or_(Article.slug == base, Article.slug.like(f"{base}-%"))
            )
        )
    )
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def save_article(
    editor: User,
    article: Article | None,
    *,
    title: str,
    body: str,
    tags: str,
    visibility: str,
) -> Article:
    """Create (`article` None) or edit an article, sanitising its body once, and keep the
    saved text as a revision; commit. The slug is made from the first title and kept, so
    links already sent stay valid."""
    title = clean_text(title, field="title", label="a title", limit=TITLE_MAX)
    body = clean_text(body, field="body", label="the article text", limit=BODY_MAX)
    tags = normalise_tags(tags)
    try:
        visibility = Visibility(visibility)
    except ValueError:
        raise ServiceError("Choose public or internal.", field="visibility") from None

    def write(files: list[Path]) -> Article:
        now = utcnow()
        saved = article or Article(slug=_unique_slug(title), created_at=now)
        saved.title, saved.body, saved.body_html = title, body, render_markup(body)
        saved.tags, saved.visibility = tags, visibility
        saved.updated_at, saved.updated_by_id = now, editor.id
        db.session.add(saved)
        db.session.flush()
        db.session.add(
            ArticleRevision(
                article_id=saved.id, title=title, body=body, edited_by_id=editor.id, created_at=now
            )
        )
        return saved

    try:
        return committed(write)
    except sa.exc.IntegrityError:
        # Two new articles with the same title at once: the second one's slug was taken.
        raise ServiceError(
            "Another article with this title was saved just now; save again.", field="title"
        ) from None


def article_by_slug(slug: str, *, include_internal: bool) -> Article | None:
    """The article with this slug; internal ones only when `include_internal` (staff)."""
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is None or (article.visibility != Visibility.PUBLIC and not include_internal):
        return None
    return article


def revisions(article: Article) -> list[tuple[ArticleRevision, str]]:
    """Every saved revision of `article`, newest first, with its editor's name."""
    rows = db.session.execute(
        sa.select(ArticleRevision, User.name)
        .outerjoin(User, User.id == ArticleRevision.edited_by_id)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.created_at.desc(), ArticleRevision.id.desc())
    ).all()
    return [(revision, name or "someone removed") for revision, name in rows]


def listed_articles(tag: str | None = None, *, include_internal: bool = False) -> sa.Select:
    """Articles by title (public ones, or all for staff), optionally with one tag, for the
    caller to page."""
    query = sa.select(Article)
    if not include_internal:
        query = query.where(Article.visibility == Visibility.PUBLIC)
    if tag:
        # Tags are stored ", "-separated: match a whole tag, never a part of one.
        wrapped = sa.literal(", ") + Article.tags + sa.literal(",")
        escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(wrapped.like(f"%, {escaped},%", escape="\\"))
    return query.order_by(Article.title, Article.id)


# --- links and deflections ----------------------------------------------------------------


def article_url(slug: str) -> str:
    """The absolute link to an article, under HELPDESK_BASE_URL (for mail and replies)."""
    return mail_link("helpcentre.article_show", slug=slug)


def _linked_slugs(text: str) -> set[str]:
    prefix = article_url("x")[:-1]
    return set(re.findall(re.escape(prefix) + f"({SLUG.pattern})", text or ""))


def count_links(text: str) -> int:
    """A public reply was written: each article it links counts one link; no commit."""
    slugs = sorted(_linked_slugs(text))
    if not slugs:
        return 0
    result = db.session.execute(
        sa.update(Article)
        .where(Article.slug.in_(slugs))
        .values(link_count=Article.link_count + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def public_article(article_id: int) -> Article | None:
    """A public article by id (internal ones are for agents only)."""
    article = db.session.get(Article, article_id)
    return article if article is not None and article.visibility == Visibility.PUBLIC else None


def count_suggestion_read(article: Article) -> None:
    """A customer read this suggestion: count it as deflecting until they open a case; commit."""
    article.deflection_count = Article.deflection_count + 1
    db.session.commit()


def undo_deflections(article_ids: Iterable[int]) -> None:
    """The reader opened a case after all: those reads did not deflect it; no commit."""
    ids = sorted(set(article_ids))
    if ids:
        db.session.execute(
            sa.update(Article)
            .where(Article.id.in_(ids), Article.deflection_count > 0)
            .values(deflection_count=Article.deflection_count - 1)
        )


# --- the search index ----------------------------------------------------------------------


def _plain(body_html: str | None) -> str:
    """The words a reader sees: tags dropped, entities decoded, control characters gone."""
    return html.unescape(_TAGS.sub(" ", body_html or "")).translate(_CONTROL)


def _postgres(connection: sa.Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _reindex(connection: sa.Connection, ids: list[int]) -> None:
    table, key = (
        (_postgres_rows, "article_id") if _postgres(connection) else (_sqlite_rows, "rowid")
    )
    found = connection.execute(
        sa.select(_articles.c.id, _articles.c.title, _articles.c.tags, _articles.c.body_html).where(
            _articles.c.id.in_(ids)
        )
    ).all()
    connection.execute(sa.delete(table).where(table.c[key].in_(ids)))
    if found:
        rows = [
            {
                key: row.id,
                "title": (row.title or "").translate(_CONTROL),
                "tags": (row.tags or "").translate(_CONTROL),
                "body": _plain(row.body_html),
            }
            for row in found
        ]
        connection.execute(sa.insert(table), rows)


def reindex_all_articles() -> int:
    """Rebuild every article's search row and drop orphans; commit. Returns the count."""
    ids = list(db.session.scalars(sa.select(Article.id)))
    connection = db.session.connection()
    if _postgres(connection):
        connection.execute(sa.delete(_postgres_rows))
    else:
        connection.execute(sa.delete(_sqlite_rows))
    for start in range(0, len(ids), 500):
        _reindex(connection, ids[start : start + 500])
    db.session.commit()
    return len(ids)


_INDEXED = ("title", "tags", "body_html")


def _article_id(state: sa.orm.InstanceState) -> int | None:
    # Read without loading: no SQL may run from inside a flush but the index's own.
    return state.identity[0] if state.identity else state.dict.get("id")


@event.listens_for(FlaskSession, "after_flush")
def _keep_index_current(session: Session, _flush_context) -> None:
    """Rewrite the search rows of articles this flush added, changed or deleted.

    The rows are written through the flush's own connection, so they commit or roll back
    with the articles. Core statements only: an ORM one would try to flush again.
    """
    ids: set[int] = set()
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Article):
            ids.add(_article_id(sa.inspect(obj)))
    for obj in session.dirty:
        if isinstance(obj, Article):
            state = sa.inspect(obj)
            if any(state.attrs[key].history.has_changes() for key in _INDEXED):
                ids.add(_article_id(state))
    ids.discard(None)
    if ids:
        _reindex(session.connection(), sorted(ids))


# --- searching ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleHit:
    """One article found: title and snippet as safe HTML (escaped, matches in <mark>)."""

    article: Article
    score: float
    title_html: Markup
    snippet: Markup


@dataclass(frozen=True)
class ArticlePage:
    """One page of articles, best first, and how many match in all."""

    text: str
    total: int
    hits: list[ArticleHit]
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.hits) < self.total


class _Sqlite:
    def __init__(self, terms: tuple[str, ...], any_word: bool) -> None:
        joiner = " OR " if any_word else " AND "
        self.match_params = {"q": joiner.join(f'"{t}"*' for t in terms)}
        self.mark_params = {**self.match_params, "a": _START, "b": _STOP}

    def matches(self) -> str:
        return (
            f"SELECT rowid AS article_id, -bm25({ARTICLE_SEARCH_TABLE}, {_SQLITE_WEIGHTS})"
            f" AS score FROM {ARTICLE_SEARCH_TABLE} WHERE {ARTICLE_SEARCH_TABLE} MATCH :q"
        )

    def marks(self) -> str:
        return (
            f"SELECT rowid AS article_id, highlight({ARTICLE_SEARCH_TABLE}, 0, :a, :b) AS title,"
            f" snippet({ARTICLE_SEARCH_TABLE}, 2, :a, :b, '…', {_SNIPPET_TOKENS}) AS body"
            f" FROM {ARTICLE_SEARCH_TABLE} WHERE {ARTICLE_SEARCH_TABLE} MATCH :q"
            " AND rowid IN :ids"
        )


class _Postgres:
    def __init__(self, terms: tuple[str, ...], any_word: bool) -> None:
        self.match_params: dict[str, str] = {}
        words = []
        for i, term in enumerate(terms):
            self.match_params[f"t{i}"] = "'" + term.replace("\\", "\\\\").replace("'", "''") + "':*"
            words.append(f"(to_tsquery('english', :t{i}) || to_tsquery('simple', :t{i}))")
        self.query = f"({(' || ' if any_word else ' && ').join(words)})"
        self.mark_params = {
            **self.match_params,
            "all": _HEADLINE_ALL,
            "fragments": _HEADLINE_FRAGMENTS,
        }

    def matches(self) -> str:
        return (
            f"SELECT article_id, ts_rank_cd(document, {self.query}) AS score"
            f" FROM {ARTICLE_SEARCH_TABLE} WHERE document @@ {self.query}"
        )

    def marks(self) -> str:
        def headline(column: str, options: str) -> str:
            text = f"replace({column}, '<', chr(4))"
            return f"ts_headline('english', {text}, {self.query}, :{options}) AS {column}"

        return (
            f"SELECT article_id, {headline('title', 'all')}, {headline('body', 'fragments')}"
            f" FROM {ARTICLE_SEARCH_TABLE} WHERE article_id IN :ids"
        )


def _snippet(marked: str | None, article: Article) -> Markup:
    if marked and _START in marked:
        return marked_html(marked)
    text = _plain(article.body_html).strip()
    short = " ".join(text[:_FALLBACK_CHARS].split())
    return escape(short + ("…" if len(text) > _FALLBACK_CHARS else ""))


def _search(
    terms: tuple[str, ...],
    text: str,
    *,
    include_internal: bool,
    any_word: bool,
    limit: int,
    offset: int,
) -> ArticlePage:
    limit, offset = min(max(int(limit), 1), MAX_LIMIT), max(int(offset), 0)
    if not terms:
        return ArticlePage(text, 0, [], limit, offset)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    dialect = (_Postgres if postgres else _Sqlite)(terms, any_word)
    matched = (
        sa.text(dialect.matches())
        .bindparams(**dialect.match_params)
        .columns(sa.column("article_id", sa.Integer), sa.column("score", sa.Float))
        .subquery("m")
    )
    query = sa.select(Article, matched.c.score).join(matched, matched.c.article_id == Article.id)
    if not include_internal:
        query = query.where(Article.visibility == Visibility.PUBLIC)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    if not total or offset >= total:
        return ArticlePage(text, total or 0, [], limit, offset)
    rows = db.session.execute(
        query.order_by(matched.c.score.desc(), Article.title, Article.id)
        .limit(limit)
        .offset(offset)
    ).all()
    marks = {
        row.article_id: row
        for row in db.session.execute(
            sa.text(dialect.marks()).bindparams(sa.bindparam("ids", expanding=True)),
            {**dialect.mark_params, "ids": [article.id for article, _ in rows]},
        )
    }
    hits = [
        ArticleHit(
            article=article,
            score=float(score or 0.0),
            title_html=marked_html(marks[article.id].title)
            if article.id in marks and marks[article.id].title
            else escape(article.title),
            snippet=_snippet(marks[article.id].body if article.id in marks else None, article),
        )
        for article, score in rows
    ]
    return ArticlePage(text, total, hits, limit, offset)


def search_articles(
    text: str, *, include_internal: bool = False, limit: int = 20, offset: int = 0
) -> ArticlePage:
    """Articles with every word of `text` (as a prefix) in title, tags or body, best first:
    title matches outrank tag matches, which outrank body matches."""
    return _search(
        parse_query(text).terms,
        text,
        include_internal=include_internal,
        any_word=False,
        limit=limit,
        offset=offset,
    )


def suggestion_terms(text: str) -> tuple[str, ...]:
    """The first few meaningful words of a case's text (no short or common words)."""
    meaningful = subject_words(text)
    words = dict.fromkeys(w.lower() for w in _WORD.findall(text or "") if w.lower() in meaningful)
    return tuple(words)[:MAX_SUGGEST_WORDS]


def suggest_articles(text: str, limit: int = 5) -> list[Article]:
    """Up to `limit` public articles sharing words with `text` (e.g. a case being written),
    most relevant first."""
    page = _search(
        suggestion_terms(text), text, include_internal=False, any_word=True, limit=limit, offset=0
    )
    return [hit.article for hit in page.hits]
