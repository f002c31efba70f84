"""FRAUD-STOP (seed 002): block IP addresses, ranges and cards; check them; log refusals.

A card is kept only as an HMAC-SHA256 fingerprint under CARD_HASH_KEY (from the
environment, never the database) plus brand and last four (PCI DSS). The number itself is
never stored, logged, audited or put into an error message.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import (
    BlockedAttempt,
    BlockedAttemptKind,
    BlockedCard,
    BlockedIP,
    Organisation,
    PaymentCard,
    Role,
    SeenAddress,
    User,
    utcnow,
)
from helpdesk.rules.cards import card_brand, card_fingerprint, luhn_valid, normalise_pan
from helpdesk.rules.network import address_key, network_range
from helpdesk.services import ServiceError
from helpdesk.services.core import audit
from helpdesk.services.fraud import fraud_flags

log = logging.getLogger(__name__)

REASON_MAX = 500
ATTEMPT_EMAIL_MAX = 254
# A typo such as "203.0.113.7/1" would lock out half the internet: wider ranges are refused.
WIDEST_PREFIX = {4: 8, 6: 16}

IP = "ip"
CARD = "card"


def _card_key() -> bytes:
    return current_app.config["CARD_HASH_KEY"].encode()


def _reason(text: str | None, field_name: str = "reason") -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise ServiceError("Give a reason.", field=field_name)
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Use at most {REASON_MAX} characters.", field=field_name)
    return reason


def _covering(first: str, last: str) -> sa.Select:
    """Active blocks containing the whole range first..last (an address: first == last)."""
    return (
        sa.select(BlockedIP)
        .where(
            BlockedIP.active.is_(True),
            BlockedIP.range_start <= first,
            BlockedIP.range_end >= last,
        )
        .order_by(BlockedIP.range_start.desc(), BlockedIP.id)
        .limit(1)
    )


def is_ip_blocked(address: str | None) -> BlockedIP | None:
    """The active block covering `address` (IPv4, IPv6 or IPv4-mapped IPv6), or None."""
    if not address:
        return None
    try:
        key = address_key(address)
    except ValueError:
        return None
    return db.session.scalar(_covering(key, key))


def card_fingerprint_of(pan: str) -> str:
    """The keyed fingerprint of a card number (ValueError when malformed)."""
    return card_fingerprint(pan, _card_key())


def is_card_blocked(pan: str | None) -> BlockedCard | None:
    """The active block of this card number, or None (also for a malformed number)."""
    if not pan:
        return None
    try:
        fingerprint = card_fingerprint_of(pan)
    except ValueError:
        return None
    return is_fingerprint_blocked(fingerprint)


def is_fingerprint_blocked(fingerprint: str) -> BlockedCard | None:
    """The active block of a stored card's fingerprint (PaymentCard.fingerprint), or None."""
    return db.session.scalar(
        sa.select(BlockedCard)
        .where(BlockedCard.fingerprint == fingerprint, BlockedCard.active.is_(True))
        .order_by(BlockedCard.id)
        .limit(1)
    )


def record_attempt(
    kind: BlockedAttemptKind | str,
    ip: str | None,
    email: str | None = None,
    card_last4: str | None = None,
    *,
    blocked_ip: BlockedIP | None = None,
    blocked_card: BlockedCard | None = None,
    commit: bool = True,
) -> BlockedAttempt:
    """Log a refused registration, account opening or order; commit unless told not to.

    The refused action saves nothing else, so committing here keeps only this row.
    """
    kind = BlockedAttemptKind(kind)
    email = (email or "").strip().lower()[:ATTEMPT_EMAIL_MAX] or None
    attempt = BlockedAttempt(
        kind=kind,
        ip_address=(ip or None) and ip[:45],
        email=email,
        card_last4=card_last4,
        blocked_ip_id=blocked_ip.id if blocked_ip is not None else None,
        blocked_card_id=blocked_card.id if blocked_card is not None else None,
    )
    db.session.add(attempt)
    if commit:
        db.session.commit()
    log.warning(
        "FRAUD-STOP refused %s from %s (ip block %s, card block %s)",
        kind.value,
        ip,
        attempt.blocked_ip_id,
        attempt.blocked_card_id,
    )
    return attempt


def block_ip(network: str, *, actor: User, reason: str, ip_address: str | None = None) -> BlockedIP:
    """Block an address or CIDR range (IPv4, IPv6, IPv4-mapped); refuse one already covered."""
    reason = _reason(reason)
    try:
        canonical, first, last = network_range(network or "")
    except ValueError as exc:
        raise ServiceError(
            "Enter an IP address or a range such as 203.0.113.0/24 or 2001:db8::/32.",
            field="network",
        ) from exc
    version = 6 if ":" in canonical else 4
    if int(canonical.rpartition("/")[2]) < WIDEST_PREFIX[version]:
        raise ServiceError(
            f"{canonical} is too wide to block: use at most a /{WIDEST_PREFIX[4]} for IPv4 "
            f"or a /{WIDEST_PREFIX[6]} for IPv6.",
            field="network",
        )
    existing = db.session.scalar(_covering(first, last))
    if existing is not None:
        same = existing.network == canonical
        raise ServiceError(
            f"{canonical} is already blocked" + ("." if same else f" (by {existing.network})."),
            field="network",
        )
    blocked = BlockedIP(
        network=canonical,
        range_start=first,
        range_end=last,
        reason=reason,
        created_by_id=actor.id,
    )
    return _saved(blocked, "fraud.block_ip", actor, ip_address, network=canonical, reason=reason)


def block_card(pan: str, *, actor: User, reason: str, ip_address: str | None = None) -> BlockedCard:
    """Block a card by its keyed fingerprint; keep only brand and last four. Luhn-checked."""
    reason = _reason(reason)
    try:
        digits = normalise_pan(pan or "")
    except ValueError as exc:
        # The rule's message never contains the number.
        raise ServiceError(str(exc), field="number") from exc
    if not luhn_valid(digits):
        raise ServiceError(
            "This is not a valid card number: the check digit does not match.", field="number"
        )
    fingerprint = card_fingerprint_of(digits)
    brand, last4 = card_brand(digits), digits[-4:]
    if is_fingerprint_blocked(fingerprint) is not None:
        raise ServiceError(f"{brand} ending {last4} is already blocked.", field="number")
    blocked = BlockedCard(
        fingerprint=fingerprint, brand=brand, last4=last4, reason=reason, created_by_id=actor.id
    )
    return _saved(
        blocked, "fraud.block_card", actor, ip_address, brand=brand, last4=last4, reason=reason
    )


def _saved(blocked, action: str, actor: User, ip_address: str | None, **details):
    """Add a new block with its audit row and the cases it flags, and commit."""
    db.session.add(blocked)
    db.session.flush()
    flagged = fraud_flags.flag_for_block(blocked)
    audit.record(
        action, actor=actor, obj=blocked, ip_address=ip_address, flagged_cases=flagged, **details
    )
    db.session.commit()
    return blocked


def unblock(
    kind: str, blocked_id: int, *, actor: User, reason: str, ip_address: str | None = None
) -> BlockedIP | BlockedCard:
    """Lift an IP or card block; the row stays, with who, when and why. Reason required."""
    model = {IP: BlockedIP, CARD: BlockedCard}.get(kind)
    if model is None:
        raise ServiceError("Nothing to unblock.")
    reason = _reason(reason)
    blocked = db.session.scalar(sa.select(model).where(model.id == blocked_id).with_for_update())
    if blocked is None:
        raise ServiceError("Nothing to unblock.")
    if not blocked.active:
        db.session.rollback()
        raise ServiceError("This block was already lifted.")
    blocked.active = False
    blocked.unblocked_at = utcnow()
    blocked.unblocked_by_id = actor.id
    blocked.unblock_reason = reason
    cleared = fraud_flags.clear_block(blocked)
    what = (
        {"network": blocked.network}
        if kind == IP
        else {"brand": blocked.brand, "last4": blocked.last4}
    )
    audit.record(
        "fraud.unblock",
        actor=actor,
        obj=blocked,
        ip_address=ip_address,
        kind=kind,
        reason=reason,
        cleared_flags=cleared,
        **what,
    )
    db.session.commit()
    return blocked


@dataclass
class FraudStopResult:
    """What one FRAUD-STOP press blocked, and what was blocked already."""

    networks: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)  # "Visa ending 4242"
    already_blocked: int = 0

    @property
    def changed(self) -> bool:
        """True when anything new was blocked."""
        return bool(self.networks or self.cards)

    @property
    def summary(self) -> str:
        """What the press did, as told to the person who pressed it."""
        if not self.changed:
            return "FRAUD-STOP: every known address and card is blocked already."
        already = f"; {self.already_blocked} were blocked already." if self.already_blocked else "."
        return (
            f"FRAUD-STOP: blocked {len(self.networks)} address(es) and "
            f"{len(self.cards)} card(s){already}"
        )


def customer_addresses(organisation_id: int) -> list[str]:
    """Every distinct IP address the organisation's customer logins were seen from."""
    return list(
        db.session.scalars(
            sa.select(SeenAddress.ip_address)
            .join(User, User.id == SeenAddress.user_id)
            .where(User.organisation_id == organisation_id, User.role == Role.CUSTOMER)
            .distinct()
            .order_by(SeenAddress.ip_address)
        )
    )


def fraud_stop(
    organisation_id: int, *, actor: User, reason: str, ip_address: str | None = None
) -> FraudStopResult:
    """Block every IP the customer's users came from and every stored card, in one commit."""
    reason = _reason(reason)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ServiceError("No such customer.")
    result = FraudStopResult()
    blocked_ips: list[BlockedIP] = []
    for address in customer_addresses(organisation_id):
        try:
            canonical, first, last = network_range(address)
        except ValueError:
            continue  # not an address (never expected): nothing to block
        if db.session.scalar(_covering(first, last)) is not None:
            result.already_blocked += 1
            continue
        blocked = BlockedIP(
            network=canonical,
            range_start=first,
            range_end=last,
            reason=reason,
            created_by_id=actor.id,
        )
        db.session.add(blocked)
        db.session.flush()  # the next address's "already covered" check sees this one
        blocked_ips.append(blocked)
        result.networks.append(canonical)
    blocked_cards: list[BlockedCard] = []
    cards = db.session.execute(
        sa.select(PaymentCard.fingerprint, PaymentCard.brand, PaymentCard.last4)
        .where(PaymentCard.organisation_id == organisation_id)
        .order_by(PaymentCard.id)
    ).all()
    seen: set[str] = set()
    for fingerprint, brand, last4 in cards:
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        if is_fingerprint_blocked(fingerprint) is not None:
            result.already_blocked += 1
            continue
        blocked = BlockedCard(
            fingerprint=fingerprint,
            brand=brand,
            last4=last4,
            reason=reason,
            created_by_id=actor.id,
        )
        db.session.add(blocked)
        blocked_cards.append(blocked)
        result.cards.append(f"{brand} ending {last4}")
    if not result.changed:
        db.session.rollback()
        return result
    db.session.flush()
    flagged = sum(fraud_flags.flag_for_block(b) for b in (*blocked_ips, *blocked_cards))
    audit.record(
        "fraud.stop",
        actor=actor,
        obj=organisation,
        organisation_id=organisation_id,
        ip_address=ip_address,
        reason=reason,
        networks=result.networks,
        blocked_ip_ids=[b.id for b in blocked_ips],
        cards=result.cards,
        blocked_card_ids=[b.id for b in blocked_cards],
        already_blocked=result.already_blocked,
        flagged_cases=flagged,
    )
    db.session.commit()
    return result


@dataclass(frozen=True)
class BlockMatch:
    """The first active block an action ran into, and the address or card it matched."""

    address: str | None = None
    blocked_ip: BlockedIP | None = None
    blocked_card: BlockedCard | None = None
    card_last4: str | None = None


def organisation_block(organisation_id: int, request_ip: str | None) -> BlockMatch | None:
    """The first active block on the request's address, or the customer's seen addresses or
    stored cards (seed 002: a blocked IP or card can no longer open an account); else None."""
    for address in (request_ip, *customer_addresses(organisation_id)):
        blocked = is_ip_blocked(address)
        if blocked is not None:
            return BlockMatch(address=address, blocked_ip=blocked)
    row = db.session.execute(
        sa.select(BlockedCard, PaymentCard.last4)
        .join(PaymentCard, PaymentCard.fingerprint == BlockedCard.fingerprint)
        .where(PaymentCard.organisation_id == organisation_id, BlockedCard.active.is_(True))
        .order_by(BlockedCard.id)
        .limit(1)
    ).first()
    if row is not None:
        return BlockMatch(blocked_card=row[0], card_last4=row[1])
    return None


def blocked_ips_query() -> sa.Select:
    """Every IP block, active ones first, newest first (the caller pages it)."""
    return sa.select(BlockedIP).order_by(
        BlockedIP.active.desc(), BlockedIP.created_at.desc(), BlockedIP.id.desc()
    )


def blocked_cards_query() -> sa.Select:
    """Every card block, active ones first, newest first (the caller pages it)."""
    return sa.select(BlockedCard).order_by(
        BlockedCard.active.desc(), BlockedCard.created_at.desc(), BlockedCard.id.desc()
    )


def attempts_query() -> sa.Select:
    """Refused attempts, newest first (the caller pages it)."""
    return sa.select(BlockedAttempt).order_by(
        BlockedAttempt.created_at.desc(), BlockedAttempt.id.desc()
    )


def user_names(ids: set[int | None]) -> dict[int, str]:
    """Names of the users with these ids, for "who blocked" columns (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted))).all())


def canonical_address(text: str) -> str | None:
    """An address as Python spells it (IPv4-mapped IPv6 as IPv4), or None if not one."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)
