"""Stored HTML rebuilt from the text as typed, after the sanitiser changed (issue 17: bleach
gave way to nh3). Each table's `body_html` is `render_markup(body)`; this makes it so again."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import Article, Case, Message

# Through the ORM, so the search indexes and the live-poll stamp follow the new HTML.
RENDERED_MODELS = (("cases", Case), ("messages", Message), ("articles", Article))


@dataclass(frozen=True)
class RerenderCount:
    """One table's rows looked at and rows whose HTML was rewritten."""

    table: str
    checked: int
    rewritten: int


def rerender_all(batch: int = 500) -> list[RerenderCount]:
    """Rewrite every stored `body_html` that differs from its text rendered now; one commit
    per batch, so a stop midway keeps what was done and a second run rewrites nothing."""
    return [_rerender(table, model, batch) for table, model in RENDERED_MODELS]


def _rerender(table: str, model, batch: int) -> RerenderCount:
    checked = rewritten = 0
    last_id = 0
    while rows := _next_batch(model, last_id, batch):
        for row in rows:
            html = render_markup(row.body or "")
            if row.body_html != html:
                row.body_html = html
                rewritten += 1
        checked += len(rows)
        last_id = rows[-1].id
        db.session.commit()
        db.session.expunge_all()  # a large table must not pile up in the session
    return RerenderCount(table, checked, rewritten)


def _next_batch(model, after_id: int, size: int) -> list:
    query = sa.select(model).where(model.id > after_id).order_by(model.id).limit(size)
    return list(db.session.scalars(query))
