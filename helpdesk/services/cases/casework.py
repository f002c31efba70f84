"""Shared pieces of every case write: text checks, all-or-nothing commits, the timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    CaseStatus,
    Message,
    MessageKind,
    Origin,
    User,
)
from helpdesk.services import ServiceError
from helpdesk.services.cases import attachments
from helpdesk.services.cases.attachments import AttachmentPolicy, Upload

T = TypeVar("T")


def clean_text(value: str, *, field: str, label: str, limit: int) -> str:
    """Trimmed text, or a ServiceError naming the field when empty, too long or unstorable."""
    value = (value or "").strip()
    if not value:
        raise ServiceError(f"Enter {label}.", field=field)
    if len(value) > limit:
        raise ServiceError(f"Keep {label} under {limit} characters.", field=field)
    if "\x00" in value:
        raise ServiceError(
            f"{label.capitalize()} contains characters we cannot store.", field=field
        )
    return value


def committed(write: Callable[[list[Path]], T]) -> T:
    """Run `write` and commit; on any failure roll back and delete the files it stored."""
    files: list[Path] = []
    try:
        result = write(files)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        attachments.remove_files(files)
        raise
    return result


ACTIVITY_SUMMARY_MAX = 500


def log_activity(
    case: Case, actor: User | None, kind: ActivityKind, summary: str, at: datetime
) -> None:
    """Add an entry to the case timeline."""
    # activities.summary is VARCHAR(500): a 500-character reason plus a name would not fit
    # (PostgreSQL refuses it; SQLite stored it silently).
    if len(summary) > ACTIVITY_SUMMARY_MAX:
        summary = summary[: ACTIVITY_SUMMARY_MAX - 3] + "..."
    db.session.add(
        Activity(
            case_id=case.id,
            actor_id=actor.id if actor else None,
            kind=kind,
            summary=summary,
            created_at=at,
        )
    )


def touch(case: Case, at: datetime) -> None:
    """Every change a reader can see moves `updated_at` and the version live pages poll."""
    case.updated_at = at
    case.version = Case.version + 1


def mark_closed(case: Case, actor: User, at: datetime) -> None:
    """Close the case and say so on the timeline (the caller commits)."""
    case.status = CaseStatus.CLOSED
    case.closed_at = at
    case.closed_by_id = actor.id
    case.awaiting_agent_since = None
    log_activity(case, actor, ActivityKind.STATUS, f"Closed by {actor.name}", at)


def add_message(
    case: Case,
    author: User,
    *,
    kind: MessageKind,
    body: str,
    at: datetime,
    files: list[Path] | None = None,
    uploads: list[Upload] = (),
    policy: AttachmentPolicy | None = None,
) -> Message:
    """Add a web message (and its files, recorded in `files` for clean-up) to the thread."""
    message = Message(
        case_id=case.id,
        author_id=author.id,
        kind=kind,
        from_customer=not author.is_staff,
        origin=Origin.WEB,
        body=body,
        body_html=render_markup(body),
        created_at=at,
    )
    db.session.add(message)
    db.session.flush()
    if kind == MessageKind.REPLY and author.is_staff:
        from helpdesk.services.helpcentre import kb  # imported here: kb builds on this module

        kb.count_links(body)  # issue 7: how often each help article answered a customer
    if uploads:
        written = attachments.store_uploads(
            uploads, policy, case=case, message=message, uploader=author
        )
        if files is not None:
            files += written
    return message
