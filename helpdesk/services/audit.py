"""The audit trail: one row per money, permission or blocklist action."""

from __future__ import annotations

from typing import Any

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
