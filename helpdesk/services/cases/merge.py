"""Merging and splitting cases (issue 19 item 3).

Merge: the thread, files, timeline, time and tags of one case move to another case of the same
organisation; the merged case closes, linked to the one that lives on, and everything that
names it later (a reply by e-mail, the customer's link) reaches the surviving case. Split: one
message of a thread becomes a new case of its own, linked to the first. Both are on the
timelines of both cases.
"""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    Attachment,
    Case,
    CaseLink,
    CaseStatus,
    CaseTag,
    LinkKind,
    Message,
    MessageKind,
    Notification,
    TimeEntry,
    User,
    utcnow,
)
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import log_activity, touch

MAX_HOPS = 10  # a chain of merges longer than this is a loop written by hand


def surviving(case: Case) -> Case:
    """The case that lives on: `case` itself, or the one it was (last) merged into."""
    for _ in range(MAX_HOPS):
        if case.merged_into_id is None:
            return case
        case = db.session.get(Case, case.merged_into_id)
    return case


def _check_merge(source: Case, target: Case) -> None:
    if source.id == target.id:
        raise ServiceError("Choose another case to merge into.", field="target")
    if source.organisation_id != target.organisation_id:
        raise ServiceError(
            f"#{target.number} belongs to another organisation: only cases of the same "
            "organisation can be merged.",
            field="target",
        )
    if source.merged_into_id is not None:
        raise ServiceError(f"#{source.number} is merged already.", field="target")
    if target.merged_into_id is not None:
        raise ServiceError(
            f"#{target.number} was merged into another case: merge into that one.", field="target"
        )
    if target.status == CaseStatus.CLOSED:
        raise ServiceError(
            f"#{target.number} is closed: merge into an open case, or the other way round.",
            field="target",
        )


def _opening_as_message(source: Case, target: Case) -> Message:
    """The merged case's first post, as a message of the surviving thread."""
    message = Message(
        case_id=target.id,
        author_id=source.requester_id,
        author_email=source.correspondent_email,
        kind=MessageKind.REPLY,
        from_customer=True,
        origin=source.origin,
        body=source.body,
        body_html=source.body_html,
        created_at=source.created_at,
    )
    db.session.add(message)
    db.session.flush()
    db.session.execute(
        sa.update(Attachment)
        .where(Attachment.case_id == source.id, Attachment.message_id.is_(None))
        .values(message_id=message.id)
    )
    return message


def _move_tags(source: Case, target: Case) -> None:
    held = set(db.session.scalars(sa.select(CaseTag.tag_id).where(CaseTag.case_id == target.id)))
    for tag_id in db.session.scalars(sa.select(CaseTag.tag_id).where(CaseTag.case_id == source.id)):
        if tag_id not in held:
            db.session.add(CaseTag(case_id=target.id, tag_id=tag_id))
    db.session.execute(sa.delete(CaseTag).where(CaseTag.case_id == source.id))


def merge(actor: User, source: Case, target: Case) -> Case:
    """Merge `source` into `target` (the surviving case); commit. Returns `target`."""
    _check_merge(source, target)
    now = utcnow()
    moved = len(list(db.session.scalars(sa.select(Message.id).where(Message.case_id == source.id))))
    _opening_as_message(source, target)
    # Through the ORM, so the search index hears of both threads.
    for message in db.session.scalars(sa.select(Message).where(Message.case_id == source.id)):
        message.case_id = target.id
    for model in (Attachment, Activity, TimeEntry, Notification):
        db.session.execute(
            sa.update(model).where(model.case_id == source.id).values(case_id=target.id)
        )
    _move_tags(source, target)
    replies = [t for t in (source.last_customer_reply_at, target.last_customer_reply_at) if t]
    target.last_customer_reply_at = max(replies) if replies else None
    source.merged_into_id = target.id
    if source.status != CaseStatus.CLOSED:
        source.status = CaseStatus.CLOSED
        source.closed_at, source.closed_by_id = now, actor.id
        source.awaiting_agent_since = None
    db.session.add(
        CaseLink(
            case_id=source.id,
            linked_case_id=target.id,
            kind=LinkKind.DUPLICATE,
            created_by_id=actor.id,
        )
    )
    log_activity(source, actor, ActivityKind.MERGE, f"Merged into #{target.number}", now)
    log_activity(
        target,
        actor,
        ActivityKind.MERGE,
        f"#{source.number} merged into this case ({moved + 1} messages moved)",
        now,
    )
    touch(source, now)
    touch(target, now)
    db.session.commit()
    return target


def split(actor: User, case: Case, message: Message, subject: str = "") -> Case:
    """Make `message` the first post of a new case, linked to `case`; commit. The new case
    is the splitting agent's, in their New folder."""
    from helpdesk.services.cases.clone import copy_case  # clone builds on casework too

    if message.case_id != case.id:
        raise ServiceError("That message is not on this case.")
    if case.merged_into_id is not None:
        raise ServiceError(f"#{case.number} was merged: split from the case it lives on in.")
    subject = " ".join((subject or "").split())[:200] or f"{case.subject} (split)"[:200]
    now = utcnow()
    customer_wrote = message.from_customer and message.author_id is not None
    new = copy_case(
        case,
        actor,
        now,
        subject=subject,
        body=message.body,
        body_html=message.body_html,
        origin=message.origin,
        requester_id=message.author_id if customer_wrote else case.requester_id,
        assignee_id=actor.id,
        assigned_at=now,
        cloned_from_id=None,
    )
    db.session.execute(
        sa.update(Attachment)
        .where(Attachment.message_id == message.id)
        .values(case_id=new.id, message_id=None)
    )
    db.session.delete(message)  # its text is the new case's first post now
    db.session.add(
        CaseLink(
            case_id=case.id, linked_case_id=new.id, kind=LinkKind.RELATED, created_by_id=actor.id
        )
    )
    log_activity(case, actor, ActivityKind.SPLIT, f"A message split out as #{new.number}", now)
    log_activity(new, actor, ActivityKind.SPLIT, f"Split from #{case.number}", now)
    touch(case, now)
    db.session.commit()
    return new
