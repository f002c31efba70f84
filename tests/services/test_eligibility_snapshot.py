"""The eligibility a case was opened with: kept for every origin, driving tier and the
acknowledgement, and unchanged when the orders change later (issue 15)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    CannedResponse,
    Case,
    Category,
    OrderKind,
    OrderStatus,
    Origin,
    OutboxMail,
    Role,
    utcnow,
)
from helpdesk.rules.eligibility import SupportLevel
from helpdesk.services.cases import cases, clone
from helpdesk.services.cases.eligibility import at_opening
from helpdesk.services.mail import inbound
from helpdesk.services.tracker import phone
from tests.factories import make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")

PROMISE = "we answer e-mail within 4 business hours"
POLICY = {}


@pytest.fixture(autouse=True)
def _attachment_policy(policy):
    POLICY["web"] = policy


def days_ago(days: int):
    return utcnow() - timedelta(days=days)


def customer_with(**order) -> tuple:
    customer = make_user(Role.CUSTOMER)
    made = make_order(customer.organisation, **order)
    db.session.commit()
    return customer, made


def open_web(customer, order, category=Category.SUPPORT) -> Case:
    return cases.open_case(
        customer=customer,
        order_id=order.id,
        category=category,
        subject="Checkout fails",
        body="The checkout page shows an error.",
        uploads=[],
        policy=POLICY["web"],
    )


def acknowledgement(case: Case) -> str:
    mail = db.session.scalars(
        sa.select(OutboxMail).where(
            OutboxMail.case_id == case.id, OutboxMail.template_key == "case_opened"
        )
    ).one()
    return " ".join(mail.body_text.split())


# --- the snapshot and what it drives ------------------------------------------------------------


def test_a_web_case_keeps_the_level_and_reason_it_was_opened_with():
    customer, order = customer_with(ordered_at=days_ago(10))
    case = open_web(customer, order)

    assert case.eligibility_level == SupportLevel.ACTIVE
    assert case.eligibility_reason == "Ordered 10 days ago (within 30 days)"
    assert case.eligibility_order_ref == order.number
    assert case.tier == 2  # an active plan goes to level two


def test_the_kept_level_does_not_change_when_the_orders_do():
    customer, order = customer_with(ordered_at=days_ago(10))
    case = open_web(customer, order)
    order.status = OrderStatus.CANCELLED
    db.session.commit()

    kept = at_opening(db.session.get(Case, case.id))
    assert kept.level == SupportLevel.ACTIVE
    assert kept.reason == "Ordered 10 days ago (within 30 days)"


def test_no_plan_at_opening_keeps_the_case_with_level_one():
    customer, order = customer_with(ordered_at=days_ago(400))
    case = open_web(customer, order)

    assert case.eligibility_level == SupportLevel.NO_PLAN
    assert case.eligibility_reason == "Ordered 400 days ago (more than 30 days)"
    assert case.tier == 1


def test_an_unpaid_order_opens_a_case_without_a_plan():
    customer, order = customer_with(status=OrderStatus.PENDING)
    case = open_web(customer, order)

    assert case.eligibility_level == SupportLevel.NO_PLAN
    assert "not paid yet" in case.eligibility_reason
    assert case.tier == 1


def test_a_case_not_recorded_has_no_kept_level():
    organisation = make_organisation()
    case = Case(
        number=777,
        subject="Old",
        organisation_id=organisation.id,
        origin=Origin.WEB,
        category=Category.SUPPORT,
    )
    db.session.add(case)
    db.session.commit()
    assert at_opening(case) is None


# --- every origin -------------------------------------------------------------------------------


def raw_mail(sender: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@helpdesk.invalid"
    mail["Subject"] = "Printer jams"
    mail["Message-ID"] = f"<{sender}.1@example.test>"
    mail.set_content("It jams on page two.")
    return mail.as_bytes()


def test_an_email_case_keeps_its_level(app, policy):
    customer, order = customer_with(kind=OrderKind.EVALUATION, ordered_at=days_ago(120))
    mail = inbound.ingest(raw_mail(customer.email), policy=policy)
    case = db.session.get(Case, mail.case_id)

    assert case.origin == Origin.EMAIL
    assert case.eligibility_level == SupportLevel.SEND_TO_SALES
    assert case.eligibility_reason == "Evaluating for 120 days (more than 90): send to Sales"
    assert "sales team" in acknowledgement(case)


def test_a_voice_mail_intake_case_keeps_its_level():
    customer, order = customer_with(ordered_at=days_ago(3))
    agent = make_user(Role.AGENT)
    db.session.commit()
    case = phone.open_phone_case(
        agent,
        phone.Intake(
            organisation_id=customer.organisation_id, title="Call back", synopsis="Cannot log in"
        ),
    )
    assert case.origin == Origin.PHONE
    assert case.eligibility_level == SupportLevel.ACTIVE
    assert case.tier == 2


def test_a_logged_call_keeps_its_level():
    customer, order = customer_with(ordered_at=days_ago(3), version="5.1")
    agent = make_user(Role.AGENT)
    db.session.add(
        CannedResponse(
            key="faq-old-versions", title="FAQ-Support for versions 5.x", subject="Old", body="Hi"
        )
    )
    db.session.commit()
    sent = phone.send_system_email(
        agent,
        customer.organisation,
        customer.email,
        customer.name,
        "faq-old-versions",
        issue="support",
    )
    assert sent.case.origin == Origin.PHONE
    assert sent.case.eligibility_level == SupportLevel.UNSUPPORTED
    assert sent.case.tier == 1


def test_clones_keep_their_own_organisations_level():
    customer, order = customer_with(ordered_at=days_ago(3))
    other = make_organisation()
    other_order = make_order(other, ordered_at=days_ago(500))
    agent = make_user(Role.AGENT)
    db.session.commit()
    original = open_web(customer, order)

    for_department = clone.clone_for_department(agent, original, agent.id, "Billing must refund")
    [for_order] = clone.clone_for_orders(
        agent, original, [other_order.number], "Category cancelled", "Your category is gone."
    )
    assert for_department.origin == Origin.GENERATED
    assert for_department.eligibility_level == SupportLevel.ACTIVE
    assert for_order.eligibility_level == SupportLevel.NO_PLAN
    assert for_order.eligibility_order_ref == other_order.number


def test_a_follow_up_case_keeps_its_level(app):
    customer, order = customer_with(ordered_at=days_ago(3))
    original = open_web(customer, order)
    cases.close_case(actor=customer, case=original)
    original.closed_at = days_ago(60)
    db.session.commit()

    follow = cases.reopen_case(customer=customer, case=original, reopen_days=30)
    assert follow.id != original.id
    assert follow.eligibility_level == SupportLevel.ACTIVE


# --- the acknowledgement, per level -------------------------------------------------------------


def test_an_active_plan_is_promised_the_first_response_time():
    customer, order = customer_with(ordered_at=days_ago(3))
    text = acknowledgement(open_web(customer, order))
    assert PROMISE in text
    assert "no active support plan" not in text


def test_no_plan_gets_the_support_resources_and_no_promise():
    customer, order = customer_with(ordered_at=days_ago(400))
    text = acknowledgement(open_web(customer, order))
    assert "business hours" not in text.replace("support hours", "")
    assert PROMISE not in text
    assert "no active support plan at the moment" in text
    assert "/help" in text  # the help centre
    assert "ask us about priority support" in text
    assert "Our support hours are" in text


def test_an_unsupported_version_gets_its_options_and_no_promise():
    customer, order = customer_with(ordered_at=days_ago(3), version="5.2")
    text = acknowledgement(open_web(customer, order))
    assert PROMISE not in text
    assert "Versions 5.x and older are no longer supported" in text
    assert "upgrade to the current version" in text


def test_a_long_evaluation_is_told_sales_will_contact_them():
    customer, order = customer_with(kind=OrderKind.EVALUATION, ordered_at=days_ago(91))
    text = acknowledgement(open_web(customer, order))
    assert PROMISE not in text
    assert "your case goes to our sales team first" in text


def test_no_order_left_gets_no_promise_either():
    customer, order = customer_with(status=OrderStatus.CANCELLED)
    text = acknowledgement(open_web(customer, order))
    assert PROMISE not in text
    assert "We found no order on your account" in text


def test_the_acknowledgement_follows_the_level_at_opening_not_today():
    customer, order = customer_with(ordered_at=days_ago(3))
    case = open_web(customer, order)
    order.status = OrderStatus.CANCELLED  # after the fact: the mail already said what it said
    db.session.commit()
    assert PROMISE in acknowledgement(case)
