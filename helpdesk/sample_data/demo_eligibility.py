"""Demo data for the eligibility kept on a case (issue 15): a case opened while an evaluation
was still within its period (active then, "send to Sales" today), a customer without a plan
who opens a case on the web and gets the acknowledgement for that level, and the long-running
evaluator's licence order on an invoice not paid yet (so still "send to Sales": only paid
orders give support). `keep_at_opening` is how every demo case gets its level and tier."""

from __future__ import annotations

from collections import ChainMap
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    CaseStatus,
    Category,
    Invoice,
    InvoiceStatus,
    Message,
    MessageKind,
    Order,
    OrderStatus,
    Origin,
    Product,
    User,
)
from helpdesk.rules.tiers import initial_tier
from helpdesk.services.cases import cases
from helpdesk.services.cases.attachments import AttachmentPolicy
from helpdesk.services.cases.eligibility import record_at_opening
from helpdesk.services.core import settings
from helpdesk.services.core.counters import next_number
from helpdesk.services.tracker import sla

EVALUATOR = "dan@lakeside.example"  # evaluating for 130 days: send to Sales today
NO_PLAN = "ben@harbortheatre.example"  # purchased 200 days ago: no active plan
TIER_TWO = "agent2@example.com"
UNPAID_ORDER_DAYS = 3  # the evaluator ordered a licence on invoice three days ago


def keep_at_opening(case: Case, at: datetime) -> None:
    """What opening keeps on a case, as the portal's triage does: the eligibility found at
    `at`, and the tier that level starts it at (an active plan or a bug report: tier 2).
    A tier the demo set higher (an escalation) stays. No flush."""
    level = record_at_opening(case, at).level
    case.tier = max(case.tier or 1, initial_tier(case.category, level))


def load(now: datetime) -> None:
    """Add the two demo cases and the unpaid order; the web case commits through the
    portal's own service."""
    _opened_while_evaluating(now)
    _unpaid_licence_order(now)
    _opened_without_a_plan()


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _message(case: Case, author: User, body: str, at, *, from_customer: bool) -> None:
    db.session.add(
        Message(
            case_id=case.id,
            author_id=author.id,
            kind=MessageKind.REPLY,
            from_customer=from_customer,
            origin=Origin.WEB,
            body=body,
            body_html=render_markup(body),
            created_at=at,
        )
    )


def _opened_while_evaluating(now: datetime) -> None:
    """45 days ago the evaluation was 85 days old: active, so tier II took it."""
    customer, agent = _user(EVALUATOR), _user(TIER_TWO)
    # Exactly 45 days back, so the opening day is 45 days ago at any hour (with an hour
    # subtracted, a load just after midnight would open it 46 days ago).
    opened = now - timedelta(days=45)
    answered, replied = opened + timedelta(hours=5), now - timedelta(days=2)
    order = db.session.scalars(
        sa.select(Order).where(Order.organisation_id == customer.organisation_id).order_by(Order.id)
    ).first()
    body = (
        "Hello,\n\nthe product image import stops after about 200 images, with no error. "
        f"Can you help?\n\nThanks, {customer.name}"
    )
    case = Case(
        number=next_number("case"),
        subject="Product image import stops halfway",
        body=body,
        body_html=render_markup(body),
        organisation_id=customer.organisation_id,
        order_id=order.id if order else None,
        requester_id=customer.id,
        correspondent_email=customer.email,
        origin=Origin.WEB,
        category=Category.SUPPORT,
        status=CaseStatus.WAITING,
        assignee_id=agent.id,
        assigned_at=opened,
        opened_at=opened + timedelta(minutes=20),
        created_at=opened,
        first_response_at=answered,
        last_agent_reply_at=answered,
        last_customer_reply_at=replied,
        awaiting_agent_since=replied,
        updated_at=replied,
        product_version=order.version if order else None,
    )
    # What the portal would have kept that day, from the orders as they were then.
    keep_at_opening(case, opened)
    sla.apply_first_response_due(case, opened)
    db.session.add(case)
    db.session.flush()
    _message(
        case,
        agent,
        "Thanks for the report. Please send the import log from System > Logs.",
        answered,
        from_customer=False,
    )
    _message(
        case, customer, "Sorry for the delay: the log is attached.", replied, from_customer=True
    )
    db.session.add(
        Activity(
            case_id=case.id,
            kind=ActivityKind.ASSIGNMENT,
            summary=f"Assigned to {agent.name}",
            created_at=opened,
        )
    )
    db.session.flush()


def _unpaid_licence_order(now: datetime) -> None:
    """The evaluator ordered a licence on invoice and has not paid: the open invoice gives
    no support, so the account stays "send to Sales" until billing records the payment."""
    customer = _user(EVALUATOR)
    product = db.session.scalar(sa.select(Product).where(Product.code == "AC-LIC"))
    if customer is None or product is None:
        return
    ordered = now - timedelta(days=UNPAID_ORDER_DAYS)
    order = Order(
        number=f"O{next_number('order')}",
        organisation_id=customer.organisation_id,
        purchaser_id=customer.id,
        product_id=product.id,
        product=product.name,
        version=product.version,
        kind=product.kind,
        status=OrderStatus.PENDING,
        ordered_at=ordered,
        licensed_website=f"shop.{customer.email.split('@')[1]}",
        amount_cents=product.unit_cents,
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(
        Invoice(
            number=f"I{next_number('invoice')}",
            organisation_id=order.organisation_id,
            order_id=order.id,
            status=InvoiceStatus.OPEN,
            issued_on=ordered.date(),
            due_on=ordered.date() + timedelta(days=14),
            total_cents=order.amount_cents,
        )
    )


def _opened_without_a_plan() -> None:
    """Through the portal's service, as the customer would: the acknowledgement in the
    outbox offers the support resources and promises no answer time."""
    customer = _user(NO_PLAN)
    order = db.session.scalars(
        sa.select(Order).where(Order.organisation_id == customer.organisation_id)
    ).first()
    policy = AttachmentPolicy.from_config(ChainMap(settings.values(), current_app.config))
    cases.open_case(
        customer=customer,
        order_id=order.id,
        category=Category.SUPPORT,
        subject="Season tickets: how do I set up a subscription series?",
        body="Hello,\n\nwe want to sell season tickets for next year. Where do we start?\n\nBen",
        uploads=[],
        policy=policy,
    )
