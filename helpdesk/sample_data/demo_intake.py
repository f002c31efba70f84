"""Demo data for intake: the overnight voice mail with everything the agent recorded, a case
opened by hand from an e-mail whose origin was corrected (its customer has an active plan, so
the agent gave it to tier 2), and the sales contact the phone procedure names (seed 000 and
003, issues 5, 6 and 12)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    CaseStatus,
    Category,
    Origin,
    Setting,
    User,
)
from helpdesk.sample_data.demo_eligibility import keep_at_opening
from helpdesk.services.cases.casework import log_activity
from helpdesk.services.core.counters import next_number
from helpdesk.services.tracker import sla

OVERNIGHT_SUBJECT = "Voice mail: box office printer down before the matinee"
SALES_CONTACT = {
    "SALES_CONTACT_NAME": "Sales and marketing (Rita Gomez)",
    "SALES_CONTACT_PHONE": "+1 303 555 0150 ext. 2",
    "SALES_CONTACT_EMAIL": "sales@example.com",
}


def load(agent: User, tier_two: User, customers: list[User], now: datetime) -> None:
    """Add the intake demo rows (the main demo's cases must exist); no commit."""
    for key, value in SALES_CONTACT.items():
        db.session.add(Setting(key=key, value=value))
    voice_mail = db.session.scalar(sa.select(Case).where(Case.subject == OVERNIGHT_SUBJECT))
    if voice_mail is not None:
        # What the agent heard: the case was left overnight, so created_at is the message's
        # time (the demo builds it so); the rest is what seed 003 asks to record.
        voice_mail.received_at = voice_mail.created_at
        voice_mail.operating_system = "Windows 11"
        voice_mail.estimate_minutes = 20
        voice_mail.product_version = voice_mail.product_version or "9.0"
    _email_case(agent, tier_two, customers[0], now)


def _email_case(agent: User, tier_two: User, customer: User, now: datetime) -> None:
    """A customer wrote to the agent's own address; the agent typed it in as a call by
    mistake and corrected the origin: the timeline shows both steps. The customer has an
    active plan, a tier-2 case: the agent gave it to a tier-2 colleague at intake."""
    arrived = now - timedelta(hours=3)
    typed = arrived + timedelta(minutes=40)
    body = (
        f"Hello {agent.name},\n\nplease change the invoice address for our next renewal to "
        f"12 Harbour Street, Denver.\n\nThanks, {customer.name}"
    )
    case = Case(
        number=next_number("case"),
        subject="Invoice address for the next renewal",
        body=body,
        body_html=render_markup(body),
        organisation_id=customer.organisation_id,
        requester_id=customer.id,
        correspondent_email=customer.email,
        origin=Origin.EMAIL,
        category=Category.OTHER,
        status=CaseStatus.OPEN,
        assignee_id=tier_two.id,
        assigned_at=typed,
        opened_at=typed,
        created_at=typed,
        updated_at=typed + timedelta(minutes=5),
        awaiting_agent_since=typed,
        received_at=arrived,
    )
    keep_at_opening(case, typed)
    sla.apply_first_response_due(case, arrived)
    db.session.add(case)
    db.session.flush()
    log_activity(case, agent, ActivityKind.STATUS, f"Voice mail taken in by {agent.name}", typed)
    db.session.add(  # as phone intake words the agent's choice of assignee
        Activity(
            case_id=case.id,
            actor_id=agent.id,
            kind=ActivityKind.ASSIGNMENT,
            summary=f"Assigned to {tier_two.name} at phone intake",
            created_at=typed,
        )
    )
    log_activity(
        case,
        agent,
        ActivityKind.STATUS,
        "Origin corrected: phone → e-mail",
        typed + timedelta(minutes=5),
    )
