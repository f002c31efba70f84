"""Accounts: registration, authentication and staff account creation."""

from __future__ import annotations

import functools
import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from werkzeug.security import check_password_hash, generate_password_hash

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Contact, Organisation, Role, SeenAddress, User, utcnow
from helpdesk.rules.passwords import password_problems
from helpdesk.services import ServiceError, audit
from helpdesk.services.counters import next_number


def normalise_email(raw: str) -> str:
    """Validate syntax (no DNS lookups) and fold to lower case for uniqueness."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ServiceError("Enter a valid e-mail address.", field="email") from exc
    return checked.normalized.lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this address (case-insensitive), if any."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: the id and session version must both still match."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


def _check_new_login(email: str, password: str, name: str) -> str:
    email = normalise_email(email)
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise ServiceError(" ".join(problems), field="password")
    if find_user_by_email(email) is not None:
        raise ServiceError("An account with this e-mail address already exists.", field="email")
    return email


def register_customer(
    *, name: str, company: str, email: str, password: str, phone: str = "", ip: str | None = None
) -> User:
    """Create an organisation, its first customer login and primary contact; commit."""
    email = _check_new_login(email, password, name)
    organisation = Organisation(
        name=company.strip(),
        customer_number=f"C{next_number('customer')}",
        phone=phone or None,
    )
    user = User(
        email=email,
        name=name.strip(),
        role=Role.CUSTOMER,
        organisation=organisation,
        phone=phone or None,
    )
    user.set_password(password)
    db.session.add_all([organisation, user])
    db.session.flush()
    db.session.add(
        Contact(
            organisation_id=organisation.id,
            user_id=user.id,
            name=user.name,
            email=email,
            phone=phone or None,
            is_primary=True,
        )
    )
    audit.record(
        "account.register", actor=user, obj=user, organisation_id=organisation.id, ip_address=ip
    )
    db.session.commit()
    return user


def add_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    tier: int | None = None,
    organisation: Organisation | None = None,
    actor: User | None = None,
    password_hash: str | None = None,
) -> User:
    """Add a login of any role to the session (agents get a tier and a status); no commit.

    `password_hash`, when given, is a hash of `password` made earlier: the demo logins share one
    password, and hashing it once saves a deliberately slow scrypt run per login.
    """
    email = _check_new_login(email, password, name)
    if role == Role.CUSTOMER and organisation is None:
        raise ServiceError("A customer belongs to an organisation.", field="organisation")
    if role == Role.AGENT and tier not in (1, 2, 3):
        raise ServiceError("An agent needs a tier of 1, 2 or 3.", field="tier")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        organisation=organisation,
        tier=tier if role == Role.AGENT else None,
        agent_status=AgentStatus.AVAILABLE if role in (Role.AGENT, Role.ADMIN) else None,
    )
    if password_hash is None:
        user.set_password(password)
    else:
        user.password_hash = password_hash
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor=actor, obj=user, role=role.value, tier=user.tier)
    return user


def create_user(**fields) -> User:
    """Create a login of any role (CLI and admin) and commit; see `add_user`."""
    user = add_user(**fields)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (the caller shows one generic message)."""
    user = find_user_by_email(email)
    if user is None:
        # Hash anyway, so a wrong address takes as long as a wrong password.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def record_login(user: User, ip: str | None) -> None:
    """Remember when and from where the user logged in (FRAUD-STOP uses the addresses); commit."""
    now = utcnow()
    user.last_login_at = now
    if ip:
        seen = db.session.scalar(
            sa.select(SeenAddress).where(
                SeenAddress.user_id == user.id, SeenAddress.ip_address == ip
            )
        )
        if seen is None:
            db.session.add(
                SeenAddress(user_id=user.id, ip_address=ip, first_seen_at=now, last_seen_at=now)
            )
        else:
            seen.last_seen_at = now
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of `user`; commit."""
    user.session_version += 1
    db.session.commit()


@functools.cache
def _dummy_hash() -> str:
    """A real scrypt hash to check against when the address is unknown (made once, lazily)."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")
