"""Demo data: every eligibility case of seed 000, a case in every folder of seed 002, money."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Activity,
    ActivityKind,
    Article,
    BlockedCard,
    BlockedIP,
    CannedResponse,
    Case,
    CaseAction,
    CaseStatus,
    CaseType,
    Category,
    Contact,
    Invoice,
    InvoiceStatus,
    Message,
    MessageKind,
    Order,
    OrderKind,
    OrderStatus,
    Organisation,
    Origin,
    Payment,
    PaymentCard,
    PaymentMethod,
    PhoneNumber,
    PrepaidEntry,
    Product,
    Promotion,
    RecurringKind,
    RecurringPayment,
    Refund,
    RefundDestination,
    Role,
    RoutingRule,
    ServicePlan,
    Setting,
    Shipment,
    Subscription,
    User,
    utcnow,
)
from helpdesk.models.accounts import hash_password
from helpdesk.rules.business_hours import last_close
from helpdesk.rules.cards import card_brand, card_fingerprint, last_four
from helpdesk.rules.network import network_range
from helpdesk.sample_data import (
    demo_billingcase,
    demo_contacts,
    demo_eligibility,
    demo_feedback,
    demo_history,
    demo_intake,
    demo_routing,
    demo_searchfraud,
    demo_teamwork,
)
from helpdesk.services.accounts.accounts import add_user
from helpdesk.services.core import audit
from helpdesk.services.core.counters import next_number
from helpdesk.services.mail import canned
from helpdesk.services.mail.canned_defaults import DEFAULTS
from helpdesk.services.tracker import sla, tracker

DEMO_PASSWORD = "support-demo-2026"  # noqa: S105 (printed on purpose: demo only)
MARKER = "demo_data_loaded"


@dataclass(frozen=True)
class Login:
    email: str
    name: str
    role: Role
    tier: int | None = None
    note: str = ""


STAFF = [
    Login("admin@example.com", "Ada Admin", Role.ADMIN, note="administration, tracker, billing"),
    Login("agent1@example.com", "Lena Lind", Role.AGENT, 1, note="level-one technician"),
    Login("agent2@example.com", "Tomas Tran", Role.AGENT, 2, note="tier II: active-plan cases"),
    Login("agent3@example.com", "Priya Patel", Role.AGENT, 3, note="level 3"),
    Login("billing@example.com", "Bob Berg", Role.BILLING, note="payment and system manager"),
]


@dataclass(frozen=True)
class DemoCustomer:
    email: str
    name: str
    company: str
    note: str  # which eligibility case of seed 000 this account shows
    orders: tuple[tuple[OrderKind, str, int, int | None], ...]  # kind, version, days ago, term
    after_hours: bool = False


CUSTOMERS = [
    DemoCustomer(
        "anna@northwind.example",
        "Anna Novak",
        "Northwind Outfitters",
        "recent purchase (12 days): active plan",
        ((OrderKind.PURCHASE, "9.2", 12, None),),
    ),
    DemoCustomer(
        "ben@harbortheatre.example",
        "Ben Harris",
        "Harbor Theatre",
        "purchase 200 days ago: no active plan",
        ((OrderKind.PURCHASE, "9.0", 200, None),),
    ),
    DemoCustomer(
        "cara@cedarbooks.example",
        "Cara Chen",
        "Cedar Books",
        "new evaluation (5 days): active plan",
        ((OrderKind.EVALUATION, "9.2", 5, None),),
    ),
    DemoCustomer(
        "dan@lakeside.example",
        "Dan Ortiz",
        "Lakeside Crafts",
        "evaluating for 4 months, licence ordered on an unpaid invoice: send to sales",
        ((OrderKind.EVALUATION, "9.1", 130, None),),
    ),
    DemoCustomer(
        "eve@summithosting.example",
        "Eve Stone",
        "Summit Hosting Co",
        "hosting customer: active plan",
        ((OrderKind.HOSTING, "9.2", 400, None),),
    ),
    DemoCustomer(
        "finn@pinecrest.example",
        "Finn Walsh",
        "Pinecrest Festival",
        "priority support, after-hours plan: active plan",
        ((OrderKind.PURCHASE, "9.0", 500, None), (OrderKind.PRIORITY_SUPPORT, "9.0", 60, 365)),
        after_hours=True,
    ),
    DemoCustomer(
        "gus@oldtown.example",
        "Gus Meyer",
        "Oldtown Hardware",
        "version 5.1: unsupported, paid support only",
        ((OrderKind.PURCHASE, "5.1", 10, None),),
    ),
]

# Seed 000's eight system e-mails live with the other defaults (issue 7 made them editable).
CANNED = DEFAULTS

# More people at the demo companies (seed 003: contacts kept current, former ones marked).
# (customer index, name, e-mail, phone, position, former note or None)
EXTRA_CONTACTS = [
    (0, "Omar Novak", "omar@northwind.example", "+1 303 555 0112", "Web developer", None),
    (
        1,
        "Hannah Price",
        "hannah@harbortheatre.example",
        "(303) 555-0127",
        "Box office manager",
        "former box office manager",
    ),
    (1, "Ivy Park", "ivy@harbortheatre.example", "303.555.0128", "Marketing", None),
]

TEST_CARD = "4242 4242 4242 4242"  # a processor test number; only its token is kept
BLOCKED_TEST_CARD = "4000 0000 0000 0002"


def is_loaded() -> bool:
    """True once demo data has been loaded into this database."""
    return db.session.get(Setting, MARKER) is not None


def loaded_at() -> datetime | None:
    """The moment the demo's ages count back from (when it was loaded), if it is there."""
    marker = db.session.get(Setting, MARKER)
    return datetime.fromisoformat(marker.value) if marker else None


def load(
    card_key: bytes,
    progress: Callable[[Iterable], Iterable] = iter,
    now: datetime | None = None,
) -> bool:
    """Load the demo data once, every age counted back from one `now` (default: this
    moment); False (and no change) when it is already there."""
    if is_loaded():
        return False
    now = now or utcnow()
    password_hash = hash_password(DEMO_PASSWORD)
    staff = {login.email: _staff(login, password_hash) for login in STAFF}
    customers = [
        _customer(spec, card_key, password_hash, index, now) for index, spec in enumerate(CUSTOMERS)
    ]
    _extra_contacts(customers)
    _reference_data()
    _macros(staff)
    _routing(staff)
    demo_teamwork.policies()
    _cases(staff, customers, progress, now)
    _money(staff["billing@example.com"], customers, card_key, now)
    _catalogue(staff["billing@example.com"], customers, now)
    _fraud_stop(staff["admin@example.com"], card_key)
    agents = [staff[f"agent{n}@example.com"] for n in (1, 2, 3)]
    demo_history.load(agents, customers, now)
    demo_routing.load(staff, customers, now)
    demo_eligibility.load(now)
    demo_intake.load(staff["agent1@example.com"], staff["agent2@example.com"], customers, now)
    demo_contacts.load(customers)
    demo_searchfraud.load(now)
    demo_billingcase.load(customers, card_key, BLOCKED_TEST_CARD, now)
    demo_feedback.load(agents)
    demo_teamwork.load(staff, now)
    _eligibility_at_opening(now)
    db.session.add(Setting(key=MARKER, value=now.isoformat()))
    db.session.commit()
    return True


def _eligibility_at_opening(now: datetime) -> None:
    """Every demo case shows an eligibility kept at opening, and the tier it gave, as a new
    case would; the loaders keep it as they go, this catches any case they left out.

    The demo's: its orders are dated back from `now`, some after its older cases."""
    db.session.flush()
    unrecorded = db.session.scalars(sa.select(Case).where(Case.eligibility_level.is_(None)))
    for case in unrecorded:
        demo_eligibility.keep_at_opening(case, now)


def logins() -> list[tuple[str, str, str]]:
    """(e-mail, role, what it shows) for every demo login."""
    rows = [(s.email, f"{s.role}{f' tier {s.tier}' if s.tier else ''}", s.note) for s in STAFF]
    rows += [(c.email, "customer", f"{c.company}: {c.note}") for c in CUSTOMERS]
    return rows


def _staff(login: Login, password_hash: str) -> User:
    return add_user(
        email=login.email,
        name=login.name,
        password=DEMO_PASSWORD,
        role=login.role,
        tier=login.tier,
        password_hash=password_hash,
    )


def _customer(
    spec: DemoCustomer, card_key: bytes, password_hash: str, index: int, now: datetime
) -> User:
    organisation = Organisation(
        name=spec.company,
        customer_number=f"C{next_number('customer')}",
        partner_id="P-1001" if spec.after_hours else None,
        after_hours_support=spec.after_hours,
        phone=f"+1 303 555 {200 + index:04d}",  # a switchboard each: lookup by phone finds one
    )
    db.session.add(organisation)
    db.session.flush()
    user = add_user(
        email=spec.email,
        name=spec.name,
        password=DEMO_PASSWORD,
        role=Role.CUSTOMER,
        organisation=organisation,
        password_hash=password_hash,
    )
    db.session.add(
        Contact(
            organisation_id=organisation.id,
            user_id=user.id,
            name=spec.name,
            email=spec.email,
            phone=f"+1 303 555 {101 + index:04d}",
            position="Owner",
            is_primary=True,
        )
    )
    domain = spec.email.split("@")[1]
    for kind, version, days_ago, term_days in spec.orders:
        ordered_at = now - timedelta(days=days_ago)
        db.session.add(
            Order(
                number=f"O{next_number('order')}",
                organisation_id=organisation.id,
                purchaser_id=user.id,
                product="AbleCommerce",
                version=version,
                kind=kind,
                ordered_at=ordered_at,
                expires_on=(ordered_at + timedelta(days=term_days)).date() if term_days else None,
                licensed_website=f"shop.{domain}",
                licence_key=secrets.token_hex(8).upper() if kind != OrderKind.EVALUATION else None,
                amount_cents=0 if kind == OrderKind.EVALUATION else 99500,
            )
        )
    db.session.add(
        PaymentCard(
            organisation_id=organisation.id,
            brand=card_brand(TEST_CARD),
            last4=last_four(TEST_CARD),
            exp_month=12,
            exp_year=now.year + 2,
            processor_token=f"tok_{secrets.token_hex(12)}",
            fingerprint=card_fingerprint(TEST_CARD, card_key),
        )
    )
    return user


def _extra_contacts(customers: list[User]) -> None:
    for index, name, email, phone, position, former in EXTRA_CONTACTS:
        db.session.add(
            Contact(
                organisation_id=customers[index].organisation_id,
                name=name,
                email=email,
                phone=phone,
                position=position,
                former_employee=former is not None,
                former_note=former,
            )
        )


def _reference_data() -> None:
    for position, name in enumerate(["Licensing", "Installation", "Billing", "Hosting", "Bug"]):
        db.session.add(CaseType(name=name, position=position))
    for position, name in enumerate(
        ["Called customer", "Sent web help link", "Escalated to tier II", "Scheduled training"]
    ):
        db.session.add(CaseAction(name=name, position=position))
    canned.add_missing_defaults()
    for slug, title, body in [
        (
            "request-licence-key",
            "How to request a licence key",
            "Log in, open My orders and choose Request a key.",
        ),
        (
            "open-support-case",
            "How to open a support case",
            "Log in, choose New case, pick your order and describe the issue.",
        ),
        (
            "install-checklist",
            "Installation checklist",
            "Check the server requirements, then run the installer.",
        ),
    ]:
        db.session.add(Article(slug=slug, title=title, body=body, body_html=render_markup(body)))


def _macros(staff: dict[str, User]) -> None:
    """Two shared saved replies beside the system e-mails, and one of agent1's own."""
    installation = db.session.scalar(sa.select(CaseType).where(CaseType.name == "Installation"))
    for title, body, actions, owner in [
        (
            "Solved: closing the case",
            "Hello {customer_name},\n\nglad to hear it works now. I am closing case "
            "#{case_number}; just reply within 14 days if the problem comes back and it opens "
            "again.\n\n{agent_name}\nSupport team",
            {"status": "closed"},
            None,
        ),
        (
            "Installation: check the requirements first",
            "Hello {customer_name},\n\nmost installation problems come from a server "
            "requirement. Please go through the checklist below and tell us which step "
            "fails.\n\n{agent_name}\nSupport team",
            {"case_type_id": installation.id, "article_slug": "install-checklist"},
            None,
        ),
        (
            "Asking for the log file",
            "Hello {customer_name},\n\ncould you attach the error log of the {organisation} "
            "store to this case? It is under Admin > Reports > Error log.\n\n{agent_name}",
            {},
            staff["agent1@example.com"],
        ),
    ]:
        db.session.add(
            CannedResponse(
                title=title,
                subject="",
                body=body,
                actions=actions,
                owner_id=owner.id if owner else None,
            )
        )


def _routing(staff: dict[str, User]) -> None:
    """Seed 000: level one reviews new cases; bug reports go to tier II (level three covers)."""
    db.session.add_all(
        [
            RoutingRule(
                position=1,
                category=Category.BUG_REPORT,
                assignee_id=staff["agent2@example.com"].id,
                fallback_id=staff["agent3@example.com"].id,
            ),
            RoutingRule(position=99, assignee_id=staff["agent1@example.com"].id),
        ]
    )


# Why Lena (tier 1) took a tier-2 case anyway: the one logged override of the demo.
SHIPPING_OVERRIDE = (
    "Nobody of tier 2 was free and their checkout cannot quote shipping; "
    "I set up their carrier accounts last week."
)

# (customer index, subject, status, assignee e-mail or None, age in days, extra clock settings)
# Each case starts at the tier its customer's eligibility gives (an active plan: tier 2, as in
# helpdesk.rules.tiers), so the tier-2 ones are held by tier 2 (Tomas) or wait in the queue;
# Lena (tier 1) holds the others, and one tier-2 case with its override on the timeline.
CASES = [
    (0, "Checkout page shows an error after upgrade", CaseStatus.NEW, None, 0, {}),
    (2, "How do I install the evaluation on Windows?", CaseStatus.NEW, "agent2@example.com", 0, {}),
    (
        0,
        "Shipping rates not calculated",
        CaseStatus.OPEN,
        "agent1@example.com",
        1,
        {"override": SHIPPING_OVERRIDE},
    ),
    (
        4,
        "Hosting: site is slow since Monday",
        CaseStatus.WAITING,
        "agent2@example.com",
        3,
        {"answered_days": 2, "customer_reply_days": 1},
    ),
    (
        5,
        "Cannot sell tickets for the gala",
        CaseStatus.ANSWERED,
        "agent2@example.com",
        2,
        # Seed 003's worked example: called twice overnight on the after-hours plan (+5 +5),
        # cannot sell a ticket (+10): 20, high priority.
        {
            "answered_days": 1,
            "viewed": True,
            "priority": (20, ["after_hours_overnight", "after_hours_overnight", "cannot_sell"]),
        },
    ),
    (1, "Report export is empty", CaseStatus.OPEN, "agent1@example.com", 35, {}),
    (
        3,
        "Licence key for the evaluation",
        CaseStatus.ANSWERED,
        "agent1@example.com",
        12,
        {"answered_days": 10, "viewed": False},
    ),
    (
        6,
        "Upgrade from 5.1",
        CaseStatus.WAITING,
        "agent1@example.com",
        20,
        {"answered_days": 18, "viewed": True, "customer_reply_days": 2},
    ),
    (
        5,
        "Orders saved twice in the database",
        CaseStatus.OPEN,
        "agent2@example.com",
        4,
        {"tier": 2, "category": Category.BUG_REPORT, "priority": (8, ["data_not_stored"])},
    ),
    # Seed 003's morning: a voice mail left overnight by an after-hours (911) plan customer:
    # +5, not also +3 for the call (helpdesk.rules.priority: the +5 replaces the +3).
    (
        5,
        "Voice mail: box office printer down before the matinee",
        CaseStatus.NEW,
        None,
        0,
        {
            "overnight": True,
            "origin": Origin.PHONE,
            "callback": "+1 303 555 0177",
            "priority": (5, ["after_hours_overnight"]),
        },
    ),
]


def _cases(staff: dict[str, User], customers: list[User], progress, now: datetime) -> None:
    for index, subject, status, assignee_email, age, extra in progress(CASES):
        customer = customers[index]
        created = now - timedelta(days=age, hours=1)
        if extra.get("overnight"):
            closed = last_close(now, sla.current_calendar(now))
            created = closed + min(timedelta(hours=2), (now - closed) / 2)
        assignee = staff.get(assignee_email) if assignee_email else None
        order = db.session.scalars(
            sa.select(Order).where(Order.organisation_id == customer.organisation_id)
        ).first()
        body = f"Hello,\n\n{subject}. Can you help?\n\nThanks, {customer.name}"
        case = Case(
            number=next_number("case"),
            subject=subject,
            body=body,
            body_html=render_markup(body),
            organisation_id=customer.organisation_id,
            order_id=order.id if order else None,
            requester_id=customer.id,
            correspondent_email=customer.email,
            callback_phone=extra.get("callback"),
            origin=extra.get("origin", Origin.WEB),
            category=extra.get("category", Category.SUPPORT),
            status=status,
            tier=extra.get("tier", 1),  # or higher: keep_at_opening below, as triage does
            priority_score=extra.get("priority", (0, []))[0],
            priority_factors=extra.get("priority", (0, []))[1],
            assignee=assignee,
            created_at=created,
            updated_at=created,
            assigned_at=created if assignee else None,
            awaiting_agent_since=created,
            product_version=order.version if order else None,
        )
        if status != CaseStatus.NEW:
            case.opened_at = created + timedelta(minutes=30)
        demo_eligibility.keep_at_opening(case, now)
        sla.apply_first_response_due(case, created)
        db.session.add(case)
        db.session.flush()
        if "override" in extra:  # as "Accept anyway" with its reason logs it
            tracker.record_override(assignee, case, assignee, extra["override"], created)
        if "answered_days" in extra:
            answered = now - timedelta(days=extra["answered_days"])
            _message(
                case,
                assignee,
                "Thanks for the details. Please try the steps in our help "
                "article and tell us the result.",
                answered,
                from_customer=False,
            )
            case.first_response_at = case.last_agent_reply_at = answered
            case.awaiting_agent_since = None
            if extra.get("viewed"):
                case.customer_viewed_at = answered + timedelta(hours=2)
        if "customer_reply_days" in extra:
            replied = now - timedelta(days=extra["customer_reply_days"])
            _message(
                case,
                customer,
                "I tried that; the problem is still there.",
                replied,
                from_customer=True,
            )
            case.last_customer_reply_at = case.awaiting_agent_since = replied
        if "closed_days" in extra:
            case.closed_at = now - timedelta(days=extra["closed_days"])
            case.closed_by_id = customer.id
            case.awaiting_agent_since = None
        if extra.get("tier") == 2:
            case.estimate_minutes = 240
            db.session.add(
                Activity(
                    case_id=case.id,
                    actor_id=assignee.id,
                    kind=ActivityKind.ACTION,
                    summary="Escalated to tier II",
                    created_at=created + timedelta(hours=1),
                )
            )
        case.updated_at = max(
            m
            for m in (
                case.created_at,
                case.last_agent_reply_at,
                case.last_customer_reply_at,
                case.closed_at,
            )
            if m
        )
        if assignee:
            db.session.add(
                Activity(
                    case_id=case.id,
                    actor_id=assignee.id if "override" in extra else None,
                    kind=ActivityKind.ASSIGNMENT,
                    summary=f"Assigned to {assignee.name}",
                    created_at=created,
                )
            )


def _message(case: Case, author: User, body: str, at: datetime, *, from_customer: bool) -> None:
    db.session.add(
        Message(
            case_id=case.id,
            author_id=author.id,
            kind=MessageKind.REPLY,
            from_customer=from_customer,
            origin=Origin.WEB,
            body=body,
            body_html=render_markup(body),
            created_at=at,
        )
    )


def _money(clerk: User, customers: list[User], card_key: bytes, now: datetime) -> None:
    orders = db.session.scalars(sa.select(Order).where(Order.amount_cents > 0)).all()
    cards = {c.organisation_id: c for c in db.session.scalars(sa.select(PaymentCard))}
    payments = []
    for order in orders:
        invoice = Invoice(
            number=f"I{next_number('invoice')}",
            organisation_id=order.organisation_id,
            order_id=order.id,
            status=InvoiceStatus.PAID,
            issued_on=order.ordered_at.date(),
            due_on=order.ordered_at.date() + timedelta(days=14),
            paid_at=order.ordered_at,
            total_cents=order.amount_cents,
        )
        db.session.add(invoice)
        db.session.flush()
        payment = Payment(
            organisation_id=order.organisation_id,
            order_id=order.id,
            invoice_id=invoice.id,
            card_id=cards[order.organisation_id].id,
            method=PaymentMethod.CARD,
            amount_cents=order.amount_cents,
            created_at=order.ordered_at,
            processor_reference=f"ch_{secrets.token_hex(8)}",
        )
        db.session.add(payment)
        payments.append(payment)
    db.session.flush()
    # A partial refund to the card and one to prepaid balance, each audited like the real thing.
    for payment, amount, destination, reason in [
        (payments[0], 10000, RefundDestination.CARD, "Goodwill: outage during setup"),
        (payments[1], 5000, RefundDestination.PREPAID, "Duplicate add-on charge"),
    ]:
        refund = Refund(
            payment_id=payment.id,
            amount_cents=amount,
            reason=reason,
            destination=destination,
            idempotency_key=secrets.token_hex(16),
            created_by_id=clerk.id,
            created_at=now - timedelta(days=1),
        )
        payment.refunded_cents += amount
        db.session.add(refund)
        db.session.flush()
        if destination == RefundDestination.PREPAID:
            organisation = db.session.get(Organisation, payment.organisation_id)
            organisation.prepaid_balance_cents += amount
            db.session.add(
                PrepaidEntry(
                    organisation_id=organisation.id,
                    amount_cents=amount,
                    description=f"Refund: {reason}",
                    refund_id=refund.id,
                    payment_id=payment.id,
                    created_by_id=clerk.id,
                )
            )
        audit.record(
            "refund.create",
            actor=clerk,
            obj=refund,
            organisation_id=payment.organisation_id,
            amount_cents=amount,
            destination=destination.value,
        )
    _telecom(customers[4].organisation_id, orders[0], now)


def _telecom(organisation_id: int, order: Order, now: datetime) -> None:
    """Seed 002's recurring payments, service plan, shipment and promotion for one customer."""
    today = now.date()
    number = PhoneNumber(
        organisation_id=organisation_id, number="+1 303 555 0199", forward_to="+1 303 555 0100"
    )
    plan = ServicePlan(name="Business Flat 100", monthly_cents=2900)
    db.session.add_all([number, plan])
    db.session.flush()
    db.session.add_all(
        [
            Subscription(
                organisation_id=organisation_id,
                plan_id=plan.id,
                phone_number_id=number.id,
                effective_on=today - timedelta(days=90),
            ),
            RecurringPayment(
                organisation_id=organisation_id,
                kind=RecurringKind.FLAT_RATE,
                description="Business Flat 100",
                amount_cents=2900,
                effective_on=today - timedelta(days=90),
                next_charge_on=today + timedelta(days=6),
            ),
            RecurringPayment(
                organisation_id=organisation_id,
                kind=RecurringKind.NUMBER_PORTING,
                description="Port +1 303 555 0199",
                amount_cents=500,
                enabled=False,
                effective_on=today - timedelta(days=30),
            ),
            Shipment(
                order_id=order.id,
                organisation_id=order.organisation_id,
                item="Receipt printer",
                scheduled_on=today + timedelta(days=2),
            ),
            Promotion(
                code="WINTER26",
                name="Winter bundle",
                description="15% off add-ons",
                percent_off=15,
                starts_on=today - timedelta(days=10),
                ends_on=today + timedelta(days=50),
            ),
        ]
    )


# (code, name, version, kind, unit price in cents, physical): what billing staff can order.
PRODUCTS = [
    ("AC-LIC", "AbleCommerce", "9.2", OrderKind.PURCHASE, 99500, False),
    ("AC-HOST", "AbleCommerce Hosting", "9.2", OrderKind.HOSTING, 4900, False),
    ("AC-PRIO", "Priority support incident", "9.2", OrderKind.PRIORITY_SUPPORT, 4500, False),
    ("AC-MAINT", "Maintenance plan", "9.2", OrderKind.MAINTENANCE, 29900, False),
    ("HW-PRINTER", "Receipt printer", "TM-30", OrderKind.PURCHASE, 18900, True),
    ("HW-PHONE", "Desk phone", "VVX-250", OrderKind.PURCHASE, 12900, True),
]
PREPAID_TOP_UP = 50000  # Summit Hosting Co pays ahead: prepaid orders work out of the box


def _catalogue(clerk: User, customers: list[User], now: datetime) -> None:
    """The product catalogue, a prepaid top-up and an invoiced order still open to a promotion."""
    for code, name, version, kind, unit_cents, physical in PRODUCTS:
        db.session.add(
            Product(
                code=code,
                name=name,
                version=version,
                kind=kind,
                unit_cents=unit_cents,
                physical=physical,
            )
        )
    summit = db.session.get(Organisation, customers[4].organisation_id)
    summit.prepaid_balance_cents += PREPAID_TOP_UP
    db.session.add(
        PrepaidEntry(
            organisation_id=summit.id,
            amount_cents=PREPAID_TOP_UP,
            description="Prepaid top-up by bank transfer",
            created_by_id=clerk.id,
        )
    )
    db.session.flush()
    # Cedar Books is invoiced for hosting and has not paid: WINTER26 can still be assigned.
    hosting = db.session.scalar(sa.select(Product).where(Product.code == "AC-HOST"))
    order = Order(
        number=f"O{next_number('order')}",
        organisation_id=customers[2].organisation_id,
        purchaser_id=customers[2].id,
        product_id=hosting.id,
        product=hosting.name,
        version=hosting.version,
        kind=hosting.kind,
        status=OrderStatus.PENDING,
        ordered_at=now - timedelta(days=1),
        quantity=3,
        amount_cents=3 * hosting.unit_cents,
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(
        Invoice(
            number=f"I{next_number('invoice')}",
            organisation_id=order.organisation_id,
            order_id=order.id,
            status=InvoiceStatus.OPEN,
            issued_on=order.ordered_at.date(),
            due_on=order.ordered_at.date() + timedelta(days=14),
            total_cents=order.amount_cents,
        )
    )


def _fraud_stop(admin: User, card_key: bytes) -> None:
    network, first, last = network_range("203.0.113.0/24")
    blocked_ip = BlockedIP(
        network=network,
        range_start=first,
        range_end=last,
        reason="Card testing from this range",
        created_by_id=admin.id,
    )
    blocked_card = BlockedCard(
        fingerprint=card_fingerprint(BLOCKED_TEST_CARD, card_key),
        brand=card_brand(BLOCKED_TEST_CARD),
        last4=last_four(BLOCKED_TEST_CARD),
        reason="Reported stolen by the issuer",
        created_by_id=admin.id,
    )
    db.session.add_all([blocked_ip, blocked_card])
    db.session.flush()
    audit.record("fraud.block_ip", actor=admin, obj=blocked_ip, network=network)
    audit.record("fraud.block_card", actor=admin, obj=blocked_card, last4=blocked_card.last4)
