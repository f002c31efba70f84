"""Demo data for stemmed search, contact search and fraud flags (issue 15 items 13 and 16).

Lakeside Crafts' login was seen from an address inside the demo's blocked range, so its cases
carry a fraud warning; the blocks made earlier by the demo flag what they concern, as making
them through FRAUD-STOP does. Searching "installing" finds the case about installing on Windows,
and "Omar" or "Hannah" finds those contacts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import BlockedCard, BlockedIP, SeenAddress, User
from helpdesk.services.fraud import fraud_flags

FLAGGED_LOGIN = "dan@lakeside.example"
FLAGGED_ADDRESS = "203.0.113.45"  # inside the demo's blocked 203.0.113.0/24


def load(now: datetime) -> None:
    """Add the shared address and flag the cases of every active demo block; no commit."""
    user = db.session.scalar(sa.select(User).where(User.email == FLAGGED_LOGIN))
    if user is not None:
        db.session.add(
            SeenAddress(
                user_id=user.id,
                ip_address=FLAGGED_ADDRESS,
                first_seen_at=now - timedelta(days=20),
                last_seen_at=now - timedelta(days=3),
            )
        )
        db.session.flush()
    for model in (BlockedIP, BlockedCard):
        for blocked in db.session.scalars(sa.select(model).where(model.active.is_(True))):
            fraud_flags.flag_for_block(blocked, now)
