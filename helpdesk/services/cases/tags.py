"""Tags on cases (issue 19 item 2): agents add and remove them one case at a time or in bulk;
administrators choose the ones suggested first. Customers never see them.

A tag row is made the first time a name is used; each change is on the case's timeline and
moves the case's version, so open lists and pages show it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ActivityKind, Case, CaseTag, Tag, User, utcnow
from helpdesk.rules import tags as rules
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import log_activity, touch

SUGGESTIONS = 30


def parsed(text: str | None, *, field: str = "tags") -> list[str]:
    """The tags typed, or ServiceError with the reason."""
    try:
        names = rules.parsed(text)
    except ValueError as error:
        raise ServiceError(str(error), field=field) from None
    if not names:
        raise ServiceError("Type a tag, e.g. vip or printer-jam.", field=field)
    return names


def names_by_case(case_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each case's tags, alphabetically: one statement for a whole page of cases."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(CaseTag.case_id, Tag.name)
        .join(Tag, Tag.id == CaseTag.tag_id)
        .where(CaseTag.case_id.in_(ids))
        .order_by(Tag.name)
    )
    found: dict[int, list[str]] = {}
    for case_id, name in rows:
        found.setdefault(case_id, []).append(name)
    return found


def names_of(case: Case) -> list[str]:
    return names_by_case([case.id]).get(case.id, [])


def tag_id(name: str) -> int | None:
    """The id of the tag called `name` (as typed), or None when no case ever had it."""
    tag = rules.normalised(name)
    return db.session.scalar(sa.select(Tag.id).where(Tag.name == tag)) if tag else None


def _tags_named(names: list[str]) -> dict[str, Tag]:
    """The tag rows of `names`, made when new (a savepoint each: two agents may make the same
    new tag at once, and the unique name lets only one row in)."""
    found = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name in found:
            continue
        try:
            with db.session.begin_nested():
                tag = Tag(name=name)
                db.session.add(tag)
        except sa.exc.IntegrityError:
            tag = db.session.scalar(sa.select(Tag).where(Tag.name == name))
        found[name] = tag
    return found


def _change(actor: User, cases: list[Case], names: list[str], *, add: bool) -> int:
    """Add or remove `names` on each case; the number of cases that changed (no commit)."""
    tags = (
        _tags_named(names)
        if add
        else {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    )
    if not tags:
        return 0
    ids = [t.id for t in tags.values()]
    held = {
        (case_id, tag_id)
        for case_id, tag_id in db.session.execute(
            sa.select(CaseTag.case_id, CaseTag.tag_id).where(
                CaseTag.case_id.in_([c.id for c in cases]), CaseTag.tag_id.in_(ids)
            )
        )
    }
    now, changed = utcnow(), 0
    for case in cases:
        moved = [n for n, t in tags.items() if ((case.id, t.id) in held) != add]
        if not moved:
            continue
        if add:
            _check_room(case, len(moved))
            db.session.add_all(CaseTag(case_id=case.id, tag_id=tags[n].id) for n in moved)
        else:
            db.session.execute(
                sa.delete(CaseTag).where(
                    CaseTag.case_id == case.id, CaseTag.tag_id.in_([tags[n].id for n in moved])
                )
            )
        verb = "added" if add else "removed"
        log_activity(case, actor, ActivityKind.TAGS, f"Tags {verb}: {', '.join(moved)}", now)
        touch(case, now)
        changed += 1
    return changed


def _check_room(case: Case, adding: int) -> None:
    held = db.session.scalar(
        sa.select(sa.func.count()).select_from(CaseTag).where(CaseTag.case_id == case.id)
    )
    if held + adding > rules.TAGS_PER_CASE:
        raise ServiceError(
            f"#{case.number} would have more than {rules.TAGS_PER_CASE} tags.", field="tags"
        )


def add(actor: User, cases: list[Case], text: str) -> int:
    """Tag the cases with every tag in `text`; commit. The number of cases changed."""
    changed = _change(actor, cases, parsed(text), add=True)
    db.session.commit()
    return changed


def remove(actor: User, cases: list[Case], text: str) -> int:
    """Take the tags in `text` off the cases; commit. The number of cases changed."""
    changed = _change(actor, cases, parsed(text), add=False)
    db.session.commit()
    return changed


def replace(actor: User, case: Case, names: Iterable[str]) -> bool:
    """Give `case` exactly these tags (the API sends the whole list); commit.

    False when it had them already."""
    try:
        wanted = rules.parsed(",".join(names))
    except ValueError as error:
        raise ServiceError(str(error), field="tags") from None
    current = names_of(case)
    removing = [name for name in current if name not in wanted]
    adding = [name for name in wanted if name not in current]
    changed = 0
    if removing:
        changed += _change(actor, [case], removing, add=False)
    if adding:
        changed += _change(actor, [case], adding, add=True)
    db.session.commit()
    return bool(changed)


def suggestions() -> list[str]:
    """The names offered while typing a tag: the suggested ones, then the newest others
    (read from the tags alone: the cost does not grow with the number of tagged cases)."""
    suggested = list(
        db.session.scalars(sa.select(Tag.name).where(Tag.suggested).order_by(Tag.name))
    )
    newest = db.session.scalars(
        sa.select(Tag.name)
        .where(Tag.suggested.is_(False))
        .order_by(Tag.id.desc())
        .limit(SUGGESTIONS)
    )
    return suggested + list(newest)


# --- the administrator's suggested tags ------------------------------------------------------


def suggested_tags() -> list[tuple[Tag, int]]:
    """Suggested tags first, then the others, with how many cases have each."""
    uses = (
        sa.select(sa.func.count())
        .select_from(CaseTag)
        .where(CaseTag.tag_id == Tag.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Tag, uses).order_by(Tag.suggested.desc(), Tag.name).limit(500)
    )
    return [(tag, count) for tag, count in rows]


def set_suggested(text: str, suggested: bool) -> list[str]:
    """Mark the tags in `text` as suggested (made when new) or not; commit."""
    names = parsed(text, field="name")
    for tag in _tags_named(names).values():
        tag.suggested = suggested
    db.session.commit()
    return names
