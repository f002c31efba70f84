"""Human-friendly sequence numbers (case numbers, customer numbers) on any database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.models import Counter

STARTS = {"case": 10001, "customer": 100001, "order": 500001, "invoice": 700001}


def next_number(name: str, start: int | None = None) -> int:
    """Take the next value of counter `name` inside the caller's transaction.

    The UPDATE takes the row lock, so concurrent transactions queue instead of sharing a number.
    A new counter begins at `start` (default: the name's entry in STARTS, else 1).
    """
    first = start if start is not None else STARTS.get(name, 1)
    bump = (
        sa.update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = db.session.execute(bump).scalar_one_or_none()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.add(Counter(name=name, value=first))
    except IntegrityError:
        # Another transaction created the counter first: take the next value of theirs.
        return db.session.execute(bump).scalar_one()
    return first
