"""The e-mail outbox (written in the action's transaction) and inbound mail kept raw."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type, utcnow


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class InboundStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"  # auto-reply, bounce or duplicate
    QUARANTINED = "quarantined"


class OutboxMail(CreatedAt, db.Model):
    __tablename__ = "outbox_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    to_name: Mapped[str] = mapped_column(sa.String(120), default="")
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    template_key: Mapped[str | None] = mapped_column(sa.String(60))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    message_id: Mapped[str] = mapped_column(sa.String(998), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(sa.String(998))
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.Index("ix_outbox_mails_status_next", "status", "next_attempt_at"),
        sa.Index("ix_outbox_mails_organisation_created", "organisation_id", "created_at"),
    )


class InboundMail(CreatedAt, db.Model):
    """Every received message, raw, committed before the mailbox copy is deleted."""

    __tablename__ = "inbound_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str | None] = mapped_column(sa.String(998), unique=True)
    from_address: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str | None] = mapped_column(sa.String(998))
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[InboundStatus] = mapped_column(
        enum_type(InboundStatus, "inbound_status"), default=InboundStatus.RECEIVED
    )
    error: Mapped[str | None] = mapped_column(sa.Text)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)

    __table_args__ = (sa.Index("ix_inbound_mails_status_created", "status", "created_at"),)
