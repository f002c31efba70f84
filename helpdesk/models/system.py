"""The audit trail and admin-editable settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt


class AuditLog(CreatedAt, db.Model):
    """One row for every money, permission and blocklist action: who, what, on what, from where."""

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)  # e.g. "refund.create"
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor = relationship("User")

    __table_args__ = (
        sa.Index("ix_audit_logs_object", "object_type", "object_id"),
        sa.Index("ix_audit_logs_created", "created_at"),
    )


class Setting(db.Model):
    """An admin-edited value (JSON) overriding the environment default of the same key."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)


class Holiday(db.Model):
    """A day without business hours (seed 003 SLA clock)."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class WorkerJob(db.Model):
    """A periodic job of `flask worker`: the tick it last finished, who holds it, how it went."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    last_tick: Mapped[str | None] = mapped_column(sa.String(80))
    # The tick being run and the worker running it; the lease lets another take a dead one's.
    running_tick: Mapped[str | None] = mapped_column(sa.String(80))
    lease_holder: Mapped[str | None] = mapped_column(sa.String(120))
    lease_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_ok: Mapped[bool | None]
    last_result: Mapped[str | None] = mapped_column(sa.String(500))
    last_counts: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    next_run_at: Mapped[datetime | None]


class WorkerHeartbeat(db.Model):
    """A live `flask worker` process: where it runs and when it last said so."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime] = mapped_column(index=True)
    current_job: Mapped[str | None] = mapped_column(sa.String(40))


class ReportDay(db.Model):
    """One business day's support figures, added up by the support report (issue 18).

    `key` names the calendar the figures were measured with (zone, business hours, holidays)
    and the summary's shape: a summary of another key is built again. Triggers on cases,
    messages and orders (migration 0025) mark the days a write changes in
    `report_stale_dates`."""

    __tablename__ = "report_days"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # a local business day
    key: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    built_at: Mapped[datetime] = mapped_column(sa.DateTime)


class ReportStaleDate(db.Model):
    """A UTC date some write touched since the report days around it were summed up."""

    __tablename__ = "report_stale_dates"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
