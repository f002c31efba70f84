"""The audit trail: one row per money, permission or blocklist action."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from helpdesk.extensions import db
from helpdesk.models import AuditLog, User


def record(
    action: str,
    *,
    actor: User | None,
    obj: Any = None,
    organisation_id: int | None = None,
    ip_address: str | None = None,
    **details: Any,
) -> AuditLog:
    """Add an audit row to the current transaction (the caller commits)."""
    entry = AuditLog(
        action=action,
        actor_id=actor.id if actor is not None else None,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        organisation_id=organisation_id,
        ip_address=ip_address,
        details=details,
    )
    db.session.add(entry)
    return entry


REFUSED = "refused."


def record_refusal(
    action: str,
    *,
    actor: User | None,
    reason: str,
    object_type: str | None = None,
    object_id: int | None = None,
    ip_address: str | None = None,
    **details: Any,
) -> None:
    """Write a "refused.<action>" row and commit it in its own transaction.

    A refusal ends in a rollback of the caller's work; the attempt must stay on record anyway.
    """
    entry = AuditLog(
        action=(REFUSED + action)[: AuditLog.action.type.length],
        actor_id=actor.id if actor is not None else None,
        object_type=object_type,
        object_id=object_id,
        ip_address=ip_address,
        details={"reason": reason, **details},
    )
    with Session(db.engine) as session, session.begin():
        session.add(entry)
