"""Agent status (seed 003: keep your status current: on phone, e-mail support, away with a
reason or return time) and the team panel."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, CaseTally, Role, User, utcnow
from helpdesk.models.accounts import staff_rows
from helpdesk.services import ServiceError

NOTE_MAX = 200


def set_status(
    user: User,
    status: str,
    *,
    note: str = "",
    away_until: datetime | None = None,
    now: datetime | None = None,
) -> User:
    """Set my status with a reason; "away" may carry a return time (naive UTC, in the
    future), and routing skips me until then, naming the reason; commit."""
    try:
        chosen = AgentStatus(status)
    except ValueError as error:
        raise ServiceError("Choose a status from the list.", field="status") from error
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(f"Keep the reason under {NOTE_MAX} characters.", field="note")
    if "\x00" in note:
        raise ServiceError("The reason contains characters we cannot store.", field="note")
    if chosen != AgentStatus.AWAY:
        away_until = None
    elif away_until is not None and away_until <= (now or utcnow()):
        raise ServiceError(
            "Enter a time that is still to come, or leave it empty.", field="away_until"
        )
    user.agent_status = chosen
    user.status_note = note or None
    user.away_until = away_until
    db.session.commit()
    return user


def team() -> list[tuple[User, int]]:
    """Every active agent and administrator with the number of open cases they hold."""
    # The kept tallies hold every open case per assignee: no count over the cases themselves.
    open_counts = (
        sa.select(CaseTally.assignee_key, sa.func.sum(CaseTally.n).label("open_cases"))
        .where(CaseTally.assignee_key != 0)
        .group_by(CaseTally.assignee_key)
        .subquery()
    )
    rows = db.session.execute(
        staff_rows(sa.select(User, sa.func.coalesce(open_counts.c.open_cases, 0)))
        .outerjoin(open_counts, open_counts.c.assignee_key == User.id)
        .where(User.role.in_((Role.AGENT, Role.ADMIN)), User.active)
        .order_by(User.tier.nulls_last(), User.name)
    ).all()
    return [(user, count) for user, count in rows]
