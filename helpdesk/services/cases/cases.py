"""Customer actions on cases: open, reply, close, reopen, read (seeds 000, 002, 003)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    ActivityKind,
    Case,
    CaseLink,
    CaseStatus,
    Category,
    LinkKind,
    Message,
    MessageKind,
    Order,
    Origin,
    User,
    utcnow,
)
from helpdesk.rules.subjects import clean_subject
from helpdesk.rules.tiers import initial_tier
from helpdesk.services import ServiceError
from helpdesk.services.cases import attachments
from helpdesk.services.cases.attachments import AttachmentPolicy, Upload
from helpdesk.services.cases.casework import (
    add_message,
    clean_text,
    committed,
    log_activity,
    mark_closed,
    touch,
)
from helpdesk.services.cases.eligibility import record_at_opening
from helpdesk.services.core.counters import next_number
from helpdesk.services.fraud import fraud_flags
from helpdesk.services.helpcentre import kb
from helpdesk.services.mail import outbox
from helpdesk.services.tracker import priority, queue_health, routing, sla

SUBJECT_MAX = 200
BODY_MAX = 20_000
T = TypeVar("T")


def _triage(case: Case, at: datetime) -> None:
    """Decide where a new, flushed case starts: its tier, then who gets it.

    Priority scoring and the SLA clock plug in here too (issue 5).
    """
    # The level is kept on the case (issue 15): it decides the tier here and the
    # acknowledgement, and stays as it was found even when the orders change later.
    eligibility = record_at_opening(case, at)
    case.tier = initial_tier(case.category, eligibility.level)
    priority.score_new_case(case, at)
    routing.route_new_case(case, at)
    sla.apply_first_response_due(case, at)
    fraud_flags.flag_new_case(case, at)


def _new_web_case(
    customer: User,
    *,
    order_id: int | None,
    category: Category,
    subject: str,
    body: str,
    product_version: str | None,
    now: datetime,
    case_type_id: int | None = None,
) -> Case:
    """A customer's new case in the agents' New folder, numbered, triaged and flushed."""
    case = Case(
        number=next_number("case"),
        subject=subject,
        body=body,
        body_html=render_markup(body),
        organisation_id=customer.organisation_id,
        order_id=order_id,
        requester_id=customer.id,
        correspondent_email=customer.email,
        origin=Origin.WEB,
        category=category,
        case_type_id=case_type_id,
        status=CaseStatus.NEW,
        created_at=now,
        updated_at=now,
        awaiting_agent_since=now,
        product_version=product_version,
    )
    db.session.add(case)
    db.session.flush()
    _triage(case, now)
    return case


def _acknowledge(case: Case, customer: User) -> None:
    """Seed 003: every request is acknowledged, with the number to quote."""
    outbox.queue_mail(
        to_address=customer.email,
        to_name=customer.name,
        case=case,
        user=customer,
        subject=f"We received your case: {case.subject}",
        template="case_opened",
    )


def open_case(
    *,
    customer: User,
    order_id: int | None,
    category: Category,
    subject: str,
    body: str,
    uploads: list[Upload],
    policy: AttachmentPolicy,
    read_article_ids: Iterable[int] = (),
    topic_id: int | None = None,
) -> Case:
    """A customer opens a case against one of their organisation's orders; commit.

    The case enters the agents' New folder (support queue until routed), and the
    acknowledgement mail with its number is queued in the same transaction. A topic the
    customer picked (instead of a category) gives the case its type, so routing by type
    takes it on arrival.
    """
    topic = routing.usable_topic(topic_id) if topic_id is not None else None
    if topic_id is not None and topic is None:
        raise ServiceError("Choose what your case is about from the list.", field="category")
    subject = clean_text(
        clean_subject(subject), field="subject", label="a subject", limit=SUBJECT_MAX
    )
    body = clean_text(body, field="body", label="a description", limit=BODY_MAX)
    order = db.session.get(Order, order_id) if order_id else None
    if order is None or order.organisation_id != customer.organisation_id:
        raise ServiceError("Choose one of your orders.", field="order_id")
    attachments.check_uploads(uploads, policy)

    def write(files: list[Path]) -> Case:
        now = utcnow()
        case = _new_web_case(
            customer,
            order_id=order.id,
            category=topic.category if topic else Category(category),
            subject=subject,
            body=body,
            product_version=order.version,
            now=now,
            case_type_id=topic.case_type_id if topic else None,
        )
        files += attachments.store_uploads(
            uploads, policy, case=case, message=None, uploader=customer
        )
        log_activity(case, customer, ActivityKind.STATUS, "Opened by the customer on the web", now)
        if topic is not None:
            log_activity(
                case,
                customer,
                ActivityKind.ACTION,
                f"The customer chose \u201c{topic.label}\u201d: type {topic.case_type.name}",
                now,
            )
        kb.undo_deflections(read_article_ids)
        _acknowledge(case, customer)
        return case

    case = committed(write)
    # Seed 001: a flood of alike subjects or an overfull queue is the director's to know.
    queue_health.notify_director(case.created_at)
    return case


def customer_reply(
    *, customer: User, case: Case, body: str, uploads: list[Upload], policy: AttachmentPolicy
) -> Message:
    """The customer adds to the thread; an answered case goes back to the agent; commit."""
    if case.status == CaseStatus.CLOSED:
        raise ServiceError("This case is closed. Reopen it to write again.")
    body = clean_text(body, field="body", label="your reply", limit=BODY_MAX)
    attachments.check_uploads(uploads, policy)

    def write(files: list[Path]) -> Message:
        now = utcnow()
        message = add_message(
            case,
            customer,
            kind=MessageKind.REPLY,
            body=body,
            at=now,
            files=files,
            uploads=uploads,
            policy=policy,
        )
        case.last_customer_reply_at = now
        sla.customer_wrote(case, now)
        if case.status == CaseStatus.ANSWERED:
            # Seed 002: every customer reply lands in the Waiting folder of the agent.
            case.status = CaseStatus.WAITING
            case.awaiting_agent_since = now
            log_activity(
                case, customer, ActivityKind.STATUS, "Customer replied: waiting for agent", now
            )
        touch(case, now)
        mail_assignee_of_reply(case, message, customer)
        return message

    return committed(write)


def mail_assignee_of_reply(case: Case, message: Message, customer) -> None:
    """Tell the case's agent, if it has one, that the customer wrote (in the app, and by
    e-mail unless they chose otherwise); no commit."""
    from helpdesk.services.tracker import notifications  # the tracker builds on cases

    notifications.customer_replied(case, message=message, customer=customer)


def close_case(*, actor: User, case: Case, comment: str = "") -> Case:
    """Close a case, with an optional last word for the thread; commit."""
    if case.status == CaseStatus.CLOSED:
        raise ServiceError("This case is already closed.")
    comment = (comment or "").strip()
    if comment:
        comment = clean_text(comment, field="comment", label="a comment", limit=BODY_MAX)

    def write(files: list[Path]) -> Case:
        now = utcnow()
        if comment:
            add_message(case, actor, kind=MessageKind.REPLY, body=comment, at=now)
        mark_closed(case, actor, now)
        touch(case, now)
        return case

    return committed(write)


def reopen_case(*, customer: User, case: Case, reopen_days: int) -> Case:
    """Reopen a recently closed case, or past the window open a new one linked to it; commit."""
    if case.status != CaseStatus.CLOSED:
        raise ServiceError("This case is not closed.")
    now = utcnow()
    if case.closed_at is None or now - case.closed_at > timedelta(days=reopen_days):
        return _follow_up(customer, case, now)

    def write(files: list[Path]) -> Case:
        case.status = CaseStatus.WAITING
        case.closed_at = case.closed_by_id = None
        case.awaiting_agent_since = now
        log_activity(case, customer, ActivityKind.STATUS, "Reopened by the customer", now)
        touch(case, now)
        return case

    return committed(write)


def _follow_up(customer: User, case: Case, now: datetime) -> Case:
    body = (
        f"Follow-up to case #{case.number}, closed more than the reopening period ago. "
        "Please add what is still wrong."
    )

    def write(files: list[Path]) -> Case:
        follow = _new_web_case(
            customer,
            order_id=case.order_id,
            category=case.category,
            subject=f"Follow-up: {case.subject}"[:SUBJECT_MAX],
            body=body,
            product_version=case.product_version,
            now=now,
        )
        db.session.add(
            CaseLink(
                case_id=follow.id,
                linked_case_id=case.id,
                kind=LinkKind.RELATED,
                created_by_id=customer.id,
            )
        )
        log_activity(
            follow, customer, ActivityKind.LINK, f"Opened as a follow-up to #{case.number}", now
        )
        _acknowledge(follow, customer)
        return follow

    return committed(write)


def mark_viewed(case: Case) -> None:
    """The customer has seen the latest answer (Expired 2 counts unseen answers); commit."""
    if case.last_agent_reply_at is None:
        return
    if case.customer_viewed_at is None or case.customer_viewed_at < case.last_agent_reply_at:
        case.customer_viewed_at = utcnow()
        db.session.commit()
