"""Help articles and canned responses (seed 003 answers with a web page; seed 000 system mails)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type, utcnow


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Article(CreatedAt, db.Model):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[str] = mapped_column(sa.String(300), default="")
    visibility: Mapped[Visibility] = mapped_column(
        enum_type(Visibility, "article_visibility"), default=Visibility.PUBLIC
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    link_count: Mapped[int] = mapped_column(default=0)
    deflection_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.Index("ix_articles_visibility_updated", "visibility", "updated_at"),)


class ArticleRevision(CreatedAt, db.Model):
    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class CannedResponse(CreatedAt, db.Model):
    """A system e-mail with variables, e.g. "FAQ-How to request a key"."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    customers_only: Mapped[bool] = mapped_column(default=False)  # seed 000: key requests
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
