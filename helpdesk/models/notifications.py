"""Agents' notifications (issue 19 item 1): in the app (the bell), and by e-mail as each
agent chooses per event."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type


class NotificationEvent(enum.StrEnum):
    ASSIGNED = "assigned"  # a case was assigned to me
    HANDED_OVER = "handed_over"  # a colleague handed a case over to me
    ESCALATED = "escalated"  # a case was escalated to my tier
    CUSTOMER_REPLIED = "customer_replied"  # on a case of mine
    MENTIONED = "mentioned"  # @me in a private note
    SLA_SOON = "sla_soon"  # a target of my case is about to be missed
    SLA_MISSED = "sla_missed"  # ... and when it is missed


class Notification(CreatedAt, db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    event: Mapped[NotificationEvent] = mapped_column(
        enum_type(NotificationEvent, "notification_event")
    )
    text: Mapped[str] = mapped_column(sa.String(300))
    # One notification per (user, key): a deadline warns once, however often the worker looks.
    once_key: Mapped[str | None] = mapped_column(sa.String(80))
    read_at: Mapped[datetime | None]

    case = relationship("Case")
    actor = relationship("User", foreign_keys=[actor_id])

    __table_args__ = (
        sa.Index("ix_notifications_user_read", "user_id", "read_at", "id"),
        sa.UniqueConstraint("user_id", "once_key"),
    )
