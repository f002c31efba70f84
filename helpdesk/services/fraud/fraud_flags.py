"""Fraud flags on cases (seed 002 FRAUD-STOP): a case whose customer shares an address or a
card with an active block says so, on the case page and in the folder lists.

A customer shares an address when one of its logins was seen from (or registered at, which
is the first login) an address inside a blocked address or range; it shares a card when one
of its stored cards has a blocked card's fingerprint. FRAUD-STOP on one account blocks every
address and card of that account, so customers sharing any of them with a blocked account are
flagged the same way.

Flags are rows (models.CaseFraudFlag), one per case and block, written in the transaction that
makes the block (services.fraud) or opens the case (services.cases, inbound mail, phone,
clone), and when a customer's login comes from a new address inside a block (a login after the
block was made); lifting a block deletes its rows. Pages only read them: nothing looks for shared
addresses while a list is shown. No function here commits: the caller's action does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    BlockedCard,
    BlockedIP,
    Case,
    CaseFraudFlag,
    PaymentCard,
    Role,
    SeenAddress,
    User,
    utcnow,
)
from helpdesk.rules.network import address_key

FRAUD = "fraud"  # the folder filter's value: ?flag=fraud
_flags = CaseFraudFlag.__table__


def _insert_for_organisation(organisation_id: int, values: dict, now: datetime) -> None:
    """Flag every case of the organisation with `values` (one block)."""
    columns = ["case_id", "created_at", *values]
    rows = sa.select(
        Case.id,
        sa.literal(now, sa.DateTime()),
        *(sa.literal(value, _flags.c[name].type) for name, value in values.items()),
    ).where(Case.organisation_id == organisation_id)
    (block_column,) = (name for name in values if name.startswith("blocked_"))
    rows = rows.where(
        ~sa.exists().where(
            _flags.c.case_id == Case.id, _flags.c[block_column] == values[block_column]
        )
    )
    db.session.execute(sa.insert(_flags).from_select(columns, rows))


def _count(column: sa.Column, blocked_id: int) -> int:
    # Counted, not summed from rowcount: drivers differ on INSERT ... SELECT row counts.
    return db.session.scalar(sa.select(sa.func.count()).where(column == blocked_id))


def _customer_logins() -> sa.Select:
    return (
        sa.select(User.organisation_id, SeenAddress.ip_address, SeenAddress.user_id)
        .join(User, User.id == SeenAddress.user_id)
        .where(User.role == Role.CUSTOMER, User.organisation_id.is_not(None))
    )


def flag_for_ip_block(blocked: BlockedIP, now: datetime | None = None) -> int:
    """Flag the cases of every customer seen from inside this block; returns how many."""
    now = now or utcnow()
    matches = db.session.execute(
        _customer_logins()
        .where(SeenAddress.address_key.between(blocked.range_start, blocked.range_end))
        .order_by(User.organisation_id, SeenAddress.ip_address, SeenAddress.user_id)
    ).all()
    seen = set()
    for organisation_id, address, user_id in matches:
        if organisation_id in seen:
            continue  # the first address of each customer names the reason
        seen.add(organisation_id)
        _insert_for_organisation(
            organisation_id,
            {"blocked_ip_id": blocked.id, "address": address, "user_id": user_id},
            now,
        )
    return _count(_flags.c.blocked_ip_id, blocked.id)


def flag_for_card_block(blocked: BlockedCard, now: datetime | None = None) -> int:
    """Flag the cases of every customer with this card stored; returns how many."""
    now = now or utcnow()
    organisations = db.session.scalars(
        sa.select(PaymentCard.organisation_id)
        .where(PaymentCard.fingerprint == blocked.fingerprint)
        .distinct()
        .order_by(PaymentCard.organisation_id)
    ).all()
    values = {
        "blocked_card_id": blocked.id,
        "card_brand": blocked.brand,
        "card_last4": blocked.last4,
    }
    for organisation_id in organisations:
        _insert_for_organisation(organisation_id, values, now)
    return _count(_flags.c.blocked_card_id, blocked.id)


def flag_for_block(blocked: BlockedIP | BlockedCard, now: datetime | None = None) -> int:
    """Flag the cases a new block concerns (an address or a card block); returns how many."""
    if isinstance(blocked, BlockedIP):
        return flag_for_ip_block(blocked, now)
    return flag_for_card_block(blocked, now)


def clear_block(blocked: BlockedIP | BlockedCard) -> int:
    """A lifted block flags nothing any more: delete its flags (other blocks' flags stay)."""
    column = _flags.c.blocked_ip_id if isinstance(blocked, BlockedIP) else _flags.c.blocked_card_id
    cleared = _count(column, blocked.id)
    db.session.execute(sa.delete(_flags).where(column == blocked.id))
    return cleared


def flag_new_address(user: User, ip_address: str, now: datetime | None = None) -> int:
    """A customer's login seen from a new address: flag its customer's cases for every active
    block covering the address (one indexed query; none for staff); returns how many blocks."""
    if user.role != Role.CUSTOMER or user.organisation_id is None:
        return 0
    try:
        key = address_key(ip_address)
    except ValueError:
        return 0
    blocks = db.session.scalars(
        sa.select(BlockedIP.id)
        .where(BlockedIP.active.is_(True), BlockedIP.range_start <= key, BlockedIP.range_end >= key)
        .order_by(BlockedIP.id)
    ).all()
    for blocked_id in blocks:
        _insert_for_organisation(
            user.organisation_id,
            {"blocked_ip_id": blocked_id, "address": ip_address, "user_id": user.id},
            now or utcnow(),
        )
    return len(blocks)


def flag_new_case(case: Case, now: datetime | None = None) -> int:
    """Flag a new, flushed case when its customer shares an address or card with an active
    block (one indexed query each); returns how many flags it got."""
    now = now or utcnow()
    addresses = db.session.execute(
        sa.select(BlockedIP.id, SeenAddress.ip_address, SeenAddress.user_id)
        .join(User, User.id == SeenAddress.user_id)
        .join(
            BlockedIP,
            sa.and_(
                BlockedIP.active.is_(True),
                BlockedIP.range_start <= SeenAddress.address_key,
                BlockedIP.range_end >= SeenAddress.address_key,
            ),
        )
        .where(User.organisation_id == case.organisation_id, User.role == Role.CUSTOMER)
        .order_by(BlockedIP.id, SeenAddress.ip_address, SeenAddress.user_id)
    ).all()
    rows, seen = [], set()
    for blocked_id, address, user_id in addresses:
        if blocked_id not in seen:
            seen.add(blocked_id)
            rows.append({"blocked_ip_id": blocked_id, "address": address, "user_id": user_id})
    cards = db.session.execute(
        sa.select(BlockedCard.id, BlockedCard.brand, BlockedCard.last4)
        .join(PaymentCard, PaymentCard.fingerprint == BlockedCard.fingerprint)
        .where(PaymentCard.organisation_id == case.organisation_id, BlockedCard.active.is_(True))
        .distinct()
        .order_by(BlockedCard.id)
    ).all()
    rows += [
        {"blocked_card_id": i, "card_brand": brand, "card_last4": last4}
        for i, brand, last4 in cards
    ]
    if rows:
        db.session.execute(
            sa.insert(_flags), [{"case_id": case.id, "created_at": now, **row} for row in rows]
        )
    return len(rows)


def flagged_condition() -> sa.ColumnElement[bool]:
    """SQL for "the case is flagged" (the folder filter): served by the flags' case_id index."""
    return Case.id.in_(sa.select(_flags.c.case_id))


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """Why a case is flagged: the customer's address or card, and the block it matches."""

    address: str | None  # the customer's address inside the block
    login_name: str | None  # whose login came from it
    network: str | None  # the blocked address or range
    card: str | None  # "Visa ending 4242": last four only, never more (PCI DSS)
    block_reason: str
    blocked_at: datetime

    @property
    def blocked_as(self) -> str | None:
        """The blocked range when it is wider than the customer's one address, else None."""
        if not self.network:
            return None
        # A flag matched it, so a full-length prefix is the customer's address itself.
        return None if self.network.partition("/")[2] in ("", "32", "128") else self.network

    @property
    def summary(self) -> str:
        """One line, for the list marker's tooltip."""
        if self.card:
            return f"Card {self.card} is blocked: {self.block_reason}"
        return f"Login address {self.address} is blocked ({self.network}): {self.block_reason}"


# Built once: every list page asks for its rows' flags.
_CASE_IDS = sa.bindparam("case_ids", expanding=True)
_IP_FLAGS = (
    sa.select(
        _flags.c.case_id,
        _flags.c.address,
        User.name,
        BlockedIP.network,
        BlockedIP.reason,
        BlockedIP.created_at,
    )
    .join(BlockedIP, BlockedIP.id == _flags.c.blocked_ip_id)
    .outerjoin(User, User.id == _flags.c.user_id)
    .where(_flags.c.case_id.in_(_CASE_IDS))
    .order_by(_flags.c.case_id, _flags.c.id)
)
_CARD_FLAGS = (
    sa.select(
        _flags.c.case_id,
        _flags.c.card_brand,
        _flags.c.card_last4,
        BlockedCard.reason,
        BlockedCard.created_at,
    )
    .join(BlockedCard, BlockedCard.id == _flags.c.blocked_card_id)
    .where(_flags.c.case_id.in_(_CASE_IDS))
    .order_by(_flags.c.case_id, _flags.c.id)
)


def flags_for_cases(case_ids: list[int]) -> dict[int, list[Flag]]:
    """The flags of these cases (a page of a list, or one case), in two indexed queries."""
    if not case_ids:
        return {}
    found: dict[int, list[Flag]] = {}
    ids = {"case_ids": list(case_ids)}
    for case_id, address, name, network, reason, at in db.session.execute(_IP_FLAGS, ids):
        found.setdefault(case_id, []).append(Flag(address, name, network, None, reason, at))
    for case_id, brand, last4, reason, at in db.session.execute(_CARD_FLAGS, ids):
        card = f"{brand} ending {last4}"
        found.setdefault(case_id, []).append(Flag(None, None, None, card, reason, at))
    return found
