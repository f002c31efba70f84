"""FRAUD-STOP blocklists (seed 002): addresses and cards that cannot open accounts or buy."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type


class BlockedAttemptKind(enum.StrEnum):
    REGISTRATION = "registration"
    ACCOUNT = "account"
    ORDER = "order"


class Unblockable:
    """Who blocked and why; unblocking keeps the row and records who, when and why."""

    reason: Mapped[str] = mapped_column(sa.String(500))
    active: Mapped[bool] = mapped_column(default=True)
    unblocked_at: Mapped[datetime | None]
    unblock_reason: Mapped[str | None] = mapped_column(sa.String(500))


class BlockedIP(Unblockable, CreatedAt, db.Model):
    """An address or CIDR range, kept as a range of 32-hex-digit IPv6 keys (IPv4 mapped)."""

    __tablename__ = "blocked_ips"

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(sa.String(49))  # canonical CIDR as entered
    # Fixed-width hex compares like the number it spells: "is the address in range" is a
    # string comparison any index serves, on SQLite and PostgreSQL alike.
    range_start: Mapped[str] = mapped_column(sa.String(32))
    range_end: Mapped[str] = mapped_column(sa.String(32))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    unblocked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (
        sa.CheckConstraint("range_start <= range_end", name="range_order"),
        sa.Index("ix_blocked_ips_active_range", "active", "range_start", "range_end"),
    )


class BlockedCard(Unblockable, CreatedAt, db.Model):
    """A card by keyed HMAC of its number (key from the environment), brand and last four."""

    __tablename__ = "blocked_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), index=True)
    brand: Mapped[str] = mapped_column(sa.String(20))
    last4: Mapped[str] = mapped_column(sa.String(4))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    unblocked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class BlockedAttempt(CreatedAt, db.Model):
    """A refused registration, account opening or order, shown beside the blocklists."""

    __tablename__ = "blocked_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BlockedAttemptKind] = mapped_column(
        enum_type(BlockedAttemptKind, "blocked_attempt_kind")
    )
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))
    blocked_ip_id: Mapped[int | None] = mapped_column(sa.ForeignKey("blocked_ips.id"))
    blocked_card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("blocked_cards.id"))

    __table_args__ = (sa.Index("ix_blocked_attempts_created", "created_at"),)


class CaseFraudFlag(CreatedAt, db.Model):
    """A case whose customer shares an address or a card with an active FRAUD-STOP block.

    One row per case and block, written in the transaction that makes the block or opens the
    case (services.fraud_flags); lifting the block deletes its rows. Lists read these rows,
    they never look for shared addresses themselves.
    """

    __tablename__ = "case_fraud_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    blocked_ip_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("blocked_ips.id", ondelete="CASCADE"), index=True
    )
    blocked_card_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("blocked_cards.id", ondelete="CASCADE"), index=True
    )
    # What matched: the customer's address (and whose login it was), or the card's last four.
    address: Mapped[str | None] = mapped_column(sa.String(45))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    card_brand: Mapped[str | None] = mapped_column(sa.String(20))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))

    __table_args__ = (
        sa.UniqueConstraint("case_id", "blocked_ip_id", name="case_ip"),
        sa.UniqueConstraint("case_id", "blocked_card_id", name="case_card"),
        sa.CheckConstraint(
            "(blocked_ip_id IS NULL) <> (blocked_card_id IS NULL)", name="one_block"
        ),
    )
