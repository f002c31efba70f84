"""Time agents spent on cases (issue 19 item 6)."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type


class TimeKind(enum.StrEnum):
    """What the time went into: logged with a reply, a note, a call, or on its own."""

    REPLY = "reply"
    NOTE = "note"
    CALL = "call"
    WORK = "work"


class TimeEntry(CreatedAt, db.Model):
    __tablename__ = "time_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    minutes: Mapped[int]
    kind: Mapped[TimeKind] = mapped_column(enum_type(TimeKind, "time_kind"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    worked_on: Mapped[date] = mapped_column(index=True)  # the agent's day, business time zone

    agent = relationship("User")

    __table_args__ = (sa.CheckConstraint("minutes BETWEEN 1 AND 1440", name="minutes_range"),)
