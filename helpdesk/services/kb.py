"""Help articles: suggestions while a customer types, and deflection counting (seed 003)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Article, Visibility

_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
MAX_WORDS = 6


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def suggest_articles(text: str, limit: int = 5) -> list[Article]:
    """Up to `limit` public articles sharing words with `text`, title matches first."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))[:MAX_WORDS]
    if not words:
        return []
    score = sum(
        (
            sa.case((Article.title.ilike(_like(w), escape="\\"), 3), else_=0)
            + sa.case((Article.tags.ilike(_like(w), escape="\\"), 2), else_=0)
            + sa.case((Article.body.ilike(_like(w), escape="\\"), 1), else_=0)
            for w in words
        ),
        sa.literal(0),
    )
    query = (
        sa.select(Article)
        .where(Article.visibility == Visibility.PUBLIC, score > 0)
        .order_by(score.desc(), Article.title)
        .limit(limit)
    )
    return list(db.session.scalars(query))


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
