"""Tokens for API tests: a staff member's bearer header with the scopes a test needs."""

from __future__ import annotations

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.services.accounts import api_tokens


def bearer(user: User | int, *scopes: str, days: int = 30) -> dict[str, str]:
    """An `Authorization` header for a new token of `user` (all their scopes if none named)."""
    from helpdesk.rules.api_tokens import grantable

    user = db.session.get(User, user if isinstance(user, int) else user.id)
    chosen = scopes or sorted(grantable(user.role.value, user.billing_permission))
    made = api_tokens.create(user, name="Test", scopes=chosen, expires_in_days=days)
    db.session.commit()
    return {"Authorization": f"Bearer {made.secret}"}
