"""The case catalogue (seed 001): case types, case reasons and the case action pick list.

The administrator adds, renames, reorders and switches entries off; an entry that cases,
activities or routing rules use is never deleted (switched off, it leaves the pick lists but
old cases keep their label). Every change writes an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, Case, CaseAction, CaseReason, CaseType, RoutingRule, User
from helpdesk.services import ServiceError
from helpdesk.services.core import audit

NAME_MAX = 80
Entry = CaseType | CaseReason | CaseAction


@dataclass(frozen=True)
class Kind:
    """One list of the catalogue and the columns that refer to its entries."""

    key: str
    title: str
    singular: str
    model: type[Entry]
    used_by: tuple[Any, ...]


KINDS = {
    kind.key: kind
    for kind in (
        Kind(
            "types",
            "Case types",
            "case type",
            CaseType,
            (Case.case_type_id, CaseReason.case_type_id, RoutingRule.case_type_id),
        ),
        Kind(
            "reasons",
            "Case reasons",
            "case reason",
            CaseReason,
            (Case.case_reason_id, RoutingRule.case_reason_id),
        ),
        Kind("actions", "Case action pick list", "action", CaseAction, (Activity.action_id,)),
    )
}


@dataclass(frozen=True)
class Row:
    """An entry as the admin's list shows it: with how often it is referred to."""

    entry: Entry
    uses: int
    case_type: CaseType | None  # reasons: the type they belong to (None: any type)
    first: bool
    last: bool


def kind_of(key: str) -> Kind:
    """The catalogue list named `key` (KeyError for an unknown one)."""
    return KINDS[key]


def ordered(kind: Kind) -> list[Entry]:
    """The entries in pick-list order."""
    model = kind.model
    return list(db.session.scalars(sa.select(model).order_by(model.position, model.id)))


def _uses(kind: Kind, entry_id: int | None = None) -> dict[int, int]:
    # One grouped count per referring column, not one query per entry.
    totals: dict[int, int] = {}
    for column in kind.used_by:
        condition = column.is_not(None) if entry_id is None else column == entry_id
        counted = db.session.execute(
            sa.select(column, sa.func.count()).where(condition).group_by(column)
        )
        for entry_id, count in counted:
            totals[entry_id] = totals.get(entry_id, 0) + count
    return totals


def rows(kind: Kind) -> list[Row]:
    """The entries in order with their use counts (and, for reasons, their case type)."""
    entries = ordered(kind)
    uses = _uses(kind)
    types = (
        {t.id: t for t in db.session.scalars(sa.select(CaseType))} if kind.key == "reasons" else {}
    )
    return [
        Row(
            entry=entry,
            uses=uses.get(entry.id, 0),
            case_type=types.get(getattr(entry, "case_type_id", None)),
            first=index == 0,
            last=index == len(entries) - 1,
        )
        for index, entry in enumerate(entries)
    ]


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Enter a name.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Use at most {NAME_MAX} characters.", field="name")
    return name


def _check_unique(kind: Kind, name: str, case_type_id: int | None, exclude: int | None) -> None:
    model = kind.model
    query = sa.select(model.id).where(sa.func.lower(model.name) == name.lower())
    if kind.key == "reasons":
        column = CaseReason.case_type_id
        query = query.where(column.is_(None) if case_type_id is None else column == case_type_id)
    if exclude is not None:
        query = query.where(model.id != exclude)
    if db.session.scalar(query.limit(1)) is not None:
        raise ServiceError(f"There is already a {kind.singular} named \u201c{name}\u201d.", "name")


def _commit_or_duplicate(kind: Kind, name: str) -> None:
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # another admin saved the same name a moment ago
        raise ServiceError(
            f"There is already a {kind.singular} named \u201c{name}\u201d.", "name"
        ) from None


def add(
    actor: User,
    kind: Kind,
    name: str,
    *,
    case_type_id: int | None = None,
    ip_address: str | None = None,
) -> Entry:
    """Add an entry at the end of its list; audited; commit."""
    name = _clean_name(name)
    fields: dict[str, Any] = {}
    if kind.key == "reasons":
        case_type = db.session.get(CaseType, case_type_id) if case_type_id is not None else None
        if case_type_id is not None and case_type is None:
            raise ServiceError("Choose a case type from the list.", field="case_type_id")
        fields["case_type_id"] = case_type_id
    _check_unique(kind, name, case_type_id, exclude=None)
    last = db.session.scalar(sa.select(sa.func.max(kind.model.position)))
    entry = kind.model(name=name, active=True, position=(last or 0) + 1, **fields)
    db.session.add(entry)
    db.session.flush()
    audit.record("catalogue.add", actor=actor, obj=entry, ip_address=ip_address, name=name)
    _commit_or_duplicate(kind, name)
    return entry


def rename(
    actor: User, kind: Kind, entry: Entry, name: str, *, ip_address: str | None = None
) -> None:
    """Give an entry a new name; cases that use it show the new name; audited; commit."""
    name = _clean_name(name)
    if name == entry.name:
        return
    _check_unique(kind, name, getattr(entry, "case_type_id", None), exclude=entry.id)
    audit.record(
        "catalogue.rename",
        actor=actor,
        obj=entry,
        ip_address=ip_address,
        before=entry.name,
        after=name,
    )
    entry.name = name
    _commit_or_duplicate(kind, name)


def set_active(
    actor: User, kind: Kind, entry: Entry, active: bool, *, ip_address: str | None = None
) -> None:
    """Put an entry back on its pick list, or take it off; audited; commit."""
    if entry.active == active:
        return
    entry.active = active
    action = "catalogue.activate" if active else "catalogue.deactivate"
    audit.record(action, actor=actor, obj=entry, ip_address=ip_address, name=entry.name)
    db.session.commit()


def move(
    actor: User,
    kind: Kind,
    entry: Entry,
    direction: Literal["up", "down"],
    *,
    ip_address: str | None = None,
) -> None:
    """Swap an entry with its neighbour in the pick-list order; audited; commit."""
    if direction not in ("up", "down"):
        raise ServiceError("Move an entry up or down.")
    entries = ordered(kind)
    index = entries.index(entry)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(entries):
        raise ServiceError(
            f"\u201c{entry.name}\u201d is already {'first' if other < 0 else 'last'}."
        )
    entries[index], entries[other] = entries[other], entries[index]
    # Renumber the whole (short) list: equal or gapped positions from older data sort stably.
    for position, item in enumerate(entries):
        item.position = position
    audit.record(
        "catalogue.move",
        actor=actor,
        obj=entry,
        ip_address=ip_address,
        name=entry.name,
        direction=direction,
    )
    db.session.commit()


def delete(actor: User, kind: Kind, entry: Entry, *, ip_address: str | None = None) -> None:
    """Delete an entry nothing refers to; one in use is refused (switch it off instead)."""
    uses = _uses(kind, entry.id).get(entry.id, 0)
    if uses:
        raise ServiceError(
            f"\u201c{entry.name}\u201d is in use ({uses} reference{'s' if uses != 1 else ''}): "
            "deactivate it instead, so existing cases keep it."
        )
    audit.record("catalogue.delete", actor=actor, obj=entry, ip_address=ip_address, name=entry.name)
    db.session.delete(entry)
    db.session.commit()
