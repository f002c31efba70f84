"""Cases as the API shows them, built from the models in a few statements per page."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from helpdesk.api.schemas import cases as schemas
from helpdesk.api.schemas.common import NamedRef, PersonRef
from helpdesk.extensions import db
from helpdesk.models import Attachment, Case, CaseReason, CaseType, Message, User
from helpdesk.services.cases import tags


def _person(user: User | None) -> PersonRef | None:
    return PersonRef(id=user.id, name=user.name) if user is not None else None


def _named(row) -> NamedRef | None:
    return NamedRef(id=row.id, name=row.name) if row is not None else None


def _merged_numbers(cases: Sequence[Case]) -> dict[int, int]:
    ids = {case.merged_into_id for case in cases if case.merged_into_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Case.id, Case.number).where(Case.id.in_(ids))).all())


def _lookup(model, ids: set[int]) -> dict[int, object]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


def summaries(cases: Sequence[Case]) -> list[schemas.CaseSummary]:
    """The list form of each case, in the order given."""
    tag_names = tags.names_by_case([case.id for case in cases])
    merged = _merged_numbers(cases)
    types = _lookup(CaseType, {c.case_type_id for c in cases if c.case_type_id})
    reasons = _lookup(CaseReason, {c.case_reason_id for c in cases if c.case_reason_id})
    return [
        schemas.CaseSummary(**_summary_fields(case, tag_names, merged, types, reasons))
        for case in cases
    ]


def _summary_fields(case: Case, tag_names, merged, types, reasons) -> dict:
    return {
        "number": case.number,
        "subject": case.subject,
        "status": case.status,
        "organisation": _named(case.organisation),
        "assignee": _person(case.assignee),
        "tier": case.tier,
        "priority_score": case.priority_score,
        "case_type": _named(types.get(case.case_type_id)),
        "reason": _named(reasons.get(case.case_reason_id)),
        "origin": case.origin,
        "category": case.category,
        "tags": tag_names.get(case.id, []),
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "merged_into": merged.get(case.merged_into_id),
        "url": url_for("tracker.case_view", number=case.number, _external=True),
    }


def attachment(case: Case, file: Attachment) -> schemas.Attachment:
    return schemas.Attachment(
        id=file.id,
        name=file.original_name,
        content_type=file.content_type,
        size_bytes=file.size_bytes,
        url=url_for(
            "api.case_attachment", number=case.number, attachment_id=file.id, _external=True
        ),
    )


def message_files(item: Message) -> list[Attachment]:
    """The files sent with one message."""
    return list(
        db.session.scalars(
            sa.select(Attachment).where(Attachment.message_id == item.id).order_by(Attachment.id)
        )
    )


def message(case: Case, item: Message, files: Sequence[Attachment]) -> schemas.ThreadMessage:
    return schemas.ThreadMessage(
        id=item.id,
        kind=item.kind,
        author=_person(item.author),
        author_email=item.author_email,
        from_customer=item.from_customer,
        origin=item.origin,
        body=item.body,
        body_html=item.body_html,
        unverified_sender=item.unverified_sender,
        created_at=item.created_at,
        attachments=[attachment(case, file) for file in files],
    )


def detail(case: Case) -> schemas.CaseDetail:
    """One case with its whole thread (notes included: tokens belong to staff)."""
    messages = db.session.scalars(
        sa.select(Message)
        .options(selectinload(Message.author))
        .where(Message.case_id == case.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    files: dict[int | None, list[Attachment]] = {}
    for file in db.session.scalars(
        sa.select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    ):
        files.setdefault(file.message_id, []).append(file)
    summary = summaries([case])[0]
    return schemas.CaseDetail(
        **summary.model_dump(),
        body=case.body,
        priority_factors=list(case.priority_factors or []),
        order_id=case.order_id,
        requester=_person(case.requester),
        correspondent_email=case.correspondent_email,
        callback_phone=case.callback_phone,
        product_version=case.product_version,
        operating_system=case.operating_system,
        first_response_due_at=case.sla_due_at,
        next_reply_due_at=case.next_reply_due_at,
        resolution_due_at=case.resolution_due_at,
        messages=[message(case, item, files.get(item.id, [])) for item in messages],
        attachments=[attachment(case, file) for file in files.get(None, [])],
    )
