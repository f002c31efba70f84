"""Opening a login for a customer (seed 002 System Manager, "User account"), FRAUD-STOP aware.

Staff never set or see the password: the new login gets a random one nobody knows and a mail
with a one-time set-password link, the same signed token as a password-reset link. Seed 002:
a FRAUD-STOP'd IP or card "will no longer be able to be used to open an account", so the
staff request's address, the customer's seen addresses and stored cards are all checked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.models import BlockedAttemptKind, Contact, Organisation, Role, User
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts
from helpdesk.services.accounts.customers import phone_number
from helpdesk.services.core import audit
from helpdesk.services.fraud import fraud
from helpdesk.services.mail.outbox import queue_mail

NAME_MAX = accounts.NAME_MAX_LENGTH
EMAIL_MAX = 254
# Says neither which block matched nor that one did: the lists at /system/fraud tell staff.
ACCOUNT_REFUSED = "This account could not be opened. The attempt was logged for review."
EMAIL_TAKEN = "An account with this e-mail address already exists."


def _name(value: str | None) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ServiceError("Enter the person's name.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Use at most {NAME_MAX} characters.", field="name")
    return name


def _new_email(value: str | None) -> str:
    if len(value or "") > EMAIL_MAX:
        raise ServiceError(f"Use at most {EMAIL_MAX} characters.", field="email")
    email = accounts.normalise_email(value or "")
    if accounts.find_user_by_email(email) is not None:
        raise ServiceError(EMAIL_TAKEN, field="email")
    return email


def _refuse_if_blocked(organisation_id: int, email: str | None, request_ip: str | None) -> None:
    """Log the attempt and refuse when a FRAUD-STOP block covers this customer or request."""
    match = fraud.organisation_block(organisation_id, request_ip)
    if match is None:
        return
    fraud.record_attempt(
        BlockedAttemptKind.ACCOUNT,
        match.address or request_ip,
        email=email,
        card_last4=match.card_last4,
        blocked_ip=match.blocked_ip,
        blocked_card=match.blocked_card,
    )
    raise ServiceError(ACCOUNT_REFUSED)


def open_account(
    organisation_id: int,
    *,
    actor: User,
    name: str,
    email: str,
    phone: str = "",
    secret_key: str,
    max_age: int,
    link_for: Callable[[str], str],
    ip_address: str | None = None,
) -> User:
    """Create a customer login in the organisation and mail it a set-password link; commit.

    Audited as "account.open". Refused (and logged at /system/fraud) when FRAUD-STOP blocks
    the request's address or any address or card the customer is known by.
    """
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ServiceError("No such customer.")
    _refuse_if_blocked(organisation_id, email, ip_address)
    name = _name(name)
    email = _new_email(email)
    phone = phone_number(phone, "phone")
    user = User(email=email, name=name, role=Role.CUSTOMER, organisation=organisation, phone=phone)
    user.set_password(secrets.token_urlsafe(32))  # known to nobody: the mailed link sets one
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same address, opened a moment ago by someone else
        db.session.rollback()
        raise ServiceError(EMAIL_TAKEN, field="email") from exc
    db.session.add(
        Contact(
            organisation_id=organisation_id, user_id=user.id, name=name, email=email, phone=phone
        )
    )
    audit.record(
        "account.open",
        actor=actor,
        obj=user,
        organisation_id=organisation_id,
        ip_address=ip_address,
        email=email,
        name=name,
    )
    queue_mail(
        to_address=email,
        to_name=name,
        subject="Your support account is ready",
        template="account_opened",
        user=user,
        organisation_name=organisation.name,
        set_password_url=link_for(accounts.make_reset_token(user, secret_key)),
        valid_minutes=max(max_age // 60, 1),
    )
    db.session.commit()
    return user
