"""Four weeks of finished work for the demo, so every report and chart has something to show:
closed cases of each type, reason and origin (a few sharing a subject: a pattern), first
answers inside and outside the 4-hour goal, help articles linked and deflecting, and recent
FRAUD-STOP refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Article,
    BlockedAttempt,
    BlockedAttemptKind,
    BlockedCard,
    BlockedIP,
    Case,
    CaseReason,
    CaseStatus,
    CaseType,
    Category,
    Message,
    MessageKind,
    Order,
    Origin,
    User,
)
from helpdesk.sample_data.demo_eligibility import keep_at_opening
from helpdesk.services.core.counters import next_number
from helpdesk.services.tracker import sla

REASONS = {
    "Licensing": ["Key rejected", "Domain change"],
    "Installation": ["Server requirements", "Upgrade failed"],
    "Billing": ["Duplicate charge"],
    "Hosting": ["Site down"],
    "Bug": ["Confirmed bug", "Not reproducible"],
}
# (subject, case type, reason): repeated subjects are the patterns seed 001 asks to track.
FINISHED = [
    ("Licence key rejected after domain change", "Licensing", "Domain change"),
    ("Installer stops at step three", "Installation", "Server requirements"),
    ("Licence key rejected after domain change", "Licensing", "Domain change"),
    ("Charged twice for the renewal", "Billing", "Duplicate charge"),
    ("Store front returns 503", "Hosting", "Site down"),
    ("Shipping rates missing for Canada", "Bug", "Confirmed bug"),
    ("Licence key rejected after domain change", "Licensing", "Key rejected"),
    ("Upgrade to 9.2 fails on the database step", "Installation", "Upgrade failed"),
    ("Coupon code not applied at checkout", "Bug", "Not reproducible"),
    ("Installer stops at step three", "Installation", "Server requirements"),
    ("Store front returns 503", "Hosting", "Site down"),
    ("Tax totals are wrong for Canada", "Bug", "Confirmed bug"),
]
ORIGINS = [Origin.WEB, Origin.EMAIL, Origin.PHONE]
FIRST_ANSWER_HOURS = [1, 2, 3, 6, 1, 26, 2, 4, 1, 9, 3, 2]  # some beyond the 4-hour goal
ARTICLE_COUNTS = {  # slug: (linked in replies, deflected a case)
    "request-licence-key": (9, 14),
    "open-support-case": (4, 6),
    "install-checklist": (6, 3),
}


def load(agents: list[User], customers: list[User], now: datetime) -> None:
    """Add the history (the reference data and articles must exist); no commit."""
    reasons = _reasons()
    for index, (subject, type_name, reason_name) in enumerate(FINISHED * 2):
        customer = customers[index % len(customers)]
        # Mid-morning in Denver (UTC-7), when the business-hours clock runs.
        day = now - timedelta(days=27 - index)
        created = day.replace(hour=15 + index % 4, minute=10, second=0, microsecond=0)
        answered = created + timedelta(hours=FIRST_ANSWER_HOURS[index % len(FINISHED)])
        _finished_case(
            subject,
            reasons[(type_name, reason_name)],
            customer,
            agents,
            created,
            answered,
            index,
            now,
        )
    for slug, (linked, deflected) in ARTICLE_COUNTS.items():
        article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
        if article is not None:
            article.link_count, article.deflection_count = linked, deflected
    _refusals(now)


def _reasons() -> dict[tuple[str, str], CaseReason]:
    types = {t.name: t for t in db.session.scalars(sa.select(CaseType))}
    found = {}
    for type_name, names in REASONS.items():
        for position, name in enumerate(names):
            reason = CaseReason(case_type_id=types[type_name].id, name=name, position=position)
            db.session.add(reason)
            found[(type_name, name)] = reason
    db.session.flush()
    return found


def _finished_case(subject, reason, customer, agents, created, answered, index, now) -> None:
    """One closed case, answered and closed by an agent of its tier (in turn among them)."""
    order = db.session.scalars(
        sa.select(Order).where(Order.organisation_id == customer.organisation_id)
    ).first()
    closed = answered + timedelta(days=1 + index % 3)
    body = f"Hello,\n\n{subject}. Can you help?\n\nThanks, {customer.name}"
    case = Case(
        number=next_number("case"),
        subject=subject,
        body=body,
        body_html=render_markup(body),
        organisation_id=customer.organisation_id,
        order_id=order.id if order else None,
        requester_id=customer.id,
        correspondent_email=customer.email,
        origin=ORIGINS[index % len(ORIGINS)],
        category=Category.SUPPORT,
        status=CaseStatus.CLOSED,
        case_type_id=reason.case_type_id,
        case_reason_id=reason.id,
        product_version=order.version if order else None,
        created_at=created,
        assigned_at=created,
        opened_at=created + timedelta(minutes=20),
        first_response_at=answered,
        last_agent_reply_at=answered,
        customer_viewed_at=answered + timedelta(hours=1),
        closed_at=closed,
        updated_at=closed,
    )
    # Kept as of the demo's `now`, like the other demo cases (the orders count back from it).
    keep_at_opening(case, now)
    able = [agent for agent in agents if (agent.tier or 0) >= case.tier]
    agent = able[index % len(able)]
    case.assignee, case.closed_by_id = agent, agent.id
    sla.apply_first_response_due(case, created)
    db.session.add(case)
    db.session.flush()
    reply = "Thanks for the details. The steps in our help article fix this; please try them."
    db.session.add(
        Message(
            case_id=case.id,
            author_id=agent.id,
            kind=MessageKind.REPLY,
            from_customer=False,
            origin=Origin.WEB,
            body=reply,
            body_html=render_markup(reply),
            created_at=answered,
        )
    )


def _refusals(now) -> None:
    blocked_ip = db.session.scalars(sa.select(BlockedIP).order_by(BlockedIP.id)).first()
    blocked_card = db.session.scalars(sa.select(BlockedCard).order_by(BlockedCard.id)).first()
    for days, kind, ip, email, card in [
        (
            12,
            BlockedAttemptKind.REGISTRATION,
            "203.0.113.14",
            "fresh.start@mailinator.example",
            None,
        ),
        (6, BlockedAttemptKind.ORDER, "198.51.100.23", "anna@northwind.example", blocked_card),
        (2, BlockedAttemptKind.ACCOUNT, "203.0.113.77", "new.clerk@harbortheatre.example", None),
    ]:
        db.session.add(
            BlockedAttempt(
                kind=kind,
                ip_address=ip,
                email=email,
                card_last4=card.last4 if card else None,
                blocked_ip_id=blocked_ip.id if blocked_ip and not card else None,
                blocked_card_id=card.id if card else None,
                created_at=now - timedelta(days=days),
            )
        )
