"""Tags on cases, the saved views (named filter sets) of the issue tracker, and the people
CC'd on a case."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt


class Tag(CreatedAt, db.Model):
    """A free label agents put on cases; `suggested` ones (chosen by an administrator) are
    offered first when tagging."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)  # normalised, lower-case
    suggested: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class CaseTag(db.Model):
    """One tag on one case."""

    __tablename__ = "case_tags"

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )

    # Filtering a folder by tag walks the tag's cases.
    __table_args__ = (sa.Index("ix_case_tags_tag_case", "tag_id", "case_id"),)


class SavedView(CreatedAt, db.Model):
    """A named folder with filters, personal or shared with the team, in the sidebar."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shared: Mapped[bool] = mapped_column(default=False)
    folder: Mapped[str] = mapped_column(sa.String(20))
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    owner = relationship("User")

    __table_args__ = (sa.Index("ix_saved_views_shared", "shared"),)


class CaseCc(CreatedAt, db.Model):
    """Someone else of the case's organisation who gets its public replies too (CC)."""

    __tablename__ = "case_ccs"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254))  # lower case
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (sa.UniqueConstraint("case_id", "email"),)
