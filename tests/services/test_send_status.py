"""Sending from the composer with a status: one service call, one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    CaseStatus,
    Message,
    MessageKind,
    OutboxMail,
    Role,
    utcnow,
)
from helpdesk.rules.send_status import AfterSend
from helpdesk.services import ServiceError
from helpdesk.services.mail import outbox
from helpdesk.services.tracker import tracker
from tests.factories import make_case, make_user

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def people():
    agent = make_user(Role.AGENT, name="Lena Lind")
    customer = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
    db.session.commit()
    return agent, customer


def waiting_case(agent, customer, **fields):
    since = utcnow() - timedelta(hours=3)
    case = make_case(
        customer.organisation,
        requester_id=customer.id,
        assignee_id=agent.id,
        status=CaseStatus.WAITING,
        awaiting_agent_since=since,
        **fields,
    )
    db.session.commit()
    return case


def send(agent, case, policy, kind=MessageKind.REPLY, then=AfterSend.USUAL, body="Try this."):
    return tracker.agent_message(
        agent=agent, case=case, body=body, kind=kind, uploads=[], policy=policy, then=then
    )


def timeline(case) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Activity.summary).where(Activity.case_id == case.id).order_by(Activity.id)
        )
    )


def mails() -> list[OutboxMail]:
    return list(db.session.scalars(sa.select(OutboxMail)))


def test_send_and_close_mails_once_and_records_the_answer_and_the_closing(people, policy):
    agent, customer = people
    case = waiting_case(agent, customer)
    send(agent, case, policy, then=AfterSend.CLOSE, body="Fixed in 9.2.1; closing.")
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED
    assert case.closed_by_id == agent.id and case.closed_at is not None
    assert case.first_response_at is not None and case.awaiting_agent_since is None
    [mail] = mails()
    assert mail.to_address == "anna@northwind.example"
    assert "Fixed in 9.2.1; closing." in mail.body_text
    assert timeline(case) == ["Answered by Lena Lind", "Closed by Lena Lind"]
    assert db.session.scalar(sa.select(Message.body).where(Message.case_id == case.id)) == (
        "Fixed in 9.2.1; closing."
    )


def test_send_and_keep_open_mails_but_leaves_it_the_agents_turn(people, policy):
    agent, customer = people
    case = waiting_case(agent, customer)
    since = case.awaiting_agent_since
    send(agent, case, policy, then=AfterSend.KEEP_OPEN)
    db.session.refresh(case)
    assert case.status == CaseStatus.OPEN
    assert case.awaiting_agent_since == since  # the customer still waits for a solution
    assert case.first_response_at is not None and case.last_agent_reply_at is not None
    assert len(mails()) == 1
    assert timeline(case)[-1] == "Kept open by Lena Lind"


def test_the_usual_reply_answers_the_case(people, policy):
    agent, customer = people
    case = waiting_case(agent, customer)
    send(agent, case, policy)
    db.session.refresh(case)
    assert case.status == CaseStatus.ANSWERED and case.awaiting_agent_since is None
    assert len(mails()) == 1
    assert timeline(case)[-1] == "Answered by Lena Lind"


def test_a_note_changes_no_status_unless_chosen(people, policy):
    agent, customer = people
    case = waiting_case(agent, customer)
    send(agent, case, policy, kind=MessageKind.NOTE)
    db.session.refresh(case)
    assert case.status == CaseStatus.WAITING and timeline(case) == []
    send(agent, case, policy, kind=MessageKind.NOTE, then=AfterSend.CLOSE)
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED and timeline(case) == ["Closed by Lena Lind"]
    assert mails() == []  # notes are never mailed


def test_a_failing_mail_saves_neither_the_reply_nor_the_closing(people, policy, monkeypatch):
    agent, customer = people
    case = waiting_case(agent, customer)

    def broken_mail(**_):
        raise RuntimeError("mail template missing")

    monkeypatch.setattr(outbox, "queue_mail", broken_mail)
    with pytest.raises(RuntimeError):
        send(agent, case, policy, then=AfterSend.CLOSE)
    db.session.refresh(case)
    assert case.status == CaseStatus.WAITING and case.closed_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
    assert timeline(case) == []


def test_a_note_cannot_reopen_a_closed_case(people, policy):
    agent, customer = people
    case = waiting_case(agent, customer)
    send(agent, case, policy, kind=MessageKind.NOTE, then=AfterSend.CLOSE)
    with pytest.raises(ServiceError, match="cannot change its status"):
        send(agent, case, policy, kind=MessageKind.NOTE, then=AfterSend.KEEP_OPEN)
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
