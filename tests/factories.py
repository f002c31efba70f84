"""Plain factories: make_organisation / make_user / make_order / make_case(**overrides).

Each needs an application context, adds to the session and flushes; the caller commits.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from datetime import timedelta

from werkzeug.security import generate_password_hash

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseStatus,
    Category,
    Message,
    MessageKind,
    Order,
    OrderKind,
    Organisation,
    Origin,
    PendingRegistration,
    Role,
    User,
    utcnow,
)

PASSWORD = "correct-horse-battery"
# scrypt with N=2**10 instead of 2**15: the suite logs in thousands of times.
TEST_HASH_METHOD = "scrypt:1024:8:1"
REGISTRATION_TOKEN = "pending-registration-token"  # the security worlds' mailed link
_sequence = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    # One hash per run, at the suite's low cost (tests/conftest.py TEST_HASH_METHOD).
    return generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)


def make_organisation(**overrides) -> Organisation:
    n = next(_sequence)
    organisation = Organisation(
        **{"name": f"Company {n}", "customer_number": f"CT{n:06d}", **overrides}
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_user(role: Role = Role.CUSTOMER, **overrides) -> User:
    n = next(_sequence)
    if role == Role.CUSTOMER and not {"organisation", "organisation_id"} & overrides.keys():
        overrides["organisation"] = make_organisation()
    if role == Role.AGENT:
        overrides.setdefault("tier", 1)
    user = User(
        **{
            "email": f"user{n}@example.test",
            "name": f"User {n}",
            "role": role,
            "password_hash": _password_hash(),
            **overrides,
        }
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_pending_registration(token: str, **overrides) -> PendingRegistration:
    """A self-registration waiting for the mailed link that carries `token`."""
    n = next(_sequence)
    pending = PendingRegistration(
        email=f"newcomer{n}@example.test",
        name=f"Newcomer {n}",
        company=f"Newcomer {n} Ltd",
        password_hash=_password_hash(),
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        **overrides,
    )
    db.session.add(pending)
    db.session.flush()
    return pending


def make_order(organisation: Organisation, **overrides) -> Order:
    n = next(_sequence)
    order = Order(
        **{
            "number": f"OT{n:06d}",
            "organisation_id": organisation.id,
            "product": "AbleCommerce",
            "version": "9.2",
            "kind": OrderKind.PURCHASE,
            "ordered_at": utcnow() - timedelta(days=3),
            "amount_cents": 99500,
            **overrides,
        }
    )
    db.session.add(order)
    db.session.flush()
    return order


def make_case(organisation: Organisation, **overrides) -> Case:
    n = next(_sequence)
    now = utcnow()
    case = Case(
        **{
            "number": 900000 + n,
            "subject": f"Case subject {n}",
            "body": "Something is wrong.",
            "body_html": "<p>Something is wrong.</p>",
            "organisation_id": organisation.id,
            "origin": Origin.WEB,
            "category": Category.SUPPORT,
            "status": CaseStatus.NEW,
            "awaiting_agent_since": now,
            **overrides,
        }
    )
    db.session.add(case)
    db.session.flush()
    return case


def make_product(**overrides):
    """A catalogue product: $49.00 of software unless told otherwise."""
    from helpdesk.models import Product  # here, so this addition stays at the end of the file

    n = next(_sequence)
    product = Product(
        **{
            "code": f"P-{n:05d}",
            "name": f"Product {n}",
            "version": "9.2",
            "kind": OrderKind.PURCHASE,
            "unit_cents": 4900,
            **overrides,
        }
    )
    db.session.add(product)
    db.session.flush()
    return product


def make_held_reply(case: Case, body: str = "A held e-mail") -> Message:
    """An e-mail reply from an address not the case's, waiting for an agent to accept it."""
    held = Message(
        case_id=case.id,
        author_email="someone-else@example.test",
        kind=MessageKind.REPLY,
        from_customer=True,
        origin=Origin.EMAIL,
        body=body,
        body_html=f"<p>{body}</p>",
        unverified_sender=True,
    )
    db.session.add(held)
    db.session.flush()
    return held
