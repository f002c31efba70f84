"""Demo data for routing by type, tiers and agent status (seeds 000, 001, 003).

What `make run` shows: a topic "Billing or payment" customers can pick, giving a case the
type Billing; a Billing rule (the finance-minded tier-2 agent, a tier-3 fallback); the
catch-all gaining a tier-2 fallback, so tier-2 cases never go to its tier-1 agent; one agent
away with a reason and a return time; a tier-2 case routed to the tier-2 agent, a billing
case the fallback took because of the absence, a tier-2 case waiting in the support queue
for its tier (a tier-1 agent may accept it only with a reason), and an untyped case waiting
for an agent to classify it (and see where routing sends it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Activity,
    ActivityKind,
    AgentStatus,
    Case,
    CaseStatus,
    CaseType,
    Category,
    CustomerTopic,
    Order,
    Origin,
    RoutingRule,
    User,
)
from helpdesk.sample_data.demo_eligibility import keep_at_opening
from helpdesk.services.core.counters import next_number
from helpdesk.services.tracker import routing, sla

# Shown in the demo's case subjects and on the routing page.
BILLING_TOPIC = "Billing or payment"
AWAY_REASON = "at the bank for the quarterly review"
QUEUED_SUBJECT = "Refund for the unused hosting month"


def _case(customer: User, subject: str, body: str, at, **fields) -> Case:
    order = db.session.scalars(
        sa.select(Order).where(Order.organisation_id == customer.organisation_id)
    ).first()
    case = Case(
        number=next_number("case"),
        subject=subject,
        body=body,
        body_html=render_markup(body),
        organisation_id=customer.organisation_id,
        order_id=order.id if order else None,
        requester_id=customer.id,
        correspondent_email=customer.email,
        status=CaseStatus.NEW,
        created_at=at,
        updated_at=at,
        awaiting_agent_since=at,
        product_version=order.version if order else None,
        **fields,
    )
    keep_at_opening(case, at)  # the tier routing looks at, as the portal's triage sets it
    sla.apply_first_response_due(case, at)
    db.session.add(case)
    db.session.flush()
    return case


def _opened(case: Case, customer: User, summary: str) -> None:
    db.session.add(
        Activity(
            case_id=case.id,
            actor_id=customer.id,
            kind=ActivityKind.STATUS,
            summary=summary,
            created_at=case.created_at,
        )
    )


def load(staff: dict[str, User], customers: list[User], now: datetime) -> None:
    """Add the routing demo to the freshly loaded demo data; no commit."""
    lena, tomas, priya = (staff[f"agent{n}@example.com"] for n in (1, 2, 3))
    billing = db.session.scalar(sa.select(CaseType).where(CaseType.name == "Billing"))
    db.session.add(CustomerTopic(label=BILLING_TOPIC, case_type_id=billing.id, position=1))
    db.session.add(
        RoutingRule(position=5, case_type_id=billing.id, assignee_id=tomas.id, fallback_id=priya.id)
    )
    catch_all = db.session.scalar(
        sa.select(RoutingRule).where(
            RoutingRule.assignee_id == lena.id,
            RoutingRule.category.is_(None),
            RoutingRule.case_type_id.is_(None),
            RoutingRule.case_reason_id.is_(None),
        )
    )
    if catch_all is not None:
        catch_all.fallback_id = tomas.id  # seed 000: tier-2 cases need a tier-2 person
    db.session.flush()

    anna, ben, finn = customers[0], customers[1], customers[5]
    # Anna has an active plan: a tier-2 request. The catch-all passes over its tier-1 agent.
    tier2 = _case(
        anna,
        "Tax line missing on invoices after the upgrade",
        "Since upgrading to 9.2 our invoices no longer show the tax line.",
        now - timedelta(hours=2),
        origin=Origin.WEB,
        category=Category.SUPPORT,
    )
    _opened(tier2, anna, "Opened by the customer on the web")
    routing.route(tier2, tier2.created_at)

    # Then the finance-minded agent steps out until the next full hour but two.
    tomas.agent_status = AgentStatus.AWAY
    tomas.status_note = AWAY_REASON
    tomas.away_until = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)

    # Finn picked the billing topic: the case arrives typed, and the Billing rule's fallback
    # takes it while its assignee is away.
    billed = _case(
        finn,
        "Charged twice for the priority support renewal",
        "Our card was charged twice for this year's priority support renewal.",
        now - timedelta(minutes=20),
        origin=Origin.WEB,
        category=Category.OTHER,
        case_type_id=billing.id,
    )
    _opened(billed, finn, "Opened by the customer on the web")
    _opened(billed, finn, f"The customer chose \u201c{BILLING_TOPIC}\u201d: type Billing")
    routing.route(billed, billed.created_at)

    # Cara is evaluating (an eligible request, tier 2): the catch-all's tier-1 agent is passed
    # over and its tier-2 fallback is away, so it waits in the support queue for tier 2.
    cara = customers[2]
    waiting = _case(
        cara,
        "Evaluation: payment gateway stays in test mode",
        "The evaluation store keeps using the gateway's test mode after I entered live keys.",
        now - timedelta(minutes=10),
        origin=Origin.WEB,
        category=Category.SUPPORT,
    )
    _opened(waiting, cara, "Opened by the customer on the web")
    routing.route(waiting, waiting.created_at)

    # An e-mail nobody has classified yet: an agent sets its type, and routing delegates it.
    _case(
        ben,
        QUEUED_SUBJECT,
        "We cancelled hosting mid-month; can we get the unused part back?",
        now - timedelta(minutes=45),
        origin=Origin.EMAIL,
        category=Category.OTHER,
    )
    db.session.flush()
