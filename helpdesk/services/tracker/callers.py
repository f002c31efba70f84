"""Find a caller's account from whatever they can tell us, and show it (seed 000 steps I-III).

Seed 000, step I: "can you tell me the name of the licensed website ... I can also lookup
your account by order number, name, company, email"; step II wants a licence key search
too. One search box covers all of those, plus phone numbers, the customer ID (seed 003:
customers confirm our identity with it) and a card's last four digits.

Every field is one query with a LIMIT, so a lookup costs a fixed number of small queries
however many rows match. The searcher's text only travels as a bound LIKE pattern whose
wildcards are escaped: "%" and "_" match themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseStatus,
    Contact,
    Order,
    OrderKind,
    OrderStatus,
    Organisation,
    PaymentCard,
    PhoneNumber,
    Role,
    User,
)
from helpdesk.rules.eligibility import Eligibility
from helpdesk.services.cases.eligibility import organisation_eligibility

MIN_CHARS = 2
MAX_CHARS = 100
PER_FIELD = 20  # rows one field's query may return
MAX_ACCOUNTS = 20
MATCHES_SHOWN = 3  # per account in the result list
MIN_PHONE_DIGITS = 4
MIN_KEY_CHARS = 4
_PHONE_TEXT = re.compile(r"[\d\s().+/-]+")
_PHONE_SEPARATORS = " -().+/"
_KEY_SEPARATORS = " -"
_LAST_FOUR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Match:
    """Which field of the account matched, and the value as it may be shown."""

    field: str
    value: str


@dataclass
class CallerHit:
    """One account in the lookup results."""

    organisation_id: int
    name: str
    customer_number: str
    rank: int = 3  # 0 exact, 1 starts with, 2 contains
    matches: list[Match] = field(default_factory=list)


@dataclass(frozen=True)
class Person:
    """A contact or a customer login of the account (seed 003: former employees marked)."""

    key: str  # "contact-<id>" or "user-<id>": how forms name a person
    name: str
    email: str | None
    phone: str | None
    position: str | None
    is_primary: bool
    former: bool
    former_note: str | None
    user_id: int | None


@dataclass(frozen=True)
class OrderLine:
    """An order as the account panel shows it: the licence key masked."""

    number: str
    product: str
    version: str
    kind: OrderKind
    status: OrderStatus
    ordered_at: datetime
    website: str | None
    licence_key: str  # masked except the last four


@dataclass(frozen=True)
class Account:
    """Everything the agent needs on the phone: people, orders, open cases, eligibility."""

    organisation: Organisation
    people: list[Person]
    orders: list[OrderLine]
    open_cases: list[Case]
    eligibility: Eligibility
    is_customer: bool  # bought something (seed 000: the key e-mail is for customers only)

    @property
    def reachable(self) -> list[Person]:
        """Current people with an e-mail address: who may receive a system e-mail."""
        return [p for p in self.people if p.email and not p.former]

    @property
    def primary(self) -> Person | None:
        """The primary contact, else the first reachable person."""
        reachable = self.reachable
        return next((p for p in reachable if p.is_primary), reachable[0] if reachable else None)


def mask_licence_key(key: str | None) -> str:
    """All but the last four characters hidden: enough to confirm, not to use."""
    if not key:
        return ""
    visible = key[-4:] if len(key) > 4 else ""
    return "•" * max(len(key) - len(visible), 4) + visible


def escape_like(text: str) -> str:
    """The text as a LIKE pattern that matches itself (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _strip(column: sa.ColumnElement, characters: str) -> sa.ColumnElement:
    # Literals, not parameters: PostgreSQL matches the licence-key index by the expression's
    # text (migration 0024).
    for character in characters:
        column = sa.func.replace(
            column, sa.literal_column(f"'{character}'"), sa.literal_column("''")
        )
    return column


def _closeness(value: str, needle: str) -> int:
    value = value.lower()
    if value == needle:
        return 0
    return 1 if value.startswith(needle) else 2


@dataclass(frozen=True)
class _Field:
    """One searchable column: its rows come from `query(needle)`, a bounded select of
    (organisation id, shown value, compared value)."""

    label: str
    query: Callable[[str], sa.Select]
    applies: Callable[[str], bool] = lambda text: True
    needle: Callable[[str], str] = str.lower
    show: Callable[[str], str] = str


# Columns with a trigram index (migration 0024): on SQLite an FTS5 table named <table>_trigrams,
# on PostgreSQL a pg_trgm index that ILIKE uses by itself.
TRIGRAM_COLUMNS = {
    "organisations": ("name", "customer_number"),
    "users": ("name", "email"),
    "contacts": ("name", "email"),
    "orders": ("number", "licensed_website"),
}
_TRIGRAM = 3  # an index answers patterns of at least one trigram


def _contains(column: sa.ColumnElement, needle: str, *, normalised=None) -> sa.ColumnElement:
    if normalised is None and (indexed := _sqlite_trigrams(column, needle)) is not None:
        return indexed
    target = normalised if normalised is not None else column
    return target.ilike(f"%{escape_like(needle)}%", escape="\\")


def _sqlite_trigram_needle(needle: str) -> bool:
    """SQLite's trigram tables can answer for `needle`: on SQLite, at least a trigram long,
    and without LIKE's wildcards (the index takes no ESCAPE clause)."""
    return (
        len(needle) >= _TRIGRAM
        and not any(wildcard in needle for wildcard in "%_")
        and db.session.get_bind().dialect.name == "sqlite"
    )


def _key_contains(needle: str) -> sa.ColumnElement:
    """The normalised licence key contains `needle`: on SQLite through its trigram table."""
    if _sqlite_trigram_needle(needle):
        # The table keeps no copy of the keys, so LIKE (which rechecks the value) finds
        # nothing; a trigram phrase matches exactly the keys that hold the needle.
        keys = sa.table("licence_key_trigrams", sa.column("rowid"))
        phrase = '"' + needle.replace('"', '""') + '"'
        return Order.id.in_(
            sa.select(keys.c.rowid).where(
                sa.literal_column("licence_key_trigrams").op("MATCH")(phrase)
            )
        )
    return _contains(Order.licence_key, needle, normalised=_licence_key)


def _sqlite_trigrams(column: sa.ColumnElement, needle: str) -> sa.ColumnElement | None:
    """`column` contains `needle`, asked of SQLite's trigram table, or None where it cannot
    answer: another database, a needle shorter than a trigram, or with LIKE's wildcards
    (the index takes no ESCAPE clause)."""
    table = getattr(column, "table", None)
    if (
        table is None
        or column.name not in TRIGRAM_COLUMNS.get(table.name, ())
        or not _sqlite_trigram_needle(needle)
    ):
        return None
    index = sa.table(f"{table.name}_trigrams", sa.column("rowid"), sa.column(column.name))
    return table.c.id.in_(sa.select(index.c.rowid).where(index.c[column.name].like(f"%{needle}%")))


def _select(org: sa.ColumnElement, column: sa.ColumnElement, condition, compare=None):
    compared = compare if compare is not None else column
    return (
        sa.select(org, column, compared)
        .where(condition)
        # Exact and shorter values first: the LIMIT keeps the closest matches.
        .order_by(sa.func.length(compared), column)
        .limit(PER_FIELD)
    )


def _phone_digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_phone(text: str) -> bool:
    return bool(_PHONE_TEXT.fullmatch(text)) and len(_phone_digits(text)) >= MIN_PHONE_DIGITS


def _phone_field(label: str, org: sa.ColumnElement, column: sa.ColumnElement, *extra) -> _Field:
    digits = _strip(column, _PHONE_SEPARATORS)
    return _Field(
        label,
        lambda needle: _select(org, column, sa.and_(digits.like(f"%{needle}%"), *extra), digits),
        applies=_is_phone,
        needle=_phone_digits,
    )


def _key_needle(text: str) -> str:
    return re.sub(r"[\s-]", "", text).lower()


_customer_user = (User.role == Role.CUSTOMER, User.organisation_id.is_not(None))
_licence_key = sa.func.lower(_strip(Order.licence_key, _KEY_SEPARATORS))

FIELDS: tuple[_Field, ...] = (
    _Field(
        "Licensed website",
        lambda n: _select(
            Order.organisation_id, Order.licensed_website, _contains(Order.licensed_website, n)
        ),
    ),
    _Field(
        "Order number",
        lambda n: _select(Order.organisation_id, Order.number, _contains(Order.number, n)),
    ),
    _Field(
        "Company",
        lambda n: _select(Organisation.id, Organisation.name, _contains(Organisation.name, n)),
    ),
    _Field(
        "Customer ID",
        lambda n: _select(
            Organisation.id,
            Organisation.customer_number,
            _contains(Organisation.customer_number, n),
        ),
    ),
    _Field(
        "Contact",
        lambda n: _select(Contact.organisation_id, Contact.name, _contains(Contact.name, n)),
    ),
    _Field(
        "Login",
        lambda n: _select(
            User.organisation_id, User.name, sa.and_(_contains(User.name, n), *_customer_user)
        ),
    ),
    _Field(
        "E-mail",
        lambda n: _select(Contact.organisation_id, Contact.email, _contains(Contact.email, n)),
        applies=lambda text: " " not in text,
    ),
    _Field(
        "Login e-mail",
        lambda n: _select(
            User.organisation_id, User.email, sa.and_(_contains(User.email, n), *_customer_user)
        ),
        applies=lambda text: " " not in text,
    ),
    _Field(
        "Licence key",
        lambda n: _select(
            Order.organisation_id,
            Order.licence_key,
            _key_contains(n),
            _licence_key,
        ),
        applies=lambda text: len(_key_needle(text)) >= MIN_KEY_CHARS,
        needle=_key_needle,
        show=mask_licence_key,
    ),
    _phone_field("Contact phone", Contact.organisation_id, Contact.phone),
    _phone_field("Login phone", User.organisation_id, User.phone, *_customer_user),
    _phone_field("Company phone", Organisation.id, Organisation.phone),
    _phone_field("Service number", PhoneNumber.organisation_id, PhoneNumber.number),
    _Field(
        "Card",
        lambda n: _select(
            PaymentCard.organisation_id,
            PaymentCard.brand + " ending " + PaymentCard.last4,
            PaymentCard.last4 == n,
            PaymentCard.last4,
        ),
        applies=lambda text: bool(_LAST_FOUR.fullmatch(text)),
    ),
)


def clean_query(text: str | None) -> str:
    """The search text as used: trimmed, inner spaces collapsed, at most MAX_CHARS."""
    return " ".join((text or "").split())[:MAX_CHARS]


def find_callers(text: str, limit: int = MAX_ACCOUNTS) -> list[CallerHit]:
    """Accounts matching `text` in any lookup field, closest first (exact, prefix, contains)."""
    text = clean_query(text)
    if len(text) < MIN_CHARS:
        return []
    hits: dict[int, CallerHit] = {}
    for spec in FIELDS:
        if not spec.applies(text):
            continue
        needle = spec.needle(text)
        for organisation_id, value, compared in db.session.execute(spec.query(needle)):
            if organisation_id is None or value is None:
                continue
            hit = hits.setdefault(organisation_id, CallerHit(organisation_id, "", ""))
            hit.rank = min(hit.rank, _closeness(str(compared), needle))
            match = Match(spec.label, spec.show(str(value)))
            if match not in hit.matches:
                hit.matches.append(match)
    if not hits:
        return []
    names = {
        row.id: row
        for row in db.session.execute(
            sa.select(Organisation.id, Organisation.name, Organisation.customer_number).where(
                Organisation.id.in_(hits)
            )
        )
    }
    found = []
    for organisation_id, hit in hits.items():
        row = names.get(organisation_id)
        if row is None:
            continue
        hit.name, hit.customer_number = row.name, row.customer_number
        hit.matches = hit.matches[:MATCHES_SHOWN]
        found.append(hit)
    found.sort(key=lambda h: (h.rank, h.name.lower(), h.organisation_id))
    return found[:limit]


def people(organisation_id: int) -> list[Person]:
    """Contacts first (current, primary first), then customer logins without a contact row."""
    contacts = db.session.scalars(
        sa.select(Contact)
        .where(Contact.organisation_id == organisation_id)
        .order_by(Contact.former_employee, Contact.is_primary.desc(), Contact.name)
        .limit(100)
    ).all()
    found = [
        Person(
            key=f"contact-{c.id}",
            name=c.name,
            email=c.email,
            phone=c.phone,
            position=c.position,
            is_primary=c.is_primary,
            former=c.former_employee,
            former_note=c.former_note,
            user_id=c.user_id,
        )
        for c in contacts
    ]
    known_users = {c.user_id for c in contacts if c.user_id}
    known_emails = {c.email.lower() for c in contacts if c.email}
    logins = db.session.scalars(
        sa.select(User)
        .where(User.organisation_id == organisation_id, User.role == Role.CUSTOMER)
        .order_by(User.name)
        .limit(100)
    )
    for user in logins:
        if user.id in known_users or user.email.lower() in known_emails:
            continue
        found.append(
            Person(
                key=f"user-{user.id}",
                name=user.name,
                email=user.email,
                phone=user.phone,
                position=None,
                is_primary=False,
                # A login switched off is someone who left: shown, but not mailed.
                former=not user.active,
                former_note="login disabled" if not user.active else None,
                user_id=user.id,
            )
        )
    return found


def is_customer(organisation_id: int) -> bool:
    """True when the organisation bought something (not only evaluations)."""
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    Order.organisation_id == organisation_id,
                    Order.kind != OrderKind.EVALUATION,
                    Order.status != OrderStatus.CANCELLED,
                )
            )
        )
    )


def account(organisation_id: int, today: date) -> Account | None:
    """The account panel's content, or None when there is no such organisation."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        return None
    orders = db.session.scalars(
        sa.select(Order)
        .where(Order.organisation_id == organisation_id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(50)
    )
    open_cases = db.session.scalars(
        sa.select(Case)
        .where(Case.organisation_id == organisation_id, Case.status != CaseStatus.CLOSED)
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(20)
    ).all()
    return Account(
        organisation=organisation,
        people=people(organisation_id),
        orders=[_order_line(order) for order in orders],
        open_cases=list(open_cases),
        eligibility=organisation_eligibility(organisation_id, today),
        is_customer=is_customer(organisation_id),
    )


def _order_line(order: Order) -> OrderLine:
    return OrderLine(
        number=order.number,
        product=order.product,
        version=order.version,
        kind=order.kind,
        status=order.status,
        ordered_at=order.ordered_at,
        website=order.licensed_website,
        licence_key=mask_licence_key(order.licence_key),
    )


def find_person(people: Iterable[Person], key: str | None) -> Person | None:
    """The person a form names by key, among `people`."""
    return next((p for p in people if p.key == key), None)
