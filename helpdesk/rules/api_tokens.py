"""Personal access tokens for the API: their scopes, who may hold which, and their form.

A token acts for the staff member who made it and never reaches more than they could in the
browser: its scopes are cut to what the owner's role allows at every use, so a token made by
an agent who later loses the billing permission stops refunding at once. Customers hold no
tokens at all (the API is for the shop, the billing system and chat, run by staff).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

# Each scope, and what it lets a token do (shown where tokens are made).
SCOPES: dict[str, str] = {
    "cases:read": "Read cases, their threads and attachments",
    "cases:write": "Open and update cases, reply and add notes",
    "customers:read": "Read organisations, contacts and customer logins",
    "customers:write": "Update contact details",
    "billing": "Read orders and payments, and refund",
    "articles:write": "Write help articles",
}

# What each role may ever hold; the billing scope also goes to agents granted the billing
# permission (helpdesk.rules.billing_access decides money, this mirrors it).
_ROLE_SCOPES: dict[str, frozenset[str]] = {
    "agent": frozenset(
        {"cases:read", "cases:write", "customers:read", "customers:write", "articles:write"}
    ),
    "billing": frozenset(
        {"cases:read", "cases:write", "customers:read", "customers:write", "billing"}
    ),
    "admin": frozenset(SCOPES),
}

EXPIRY_DAYS = (7, 30, 90, 365)
DEFAULT_EXPIRY_DAYS = 90
NAME_MAX = 80

TOKEN_PREFIX = "hdp_"  # noqa: S105 (what every token starts with, not a secret)
# The prefix, then 43 characters of URL-safe base64 (32 random bytes): nothing else is a token.
TOKEN_PATTERN = re.compile(r"hdp_[A-Za-z0-9_-]{43}")
SHOWN_CHARACTERS = 8  # "hdp_Ab3x": enough to tell one's tokens apart in a list


def grantable(role: str, billing_permission: bool = False) -> frozenset[str]:
    """The scopes a login with this role may put on a token (none for customers)."""
    scopes = _ROLE_SCOPES.get(role, frozenset())
    if role == "agent" and billing_permission:
        scopes = scopes | {"billing"}
    return scopes


def effective(
    scopes: Iterable[str], role: str, billing_permission: bool, active: bool
) -> frozenset[str]:
    """What a token may do now: its scopes, cut to what its owner may do today."""
    if not active:
        return frozenset()
    return frozenset(scopes) & grantable(role, billing_permission)


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    """The names in `scopes` that are not scopes, in the order given."""
    return [scope for scope in scopes if scope not in SCOPES]


def ordered(scopes: Iterable[str]) -> list[str]:
    """Scopes in the order SCOPES lists them, each once."""
    wanted = set(scopes)
    return [scope for scope in SCOPES if scope in wanted]


def digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (a random 256-bit token needs no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None for anything else."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not TOKEN_PATTERN.fullmatch(value):
        return None
    return value


LIVE, EXPIRED, REVOKED = "live", "expired", "revoked"


def state(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> str:
    """Whether a token works: live, expired (its time is up) or revoked (someone ended it)."""
    if revoked_at is not None:
        return REVOKED
    return EXPIRED if expires_at <= now else LIVE
