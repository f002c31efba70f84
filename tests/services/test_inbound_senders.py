"""Who may reply by e-mail: trusted sender checks quarantine forged mail, and replies from
addresses that are not the case's wait, unverified, until an agent accepts them."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    AuditLog,
    Case,
    CaseStatus,
    InboundStatus,
    Message,
    Role,
    User,
)
from helpdesk.services import ServiceError
from helpdesk.services.mail import inbound
from tests.factories import make_user
from tests.services.test_inbound import answered_case, count, make_mail, outbox_to
from tests.services.test_inbound import people as people  # noqa: F401 - the fixture

OUR_MX = "mx.helpdesk.test"
ACCEPTED_AT = datetime(2026, 3, 2, 10, 30)


@pytest.fixture
def trusted(app, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_AUTHSERV_IDS", f"{OUR_MX}, mx2.helpdesk.test")


def results(value: str) -> tuple[tuple[str, str], ...]:
    return (("Authentication-Results", value),)


def thread_messages(case: Case) -> list[Message]:
    return db.session.scalars(
        sa.select(Message).where(Message.case_id == case.id).order_by(Message.id)
    ).all()


def colleague(people) -> User:
    """Another login at Ann's organisation: may thread a reply, is not the case's."""
    user = make_user(
        Role.CUSTOMER, organisation_id=people["organisation"], email="carl@oldtown.test"
    )
    db.session.commit()
    return user


# --- trusted Authentication-Results -------------------------------------------------------


def test_a_trusted_dmarc_failure_is_quarantined_with_its_reason(app, people, policy, trusted):
    with app.app_context():
        case = answered_case(people)
        raw = make_mail(
            "ann@oldtown.test",
            f"Re: [#{case.number}] {case.subject}",
            "Please refund me to this new account.",
            headers=results(f"{OUR_MX}; spf=pass smtp.mailfrom=x; dmarc=fail (p=reject)"),
        )
        mail = inbound.ingest(raw, policy=policy)
        assert mail.status == InboundStatus.QUARANTINED and mail.case_id is None
        assert "Sender check failed: dmarc=fail (checked by mx.helpdesk.test)" in mail.error
        assert mail.raw == raw  # kept for the administrator
        assert count(Message) == 0 and count(Case) == 1
        db.session.refresh(case)
        assert case.status == CaseStatus.ANSWERED
        assert outbox_to("agent@helpdesk.test") == []


def test_a_trusted_spf_failure_without_dmarc_quarantines_a_new_case_too(
    app, people, policy, trusted
):
    with app.app_context():
        raw = make_mail("ann@oldtown.test", headers=results("mx2.helpdesk.test; spf=fail"))
        mail = inbound.ingest(raw, policy=policy)
        assert mail.status == InboundStatus.QUARANTINED
        assert "spf=fail" in mail.error
        assert count(Case) == 0


def test_a_failure_claimed_by_another_server_is_ignored(app, people, policy, trusted):
    with app.app_context():
        case = answered_case(people)
        raw = make_mail(
            "ann@oldtown.test",
            f"Re: [#{case.number}] again",
            headers=results("mx.evil.example; dmarc=fail"),
        )
        mail = inbound.ingest(raw, policy=policy)
        assert (mail.status, mail.case_id) == (InboundStatus.PROCESSED, case.id)
        db.session.refresh(case)
        assert case.status == CaseStatus.WAITING


def test_without_a_trusted_authserv_id_no_header_quarantines(app, people, policy):
    with app.app_context():
        raw = make_mail("ann@oldtown.test", headers=results(f"{OUR_MX}; dmarc=fail"))
        assert inbound.ingest(raw, policy=policy).status == InboundStatus.PROCESSED


def test_softfail_is_not_a_failure(app, people, policy, trusted):
    with app.app_context():
        raw = make_mail("ann@oldtown.test", headers=results(f"{OUR_MX}; spf=softfail"))
        assert inbound.ingest(raw, policy=policy).status == InboundStatus.PROCESSED


# --- replies from addresses that are not the case's ---------------------------------------


def test_a_reply_from_the_requester_takes_effect(app, people, policy, trusted):
    with app.app_context():
        case = answered_case(people)
        raw = make_mail(
            "ann@oldtown.test", f"Re: [#{case.number}] x", headers=results(f"{OUR_MX}; dmarc=pass")
        )
        inbound.ingest(raw, policy=policy)
        db.session.refresh(case)
        assert case.status == CaseStatus.WAITING
        [message] = thread_messages(case)
        assert not message.unverified_sender
        assert [m.template_key for m in outbox_to("agent@helpdesk.test")] == ["customer_replied"]


def test_a_reply_from_the_correspondent_takes_effect(app, people, policy):
    with app.app_context():
        case = answered_case(people, requester_id=None, correspondent_email="Bob@Oldtown.test")
        inbound.ingest(make_mail("bob@oldtown.test", f"Re: [#{case.number}] x"), policy=policy)
        db.session.refresh(case)
        assert case.status == CaseStatus.WAITING
        assert not thread_messages(case)[0].unverified_sender


def test_a_reply_from_a_colleague_is_held_unverified(app, people, policy, trusted):
    with app.app_context():
        colleague(people)
        case = answered_case(people)
        before = case.updated_at
        raw = make_mail(
            "carl@oldtown.test",
            f"Re: [#{case.number}] {case.subject}",
            "Cancel everything.",
            # A pass proves the address is Carl's, not that Carl speaks for this case.
            headers=results(f"{OUR_MX}; dmarc=pass"),
        )
        mail = inbound.ingest(raw, policy=policy)
        assert (mail.status, mail.case_id) == (InboundStatus.PROCESSED, case.id)
        [message] = thread_messages(case)
        assert message.unverified_sender and message.body == "Cancel everything."
        assert message.author_email == "carl@oldtown.test"
        db.session.refresh(case)
        assert case.status == CaseStatus.ANSWERED
        assert case.awaiting_agent_since is None and case.last_customer_reply_at is None
        assert case.updated_at >= before
        assert outbox_to("agent@helpdesk.test") == []
        summaries = db.session.scalars(sa.select(Activity.summary)).all()
        assert any("not a correspondent" in summary for summary in summaries)


def test_a_held_reply_does_not_reopen_a_closed_case(app, people, policy):
    with app.app_context():
        colleague(people)
        case = answered_case(people, status=CaseStatus.CLOSED, closed_at=inbound.utcnow())
        inbound.ingest(make_mail("carl@oldtown.test", f"[#{case.number}] reopen"), policy=policy)
        db.session.refresh(case)
        assert case.status == CaseStatus.CLOSED and case.closed_at is not None
        assert thread_messages(case)[0].unverified_sender


def test_accepting_a_held_reply_takes_effect_as_a_reply(app, people, policy):
    with app.app_context():
        colleague(people)
        case = answered_case(people)
        inbound.ingest(make_mail("carl@oldtown.test", f"Re: [#{case.number}] x"), policy=policy)
        [message] = thread_messages(case)
        admin = db.session.get(User, people["admin"])
        inbound.accept_sender(admin, case, message.id, ip_address="192.0.2.7", now=ACCEPTED_AT)
        db.session.refresh(case)
        db.session.refresh(message)
        assert not message.unverified_sender
        assert case.status == CaseStatus.WAITING
        assert case.awaiting_agent_since == ACCEPTED_AT
        assert case.last_customer_reply_at == ACCEPTED_AT
        [notice] = outbox_to("agent@helpdesk.test")  # the assignee hears of it now
        assert notice.template_key == "customer_replied"
        [entry] = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "message.accept_sender")
        ).all()
        assert (entry.actor_id, entry.object_id, entry.ip_address) == (
            admin.id,
            message.id,
            "192.0.2.7",
        )
        assert entry.details["sender"] == "carl@oldtown.test"
        # Once accepted on the case, the same address counts as one of its correspondents.
        inbound.ingest(make_mail("carl@oldtown.test", f"Re: [#{case.number}] y"), policy=policy)
        assert not thread_messages(case)[-1].unverified_sender


def test_a_held_reply_is_accepted_once(app, people, policy):
    with app.app_context():
        colleague(people)
        case = answered_case(people)
        inbound.ingest(make_mail("carl@oldtown.test", f"Re: [#{case.number}] x"), policy=policy)
        [message] = thread_messages(case)
        agent = db.session.get(User, people["agent"])
        inbound.accept_sender(agent, case, message.id, now=ACCEPTED_AT)
        assert outbox_to("agent@helpdesk.test") == []  # the assignee accepted it: no mail
        with pytest.raises(ServiceError, match="not waiting to be accepted"):
            inbound.accept_sender(agent, case, message.id, now=ACCEPTED_AT)
        assert count(AuditLog, AuditLog.action == "message.accept_sender") == 1


def test_only_a_held_message_of_this_case_can_be_accepted(app, people, policy):
    with app.app_context():
        case = answered_case(people)
        inbound.ingest(make_mail("ann@oldtown.test", f"Re: [#{case.number}] x"), policy=policy)
        [message] = thread_messages(case)
        other = answered_case(people)
        agent = db.session.get(User, people["agent"])
        for target, message_id in ((case, message.id), (other, message.id), (case, 10**6)):
            with pytest.raises(ServiceError):
                inbound.accept_sender(agent, target, message_id)
