"""Turning changes into webhook deliveries, inside the transaction that makes the change.

Session listeners, registered when this module is imported (by the app factory), watch every
flush for the changes webhooks tell of: a new case (case.created), a change of its status,
assignee, type, reason, priority, tier or subject (case.updated), its closing (case.closed) or
merging (case.merged), a new public reply (case.replied), a new refund (refund.created) and a
new FRAUD-STOP entry (fraud_stop.entry_added). Just before the transaction commits, each event
becomes one WebhookDelivery row per active endpoint that asked for it, so the rows commit with
the change or roll back with it: there is never a delivery for a change that did not happen,
nor a change whose delivery is lost. Services need not call anything.

Cost without endpoints: the listeners only note objects the session flushed anyway; the one
query (the active endpoints, a tiny table) runs at a commit that carries an event, and nothing
is built when no endpoint wants it. Writes that bypass the ORM (bulk UPDATE statements, the
benchmark loader) are not seen.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from helpdesk.models import (
    BlockedCard,
    BlockedIP,
    Case,
    CaseStatus,
    Message,
    MessageKind,
    Payment,
    Refund,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from helpdesk.rules.webhooks import without_card_numbers

_PENDING = "webhook_events_pending"
# What case.updated reports, with the name each has in the payload.
WATCHED = {
    "status": "status",
    "assignee_id": "assignee_id",
    "case_type_id": "case_type_id",
    "case_reason_id": "case_reason_id",
    "priority_score": "priority_score",
    "tier": "tier",
    "subject": "subject",
}


@dataclass
class _Note:
    """Something a flush did, and the (innermost) transaction it did it in."""

    kind: str  # created | changed | reply | refund | entry
    obj: Any
    transaction: SessionTransaction | None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def rfc3339(moment: datetime) -> str:
    """A naive-UTC time as the API writes times: 2026-12-07T14:05:00Z."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, CaseStatus) else value


def _history(state: sa.orm.InstanceState, key: str) -> tuple[Any, Any] | None:
    """(before, after) of an attribute this flush changed, else None."""
    history = state.attrs[key].history
    if not history.has_changes():
        return None
    before = history.deleted[0] if history.deleted else None
    after = history.added[0] if history.added else None
    return _plain(before), _plain(after)


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


@event.listens_for(FlaskSession, "after_flush")
def _note_events(session: Session, _flush_context) -> None:
    """Remember what this flush did that an event tells of (the session still shows it)."""
    notes: list[_Note] | None = None
    transaction = None
    for obj in session.new:
        kind = _new_kind(obj)
        if kind is None:
            continue
        if notes is None:
            notes, transaction = session.info.setdefault(_PENDING, []), _innermost(session)
        notes.append(_Note(kind, obj, transaction))
    for obj in session.dirty:
        if isinstance(obj, Case):
            state = sa.inspect(obj)
            changes = {
                key: moved
                for key in (*WATCHED, "merged_into_id")
                if (moved := _history(state, key)) is not None
            }
            kind = "changed" if changes else None
        elif isinstance(obj, Message):
            accepted = _history(sa.inspect(obj), "unverified_sender")
            kind = "reply" if accepted == (True, False) and _is_public(obj) else None
            changes = {}
        else:
            continue
        if kind is None:
            continue
        if notes is None:
            notes, transaction = session.info.setdefault(_PENDING, []), _innermost(session)
        notes.append(_Note(kind, obj, transaction, changes))


def reply_accepted(session: Session, message: Message) -> None:
    """A held reply an agent accepted with a bulk UPDATE (which flushes never show): it
    counts as a new public reply now."""
    session.info.setdefault(_PENDING, []).append(_Note("reply", message, _innermost(session)))


def _is_public(message: Message) -> bool:
    return message.kind == MessageKind.REPLY and not message.unverified_sender


def _new_kind(obj: object) -> str | None:
    if isinstance(obj, Case):
        return "created"
    if isinstance(obj, Message):
        # A reply from an address not the case's is held: it counts once an agent accepts it.
        return "reply" if _is_public(obj) else None
    if isinstance(obj, Refund):
        return "refund"
    if isinstance(obj, BlockedIP | BlockedCard):
        return "entry"
    return None


@event.listens_for(FlaskSession, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A savepoint rolled back: what happened inside it did not happen."""
    notes = session.info.get(_PENDING)
    if not notes:
        return

    def inside(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING] = [note for note in notes if not inside(note.transaction)]


@event.listens_for(FlaskSession, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@event.listens_for(FlaskSession, "before_commit")
def _queue_deliveries(session: Session) -> None:
    """Add the deliveries of this transaction's events; the commit flushes them with it."""
    if session.get_nested_transaction() is not None:
        return  # a savepoint's release: its events wait for the real commit
    session.flush()  # changes still in the session are part of this commit too
    notes = session.info.pop(_PENDING, None)
    if not notes:
        return
    subscribers = _subscribers(session)
    if not subscribers:
        return
    now = utcnow()
    for name, data in _events(session, notes, set(subscribers)):
        body_of: dict[str, Any] = {"event": name, "created_at": rfc3339(now), "data": data}
        for endpoint_id in subscribers[name]:
            delivery_id = str(uuid.uuid4())
            payload = json.dumps({"id": delivery_id, **body_of}, separators=(",", ":"))
            session.add(
                WebhookDelivery(
                    uuid=delivery_id,
                    endpoint_id=endpoint_id,
                    event=name,
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
            )


# Built once: it runs at every commit that carries an event.
_ACTIVE = sa.select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active)


def _subscribers(session: Session) -> dict[str, list[int]]:
    """Event name -> the active endpoints that asked for it."""
    wanted: dict[str, list[int]] = {}
    for endpoint_id, events in session.execute(_ACTIVE):
        for name in events.split():
            wanted.setdefault(name, []).append(endpoint_id)
    return wanted


def _alive(obj: object) -> bool:
    state = sa.inspect(obj)
    return state.persistent and not state.deleted


def _events(session: Session, notes: list[_Note], wanted: set[str]) -> Iterable[tuple[str, dict]]:
    """(event, data) for each event of the transaction, in the order they happened."""
    created: dict[int, Case] = {}
    changes: dict[int, dict[str, tuple[Any, Any]]] = {}
    changed: dict[int, Case] = {}
    for note in notes:
        if not _alive(note.obj):
            continue
        if note.kind == "created":
            created.setdefault(id(note.obj), note.obj)
        elif note.kind == "changed":
            changed.setdefault(id(note.obj), note.obj)
            seen = changes.setdefault(id(note.obj), {})
            for key, (before, after) in note.changes.items():
                seen[key] = (seen[key][0] if key in seen else before, after)
    merge_targets = {
        case.merged_into_id for case in changed.values() if "merged_into_id" in changes[id(case)]
    }
    for case in created.values():
        if "case.created" in wanted:
            yield "case.created", {"case": _case(case)}
        if case.status == CaseStatus.CLOSED and "case.closed" in wanted:
            yield "case.closed", {"case": _case(case)}
    for key, case in changed.items():
        if key in created:
            continue
        moved = {k: v for k, v in changes[key].items() if v[0] != v[1]}
        reported = {
            WATCHED[k]: {"from": v[0], "to": v[1]} for k, v in moved.items() if k in WATCHED
        }
        if reported and "case.updated" in wanted:
            yield "case.updated", {"case": _case(case), "changes": reported}
        status = moved.get("status")
        if status and status[1] == CaseStatus.CLOSED.value and "case.closed" in wanted:
            yield "case.closed", {"case": _case(case)}
        merged = moved.get("merged_into_id")
        if merged and merged[0] is None and merged[1] is not None and "case.merged" in wanted:
            target = session.get(Case, merged[1])
            yield "case.merged", {"case": _case(case), "merged_into": _case(target)}
    for note in notes:
        if not _alive(note.obj):
            continue
        if note.kind == "reply" and "case.replied" in wanted:
            message = note.obj
            if message.case_id in merge_targets:
                continue  # the merged case's thread arriving, not a new reply
            case = session.get(Case, message.case_id)
            yield "case.replied", {"case": _case(case), "message": _message(message)}
        elif note.kind == "refund" and "refund.created" in wanted:
            yield "refund.created", {"refund": _refund(session, note.obj)}
        elif note.kind == "entry" and "fraud_stop.entry_added" in wanted:
            yield "fraud_stop.entry_added", {"entry": _entry(note.obj)}


def case_url(number: int) -> str:
    """The case page agents open, under HELPDESK_BASE_URL."""
    from helpdesk.services.mail.links import mail_link

    return mail_link("tracker.case_view", number=number)


def _case(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "subject": case.subject,
        "status": _plain(case.status),
        "organisation_id": case.organisation_id,
        "assignee_id": case.assignee_id,
        "tier": case.tier,
        "priority_score": case.priority_score,
        "case_type_id": case.case_type_id,
        "case_reason_id": case.case_reason_id,
        "created_at": rfc3339(case.created_at) if case.created_at else None,
        "url": case_url(case.number),
    }


def _message(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "from_customer": message.from_customer,
        "origin": message.origin.value,
        "created_at": rfc3339(message.created_at) if message.created_at else None,
    }


def _refund(session: Session, refund: Refund) -> dict[str, Any]:
    payment = session.get(Payment, refund.payment_id)
    return {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "order_id": payment.order_id if payment else None,
        "organisation_id": payment.organisation_id if payment else None,
        "amount_cents": refund.amount_cents,
        "currency": payment.currency if payment else None,
        "destination": refund.destination.value,
        "reason": without_card_numbers(refund.reason),
        "created_at": rfc3339(refund.created_at) if refund.created_at else None,
    }


def _entry(entry: BlockedIP | BlockedCard) -> dict[str, Any]:
    """An address or range as blocked; a card only as its brand and last four."""
    if isinstance(entry, BlockedIP):
        shown = {"kind": "ip", "value": entry.network}
    else:
        shown = {"kind": "card", "value": entry.last4, "brand": entry.brand}
    return {
        "id": entry.id,
        **shown,
        "reason": without_card_numbers(entry.reason),
        "created_at": rfc3339(entry.created_at) if entry.created_at else None,
    }
