"""Support cases, their threads, activity and attachments (seeds 000, 001, 002, 003)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type, utcnow
from helpdesk.rules.eligibility import SupportLevel
from helpdesk.rules.folders import CaseStatus
from helpdesk.rules.subjects import clean_subject


class Origin(enum.StrEnum):
    """Seed 001: how the case reached us."""

    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"
    GENERATED = "generated"


class Category(enum.StrEnum):
    """Seed 000: the caller's issue, which decides the system e-mail."""

    LICENCE_KEY = "licence_key"
    SUPPORT = "support"  # installation or any support question
    CUSTOMISATION = "customisation"
    HOSTING = "hosting"
    BUG_REPORT = "bug_report"
    OTHER = "other"


class Tier2Kind(enum.StrEnum):
    BUG = "bug"
    ENHANCEMENT = "enhancement"


class Criticality(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class MessageKind(enum.StrEnum):
    REPLY = "reply"  # public: the customer sees it
    NOTE = "note"  # private: agents only


class ActivityKind(enum.StrEnum):
    CALL = "call"  # seed 001 "log a call"
    ACTION = "action"  # chosen from the admin's pick list
    STATUS = "status"
    ASSIGNMENT = "assignment"
    PRIORITY = "priority"
    LINK = "link"
    MAIL = "mail"
    TAGS = "tags"
    MERGE = "merge"
    SPLIT = "split"
    TIME = "time"


class LinkKind(enum.StrEnum):
    RELATED = "related"
    DUPLICATE = "duplicate"


class CaseType(db.Model):
    """Admin-defined case type (seed 001: assign the appropriate case type and reason)."""

    __tablename__ = "case_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class CaseReason(db.Model):
    __tablename__ = "case_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_types.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("case_type_id", "name", name="type_reason"),)


class CaseAction(db.Model):
    """An entry of the case action pick list (seed 001)."""

    __tablename__ = "case_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class Case(CreatedAt, db.Model):
    """A support case. Folder membership is derived from status and the clock columns."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)  # what customers quote: [#10042]
    # active_history on the fields webhooks report (helpdesk.services.webhooks.events): the value
    # before a change is known even when the attribute was set without being read first.
    subject: Mapped[str] = mapped_column(sa.String(200), active_history=True)
    body: Mapped[str] = mapped_column(sa.Text, default="")  # as typed
    body_html: Mapped[str] = mapped_column(sa.Text, default="")  # sanitised once, at write time
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    correspondent_email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    callback_phone: Mapped[str | None] = mapped_column(sa.String(40))
    origin: Mapped[Origin] = mapped_column(enum_type(Origin, "case_origin"))
    category: Mapped[Category] = mapped_column(enum_type(Category, "case_category"))
    case_type_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_types.id"), index=True, active_history=True
    )
    case_reason_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_reasons.id"), active_history=True
    )
    product_version: Mapped[str | None] = mapped_column(sa.String(40))
    operating_system: Mapped[str | None] = mapped_column(sa.String(80))

    status: Mapped[CaseStatus] = mapped_column(
        enum_type(CaseStatus, "case_status"), default=CaseStatus.NEW, active_history=True
    )
    tier: Mapped[int] = mapped_column(sa.SmallInteger, default=1, active_history=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), active_history=True)
    priority_score: Mapped[int] = mapped_column(default=0, active_history=True)
    priority_factors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    # The clock behind the folders (seed 002) and the SLA (seed 003).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]  # first opened by the current assignee
    awaiting_agent_since: Mapped[datetime | None]  # the agent's turn began; None on theirs
    first_response_at: Mapped[datetime | None]
    last_agent_reply_at: Mapped[datetime | None]
    last_customer_reply_at: Mapped[datetime | None]
    customer_viewed_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Bumped on every visible change: live polls answer 204 while it is unchanged.
    version: Mapped[int] = mapped_column(default=1)

    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    cloned_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    # The service-level policy the case was held to when it arrived, and its other targets
    # (the first response is `sla_due_at`). While the customer is asked, the resolution clock
    # stands still from `sla_paused_at`.
    sla_policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sla_policies.id"))
    next_reply_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    sla_paused_at: Mapped[datetime | None]
    # Merged into another case of the same organisation: its thread lives on there.
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cases.id"), index=True, active_history=True
    )

    # Tier II (seed 003): estimate, bug or enhancement, and how critical.
    estimate_minutes: Mapped[int | None]
    tier2_kind: Mapped[Tier2Kind | None] = mapped_column(enum_type(Tier2Kind, "tier2_kind"))
    criticality: Mapped[Criticality | None] = mapped_column(enum_type(Criticality, "criticality"))
    tier2_note: Mapped[str | None] = mapped_column(sa.Text)
    # -- intake --
    # When the voice mail was left (or the e-mail arrived), as the agent heard it: the
    # overnight and after-close priority factors and the first-response clock start here
    # (seed 003), not at the moment the agent typed the case in.
    received_at: Mapped[datetime | None]

    # -- eligibility --
    # Seeds 000/003: the support level when the case was opened, and why. Kept, not
    # recomputed: it chose the tier and the acknowledgement. None: opened before it was kept.
    eligibility_level: Mapped[SupportLevel | None] = mapped_column(
        enum_type(SupportLevel, "eligibility_level")
    )
    eligibility_reason: Mapped[str | None] = mapped_column(sa.String(300))
    eligibility_order_ref: Mapped[str | None] = mapped_column(sa.String(32))

    organisation = relationship("Organisation")
    order = relationship("Order")
    requester = relationship("User", foreign_keys=[requester_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    messages: Mapped[list[Message]] = relationship(
        back_populates="case", order_by="Message.created_at"
    )

    __table_args__ = (
        sa.CheckConstraint("tier BETWEEN 1 AND 3", name="tier_range"),
        sa.CheckConstraint("estimate_minutes IS NULL OR estimate_minutes >= 0", name="estimate"),
        # Agent folders: my New/Open/Waiting sorted by score then age; the support queue.
        # Its last column lets a folder page skip expired cases without reading the table.
        sa.Index(
            "ix_cases_assignee_folder",
            "assignee_id",
            "status",
            "priority_score",
            "created_at",
            "awaiting_agent_since",
        ),
        # Expired 1 (no agent reply for N days) and Expired 2 (answered, never viewed).
        sa.Index("ix_cases_status_awaiting", "status", "awaiting_agent_since"),
        # The sidebar counts an agent's cases whose turn began within the expiry days.
        sa.Index("ix_cases_assignee_awaiting", "assignee_id", "status", "awaiting_agent_since"),
        sa.Index(
            "ix_cases_assignee_answered",
            "assignee_id",
            "status",
            "last_agent_reply_at",
            "customer_viewed_at",
        ),
        sa.Index("ix_cases_status_answered", "status", "last_agent_reply_at"),
        sa.Index("ix_cases_status_closed", "status", "closed_at"),
        # Customer portal: my organisation's cases, most recently updated first.
        sa.Index("ix_cases_organisation_updated", "organisation_id", "updated_at"),
        sa.Index("ix_cases_sla_due", "status", "sla_due_at"),
        sa.Index("ix_cases_next_reply_due", "next_reply_due_at"),
        sa.Index("ix_cases_resolution_due", "resolution_due_at"),
        sa.Index("ix_cases_created_id", "created_at", "id"),  # the All folder, deep pages too
        sa.Index("ix_cases_origin_created", "origin", "created_at"),
        sa.Index("ix_cases_tier_status", "tier", "status"),
    )

    @validates("subject")
    def _one_line_subject(self, _key: str, subject: str) -> str:
        # Every way in (form, mail, phone, clone, demo) stores one clean line (issue 16).
        return clean_subject(subject)


class CaseLink(CreatedAt, db.Model):
    """A link between two cases, e.g. a phone case and the e-mail on the same subject."""

    __tablename__ = "case_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    linked_case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LinkKind] = mapped_column(enum_type(LinkKind, "link_kind"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (
        sa.UniqueConstraint("case_id", "linked_case_id", name="case_pair"),
        sa.CheckConstraint("case_id <> linked_case_id", name="not_self"),
    )


class Message(CreatedAt, db.Model):
    """One entry of a case thread: a public reply or a private note."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    author_email: Mapped[str | None] = mapped_column(sa.String(254))  # inbound mail, no login
    kind: Mapped[MessageKind] = mapped_column(enum_type(MessageKind, "message_kind"))
    from_customer: Mapped[bool] = mapped_column(default=False)
    origin: Mapped[Origin] = mapped_column(enum_type(Origin, "message_origin"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    email_message_id: Mapped[str | None] = mapped_column(sa.String(998), unique=True)
    # An e-mailed reply from someone who is not one of the case's correspondents: agents see
    # it marked, the customer does not, and it changes nothing until an agent accepts it.
    unverified_sender: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    case: Mapped[Case] = relationship(back_populates="messages")
    author = relationship("User")

    __table_args__ = (
        sa.Index("ix_messages_case_created", "case_id", "created_at"),
        # The support report sums up one day's replies at a time (migration 0025).
        sa.Index("ix_messages_created", "created_at"),
    )


class Activity(CreatedAt, db.Model):
    """The case timeline: logged calls, pick-list actions, status and assignment changes."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[ActivityKind] = mapped_column(enum_type(ActivityKind, "activity_kind"))
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_actions.id"))
    summary: Mapped[str] = mapped_column(sa.String(500))
    outcome: Mapped[str | None] = mapped_column(sa.String(200))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_activities_case_created", "case_id", "created_at"),)


class Attachment(CreatedAt, db.Model):
    """A file on a case, stored outside static/ under a random name."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size"),)


class RoutingRule(db.Model):
    """Seed 001 delegation: case type/reason to an assignee, with a fallback when away."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    case_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_types.id"))
    case_reason_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_reasons.id"))
    category: Mapped[Category | None] = mapped_column(enum_type(Category, "routing_category"))
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    fallback_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(default=True)


class Counter(db.Model):
    """Named sequences shared by SQLite and PostgreSQL (case numbers, order numbers)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


class CaseTally(db.Model):
    """How many open cases each agent (0: nobody) holds per state and tier.

    Kept by database triggers on `cases` (migration 0023), in the same transaction as every
    write, whatever wrote it: the sidebar and the dashboard read these few rows instead of
    counting every open case (issue 18). States: new, open, waiting, answered, and "unviewed"
    for an answer the customer has not looked at yet (the Expired 2 candidates)."""

    __tablename__ = "case_tallies"

    assignee_key: Mapped[int] = mapped_column(primary_key=True)  # users.id, or 0 for nobody
    state: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    tier: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


class CasePresence(db.Model):
    """Who has a case open in the tracker right now, and whether they are typing a reply.

    A soft warning only (issue 4): it never blocks posting. Rows are heartbeats; old ones
    simply stop counting.
    """

    __tablename__ = "case_presence"

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    typing_at: Mapped[datetime | None]

    user = relationship("User")
