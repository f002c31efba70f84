"""The fixture world of the security tests: two customer organisations (A and B), each with
its own case, order, payment, invoice, plans and attachments, plus staff of every role and
one of each object an admin or billing page addresses by id."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Flask

from helpdesk.extensions import db
from helpdesk.models import (
    ArticleRevision,
    Attachment,
    BlockedCard,
    BlockedIP,
    CannedResponse,
    Case,
    CaseAction,
    CaseReason,
    CaseType,
    Contact,
    Holiday,
    InboundMail,
    InboundStatus,
    Invoice,
    Message,
    MessageKind,
    Notification,
    Origin,
    OutboxMail,
    Payment,
    PaymentMethod,
    Promotion,
    RecurringKind,
    RecurringPayment,
    Role,
    RoutingRule,
    SavedView,
    ServicePlan,
    Shipment,
    SlaPolicy,
    Subscription,
    Tag,
    User,
    Visibility,
    WebhookEndpoint,
    utcnow,
)
from helpdesk.rules.network import network_range
from helpdesk.services.accounts import accounts, api_tokens
from helpdesk.services.cases import attachments, feedback
from helpdesk.services.cases.attachments import AttachmentPolicy, Upload
from helpdesk.services.helpcentre import kb
from helpdesk.services.mail import outbox
from tests.factories import (
    REGISTRATION_TOKEN,
    make_case,
    make_held_reply,
    make_order,
    make_organisation,
    make_pending_registration,
    make_user,
)

ROLES = ("anonymous", "customer_a", "customer_b", "agent_t1", "agent_t2", "billing", "admin")


def _message(case, author: User, kind: MessageKind, body: str) -> Message:
    message = Message(
        case_id=case.id,
        author_id=author.id,
        kind=kind,
        origin=Origin.WEB,
        body=body,
        body_html=f"<p>{body}</p>",
    )
    db.session.add(message)
    db.session.flush()
    return message


def _attachment_id(app: Flask, case, message, uploader: User, name: str) -> int:
    policy = AttachmentPolicy.from_config(app.config)
    upload = Upload(name, b"secret file " + name.encode())
    attachments.store_uploads([upload], policy, case=case, message=message, uploader=uploader)
    db.session.flush()
    return db.session.scalar(
        sa.select(Attachment.id).where(
            Attachment.case_id == case.id, Attachment.original_name == name
        )
    )


def _money(organisation, order, suffix: str) -> dict[str, int]:
    today = utcnow().date()
    invoice = Invoice(
        number=f"SEC-I-{suffix}",
        organisation_id=organisation.id,
        order_id=order.id,
        issued_on=today,
        due_on=today + timedelta(days=14),
        total_cents=order.amount_cents,
    )
    db.session.add(invoice)
    db.session.flush()
    payment = Payment(
        organisation_id=organisation.id,
        order_id=order.id,
        invoice_id=invoice.id,
        method=PaymentMethod.BANK,
        amount_cents=order.amount_cents,
    )
    plan = ServicePlan(name=f"Plan {suffix}", monthly_cents=2900)
    db.session.add_all([payment, plan])
    db.session.flush()
    subscription = Subscription(
        organisation_id=organisation.id, plan_id=plan.id, effective_on=today - timedelta(days=30)
    )
    recurring = RecurringPayment(
        organisation_id=organisation.id,
        kind=RecurringKind.FLAT_RATE,
        description=f"Flat rate {suffix}",
        amount_cents=2900,
        effective_on=today - timedelta(days=30),
        next_charge_on=today + timedelta(days=5),
    )
    shipment = Shipment(
        order_id=order.id, organisation_id=organisation.id, item=f"Printer {suffix}"
    )
    db.session.add_all([subscription, recurring, shipment])
    db.session.flush()
    return {
        "invoice": invoice.id,
        "payment": payment.id,
        "subscription": subscription.id,
        "recurring": recurring.id,
        "shipment": shipment.id,
    }


def _feedback_token(agent: User, case_number: int) -> str:
    """A "Did this solve it?" Yes link of a reply mailed on org A's case."""
    case = db.session.scalar(sa.select(Case).where(Case.number == case_number))
    mail = outbox.queue_mail(
        to_address="customer-a@example.test",
        subject="Re: your case",
        template="agent_replied",
        case=case,
        agent=agent,
        message=SimpleNamespace(id=None, body="A public answer"),
    )
    db.session.flush()
    return feedback.make_token(mail.id, case.id, True)


def build_world(app: Flask) -> dict:
    """Create the world and return its ids (users by role name, objects by key); commits."""
    w: dict = {}
    with app.app_context():
        org_a, org_b = make_organisation(name="Org A"), make_organisation(name="Org B")
        users = {
            "customer_a": make_user(Role.CUSTOMER, organisation=org_a),
            "customer_b": make_user(Role.CUSTOMER, organisation=org_b),
            "agent_t1": make_user(Role.AGENT, tier=1),
            "agent_t2": make_user(Role.AGENT, tier=2),
            "billing": make_user(Role.BILLING),
            "admin": make_user(Role.ADMIN),
        }
        other_agent = make_user(Role.AGENT, tier=1, name="Other agent")
        for name, org in (("a", org_a), ("b", org_b)):
            order = make_order(org)
            case = make_case(org, order_id=order.id, subject=f"Secret case of org {name}")
            reply = _message(case, users["agent_t1"], MessageKind.REPLY, "A public answer")
            w[f"org_{name}"] = org.id
            contact = Contact(organisation_id=org.id, name=f"Contact {name}")
            db.session.add(contact)
            db.session.flush()
            w[f"contact_{name}"] = contact.id
            w[f"order_{name}"] = order.id
            w[f"case_{name}"] = case.number
            w[f"attachment_{name}"] = _attachment_id(
                app, case, reply, users["agent_t1"], f"public-{name}.txt"
            )
            if name == "a":
                held = make_held_reply(case)
                w["held_reply_a"] = held.id
                note = _message(case, users["agent_t1"], MessageKind.NOTE, "A private note")
                w["note_attachment_a"] = _attachment_id(
                    app, case, note, users["agent_t1"], "private-a.txt"
                )
            w.update({f"{key}_{name}": value for key, value in _money(org, order, name).items()})

        today = utcnow().date()
        promotion = Promotion(
            code="SECURE10",
            name="Ten off",
            percent_off=10,
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=30),
        )
        case_type = CaseType(name="Security type")
        unused_type = CaseType(name="Unused type", position=9)
        action = CaseAction(name="Security action")
        canned = CannedResponse(key="security", title="Security", subject="Hi", body="Hello")
        holiday = Holiday(day=today + timedelta(days=40), name="Security day")
        mail = InboundMail(
            message_id="<quarantined@example.test>",
            from_address="stranger@example.test",
            subject="Who am I",
            raw=b"From: stranger@example.test\r\nSubject: Who am I\r\n\r\nHello",
            status=InboundStatus.QUARANTINED,
            error="unknown sender",
        )
        db.session.add_all([promotion, case_type, unused_type, action, canned, holiday, mail])
        db.session.flush()
        reason = CaseReason(name="Security reason", case_type_id=case_type.id)
        rule = RoutingRule(case_type_id=case_type.id, assignee_id=users["agent_t1"].id)
        network, first, last = network_range("198.51.100.0/24")
        blocked_ip = BlockedIP(
            network=network, range_start=first, range_end=last, reason="Card testing"
        )
        blocked_card = BlockedCard(
            fingerprint="f" * 64, brand="visa", last4="0002", reason="Stolen"
        )
        tag = Tag(name="security-tag", suggested=True)
        view = SavedView(
            name="Security view", owner_id=users["agent_t1"].id, folder="all", filters={}
        )
        notice = Notification(
            user_id=users["agent_t1"].id,
            case_id=db.session.scalar(sa.select(Case.id).where(Case.number == w["case_a"])),
            event="assigned",
            text="Yours",
        )
        policy = SlaPolicy(name="Security SLA", plan="any", priority="any", first_response_hours=4)
        hooks = [
            WebhookEndpoint(
                url=f"https://{name}.example.com/hooks",
                events="case.created",
                secret=f"whsec_{name}",
                active=False,  # the world's own changes write no deliveries
                disabled_reason="Turned off by the failure rule.",
            )
            for name in ("security", "removed")
        ]
        db.session.add_all([reason, rule, blocked_ip, blocked_card, tag, view, notice, policy])
        db.session.add_all(hooks)
        db.session.flush()
        make_pending_registration(REGISTRATION_TOKEN)
        w.update(
            {
                "promotion": promotion.id,
                "case_type": case_type.id,
                "unused_type": unused_type.id,
                "case_action": action.id,
                "canned": canned.id,
                "tag": tag.id,
                "saved_view": view.id,
                "notification": notice.id,
                "sla_policy": policy.id,
                "webhook": hooks[0].id,
                "webhook_removed": hooks[1].id,
                "holiday": holiday.id,
                "inbound_mail": mail.id,
                "routing_rule": rule.id,
                "blocked_ip": blocked_ip.id,
                "blocked_card": blocked_card.id,
                "other_agent": other_agent.id,
                "customer_a_user": users["customer_a"].id,
                "reset_token": accounts.make_reset_token(
                    users["customer_a"], app.config["SECRET_KEY"]
                ),
                "registration_token": REGISTRATION_TOKEN,
            }
        )
        w["users"] = {role: user.id for role, user in users.items()}
        w["feedback_token"] = _feedback_token(users["agent_t1"], w["case_a"])
        w["outbox_mail"] = db.session.scalar(sa.select(sa.func.max(OutboxMail.id)))
        db.session.commit()
        # API tokens: tier 1's own (revoked from the profile), another agent's (by an admin).
        for key, owner in (("api_token", users["agent_t1"]), ("other_api_token", other_agent)):
            made = api_tokens.create(owner, name=key, scopes=["cases:read"], expires_in_days=30)
            w[key] = made.token.id

        editor = db.session.get(User, w["users"]["admin"])
        public = kb.save_article(
            editor, None, title="Public article", body="Read me", tags="", visibility="public"
        )
        internal = kb.save_article(
            editor,
            None,
            title="Internal article",
            body="Staff only",
            tags="",
            visibility=Visibility.INTERNAL.value,
        )

        def revision(article) -> int:
            return db.session.scalar(
                sa.select(ArticleRevision.id).where(ArticleRevision.article_id == article.id)
            )

        w.update(
            {
                "public_slug": public.slug,
                "public_article": public.id,
                "public_revision": revision(public),
                "internal_slug": internal.slug,
                "internal_article": internal.id,
                "internal_revision": revision(internal),
            }
        )
        db.session.remove()
    return w
