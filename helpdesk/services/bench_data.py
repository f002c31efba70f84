"""Bulk data for benchmarks: many organisations, cases and messages, inserted in batches.

Core INSERTs in large batches (not the ORM unit of work) so a million cases take minutes.
The text is built from a support vocabulary, so full-text search has realistic work to do.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable, Iterator
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseStatus,
    Category,
    Counter,
    Message,
    MessageKind,
    Order,
    OrderKind,
    Organisation,
    Origin,
    Role,
    User,
    utcnow,
)

PASSWORD = "bench-password-2026"  # noqa: S105 (benchmark logins on a throwaway database)
BATCH = 5_000
AGENTS = 20

PROBLEMS = [
    "checkout page shows an error",
    "shipping rates are not calculated",
    "licence key rejected",
    "installation stops at step three",
    "report export is empty",
    "orders saved twice",
    "payment gateway times out",
    "customer cannot log in",
    "images missing after upgrade",
    "tax totals are wrong",
    "email notifications not sent",
    "search returns nothing",
    "coupon code not applied",
    "inventory count goes negative",
    "slow product pages",
    "SSL certificate warning",
    "cannot sell tickets",
    "database backup fails",
]
CONTEXT = [
    "since the upgrade to 9.2",
    "on the live site",
    "for some customers only",
    "after a restart",
    "when using Firefox",
    "on the mobile layout",
    "every Monday morning",
    "in the admin area",
    "with the hosted plan",
    "after changing the theme",
    "during the evening sale",
]
COMPANIES = [
    "Northwind",
    "Harbor",
    "Cedar",
    "Lakeside",
    "Summit",
    "Pinecrest",
    "Oldtown",
    "Riverside",
    "Maple",
    "Granite",
    "Bluebird",
    "Copper",
    "Willow",
    "Aurora",
]
KINDS = [
    "Outfitters",
    "Theatre",
    "Books",
    "Crafts",
    "Hosting",
    "Festival",
    "Hardware",
    "Studios",
    "Supplies",
    "Cinemas",
    "Bakery",
    "Garden",
]
# Roughly how a mature helpdesk's cases are spread over the folders.
STATUS_WEIGHTS = [
    (CaseStatus.CLOSED, 70),
    (CaseStatus.ANSWERED, 10),
    (CaseStatus.OPEN, 7),
    (CaseStatus.NEW, 6),
    (CaseStatus.WAITING, 7),
]


def _batches(total: int, size: int = BATCH) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def _insert(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(sa.insert(model), rows)


def load(
    cases: int,
    messages_per_case: int = 3,
    seed: int = 7,
    progress: Callable[[int], None] = lambda n: None,
) -> dict[str, int]:
    """Add `cases` cases (and their organisations, people, orders, messages); commit."""
    rng = random.Random(seed)
    now = utcnow()
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    organisations = max(10, cases // 20)
    first_org = (db.session.scalar(sa.select(sa.func.max(Organisation.id))) or 0) + 1
    first_user = (db.session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
    first_order = (db.session.scalar(sa.select(sa.func.max(Order.id))) or 0) + 1
    first_case = (db.session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
    first_number = max(db.session.scalar(sa.select(sa.func.max(Case.number))) or 10000, 10000) + 1
    tag = f"b{first_org}"

    _insert(
        User,
        [
            {
                "id": first_user + n,
                "email": f"agent{n}.{tag}@bench.example",
                "name": f"Agent {n}",
                "password_hash": password_hash,
                "role": Role.AGENT,
                "tier": 1 + n % 3,
                "time_zone": "America/Denver",
                "active": True,
                "session_version": 1,
                "created_at": now,
            }
            for n in range(AGENTS)
        ],
    )
    agent_ids = [first_user + n for n in range(AGENTS)]
    for block in _batches(organisations):
        _insert(
            Organisation,
            [
                {
                    "id": first_org + n,
                    "name": f"{rng.choice(COMPANIES)} {rng.choice(KINDS)} {n}",
                    "customer_number": f"B{tag}-{n}",
                    "time_zone": "America/Denver",
                    "after_hours_support": n % 10 == 0,
                    "is_reseller": False,
                    "prepaid_balance_cents": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in block
            ],
        )
        _insert(
            User,
            [
                {
                    "id": first_user + AGENTS + n,
                    "email": f"customer{n}.{tag}@bench.example",
                    "name": f"Customer {n}",
                    "password_hash": password_hash,
                    "role": Role.CUSTOMER,
                    "organisation_id": first_org + n,
                    "time_zone": "America/Denver",
                    "active": True,
                    "session_version": 1,
                    "created_at": now,
                }
                for n in block
            ],
        )
        _insert(
            Order,
            [
                {
                    "id": first_order + n,
                    "number": f"O{tag}-{n}",
                    "organisation_id": first_org + n,
                    "purchaser_id": first_user + AGENTS + n,
                    "product": "AbleCommerce",
                    "version": rng.choice(["9.2", "9.1", "8.0", "5.1"]),
                    "kind": rng.choice(list(OrderKind)),
                    "status": "paid",
                    "ordered_at": now - timedelta(days=rng.randint(1, 700)),
                    "licensed_website": f"shop{n}.bench.example",
                    "quantity": 1,
                    "amount_cents": 99500,
                    "currency": "USD",
                    "created_at": now,
                }
                for n in block
            ],
        )
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    message_id = (db.session.scalar(sa.select(sa.func.max(Message.id))) or 0) + 1
    for block in _batches(cases):
        case_rows, message_rows = [], []
        for n in block:
            org = rng.randrange(organisations)
            created = now - timedelta(minutes=rng.randint(5, 60 * 24 * 730))
            status = rng.choice(statuses)
            problem, context = rng.choice(PROBLEMS), rng.choice(CONTEXT)
            body = f"Hello, the {problem} {context}. Order shop{org}.bench.example. Please help."
            assigned = None if (status == CaseStatus.NEW and n % 3 == 0) else rng.choice(agent_ids)
            replied = created + timedelta(hours=rng.randint(1, 48))
            case_rows.append(
                {
                    "id": first_case + n,
                    "number": first_number + n,
                    "subject": f"{problem.capitalize()} {context}",
                    "body": body,
                    "body_html": f"<p>{html.escape(body)}</p>",
                    "organisation_id": first_org + org,
                    "order_id": first_order + org,
                    "requester_id": first_user + AGENTS + org,
                    "origin": rng.choice(list(Origin)),
                    "category": rng.choice(list(Category)),
                    "status": status,
                    "tier": rng.choice([1, 1, 1, 2, 2, 3]),
                    "assignee_id": assigned,
                    "priority_score": rng.choice([0, 0, 0, 1, 3, 5, 10]),
                    "priority_factors": [],
                    "created_at": created,
                    "updated_at": replied,
                    "awaiting_agent_since": None
                    if status in (CaseStatus.CLOSED, CaseStatus.ANSWERED)
                    else created,
                    "last_agent_reply_at": replied
                    if status in (CaseStatus.ANSWERED, CaseStatus.CLOSED, CaseStatus.WAITING)
                    else None,
                    "customer_viewed_at": replied if n % 4 else None,
                    "closed_at": replied if status == CaseStatus.CLOSED else None,
                    "version": 1,
                }
            )
            for k in range(messages_per_case):
                text = (
                    f"About the {problem}: "
                    + rng.choice(CONTEXT)
                    + (
                        ". Thanks for the details, please try clearing the cache."
                        if k % 2
                        else ". I tried that and it still fails."
                    )
                )
                message_rows.append(
                    {
                        "id": message_id,
                        "case_id": first_case + n,
                        "author_id": assigned if k % 2 and assigned else first_user + AGENTS + org,
                        "kind": MessageKind.REPLY,
                        "from_customer": not k % 2,
                        "origin": Origin.WEB,
                        "body": text,
                        "body_html": f"<p>{html.escape(text)}</p>",
                        "created_at": created + timedelta(minutes=10 * (k + 1)),
                    }
                )
                message_id += 1
        _insert(Case, case_rows)
        _insert(Message, message_rows)
        db.session.commit()
        progress(len(block))
    last = first_number + cases - 1
    counter = db.session.get(Counter, "case")
    if counter is None:
        db.session.add(Counter(name="case", value=last))
    else:
        counter.value = max(counter.value, last)
    db.session.commit()
    return {"organisations": organisations, "cases": cases, "messages": cases * messages_per_case}
