"""Shared column helpers: UTC timestamps and enums stored as checked strings."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Naive UTC: both SQLite and PostgreSQL store it unchanged, so comparisons agree."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A VARCHAR with a CHECK of the allowed values: portable, and cheap to extend by migration."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
