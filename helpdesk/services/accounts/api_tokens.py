"""Personal access tokens: made and revoked on a staff member's profile, listed and revoked
by administrators, checked on every API request. Every change is audited.

The token is returned once, by `create`, and only its SHA-256 is stored. Each use records when
and from where it was last used (one UPDATE), so an owner can tell a forgotten token from one a
system still uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ApiToken, Role, User, utcnow
from helpdesk.rules import api_tokens as rules
from helpdesk.services import ServiceError
from helpdesk.services.core import audit


@dataclass(frozen=True)
class NewToken:
    """A token just made: the row, and the token itself (shown once, never stored)."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class Holder:
    """Who a presented token acts for, and what it may do on this request."""

    token: ApiToken
    user: User
    scopes: frozenset[str]


def may_hold_tokens(user: User) -> bool:
    """Staff may make tokens; customers may not."""
    return user.active and bool(rules.grantable(user.role.value, user.billing_permission))


def _checked_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError("Name the token after what will use it, e.g. “Shop”.", field="name")
    if len(name) > rules.NAME_MAX:
        raise ServiceError(f"Keep the name under {rules.NAME_MAX} characters.", field="name")
    if any(ord(char) < 32 for char in name):
        raise ServiceError("The name contains characters we cannot store.", field="name")
    return name


def _checked_scopes(user: User, scopes: Iterable[str]) -> list[str]:
    scopes = list(scopes)
    unknown = rules.unknown_scopes(scopes)
    if unknown:
        raise ServiceError(f"There is no scope “{unknown[0][:40]}”.", field="scopes")
    if not scopes:
        raise ServiceError("Choose at least one thing the token may do.", field="scopes")
    allowed = rules.grantable(user.role.value, user.billing_permission)
    beyond = [scope for scope in scopes if scope not in allowed]
    if beyond:
        raise ServiceError(
            f"Your account cannot give a token “{rules.SCOPES[beyond[0]]}”.", field="scopes"
        )
    return rules.ordered(scopes)


def create(
    user: User,
    *,
    name: str,
    scopes: Iterable[str],
    expires_in_days: int,
    now: datetime | None = None,
    ip_address: str | None = None,
) -> NewToken:
    """Make a token for `user` with these scopes; commit. The secret is in the result only."""
    if not may_hold_tokens(user):
        raise ServiceError("Only staff accounts can have API tokens.")
    name = _checked_name(name)
    chosen = _checked_scopes(user, scopes)
    if expires_in_days not in rules.EXPIRY_DAYS:
        raise ServiceError("Choose when the token expires.", field="expires_in_days")
    at = now or utcnow()
    secret = rules.TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[: rules.SHOWN_CHARACTERS],
        token_hash=rules.digest(secret),
        scopes=" ".join(chosen),
        expires_at=at + timedelta(days=expires_in_days),
        created_at=at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.create",
        actor=user,
        obj=token,
        ip_address=ip_address,
        name=name,
        scopes=chosen,
        expires_at=token.expires_at.isoformat(),
    )
    db.session.commit()
    return NewToken(token=token, secret=secret)


def revoke(
    actor: User, token: ApiToken, *, now: datetime | None = None, ip_address: str | None = None
) -> ApiToken:
    """Revoke a token: its owner may, and so may an administrator; commit."""
    if token.user_id != actor.id and actor.role != Role.ADMIN:
        raise ServiceError("Only its owner or an administrator can revoke this token.")
    if token.revoked_at is not None:
        raise ServiceError("This token was revoked already.")
    token.revoked_at = now or utcnow()
    token.revoked_by_id = actor.id
    audit.record(
        "api_token.revoke",
        actor=actor,
        obj=token,
        ip_address=ip_address,
        name=token.name,
        owner_id=token.user_id,
    )
    db.session.commit()
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they show as revoked)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def all_tokens(*, include_revoked: bool = False) -> list[ApiToken]:
    """Every staff member's tokens, for administrators: live ones first, newest first."""
    query = sa.select(ApiToken).options(sa.orm.joinedload(ApiToken.user))
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(
        db.session.scalars(
            query.order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def token_of(user: User, token_id: int) -> ApiToken | None:
    """`token_id` if `user` may manage it (theirs, or anyone's for an administrator)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and user.role != Role.ADMIN):
        return None
    return token


class Refused(Exception):
    """A presented token does not authenticate; the message says why, safely."""


def authenticate(
    secret: str, *, now: datetime | None = None, ip_address: str | None = None
) -> Holder:
    """The holder of a presented token, after recording its use; raise Refused otherwise."""
    at = now or utcnow()
    token = db.session.scalar(
        sa.select(ApiToken)
        .options(sa.orm.joinedload(ApiToken.user))
        .where(ApiToken.token_hash == rules.digest(secret))
    )
    if token is None or token.revoked_at is not None:
        raise Refused("This token is not valid: it was revoked or never existed.")
    if token.expires_at <= at:
        raise Refused("This token has expired: make a new one on your profile.")
    user = token.user
    scopes = rules.effective(
        token.scope_list, user.role.value, user.billing_permission, user.active
    )
    if not scopes:
        raise Refused("The account this token belongs to cannot use the API.")
    # A plain UPDATE: no read-modify-write race between two requests with the same token.
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(last_used_at=at, last_used_ip=(ip_address or "")[:45] or None)
    )
    db.session.commit()
    return Holder(token=token, user=user, scopes=scopes)
