"""Service-level policies (issue 19 item 4): per plan and priority, first response, next reply
after a customer message, resolution with the clock paused while the customer is asked."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.models import CaseStatus, Role
from helpdesk.rules.eligibility import OrderKind
from helpdesk.services.tracker import sla, sla_policies
from tests.factories import make_case, make_order, make_user

pytestmark = pytest.mark.usefixtures("ctx")

# Monday 11 January 2027, 09:00 in Denver (business hours 08:00-17:00, Monday to Friday).
MONDAY_9 = datetime(2027, 1, 11, 16, 0)
HOUR = timedelta(hours=1)


@pytest.fixture
def admin():
    user = make_user(Role.ADMIN)
    db.session.commit()
    return user


def policy(admin, name, plan="any", priority="any", first=4, nxt=None, resolution=None):
    return sla_policies.create(
        admin,
        name=name,
        plan=plan,
        priority=priority,
        first_response_hours=first,
        next_reply_hours=nxt,
        resolution_hours=resolution,
    )


def new_case(**fields):
    customer = fields.pop("customer", None) or make_user(Role.CUSTOMER)
    case = make_case(customer.organisation, requester_id=customer.id, created_at=MONDAY_9, **fields)
    sla.apply_first_response_due(case, MONDAY_9)
    db.session.commit()
    return case


def test_without_policies_the_default_goal_holds():
    case = new_case()
    assert case.sla_policy_id is None and case.resolution_due_at is None
    assert case.sla_due_at == MONDAY_9 + 4 * HOUR


def test_the_plan_and_priority_pick_the_policy(admin):
    standard = policy(admin, "Standard", first=8, resolution=40)
    priority = policy(admin, "Priority support", plan="priority", first=1)
    urgent = policy(admin, "Urgent priority", plan="priority", priority="high", first=0.5)
    after = policy(admin, "After hours", plan="after_hours", first=2)

    assert new_case().sla_policy_id == standard.id
    bought = make_user(Role.CUSTOMER)
    make_order(bought.organisation, kind=OrderKind.PRIORITY_SUPPORT, expires_on=date(2027, 12, 31))
    assert new_case(customer=bought).sla_policy_id == priority.id
    high = new_case(customer=bought, priority_score=30)
    assert high.sla_policy_id == urgent.id
    assert high.sla_due_at == MONDAY_9 + 30 * timedelta(minutes=1)
    night = make_user(Role.CUSTOMER)
    night.organisation.after_hours_support = True
    assert new_case(customer=night).sla_policy_id == after.id
    lapsed = make_user(Role.CUSTOMER)
    make_order(lapsed.organisation, kind=OrderKind.PRIORITY_SUPPORT, expires_on=date(2026, 1, 1))
    assert new_case(customer=lapsed).sla_policy_id == standard.id


def test_the_next_reply_is_due_after_each_customer_message(admin):
    policy(admin, "Standard", first=4, nxt=2, resolution=16)
    case = new_case(status=CaseStatus.OPEN)
    assert case.resolution_due_at == MONDAY_9 + timedelta(days=1) + 7 * HOUR  # 16 h = 9 + 7
    case.first_response_at = MONDAY_9 + HOUR
    sla.customer_wrote(case, MONDAY_9 + 2 * HOUR)
    assert case.next_reply_due_at == MONDAY_9 + 4 * HOUR
    sla_policies.agent_answered(case, MONDAY_9 + 3 * HOUR)
    assert case.next_reply_due_at is None


def test_the_resolution_clock_stands_still_while_the_customer_is_asked(admin):
    policy(admin, "Standard", first=4, nxt=2, resolution=8)
    case = new_case(status=CaseStatus.ANSWERED, first_response_at=MONDAY_9 + HOUR)
    due = case.resolution_due_at
    assert due == MONDAY_9 + 8 * HOUR
    sla_policies.agent_answered(case, MONDAY_9 + HOUR)  # the answer asked the customer
    assert case.sla_paused_at == MONDAY_9 + HOUR
    assert [t.state for t in sla_policies.targets(case, MONDAY_9 + 2 * HOUR)] == ["paused"]
    sla.customer_wrote(case, MONDAY_9 + 4 * HOUR)  # three working hours later
    assert case.sla_paused_at is None
    # Monday 17:00 (closing) plus three working hours: Tuesday 11:00 in Denver.
    assert case.resolution_due_at == datetime(2027, 1, 12, 18, 0)


def test_a_policy_needs_a_name_a_plan_and_hours(admin):
    for fields, message in (
        ({"name": "  "}, "Name the policy"),
        ({"plan": "gold"}, "Choose a plan"),
        ({"priority": "top"}, "Choose a priority"),
        ({"first": "soon"}, "number of hours"),
        ({"first": 0}, "more than 0"),
        ({"nxt": "-1"}, "more than 0"),
        ({"first": "nan"}, "more than 0"),
    ):
        with pytest.raises(sla_policies.ServiceError, match=message):
            policy(admin, **{"name": "P", **fields})
    policy(admin, "P")
    with pytest.raises(sla_policies.ServiceError, match="exists"):
        policy(admin, "P")


def test_attainment_per_policy(admin):
    standard = policy(admin, "Standard", first=4, resolution=8)
    met = new_case(status=CaseStatus.CLOSED)
    met.first_response_at, met.closed_at = MONDAY_9 + HOUR, MONDAY_9 + 2 * HOUR
    late = new_case(status=CaseStatus.OPEN)
    late.first_response_at = MONDAY_9 + 5 * HOUR
    db.session.commit()
    rows = sla_policies.attainment(MONDAY_9 - HOUR, MONDAY_9 + HOUR, MONDAY_9 + timedelta(days=2))
    assert [
        (r.policy, r.cases, r.first_due, r.first_met, r.resolution_due, r.resolution_met)
        for r in rows
    ] == [(standard.name, 2, 2, 1, 2, 1)]
