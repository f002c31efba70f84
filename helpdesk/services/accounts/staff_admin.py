"""Staff logins as the administrator manages them: create, change role, tier and active.

Passwords are never set or shown here: a new person gets a mailed set-password link (the
password-reset token), and can be sent another. Every change writes an audit row.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Role, User
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts
from helpdesk.services.core import audit
from helpdesk.services.mail.outbox import queue_mail

STAFF_ROLES = (Role.AGENT, Role.BILLING, Role.ADMIN)
TIERS = (1, 2, 3)


def _checked_role(role: str | Role) -> Role:
    try:
        chosen = Role(role)
    except ValueError:
        chosen = None
    if chosen not in STAFF_ROLES:
        raise ServiceError("Choose agent, billing or admin.", field="role")
    return chosen


def _checked_tier(role: Role, tier: int | None) -> int | None:
    if role != Role.AGENT:
        return None  # only agents work by tier
    if tier not in TIERS:
        raise ServiceError("An agent needs a tier of 1, 2 or 3.", field="tier")
    return tier


def _queue_set_password_mail(
    user: User, *, secret_key: str, max_age: int, link_for: Callable[[str], str]
) -> None:
    queue_mail(
        to_address=user.email,
        to_name=user.name,
        subject="Set your helpdesk password",
        template="password_reset",
        user=user,
        reset_url=link_for(accounts.make_reset_token(user, secret_key)),
        valid_minutes=max(max_age // 60, 1),
    )


def create_staff(
    actor: User,
    *,
    name: str,
    email: str,
    role: str | Role,
    tier: int | None,
    secret_key: str,
    max_age: int,
    link_for: Callable[[str], str],
) -> User:
    """Create a staff login with an unknown random password and mail a set-password link."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Enter the name.", field="name")
    chosen = _checked_role(role)
    user = accounts.add_user(
        email=email,
        name=name,
        # Nobody ever learns this password: the link replaces it.
        password=secrets.token_urlsafe(32),
        role=chosen,
        tier=_checked_tier(chosen, tier),
        actor=actor,
    )
    _queue_set_password_mail(user, secret_key=secret_key, max_age=max_age, link_for=link_for)
    db.session.commit()
    return user


def _staff(user: User) -> None:
    if user.role not in STAFF_ROLES:
        raise ServiceError("Customer logins are managed on the customer's profile.", field="role")


def update_staff(
    actor: User,
    user: User,
    *,
    role: str | Role,
    tier: int | None,
    active: bool,
    ip_address: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Change a staff login's role, tier and active flag; audited; commit. The changes.

    Deactivating ends every session of the person. Administrators cannot take away their
    own administrator role or deactivate themselves, so one administrator always remains.
    """
    _staff(user)
    chosen = _checked_role(role)
    if user.id == actor.id and chosen != Role.ADMIN:
        raise ServiceError("You cannot remove your own administrator role.", field="role")
    if user.id == actor.id and not active:
        raise ServiceError("You cannot deactivate your own login.", field="active")
    new = {"role": chosen, "tier": _checked_tier(chosen, tier), "active": bool(active)}
    changes = {
        name: {"before": _plain(getattr(user, name)), "after": _plain(value)}
        for name, value in new.items()
        if getattr(user, name) != value
    }
    if not changes:
        return changes
    user.role, user.tier, user.active = new["role"], new["tier"], new["active"]
    if chosen == Role.BILLING:
        user.agent_status = None
    elif user.agent_status is None:
        user.agent_status = AgentStatus.AVAILABLE
    if "active" in changes and not user.active:
        user.session_version += 1  # the deactivated person's open sessions end now
    audit.record("user.update", actor=actor, obj=user, ip_address=ip_address, changes=changes)
    db.session.commit()
    return changes


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Role) else value


def send_set_password_link(
    actor: User,
    user: User,
    *,
    secret_key: str,
    max_age: int,
    link_for: Callable[[str], str],
    ip_address: str | None = None,
) -> None:
    """Mail a staff member a new set-password link (say, the first one expired); commit."""
    _staff(user)
    if not user.active:
        raise ServiceError("Activate the login first: a deactivated login cannot log in.")
    _queue_set_password_mail(user, secret_key=secret_key, max_age=max_age, link_for=link_for)
    audit.record("user.password_link", actor=actor, obj=user, ip_address=ip_address)
    db.session.commit()


def set_billing_permission(
    actor: User, user: User, *, granted: bool, ip_address: str | None = None
) -> bool:
    """Grant or take away an agent's billing permission (refund, reship from cases); audited;
    commit. False when it was already so."""
    _staff(user)
    if user.role != Role.AGENT:
        raise ServiceError(
            "Only agents need this permission: billing staff and administrators always have it.",
            field="billing_permission",
        )
    if user.billing_permission == bool(granted):
        return False
    before, user.billing_permission = user.billing_permission, bool(granted)
    audit.record(
        "user.billing_permission",
        actor=actor,
        obj=user,
        ip_address=ip_address,
        before=before,
        after=user.billing_permission,
    )
    db.session.commit()
    return True
