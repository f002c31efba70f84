"""Service-level policies (issue 19 item 4): the targets a case is held to, by plan and
priority, in business hours."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt

ANY = "any"
PLANS = ("priority", "after_hours", "standard")  # what the organisation bought
PRIORITIES = ("high", "normal")  # high: a priority score of "high" or "urgent"


class SlaPolicy(CreatedAt, db.Model):
    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    plan: Mapped[str] = mapped_column(sa.String(20), default=ANY)
    priority: Mapped[str] = mapped_column(sa.String(20), default=ANY)
    first_response_hours: Mapped[float]
    next_reply_hours: Mapped[float | None]  # after each customer message
    resolution_hours: Mapped[float | None]  # the clock stops while the customer is asked
