"""Webhook events: each change writes one delivery per subscribed, active endpoint, in the
transaction of the change, and none when the change rolls back."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession

from helpdesk.extensions import db
from helpdesk.models import (
    BlockedCard,
    Case,
    CaseStatus,
    MessageKind,
    RefundDestination,
    Role,
    WebhookDelivery,
)
from helpdesk.services.billing import refunds
from helpdesk.services.cases import cases as case_service
from helpdesk.services.cases import merge
from helpdesk.services.fraud import fraud
from helpdesk.services.mail import inbound
from helpdesk.services.tracker import tracker
from tests.factories import make_case, make_held_reply, make_organisation, make_user
from tests.services.test_refunds import make_payment
from tests.services.webhook_support import deliveries, events_written, make_endpoint, payloads

pytestmark = pytest.mark.usefixtures("ctx")

CARD = "4111 1111 1111 1111"


@pytest.fixture
def org():
    return make_organisation(name="Northwind")


@pytest.fixture
def agent():
    return make_user(Role.AGENT, name="Avery Agent")


def test_a_new_case_writes_case_created_with_its_facts(app, org):
    make_endpoint("case.created")
    db.session.commit()
    case = make_case(org, subject="Printer on fire")
    db.session.commit()

    (delivery,) = deliveries()
    body = json.loads(delivery.payload)
    assert delivery.event == "case.created"
    assert body["id"] == delivery.uuid
    assert body["event"] == "case.created"
    assert body["created_at"].endswith("Z") and "T" in body["created_at"]
    data = body["data"]["case"]
    assert data["number"] == case.number
    assert data["subject"] == "Printer on fire"
    assert data["status"] == "new"
    assert data["organisation_id"] == org.id
    assert data["assignee_id"] is None
    assert data["url"] == f"{app.config['BASE_URL']}/tracker/cases/{case.number}"


def test_a_rolled_back_change_writes_no_delivery(org):
    make_endpoint()
    db.session.commit()
    make_case(org)
    db.session.rollback()
    db.session.commit()  # nothing pending is left over for a later commit

    assert deliveries() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_the_delivery_is_part_of_the_changes_transaction(org):
    """A commit that fails after the deliveries were added loses both the case and them."""
    make_endpoint()
    db.session.commit()
    seen: list[int] = []

    def fail_after_the_outbox(session):
        if session.get_nested_transaction() is not None:
            return  # a savepoint released inside the commit (a new counter row, say)
        count = sa.select(sa.func.count()).select_from(WebhookDelivery)
        seen.append(session.scalar(count))  # rows inside this transaction, not yet committed
        raise RuntimeError("the disk is full")

    sa.event.listen(FlaskSession, "before_commit", fail_after_the_outbox)
    try:
        make_case(org)
        with pytest.raises(RuntimeError):
            db.session.commit()
    finally:
        sa.event.remove(FlaskSession, "before_commit", fail_after_the_outbox)
    db.session.rollback()

    assert seen == [1]  # written in that transaction...
    assert deliveries() == []  # ...and gone with it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_rolled_back_savepoint_takes_its_events_with_it(org):
    make_endpoint("case.created")
    db.session.commit()
    kept = make_case(org, subject="Kept")
    try:
        with db.session.begin_nested():
            make_case(org, subject="Undone")
            raise ValueError("undo")
    except ValueError:
        pass
    db.session.commit()

    assert [p["data"]["case"]["subject"] for p in payloads()] == ["Kept"]
    assert kept.id is not None


def test_each_subscribed_active_endpoint_gets_its_own_delivery(org):
    first = make_endpoint("case.created", url="https://one.example.com/")
    second = make_endpoint("case.created", "case.updated", url="https://two.example.com/")
    make_endpoint("refund.created", url="https://money.example.com/")  # another event
    make_endpoint("case.created", url="https://off.example.com/", active=False)
    db.session.commit()
    make_case(org)
    db.session.commit()

    written = deliveries()
    assert sorted(d.endpoint_id for d in written) == sorted([first.id, second.id])
    assert len({d.uuid for d in written}) == 2
    assert {json.loads(d.payload)["id"] for d in written} == {d.uuid for d in written}


def test_no_endpoint_no_delivery_and_one_small_query_at_most(org):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        make_case(org)
        db.session.commit()
        with_event = [s for s in statements if "webhook_endpoints" in s]
        statements.clear()
        org.name = "Northwind Traders"  # no event: not even the endpoint query
        db.session.commit()
        without_event = [s for s in statements if "webhook" in s]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)

    assert len(with_event) == 1
    assert without_event == []
    assert deliveries() == []


def test_a_change_of_status_and_assignee_is_case_updated_with_both(org, agent):
    make_endpoint("case.updated")
    case = make_case(org)
    db.session.commit()
    case.status = CaseStatus.OPEN
    case.assignee_id = agent.id
    db.session.flush()
    case.priority_score = 40  # a second flush of the same transaction: one event still
    db.session.commit()

    (body,) = payloads()
    assert body["event"] == "case.updated"
    assert body["data"]["changes"] == {
        "status": {"from": "new", "to": "open"},
        "assignee_id": {"from": None, "to": agent.id},
        "priority_score": {"from": 0, "to": 40},
    }
    assert body["data"]["case"]["assignee_id"] == agent.id


def test_a_change_set_without_reading_knows_the_value_before(org, agent):
    make_endpoint("case.updated")
    case = make_case(org, tier=1)
    db.session.commit()  # expires every attribute
    case.tier = 2
    db.session.commit()

    assert payloads()[0]["data"]["changes"] == {"tier": {"from": 1, "to": 2}}


def test_changes_undone_in_the_same_transaction_and_other_fields_are_no_event(org):
    make_endpoint("case.updated")
    case = make_case(org)
    db.session.commit()
    case.status = CaseStatus.OPEN
    db.session.flush()
    case.status = CaseStatus.NEW
    case.customer_viewed_at = case.created_at  # not a field webhooks report
    db.session.commit()

    assert deliveries() == []


def test_closing_a_case_is_case_closed_and_case_updated(org, agent):
    make_endpoint("case.updated", "case.closed")
    case = make_case(org, assignee_id=agent.id, status=CaseStatus.OPEN)
    db.session.commit()

    case_service.close_case(actor=agent, case=case)

    assert events_written() == ["case.updated", "case.closed"]
    closed = payloads(WebhookDelivery.event == "case.closed")[0]
    assert closed["data"]["case"]["status"] == "closed"


def test_a_merge_is_case_merged_and_brings_no_reply_event(org, agent):
    make_endpoint("case.merged", "case.replied")
    source = make_case(org, subject="Duplicate")
    target = make_case(org, subject="Original")
    db.session.commit()

    merge.merge(agent, source, target)

    assert events_written() == ["case.merged"]
    data = payloads()[0]["data"]
    assert data["case"]["number"] == source.number
    assert data["case"]["status"] == "closed"
    assert data["merged_into"]["number"] == target.number


def test_a_public_reply_is_case_replied_and_a_note_is_not(app, org, agent, policy):
    make_endpoint("case.replied")
    case = make_case(org, assignee_id=agent.id, status=CaseStatus.OPEN)
    db.session.commit()

    tracker.agent_message(
        agent=agent, case=case, body="Private", kind=MessageKind.NOTE, uploads=[], policy=policy
    )
    assert deliveries() == []
    message = tracker.agent_message(
        agent=agent, case=case, body="Try this", kind=MessageKind.REPLY, uploads=[], policy=policy
    )

    (body,) = payloads()
    assert body["event"] == "case.replied"
    assert body["data"]["case"]["number"] == case.number
    assert body["data"]["message"] == {
        "id": message.id,
        "from_customer": False,
        "origin": "web",
        "created_at": body["data"]["message"]["created_at"],
    }
    assert "Try this" not in json.dumps(body)  # the text stays in the helpdesk


def test_a_held_reply_counts_once_it_is_accepted(org, agent):
    make_endpoint("case.replied")
    case = make_case(org, assignee_id=agent.id, status=CaseStatus.ANSWERED)
    held = make_held_reply(case)
    db.session.commit()
    assert deliveries() == []

    inbound.accept_sender(agent, case, held.id)

    (body,) = payloads()
    assert body["data"]["message"]["id"] == held.id
    assert body["data"]["message"]["from_customer"] is True


def test_a_refund_is_refund_created(org):
    make_endpoint("refund.created")
    clerk = make_user(Role.BILLING)
    payment = make_payment(org, currency="EUR")
    db.session.commit()

    result = refunds.refund(
        actor=clerk,
        payment_id=payment.id,
        amount_cents=2500,
        reason=f"Charged twice on {CARD}",
        destination=RefundDestination.CARD,
        idempotency_key="refund-key-0001",
    )

    (body,) = payloads()
    refund = body["data"]["refund"]
    assert body["event"] == "refund.created"
    assert refund["id"] == result.refund.id
    assert refund["payment_id"] == payment.id
    assert refund["amount_cents"] == 2500
    assert refund["currency"] == "EUR"
    assert refund["organisation_id"] == org.id
    assert refund["destination"] == "card"
    assert refund["reason"] == "Charged twice on [card number removed]"
    # the same request again changes nothing and writes nothing
    refunds.refund(
        actor=clerk,
        payment_id=payment.id,
        amount_cents=2500,
        reason="Charged twice",
        destination=RefundDestination.CARD,
        idempotency_key="refund-key-0001",
    )
    assert len(deliveries()) == 1


def test_fraud_stop_entries_show_an_address_or_a_card_s_last_four_only():
    make_endpoint("fraud_stop.entry_added")
    clerk = make_user(Role.BILLING)
    db.session.commit()

    fraud.block_ip("198.51.100.0/24", actor=clerk, reason="Card testing")
    card = fraud.block_card(CARD, actor=clerk, reason=f"Stolen: {CARD}")

    ip_entry, card_entry = (p["data"]["entry"] for p in payloads())
    assert ip_entry["kind"] == "ip"
    assert ip_entry["value"] == "198.51.100.0/24"
    assert ip_entry["reason"] == "Card testing"
    assert card_entry["kind"] == "card"
    assert card_entry["value"] == "1111"
    assert card_entry["brand"] == card.brand
    everything = " ".join(d.payload for d in deliveries())
    for spelling in ("4111111111111111", "4111 1111 1111 1111", "411111111111"):
        assert spelling not in everything
    assert db.session.get(BlockedCard, card.id).fingerprint not in everything


def test_a_case_opened_and_closed_at_once_is_created_and_closed(org):
    make_endpoint("case.created", "case.updated", "case.closed")
    make_case(org, status=CaseStatus.CLOSED)
    db.session.commit()

    assert events_written() == ["case.created", "case.closed"]
