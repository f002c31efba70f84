"""Help articles and canned responses (seed 003 answers with a web page; seed 000 system mails)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

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
    """A macro: a saved reply with variables and optional actions an agent inserts into the
    composer. Rows with a `key` are also the system e-mails of the phone procedure
    ("FAQ-How to request a key"); `owner_id` NULL means shared with every agent."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(sa.String(60), unique=True)  # system e-mails only
    title: Mapped[str] = mapped_column(sa.String(120))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    customers_only: Mapped[bool] = mapped_column(default=False)  # seed 000: key requests
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # What sending with the macro also does (see helpdesk.rules.macros.ACTION_KEYS).
    actions: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict, server_default=sa.text("'{}'")
    )
    use_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_used_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_system_email(self) -> bool:
        """A system e-mail of the phone procedure (it keeps its key and subject)."""
        return self.key is not None


class MacroUse(db.Model):
    """One use of a macro: who, on which case, when (the help-centre report counts them)."""

    __tablename__ = "macro_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    macro_id: Mapped[int] = mapped_column(sa.ForeignKey("canned_responses.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.Index("ix_macro_uses_created", "created_at"),
        sa.Index("ix_macro_uses_macro_created", "macro_id", "created_at"),
    )
