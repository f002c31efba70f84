"""Agents' notifications (issue 19 item 1): who is told of what, by mail too when they chose
it, never of their own actions; deadline warnings once each."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    CaseStatus,
    MessageKind,
    Notification,
    NotificationEvent,
    OutboxMail,
    Role,
    RoutingRule,
    utcnow,
)
from helpdesk.services.cases import cases
from helpdesk.services.mail.links import mail_link
from helpdesk.services.tracker import escalation, handover, notifications, routing, tracker
from tests.factories import make_case, make_user

E = NotificationEvent
POLICY = {}


@pytest.fixture(autouse=True)
def _attachment_policy(policy):
    POLICY["web"] = policy


@pytest.fixture
def team(ctx):
    lena = make_user(Role.AGENT, name="Lena Lind", tier=1)
    tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2)
    priya = make_user(Role.AGENT, name="Priya Patel", tier=2)
    customer = make_user(Role.CUSTOMER)
    case = make_case(customer.organisation, requester_id=customer.id, status=CaseStatus.OPEN)
    db.session.commit()
    return {"lena": lena, "tomas": tomas, "priya": priya, "customer": customer, "case": case}


def told(user) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Notification.event, Notification.text)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
    )
    return [(event.value, text) for event, text in rows]


def mailed(user) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(OutboxMail.template_key).where(OutboxMail.to_address == user.email)
        )
    )


def test_an_assignment_tells_the_assignee_not_the_one_who_assigned(team):
    lena, tomas, case = team["lena"], team["tomas"], team["case"]
    tracker.bulk_apply(lena, [case], "assign", tomas.id)
    assert told(tomas) == [("assigned", f"Lena Lind assigned you #{case.number} {case.subject}")]
    assert mailed(tomas) == ["notification:assigned"]
    assert told(lena) == []
    tracker.bulk_apply(lena, [case], "assign", lena.id)  # taking it oneself
    assert told(lena) == []


def test_routing_tells_whom_it_chose(team):
    lena, case = team["lena"], team["case"]
    db.session.add(RoutingRule(position=1, assignee_id=lena.id))
    case.status = CaseStatus.NEW
    db.session.flush()
    assert routing.route(case, utcnow()) == lena
    db.session.commit()
    assert told(lena) == [("assigned", f"The routing rules gave you #{case.number} {case.subject}")]


def test_a_hand_over_tells_the_colleague(team):
    lena, tomas, case = team["lena"], team["tomas"], team["case"]
    case.assignee_id = lena.id
    db.session.commit()
    handover.hand_over(lena, lena, {case.id: (tomas.id, "")})
    assert [event for event, _ in told(tomas)] == ["handed_over"]


def test_an_escalation_tells_the_tier_above(team):
    lena, case = team["lena"], team["case"]
    case.assignee_id = lena.id
    db.session.commit()
    escalation.escalate(lena, case, "Needs a developer")
    assert [event for event, _ in told(team["tomas"])] == ["escalated"]
    assert [event for event, _ in told(team["priya"])] == ["escalated"]
    assert told(lena) == []


def test_a_customer_reply_tells_the_agent_by_mail_unless_they_opted_out(team):
    lena, customer, case = team["lena"], team["customer"], team["case"]
    case.assignee_id = lena.id
    db.session.commit()
    cases.customer_reply(
        customer=customer, case=case, body="Still broken", uploads=[], policy=POLICY["web"]
    )
    assert [event for event, _ in told(lena)] == ["customer_replied"]
    assert mailed(lena) == ["customer_replied"]
    notifications.set_mail_events(lena, ["assigned", "no-such-event"])
    assert lena.notify_by_mail == ["assigned"]
    cases.customer_reply(
        customer=customer, case=case, body="Hello?", uploads=[], policy=POLICY["web"]
    )
    assert len(told(lena)) == 2 and mailed(lena) == ["customer_replied"]  # no second mail


def test_the_customer_replied_mail_links_to_the_case_in_the_tracker(team):
    lena, customer, case = team["lena"], team["customer"], team["case"]
    case.assignee_id = lena.id
    db.session.commit()
    cases.customer_reply(
        customer=customer, case=case, body="It still fails.", uploads=[], policy=POLICY["web"]
    )
    mail = db.session.scalars(
        sa.select(OutboxMail).where(OutboxMail.template_key == "customer_replied")
    ).one()
    assert mail.to_address == lena.email
    assert f"Open the case: {mail_link('tracker.case_view', number=case.number)}" in mail.body_text
    assert mail.body_text.rstrip().endswith(f"/tracker/cases/{case.number}")


def _send(agent, case, body, kind):
    tracker.agent_message(
        agent=agent, case=case, body=body, kind=kind, uploads=[], policy=POLICY["web"]
    )


def test_a_mention_in_a_note_tells_the_colleague(team):
    lena, tomas, case = team["lena"], team["tomas"], team["case"]
    _send(lena, case, "@tomas.tran can you check the logs? @lena.lind @nobody", MessageKind.NOTE)
    assert told(tomas) == [
        ("mentioned", f"Lena Lind mentioned you in a note on #{case.number} {case.subject}")
    ]
    assert told(lena) == []  # not for naming oneself
    _send(lena, case, "Dear customer, @priya.patel will call", MessageKind.REPLY)
    assert told(team["priya"]) == []  # public replies notify nobody


def test_deadlines_warn_before_and_when_missed_once_each(team):
    lena, case = team["lena"], team["case"]
    now = utcnow()
    case.assignee_id, case.sla_due_at = lena.id, now + timedelta(minutes=20)
    other = make_case(
        team["customer"].organisation,
        assignee_id=lena.id,
        status=CaseStatus.OPEN,
        sla_due_at=now - timedelta(days=3),  # missed long ago: history, not news
    )
    db.session.commit()
    assert notifications.deadlines(now) == 1
    assert notifications.deadlines(now + timedelta(minutes=5)) == 0  # warned already
    assert told(lena) == [
        ("sla_soon", f"First response due in 20 min: #{case.number} {case.subject}")
    ]
    assert notifications.deadlines(now + timedelta(minutes=21)) == 1
    assert [event for event, _ in told(lena)] == ["sla_soon", "sla_missed"]
    assert notifications.deadlines(now + timedelta(minutes=30)) == 0
    assert other.id not in {n.case_id for n in db.session.scalars(sa.select(Notification))}


def test_reading(team):
    lena, case = team["lena"], team["case"]
    tracker.bulk_apply(team["tomas"], [case], "assign", lena.id)
    other = make_case(team["customer"].organisation, status=CaseStatus.OPEN)
    tracker.bulk_apply(team["tomas"], [other], "assign", lena.id)
    assert notifications.unread_count(lena) == 2
    notifications.mark_case_read(lena, case)
    assert notifications.unread_count(lena) == 1
    assert notifications.mark_all_read(lena) == 1
    assert notifications.unread_count(lena) == 0


def test_inactive_people_and_customers_are_never_notified(team):
    tomas, case = team["tomas"], team["case"]
    tomas.active = False
    notifications.notify([tomas, team["customer"]], E.ASSIGNED, case, "hello", actor=team["lena"])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_next_reply_and_resolution_deadlines_warn_too(team):
    lena, case = team["lena"], team["case"]
    now = utcnow()
    case.assignee_id = lena.id
    case.first_response_at = now - timedelta(hours=3)
    case.next_reply_due_at = now + timedelta(minutes=10)
    case.resolution_due_at = now - timedelta(minutes=1)
    db.session.commit()
    assert notifications.deadlines(now) == 2
    texts = sorted(text for _, text in told(lena))
    assert texts == [
        f"Next reply due in 10 min: #{case.number} {case.subject}",
        f"Resolution target missed: #{case.number} {case.subject}",
    ]
    case.resolution_due_at, case.sla_paused_at = now + timedelta(minutes=5), now
    db.session.commit()
    assert notifications.deadlines(now) == 0  # paused: nobody is late while the customer is asked


def test_a_bulk_assignment_is_one_notification(team):
    lena, tomas = team["lena"], team["tomas"]
    more = [make_case(team["customer"].organisation, status=CaseStatus.OPEN) for _ in range(2)]
    db.session.commit()
    tracker.bulk_apply(lena, [team["case"], *more], "assign", tomas.id)
    assert [event for event, _ in told(tomas)] == ["assigned"]
    assert told(tomas)[0][1].startswith("Lena Lind assigned you 3 cases: #")
    assert mailed(tomas) == ["notification:assigned"]
