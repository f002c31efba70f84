"""Routing on classification and on arrival, tiers with their override, agent status (seeds
000, 001, 003): who gets a case and what the timeline says about why."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    AgentStatus,
    AuditLog,
    CaseReason,
    CaseStatus,
    CaseType,
    Category,
    CustomerTopic,
    Role,
    RoutingRule,
    utcnow,
)
from helpdesk.services import ServiceError
from helpdesk.services.cases import cases
from helpdesk.services.tracker import escalation, routing, team, tracker
from tests.factories import make_case, make_order, make_user

pytestmark = pytest.mark.usefixtures("ctx")

NOW = datetime(2026, 12, 2, 16, 0)  # 09:00 in Denver, the business zone


@pytest.fixture
def desk():
    """Seed 001's desk: a finance type with a rule, a tier-1 catch-all with a tier-2 fallback."""
    billing = CaseType(name="Billing")
    festival = CaseType(name="Festival")
    db.session.add_all([billing, festival])
    db.session.flush()
    refund = CaseReason(name="Refund", case_type_id=billing.id)
    db.session.add(refund)
    lena = make_user(Role.AGENT, name="Lena Lind", tier=1)
    tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2)
    priya = make_user(Role.AGENT, name="Priya Patel", tier=3)
    customer = make_user(Role.CUSTOMER, name="Finn Walsh")
    db.session.flush()
    db.session.add_all(
        [
            RoutingRule(
                position=1, case_type_id=billing.id, assignee_id=tomas.id, fallback_id=priya.id
            ),
            RoutingRule(position=99, assignee_id=lena.id, fallback_id=tomas.id),
        ]
    )
    db.session.commit()
    return {
        "billing": billing,
        "festival": festival,
        "refund": refund,
        "lena": lena,
        "tomas": tomas,
        "priya": priya,
        "customer": customer,
    }


def queued(desk, **fields):
    case = make_case(desk["customer"].organisation, requester_id=desk["customer"].id, **fields)
    db.session.commit()
    return case


def timeline(case) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Activity.summary).where(Activity.case_id == case.id).order_by(Activity.id)
        )
    )


def test_classifying_a_queued_case_routes_it_by_type(desk):
    case = queued(desk, category=Category.OTHER)
    tracker.classify(desk["lena"], case, desk["billing"].id, desk["refund"].id)
    assert case.assignee_id == desk["tomas"].id and case.assigned_at is not None
    assert timeline(case) == [
        "Type and reason: Billing / Refund",
        "Routed to Tomas Tran by rule \u201cBilling\u201d.",
    ]


def test_the_fallback_takes_it_and_the_timeline_names_the_absence(desk):
    tomas = desk["tomas"]
    tomas.agent_status, tomas.status_note = AgentStatus.AWAY, "at the dentist"
    tomas.away_until = datetime(2030, 1, 2, 21, 0)  # 14:00 in Denver
    db.session.commit()
    case = queued(desk)
    tracker.classify(desk["lena"], case, desk["billing"].id, None)
    assert case.assignee_id == desk["priya"].id
    assert timeline(case)[-1] == (
        "Routed to Priya Patel by rule \u201cBilling\u201d; Tomas Tran is away until "
        "2 Jan 2030, 14:00 MST (at the dentist), so the fallback took it."
    )
    details = db.session.scalars(sa.select(Activity.details).where(Activity.case_id == case.id))
    assert {
        "rule_id": db.session.scalar(sa.select(RoutingRule.id).where(RoutingRule.position == 1)),
        "assignee_id": desk["priya"].id,
        "fallback": True,
        "passed_over": [{"user_id": tomas.id, "why": "away"}],
    } in [d.get("routing") for d in details]


def test_a_return_time_that_has_passed_counts_as_back(desk):
    tomas = desk["tomas"]
    tomas.agent_status, tomas.away_until = AgentStatus.AWAY, NOW - timedelta(minutes=1)
    db.session.commit()
    case = queued(desk)
    case.case_type_id = desk["billing"].id
    assert routing.route(case, NOW) == tomas


def test_both_away_leaves_the_case_in_the_queue_saying_why(desk):
    for person in (desk["tomas"], desk["priya"]):
        person.agent_status = AgentStatus.AWAY
    db.session.commit()
    case = queued(desk)
    tracker.classify(desk["lena"], case, desk["billing"].id, None)
    assert case.assignee_id is None
    assert timeline(case)[-1] == (
        "Rule \u201cBilling\u201d matched, but Tomas Tran is away; Priya Patel is away: "
        "the case waits in the support queue."
    )


def test_a_tier2_case_passes_over_the_tier1_catch_all(desk):
    case = queued(desk, tier=2)
    tracker.classify(desk["lena"], case, desk["festival"].id, None)
    assert case.assignee_id == desk["tomas"].id
    assert timeline(case)[-1] == (
        "Routed to Tomas Tran by rule \u201ceverything else\u201d; Lena Lind is tier 1 and "
        "this case needs tier 2, so the fallback took it."
    )


def test_a_tier1_case_goes_to_the_catch_all_agent(desk):
    case = queued(desk, tier=1)
    tracker.classify(desk["lena"], case, desk["festival"].id, None)
    assert case.assignee_id == desk["lena"].id


def test_classifying_an_assigned_case_does_not_take_it_away(desk):
    case = queued(desk, assignee_id=desk["lena"].id)
    tracker.classify(desk["priya"], case, desk["billing"].id, None)
    assert case.assignee_id == desk["lena"].id
    assert timeline(case) == ["Type and reason: Billing"]


def test_without_a_matching_rule_the_agent_is_told(desk):
    db.session.execute(sa.delete(RoutingRule).where(RoutingRule.position == 99))
    db.session.commit()
    case = queued(desk)
    tracker.classify(desk["lena"], case, desk["festival"].id, None)
    assert case.assignee_id is None
    assert timeline(case)[-1] == "No routing rule matches: the case waits in the support queue."
    # On arrival no match writes nothing (most cases would carry the line).
    other = queued(desk)
    assert routing.route(other, NOW) is None and timeline(other) == []


def test_a_topic_gives_the_new_case_its_type_and_routes_it_on_arrival(desk, app, policy):
    topic = CustomerTopic(label="Billing or payment", case_type_id=desk["billing"].id)
    db.session.add(topic)
    # Bought long ago: no active plan, a tier-1 case.
    order = make_order(desk["customer"].organisation, ordered_at=utcnow() - timedelta(days=200))
    db.session.commit()
    with app.test_request_context():
        case = cases.open_case(
            customer=desk["customer"],
            order_id=order.id,
            category=Category.OTHER,
            topic_id=topic.id,
            subject="Charged twice",
            body="The renewal was charged twice.",
            uploads=[],
            policy=policy,
        )
    assert case.case_type_id == desk["billing"].id and case.category == Category.OTHER
    assert case.assignee_id == desk["tomas"].id
    assert "The customer chose \u201cBilling or payment\u201d: type Billing" in timeline(case)


def test_a_switched_off_topic_cannot_be_picked(desk, app, policy):
    topic = CustomerTopic(label="Billing or payment", case_type_id=desk["billing"].id)
    db.session.add(topic)
    desk["billing"].active = False
    order = make_order(desk["customer"].organisation)
    db.session.commit()
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        cases.open_case(
            customer=desk["customer"],
            order_id=order.id,
            category=Category.OTHER,
            topic_id=topic.id,
            subject="Charged twice",
            body="Twice.",
            uploads=[],
            policy=policy,
        )
    assert refused.value.field == "category"


# Tiers: accept and assign need an override below the case's tier ------------------------


def test_accepting_a_case_above_my_tier_needs_a_reason(desk):
    case = queued(desk, tier=2)
    with pytest.raises(ServiceError) as refused:
        tracker.accept(desk["lena"], case)
    assert refused.value.field == "override_reason"
    assert "needs tier 2 and you are tier 1" in refused.value.message
    assert case.assignee_id is None
    tracker.accept(desk["lena"], case, override_reason="Nobody of tier 2 is in today")
    assert case.assignee_id == desk["lena"].id
    assert (
        "Override: Lena Lind gave this tier 2 case to themselves (tier 1): "
        "Nobody of tier 2 is in today"
    ) in timeline(case)
    entry = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "case.assign_below_tier")
    )
    assert entry.actor_id == desk["lena"].id and entry.object_id == case.id
    assert entry.details["reason"] == "Nobody of tier 2 is in today"


def test_assigning_below_the_tier_needs_a_reason_and_is_logged(desk):
    case = queued(desk, tier=3)
    with pytest.raises(ServiceError) as refused:
        tracker.assign(desk["priya"], case, desk["tomas"].id)
    assert "Tomas Tran is tier 2" in refused.value.message
    tracker.assign(desk["priya"], case, desk["priya"].id)  # her own tier: no override
    tracker.assign(desk["priya"], case, desk["tomas"].id, override_reason="Knows this customer")
    assert case.assignee_id == desk["tomas"].id
    assert timeline(case)[-2] == (
        "Override: Priya Patel gave this tier 3 case to Tomas Tran (tier 2): Knows this customer"
    )


def test_bulk_assign_below_the_tier_is_refused(desk):
    low, high = queued(desk, tier=1), queued(desk, tier=2)
    with pytest.raises(ServiceError) as refused:
        tracker.bulk_apply(desk["priya"], [low, high], "assign", desk["lena"].id)
    assert (
        f"#{high.number}" in refused.value.message and f"#{low.number}" not in refused.value.message
    )
    assert tracker.bulk_apply(desk["priya"], [low], "assign", desk["lena"].id) == 1


def test_only_the_cases_tier_escalates_it(desk):
    case = queued(desk, tier=2, assignee_id=desk["lena"].id, status=CaseStatus.OPEN)
    with pytest.raises(ServiceError) as refused:
        escalation.escalate(desk["lena"], case)
    assert "above your tier 1" in refused.value.message and case.tier == 2
    escalation.escalate(desk["tomas"], case)
    assert case.tier == 3


# Agent status: a reason and a return time --------------------------------------------


def test_status_keeps_the_reason_and_a_future_return_time(desk):
    back = NOW + timedelta(hours=3)
    team.set_status(desk["lena"], "away", note=" at the dentist ", away_until=back, now=NOW)
    assert (desk["lena"].status_note, desk["lena"].away_until) == ("at the dentist", back)
    # Another status: the return time goes, the reason stays what was given.
    team.set_status(desk["lena"], "on_phone", note="Barrington db balance", away_until=back)
    assert desk["lena"].away_until is None and desk["lena"].status_note == "Barrington db balance"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"away_until": NOW}, "away_until"),
        ({"away_until": NOW - timedelta(minutes=5)}, "away_until"),
        ({"note": "x" * 201}, "note"),
        ({"note": "a\x00b"}, "note"),
    ],
)
def test_a_past_return_time_or_a_bad_reason_is_refused(desk, fields, field):
    with pytest.raises(ServiceError) as refused:
        team.set_status(desk["lena"], "away", now=NOW, **fields)
    assert refused.value.field == field
    db.session.refresh(desk["lena"])
    assert desk["lena"].agent_status is None


def test_the_person_chosen_at_phone_intake_keeps_the_case(desk):
    from helpdesk.services.tracker import phone

    case = queued(desk, tier=1)
    phone.triage(case, NOW, desk["priya"], desk["lena"])
    db.session.commit()
    db.session.expire_all()
    assert case.assignee_id == desk["priya"].id and case.assignee.name == "Priya Patel"
