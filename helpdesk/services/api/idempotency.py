"""Idempotency keys: a create sent again with the same key answers with what the first one
made. The key is written in the same transaction as the object (a unique row per owner and
key), so two requests racing with one key make one object: the second one's commit fails on
the unique constraint, and it answers with the first one's object instead.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ApiIdempotencyKey, utcnow


class KeyReused(Exception):
    """The key was used before for a different request."""


def fingerprint(body: bytes) -> str:
    """What identifies a request body: its SHA-256."""
    return hashlib.sha256(body).hexdigest()


def earlier(user_id: int, key: str, operation: str, body_fingerprint: str) -> int | None:
    """The id the first request with this key made, or None if the key is new.

    Raises KeyReused when the key came with another operation or another body.
    """
    found = db.session.scalar(
        sa.select(ApiIdempotencyKey).where(
            ApiIdempotencyKey.user_id == user_id, ApiIdempotencyKey.key == key
        )
    )
    if found is None:
        return None
    if found.operation != operation or found.fingerprint != body_fingerprint:
        raise KeyReused(key)
    return found.resource_id


def remember(user_id: int, key: str, operation: str, body_fingerprint: str, resource_id: int):
    """Keep the key with what it made (in the caller's transaction)."""
    db.session.add(
        ApiIdempotencyKey(
            user_id=user_id,
            key=key,
            operation=operation,
            fingerprint=body_fingerprint,
            resource_id=resource_id,
            created_at=utcnow(),
        )
    )
    db.session.flush()
