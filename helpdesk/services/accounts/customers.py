"""The system manager's customers (seed 002): search by any field, profile, edit, reset link.

Seed 002 lets support staff find an account "from last name to the credit card used". One
search box covers people (logins and contacts: name, e-mail, phone), the company, customer
and partner IDs, the reseller's name, call shop names, service numbers, a card's last four
digits and an IP address a login was seen from (exact). The text only travels as bound
LIKE patterns with "%" and "_" escaped, and the caller pages the one query in the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedCard,
    CallShop,
    Contact,
    Invoice,
    IspService,
    Organisation,
    OutboxMail,
    PaymentCard,
    PhoneNumber,
    Role,
    SeenAddress,
    User,
)
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts
from helpdesk.services.core import audit
from helpdesk.services.fraud import fraud
from helpdesk.services.tracker.callers import escape_like

MAX_QUERY = 100
NAME_MAX = 200
PARTNER_MAX = 32
PHONE_MAX = 40
LOGIN_NAME_MAX = accounts.NAME_MAX_LENGTH
ADDRESS_MAX = 2000
ADDRESSES_PER_PROFILE = 100  # seen addresses listed on one profile
HISTORY_ACTIONS = ("customer.update", "customer.reset_link", "account.open", "fraud.stop")

_PHONE_TEXT = re.compile(r"[\d\s().+/-]+")
_PHONE_SEPARATORS = " -().+/"
_MIN_PHONE_DIGITS = 4
_LAST_FOUR = re.compile(r"\d{4}")


def clean_query(text: str | None) -> str:
    """The search text as used: trimmed, inner spaces collapsed, at most MAX_QUERY characters."""
    return " ".join((text or "").split())[:MAX_QUERY]


def _contains(column: sa.ColumnElement, text: str) -> sa.ColumnElement:
    return column.ilike(f"%{escape_like(text)}%", escape="\\")


def _digits_of(column: sa.ColumnElement) -> sa.ColumnElement:
    for character in _PHONE_SEPARATORS:
        column = sa.func.replace(column, character, "")
    return column


def _seen_forms(text: str) -> list[str]:
    """The spellings a stored address may have: as typed, canonical, and IPv4-mapped."""
    canonical = fraud.canonical_address(text)
    if canonical is None:
        return []
    forms = {text.strip(), canonical}
    if ":" not in canonical:
        forms.add(f"::ffff:{canonical}")
    return sorted(forms)


def _seen_at(forms: list[str]) -> sa.ColumnElement:
    return Organisation.id.in_(
        sa.select(User.organisation_id)
        .join(SeenAddress, SeenAddress.user_id == User.id)
        .where(SeenAddress.ip_address.in_(forms), User.role == Role.CUSTOMER)
    )


def _search_conditions(text: str) -> list[sa.ColumnElement]:
    forms = _seen_forms(text)
    if forms:
        # An IP address is looked up where addresses are kept (an index), not as a piece of
        # every name and e-mail: that scan grows with the customer base (issue 9).
        return [_seen_at(forms)]
    people = [
        (User.organisation_id, User.name, User.email, User.phone, User.role == Role.CUSTOMER),
        (Contact.organisation_id, Contact.name, Contact.email, Contact.phone, sa.true()),
    ]
    reseller = aliased(Organisation)
    conditions = [
        _contains(Organisation.name, text),
        _contains(Organisation.customer_number, text),
        _contains(Organisation.partner_id, text),
        Organisation.reseller_id.in_(sa.select(reseller.id).where(_contains(reseller.name, text))),
        Organisation.id.in_(
            sa.select(CallShop.organisation_id).where(_contains(CallShop.name, text))
        ),
    ]
    for org_id, name, email, _phone, scope in people:
        conditions.append(
            Organisation.id.in_(
                sa.select(org_id).where(
                    scope, sa.or_(_contains(name, text), _contains(email, text))
                )
            )
        )
    digits = re.sub(r"\D", "", text)
    if _PHONE_TEXT.fullmatch(text) and len(digits) >= _MIN_PHONE_DIGITS:
        pattern = f"%{digits}%"
        conditions.append(_digits_of(Organisation.phone).like(pattern))
        for org_id, _name, _email, phone, scope in people:
            conditions.append(
                Organisation.id.in_(sa.select(org_id).where(scope, _digits_of(phone).like(pattern)))
            )
        conditions.append(
            Organisation.id.in_(
                sa.select(PhoneNumber.organisation_id).where(
                    _digits_of(PhoneNumber.number).like(pattern)
                )
            )
        )
    if _LAST_FOUR.fullmatch(text):
        conditions.append(
            Organisation.id.in_(
                sa.select(PaymentCard.organisation_id).where(PaymentCard.last4 == text)
            )
        )
    return conditions


def search_query(text: str | None) -> sa.Select:
    """Organisations matching `text` in any field, by name; all of them for empty text."""
    query = sa.select(Organisation).order_by(sa.func.lower(Organisation.name), Organisation.id)
    text = clean_query(text)
    if not text:
        return query
    return query.where(sa.or_(*_search_conditions(text)))


def organisation_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Names of these organisations (resellers in a result list), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
        ).all()
    )


@dataclass(frozen=True)
class SeenIP:
    """An address a login came from, and whether FRAUD-STOP blocks it now."""

    address: str
    first_seen_at: datetime
    last_seen_at: datetime
    blocked: bool


@dataclass
class Login:
    """A customer login of the organisation with the addresses it was seen from."""

    user: User
    addresses: list[SeenIP] = field(default_factory=list)


@dataclass(frozen=True)
class Card:
    """A stored card as it may be shown: brand and last four, never more (PCI DSS)."""

    id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    active: bool
    blocked: bool

    @property
    def masked(self) -> str:
        """The card as shown, e.g. "Visa •••• 4242"."""
        return f"{self.brand} •••• {self.last4}"


@dataclass
class Profile:
    """Everything seed 002's System Manager lists for one customer, except the paged lists."""

    organisation: Organisation
    reseller: Organisation | None
    logins: list[Login]
    contacts: list[Contact]
    cards: list[Card]
    call_shops: list[CallShop]
    isp_services: list[IspService]
    numbers: list[PhoneNumber]


def profile(organisation: Organisation) -> Profile:
    """Load a customer's profile: a fixed number of small queries."""
    org_id = organisation.id
    users = db.session.scalars(
        sa.select(User)
        .where(User.organisation_id == org_id, User.role == Role.CUSTOMER)
        .order_by(User.name, User.id)
    ).all()
    logins = {user.id: Login(user) for user in users}
    seen = db.session.scalars(
        sa.select(SeenAddress)
        .where(SeenAddress.user_id.in_(logins))
        .order_by(SeenAddress.last_seen_at.desc(), SeenAddress.id.desc())
        .limit(ADDRESSES_PER_PROFILE)
    ).all()
    for row in seen:
        logins[row.user_id].addresses.append(
            SeenIP(
                row.ip_address,
                row.first_seen_at,
                row.last_seen_at,
                fraud.is_ip_blocked(row.ip_address) is not None,
            )
        )
    card_rows = db.session.scalars(
        sa.select(PaymentCard)
        .where(PaymentCard.organisation_id == org_id)
        .order_by(PaymentCard.active.desc(), PaymentCard.id)
    ).all()
    blocked_prints = set(
        db.session.scalars(
            sa.select(BlockedCard.fingerprint).where(
                BlockedCard.active.is_(True),
                BlockedCard.fingerprint.in_({c.fingerprint for c in card_rows}),
            )
        )
    )
    cards = [
        Card(
            c.id,
            c.brand,
            c.last4,
            c.exp_month,
            c.exp_year,
            c.active,
            c.fingerprint in blocked_prints,
        )
        for c in card_rows
    ]
    return Profile(
        organisation=organisation,
        reseller=(
            db.session.get(Organisation, organisation.reseller_id)
            if organisation.reseller_id
            else None
        ),
        logins=list(logins.values()),
        contacts=list(
            db.session.scalars(
                sa.select(Contact)
                .where(Contact.organisation_id == org_id)
                .order_by(Contact.former_employee, Contact.is_primary.desc(), Contact.name)
            )
        ),
        cards=cards,
        call_shops=list(
            db.session.scalars(
                sa.select(CallShop)
                .where(CallShop.organisation_id == org_id)
                .order_by(CallShop.name)
            )
        ),
        isp_services=list(
            db.session.scalars(
                sa.select(IspService)
                .where(IspService.organisation_id == org_id)
                .order_by(IspService.id)
            )
        ),
        numbers=numbers(org_id),
    )


def numbers(organisation_id: int) -> list[PhoneNumber]:
    """The organisation's service numbers, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(PhoneNumber)
            .where(PhoneNumber.organisation_id == organisation_id)
            .order_by(PhoneNumber.id)
        )
    )


def customer_logins(organisation_id: int) -> list[User]:
    """The organisation's active customer logins (who may get a reset link)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.organisation_id == organisation_id,
                User.role == Role.CUSTOMER,
                User.active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


def invoices_query(organisation_id: int) -> sa.Select:
    """The customer's invoices, newest first (the caller pages it)."""
    return (
        sa.select(Invoice)
        .where(Invoice.organisation_id == organisation_id)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    )


def outbox_query(organisation_id: int) -> sa.Select:
    """Mail the system sent (or will send) to the customer, newest first (paged by the caller)."""
    return (
        sa.select(OutboxMail)
        .where(OutboxMail.organisation_id == organisation_id)
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
    )


def history_query(organisation_id: int) -> sa.Select:
    """The profile's change log: edits, reset links and FRAUD-STOPs, newest first."""
    return (
        sa.select(AuditLog)
        .where(AuditLog.organisation_id == organisation_id, AuditLog.action.in_(HISTORY_ACTIONS))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    )


@dataclass(frozen=True)
class NumberEdit:
    """One service number row of the edit form: an existing one (id) or a new one (None)."""

    id: int | None
    number: str
    forward_to: str
    remove: bool = False


def _text(value: str | None, label: str, field_name: str, limit: int, required=False) -> str:
    value = " ".join((value or "").split()) if field_name != "address" else (value or "").strip()
    if required and not value:
        raise ServiceError(f"Enter the {label}.", field=field_name)
    if len(value) > limit:
        raise ServiceError(f"Use at most {limit} characters.", field=field_name)
    return value


def phone_number(value: str | None, field_name: str) -> str | None:
    """A phone number as typed, spaces collapsed; None when blank. ServiceError when not one."""
    value = _text(value, "number", field_name, PHONE_MAX)
    if value and not _PHONE_TEXT.fullmatch(value):
        raise ServiceError(
            "A phone number may contain only digits, spaces and + ( ) - /.", field=field_name
        )
    return value or None


def _change(changes: list[dict], label: str, before, after) -> None:
    if (before or None) != (after or None):
        changes.append({"field": label, "before": before, "after": after})


def update_customer(
    organisation_id: int,
    *,
    actor: User,
    name: str,
    partner_id: str,
    phone: str,
    address: str,
    time_zone: str,
    numbers_edit: list[NumberEdit],
    ip_address: str | None = None,
) -> list[dict]:
    """Save the profile and its numbers; audit "customer.update" with what changed; commit.

    Returns the changes (field, before, after); none means nothing was written.
    """
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ServiceError("No such customer.")
    try:
        changes = _apply_update(
            organisation,
            name=name,
            partner_id=partner_id,
            phone=phone,
            address=address,
            time_zone=time_zone,
            numbers_edit=numbers_edit,
        )
    except ServiceError:
        db.session.rollback()  # half-applied edits must not reach the re-rendered form
        raise
    if not changes:
        db.session.rollback()
        return changes
    audit.record(
        "customer.update",
        actor=actor,
        obj=organisation,
        organisation_id=organisation_id,
        ip_address=ip_address,
        changes=changes,
    )
    db.session.commit()
    return changes


def _apply_update(
    organisation: Organisation,
    *,
    name: str,
    partner_id: str,
    phone: str,
    address: str,
    time_zone: str,
    numbers_edit: list[NumberEdit],
) -> list[dict]:
    organisation_id = organisation.id
    name = _text(name, "company name", "name", NAME_MAX, required=True)
    partner_id = _text(partner_id, "partner ID", "partner_id", PARTNER_MAX) or None
    phone = phone_number(phone, "phone")
    address = _text(address, "address", "address", ADDRESS_MAX) or None
    if time_zone not in accounts.time_zone_choices():
        raise ServiceError("Choose a time zone from the list.", field="time_zone")

    changes: list[dict] = []
    for label, attr, value in (
        ("Name", "name", name),
        ("Partner ID", "partner_id", partner_id),
        ("Phone", "phone", phone),
        ("Address", "address", address),
        ("Time zone", "time_zone", time_zone),
    ):
        before = getattr(organisation, attr)
        _change(changes, label, before, value)
        setattr(organisation, attr, value)

    existing = {n.id: n for n in numbers(organisation_id)}
    for index, edit in enumerate(numbers_edit):
        where = f"numbers-{index}"
        if edit.id is not None and edit.id not in existing:
            raise ServiceError("This number does not belong to the customer.", field=where)
        number = phone_number(edit.number, where)
        forward_to = phone_number(edit.forward_to, where)
        if edit.id is None:
            if not number:
                continue  # the blank "add a number" row
            db.session.add(
                PhoneNumber(organisation_id=organisation_id, number=number, forward_to=forward_to)
            )
            _change(changes, f"Number {number}", None, f"added, forwarding {forward_to or 'off'}")
            continue
        row = existing[edit.id]
        if edit.remove:
            db.session.delete(row)
            _change(changes, f"Number {row.number}", "present", "removed")
            continue
        if not number:
            raise ServiceError("Enter the number, or tick Remove.", field=where)
        _change(changes, f"Number {row.number}", row.number, number)
        _change(changes, f"Forwarding of {number}", row.forward_to, forward_to)
        row.number, row.forward_to = number, forward_to
    return changes


def update_login(
    user_id: int,
    *,
    actor: User,
    name: str,
    phone: str,
    ip_address: str | None = None,
) -> list[dict]:
    """Change a customer login's name and phone for them (the e-mail, password and second
    factor stay theirs); audit "customer.update" on the profile's change log; commit.

    Returns the changes (field, before, after); none means nothing was written.
    """
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.CUSTOMER:
        raise ServiceError("No such customer login.")
    name = _text(name, "name", "name", LOGIN_NAME_MAX, required=True)
    phone = phone_number(phone, "phone")
    changes: list[dict] = []
    _change(changes, f"Name of login {user.email}", user.name, name)
    _change(changes, f"Phone of login {user.email}", user.phone, phone)
    if not changes:
        return changes
    user.name, user.phone = name, phone
    audit.record(
        "customer.update",
        actor=actor,
        obj=user,
        organisation_id=user.organisation_id,
        ip_address=ip_address,
        changes=changes,
    )
    db.session.commit()
    return changes


def send_reset_link(
    organisation_id: int,
    user_id: int,
    *,
    actor: User,
    secret_key: str,
    max_age: int,
    link_for: Callable[[str], str],
    ip_address: str | None = None,
) -> User:
    """Mail one of the customer's logins a password-reset link, audited; commit.

    The link goes to the login's own address only: staff never see or set a password.
    """
    user = db.session.get(User, user_id)
    if (
        user is None
        or user.organisation_id != organisation_id
        or user.role != Role.CUSTOMER
        or not user.active
    ):
        raise ServiceError("Choose an active login of this customer.", field="user_id")
    audit.record(
        "customer.reset_link",
        actor=actor,
        obj=user,
        organisation_id=organisation_id,
        ip_address=ip_address,
        email=user.email,
    )
    # The same mail as the self-service form; it commits, taking the audit row with it.
    if not accounts.request_password_reset(
        user.email, secret_key=secret_key, max_age=max_age, link_for=link_for
    ):
        db.session.rollback()
        raise ServiceError("Choose an active login of this customer.", field="user_id")
    return user
