"""The demo data as URL arguments: the keys of tests/security/world.py, filled from what
`flask demo-data` loads, so every page of tests/security/access_table.py can be opened in a
browser by the demo logins.

The demo has no internal article, no article revision and no quarantined e-mail; one of each
is added here the way the app makes them, so the pages that show them are visited too.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from helpdesk.extensions import db
from helpdesk.models import (
    Article,
    ArticleRevision,
    CannedResponse,
    Case,
    Contact,
    Feedback,
    InboundMail,
    InboundStatus,
    Order,
    OutboxMail,
    Payment,
    Role,
    User,
    Visibility,
    WebhookEndpoint,
)
from helpdesk.services.accounts import accounts
from helpdesk.services.cases import feedback
from helpdesk.services.helpcentre import kb
from tests.factories import REGISTRATION_TOKEN, make_pending_registration

CUSTOMER_EMAIL = "anna@northwind.example"
OTHER_AGENT_EMAIL = "agent3@example.com"
ADMIN_EMAIL = "admin@example.com"


def _first(statement) -> int:
    value = db.session.scalar(statement.limit(1))
    assert value is not None, f"the demo data has nothing for {statement}"
    return value


def _internal_article(editor: User) -> Article:
    return kb.save_article(
        editor,
        None,
        title="Escalation contacts",
        body="Who to call when the on-call engineer does not answer.",
        tags="internal",
        visibility=Visibility.INTERNAL.value,
    )


def _public_article_with_revision(editor: User) -> Article:
    article = db.session.scalar(
        sa.select(Article).where(Article.visibility == Visibility.PUBLIC).order_by(Article.id)
    )
    # Demo articles are inserted directly; an edit through the service gives one a history.
    return kb.save_article(
        editor,
        article,
        title=article.title,
        body=article.body + "\n\nUpdated for the current release.",
        tags="",
        visibility=Visibility.PUBLIC.value,
    )


def _revision(article: Article) -> int:
    return _first(
        sa.select(ArticleRevision.id)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.id.desc())
    )


def _quarantined_mail() -> int:
    mail = InboundMail(
        message_id="<unknown-sender@mail.example>",
        from_address="someone@unknown.example",
        subject="Question about my licence",
        raw=b"From: someone@unknown.example\r\nSubject: Question about my licence\r\n\r\nHello",
        status=InboundStatus.QUARANTINED,
        error="unknown sender",
    )
    db.session.add(mail)
    db.session.commit()
    return mail.id


def _webhook_endpoint(name: str) -> int:
    """An endpoint the failure rule turned off (so the demo's own writes send nothing)."""
    endpoint = WebhookEndpoint(
        url=f"https://{name}.example.com/helpdesk-events",
        description=f"{name.capitalize()} receiver",
        events="case.created case.closed refund.created",
        secret=f"whsec_{name}-demo",
        active=False,
        disabled_reason="10 delivery attempts in a row failed.",
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint.id


def _pending_registration() -> str:
    """A self-registration waiting for its mailed link: the link's token."""
    make_pending_registration(REGISTRATION_TOKEN)
    return REGISTRATION_TOKEN


def _feedback_token(organisation_id: int) -> str:
    """The Yes link of the first reply mailed on the customer's cases (the demo sends some)."""
    question = db.session.scalar(
        sa.select(Feedback)
        .join(Case, Case.id == Feedback.case_id)
        .where(Case.organisation_id == organisation_id, Feedback.outbox_mail_id.is_not(None))
        .order_by(Feedback.id)
        .limit(1)
    )
    assert question is not None, "the demo data mails no reply to the demo customer"
    return feedback.make_token(question.outbox_mail_id, question.case_id, True)


def demo_world(app: Flask) -> dict:
    """Ids, numbers and slugs of demo objects under the access table's keys; commits."""
    with app.app_context():
        customer = db.session.scalar(sa.select(User).where(User.email == CUSTOMER_EMAIL))
        editor = db.session.scalar(sa.select(User).where(User.email == ADMIN_EMAIL))
        org = customer.organisation_id
        public = _public_article_with_revision(editor)
        internal = _internal_article(editor)
        world = {
            "org_a": org,
            "contact_a": _first(sa.select(Contact.id).where(Contact.organisation_id == org)),
            "customer_a_user": customer.id,
            "case_a": _first(
                sa.select(Case.number).where(Case.organisation_id == org).order_by(Case.number)
            ),
            "case_b": _first(
                sa.select(Case.number).where(Case.organisation_id != org).order_by(Case.number)
            ),
            "order_a": _first(sa.select(Order.id).where(Order.organisation_id == org)),
            "payment_a": _first(sa.select(Payment.id).where(Payment.organisation_id == org)),
            "other_agent": _first(
                sa.select(User.id).where(User.email == OTHER_AGENT_EMAIL, User.role == Role.AGENT)
            ),
            "canned": _first(sa.select(CannedResponse.id).order_by(CannedResponse.id)),
            "inbound_mail": _quarantined_mail(),
            "outbox_mail": _first(sa.select(OutboxMail.id).order_by(OutboxMail.id)),
            "public_slug": public.slug,
            "public_article": public.id,
            "public_revision": _revision(public),
            "internal_slug": internal.slug,
            "internal_article": internal.id,
            "internal_revision": _revision(internal),
            "reset_token": accounts.make_reset_token(customer, app.config["SECRET_KEY"]),
            "feedback_token": _feedback_token(org),
            "registration_token": _pending_registration(),
            "webhook": _webhook_endpoint("orders"),
            "webhook_removed": _webhook_endpoint("archive"),
        }
        db.session.commit()
        db.session.remove()
    return world
