"""A shared world for the security suite's fuzz and header checks: the demo data plus a few
rows the demo lacks (files, quarantined mail, a holiday, an article revision), loaded once per
module on the session app and emptied afterwards, as the `app` fixture would."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from helpdesk.extensions import db, limiter
from helpdesk.models import (
    Article,
    ArticleRevision,
    Attachment,
    Case,
    Feedback,
    Holiday,
    InboundMail,
    Message,
    MessageKind,
    Notification,
    Organisation,
    Origin,
    OutboxMail,
    Role,
    SavedView,
    SlaPolicy,
    Tag,
    User,
    WebhookEndpoint,
)
from helpdesk.sample_data import demo
from helpdesk.services.accounts import accounts, api_tokens
from helpdesk.services.cases import feedback
from tests.conftest import _empty_all_tables, login_as
from tests.factories import REGISTRATION_TOKEN, make_held_reply, make_pending_registration

ROLES = (Role.ADMIN, Role.AGENT, Role.BILLING, Role.CUSTOMER)


@dataclass
class World:
    """Ids of one object of each kind, for building URLs, and the acting users by role."""

    users: dict[Role, int]
    other_user: int  # a customer whose reset link the world holds
    staff_target: int = 0  # a staff account an admin may edit without locking anyone out
    ids: dict[str, object] = field(default_factory=dict)
    foreign: dict[str, int] = field(default_factory=dict)  # another organisation's objects


def _file(app: Flask, case: Case, name: str, data: bytes, message: Message | None) -> Attachment:
    stored = hashlib.sha256(name.encode() + data).hexdigest()[:32]
    directory = Path(app.config["ATTACHMENT_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / stored).write_bytes(data)
    attachment = Attachment(
        case_id=case.id,
        message_id=message.id if message else None,
        original_name=name,
        stored_name=stored,
        content_type="text/plain",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _feedback_token() -> str:
    """The Yes link of the newest unanswered "Did this solve it?" mail of the demo."""
    question = db.session.scalar(
        sa.select(Feedback)
        .where(Feedback.outbox_mail_id.is_not(None), Feedback.solved.is_(None))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(1)
    )
    return feedback.make_token(question.outbox_mail_id, question.case_id, True)


def build_world(app: Flask) -> World:
    """Load the demo data and the extras; returns the ids the tests need."""
    with app.app_context():
        demo.load(app.config["CARD_HASH_KEY"].encode())
        users = {}
        for role in ROLES:
            users[role] = db.session.scalar(
                sa.select(User.id).where(User.role == role, User.active).order_by(User.id)
            )
        customer = db.session.get(User, users[Role.CUSTOMER])
        other_user = db.session.scalar(
            sa.select(User.id)
            .where(User.role == Role.CUSTOMER, User.id != customer.id)
            .order_by(User.id)
        )
        case = db.session.scalar(
            sa.select(Case)
            .where(Case.organisation_id == customer.organisation_id)
            .order_by(Case.id)
        )
        reply = db.session.scalar(
            sa.select(Message).where(Message.case_id == case.id, Message.kind == MessageKind.REPLY)
        )
        attachment = _file(app, case, "install.log", b"line 1\n", reply)
        note = Message(
            case_id=case.id,
            author_id=users[Role.AGENT],
            kind=MessageKind.NOTE,
            origin=Origin.WEB,
            body="private",
            body_html="<p>private</p>",
        )
        db.session.add(note)
        db.session.flush()
        private = _file(app, case, "private.txt", b"secret\n", note)
        held = make_held_reply(case, "held")
        foreign_case = db.session.scalar(
            sa.select(Case)
            .where(Case.organisation_id != customer.organisation_id)
            .order_by(Case.id)
        )
        foreign_file = _file(app, foreign_case, "theirs.txt", b"theirs\n", None)
        mail = InboundMail(
            message_id="<fuzz@example.test>",
            from_address="stranger@example.test",
            subject="Hello",
            raw=b"From: stranger@example.test\r\nSubject: Hello\r\n\r\nHi\r\n",
            error="Unknown sender",
        )
        db.session.add(mail)
        db.session.add(Holiday(day=date(2031, 12, 25), name="Christmas"))
        tag = Tag(name="fuzz-tag", suggested=True)
        view = SavedView(name="Fuzz view", owner_id=users[Role.ADMIN], folder="all", filters={})
        notice = Notification(
            user_id=users[Role.ADMIN], case_id=case.id, event="assigned", text="Fuzz notice"
        )
        policy = SlaPolicy(name="Fuzz SLA", plan="any", priority="any", first_response_hours=4)
        hook = WebhookEndpoint(
            url="https://fuzz.example.com/hooks",
            events="case.created",
            secret="whsec_fuzz",
            active=False,
            disabled_reason="Turned off by the failure rule.",
        )
        db.session.add_all([tag, view, notice, policy, hook])
        article = db.session.scalar(sa.select(Article).order_by(Article.id))
        revision = ArticleRevision(article_id=article.id, title=article.title, body=article.body)
        db.session.add(revision)
        db.session.flush()
        staff_target = db.session.scalar(
            sa.select(User.id)
            .where(User.role == Role.AGENT, User.id != users[Role.AGENT])
            .order_by(User.id.desc())
        )
        world = World(users=users, other_user=other_user, staff_target=staff_target)
        world.ids = {
            "number": case.number,
            "attachment_id": attachment.id,
            "private_attachment_id": private.id,
            "organisation_id": customer.organisation_id,
            "mail_id": mail.id,
            "message_id": held.id,
            "holiday_id": db.session.scalar(sa.select(Holiday.id)),
            "revision_id": revision.id,
            "article_id": article.id,
            "slug": article.slug,
            "user_id": staff_target,
            "tag_id": tag.id,
            "view_id": view.id,
            "notification_id": notice.id,
            "policy_id": policy.id,
            "endpoint_id": hook.id,
            "token": accounts.make_reset_token(
                db.session.get(User, other_user), app.config["SECRET_KEY"]
            ),
        }
        world.ids["feedback_token"] = _feedback_token()
        # An administrator's API token: its Revoke forms (profile and admin list) are fuzzed.
        admin = db.session.get(User, users[Role.ADMIN])
        made = api_tokens.create(admin, name="Fuzz", scopes=["cases:read"], expires_in_days=30)
        world.ids["token_id"] = made.token.id
        make_pending_registration(REGISTRATION_TOKEN)
        world.ids["registration_token"] = REGISTRATION_TOKEN
        # Sent mail is an outbox row: its own id, not the inbound mail's under the same name.
        world.ids["outbox_mail_id"] = db.session.scalar(sa.select(sa.func.min(OutboxMail.id)))
        world.foreign = {
            "number": foreign_case.number,
            "attachment_id": foreign_file.id,
            "organisation_id": foreign_case.organisation_id,
        }
        db.session.commit()
    return world


def empty_world(app: Flask) -> None:
    """Leave the database and the rate limits as the `app` fixture would."""
    with app.app_context():
        db.session.rollback()
        _empty_all_tables()
    limiter.reset()


def sign_in(app: Flask, client: FlaskClient, user_id: int | None) -> FlaskClient:
    """Make `client` this user's browser (None: anonymous) with the user's current session."""
    client.delete_cookie("session")
    client.delete_cookie("remember_token")
    if user_id is not None:
        with app.app_context():
            login_as(client, db.session.get(User, user_id))
    return client


def first_id(app: Flask, model, *where) -> int | None:
    """The smallest id of `model` rows matching `where`."""
    with app.app_context():
        return db.session.scalar(sa.select(model.id).where(*where).order_by(model.id))


@dataclass
class FormSpec:
    """A form as a page shows it: where it posts and its fields."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> input type
    options: dict[str, list[str]] = field(default_factory=dict)  # select/radio values
    multipart: bool = False


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[FormSpec] = []
        self._form: FormSpec | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or a.get("hx-post") or self.page_url
            if (a.get("method", "get").lower() == "post") or "hx-post" in a:
                self._form = FormSpec(
                    action=action.split("#")[0],
                    multipart="multipart" in a.get("enctype", ""),
                )
                self.forms.append(self._form)
            else:
                self._form = None
        if self._form is None:
            return
        name = a.get("name")
        if tag in ("input", "textarea", "select", "button") and name:
            kind = a.get("type", tag) if tag == "input" else tag
            if kind in ("submit", "button") and tag == "button":
                kind = "submit"
            self._form.fields.setdefault(name, kind)
            if kind in ("radio", "checkbox", "submit", "hidden") and a.get("value"):
                self._form.options.setdefault(name, []).append(a["value"])
            if tag == "select":
                self._select = name
        if tag == "option" and self._select:
            self._form.options.setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "form":
            self._form = None


def forms_in(html: str, page_url: str) -> list[FormSpec]:
    """The POST forms on a page."""
    parser = _FormParser(page_url)
    parser.feed(html)
    return parser.forms


CSV_LINK = re.compile(r'href="(/reports/[a-z_]+/[a-z0-9_-]+\.csv)')


def _model_ids(app: Flask, world: World) -> dict[str, int | None]:
    from helpdesk.models import (
        BlockedCard,
        BlockedIP,
        CannedResponse,
        CaseAction,
        CaseReason,
        CaseType,
        Contact,
        Order,
        Payment,
        Promotion,
        RecurringPayment,
        RoutingRule,
        Shipment,
        Subscription,
    )

    recurring = first_id(app, RecurringPayment)
    with app.app_context():
        plan_org = db.session.scalar(
            sa.select(Subscription.organisation_id).order_by(Subscription.id)
        )
        recurring_org = db.session.get(RecurringPayment, recurring).organisation_id
        contact = first_id(app, Contact)
        contact_org = db.session.get(Contact, contact).organisation_id
    return {
        "canned_id": first_id(app, CannedResponse),
        "macro_id": first_id(app, CannedResponse),  # a shared macro (a system e-mail)
        "types": first_id(app, CaseType),
        "reasons": first_id(app, CaseReason),
        "actions": first_id(app, CaseAction),
        "rule_id": first_id(app, RoutingRule),
        "order_id": first_id(app, Order),
        "payment_id": first_id(app, Payment),
        "promotion_id": first_id(app, Promotion),
        "shipment_id": first_id(app, Shipment),
        "subscription_id": first_id(app, Subscription),
        "recurring_id": recurring,
        "ip": first_id(app, BlockedIP),
        "card": first_id(app, BlockedCard),
        "plan_org": plan_org,
        "recurring_org": recurring_org,
        "organisation": first_id(app, Organisation),
        "contact_id": contact,
        "contact_org": contact_org,
    }


STRING_ARGS = {
    "tracker.folder": {"name": "open"},
    "system.customer_list": {"name": "invoices"},
    "system.fraud_list": {"name": "ips"},
    "reports.table_csv": {"report": "support", "name": "volume"},
    "static": {"filename": "app.css"},
}


def url_values(app: Flask, world: World, rule) -> dict[str, object]:
    """Argument values for `rule` that name existing objects of the world."""
    ids = _model_ids(app, world)
    values: dict[str, object] = {}
    for arg in rule.arguments:
        if arg in STRING_ARGS.get(rule.endpoint, {}):
            values[arg] = STRING_ARGS[rule.endpoint][arg]
        elif arg == "kind":
            values[arg] = "ip" if "fraud" in rule.rule else "types"
        elif arg == "entry_id":
            values[arg] = ids["types"]
        elif arg == "blocked_id":
            values[arg] = ids["ip"]
        elif arg == "organisation_id" and "subscription_id" in rule.arguments:
            values[arg] = ids["plan_org"]
        elif arg == "organisation_id" and "recurring_id" in rule.arguments:
            values[arg] = ids["recurring_org"]
        elif arg == "organisation_id" and "contact_id" in rule.arguments:
            values[arg] = ids["contact_org"]
        elif arg == "token" and rule.endpoint == "feedback.answer":
            values[arg] = world.ids["feedback_token"]
        elif arg == "token" and rule.endpoint == "auth.register_confirm":
            values[arg] = world.ids["registration_token"]
        elif arg == "mail_id" and rule.endpoint.startswith("admin.sent_mail"):
            values[arg] = world.ids["outbox_mail_id"]
        elif arg in world.ids:
            values[arg] = world.ids[arg]
        elif arg in ids:
            values[arg] = ids[arg]
        else:
            raise AssertionError(f"no value for <{arg}> of {rule.rule}")
    return values
