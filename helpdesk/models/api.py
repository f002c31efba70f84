"""What other systems use to reach the API: personal access tokens, and the keys that make a
create safe to retry."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt


class ApiToken(CreatedAt, db.Model):
    """A staff member's personal access token. Only its SHA-256 is kept: the token itself is
    shown once, when it is made, and a stolen database cannot be replayed against the API."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16))  # shown in lists, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[str] = mapped_column(sa.String(200))  # space-separated, as in OAuth
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(sa.String(45))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    user = relationship("User", foreign_keys=[user_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class ApiIdempotencyKey(CreatedAt, db.Model):
    """An `Idempotency-Key` a token's owner sent with a create: the same key again answers with
    what the first request made, instead of making it twice."""

    __tablename__ = "api_idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # SHA-256 of the request body
    operation: Mapped[str] = mapped_column(sa.String(40))
    resource_id: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_api_idempotency_keys_key"),)
