"""Webhooks: the endpoints administrators register, and one delivery row per event and
endpoint, written in the transaction of the change it tells of (the outbox pattern)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a sender (claimed_at is its lease)
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt


class WebhookEndpoint(CreatedAt, db.Model):
    """A receiver: where events go and which ones. The secret signs every delivery, so it is
    kept as it was shown (once, when it was made); it never leaves in a page, log or payload."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    events: Mapped[str] = mapped_column(sa.String(400))  # space-separated event names
    secret: Mapped[str] = mapped_column(sa.String(100))
    secret_created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None]  # turned off by the failure rule (not by a person)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (sa.Index("ix_webhook_endpoints_active", "active"),)

    @property
    def event_list(self) -> list[str]:
        return self.events.split()

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell which one a receiver holds: its first characters."""
        return self.secret[:10] + "…"


class WebhookDelivery(CreatedAt, db.Model):
    """One event for one endpoint: the body as it is sent (the same on every attempt, so the
    receiver can drop a repeat by its id) and how the attempts went."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[str] = mapped_column(sa.Text)  # JSON text, exactly the body we POST
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_duration_ms: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")

    __table_args__ = (
        sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
        sa.Index("ix_webhook_deliveries_created", "created_at"),  # pruning, oldest first
    )
