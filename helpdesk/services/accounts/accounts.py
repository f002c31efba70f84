"""Accounts: registration, authentication, staff accounts, profile and passwords."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from helpdesk.extensions import db
from helpdesk.models import (
    AgentStatus,
    BlockedAttemptKind,
    Contact,
    LoginSession,
    Organisation,
    PendingRegistration,
    Role,
    SeenAddress,
    User,
    utcnow,
)
from helpdesk.models.accounts import hash_password
from helpdesk.rules.passwords import password_problems
from helpdesk.services import ServiceError
from helpdesk.services.core import audit
from helpdesk.services.core.counters import next_number
from helpdesk.services.fraud import fraud, fraud_flags
from helpdesk.services.mail.outbox import queue_mail

NAME_MAX_LENGTH = 120
PHONE_MAX_LENGTH = 40
RESET_SALT = "password-reset"
REGISTRATION_REFUSED = "We could not create your account. Please contact support."
# Told only to whoever holds the mailed link, so only the address's owner learns it.
ACCOUNT_EXISTS = (
    "An account with this e-mail address already exists. Log in, or reset your password if "
    "you forgot it."
)


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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_parts(session_id: str) -> tuple[int, int, str] | None:
    user_id, version, token = (session_id.split(":") + ["", ""])[:3]
    if not (user_id.isdigit() and version.isdigit() and token) or len(user_id) > 18:
        return None
    return int(user_id), int(version), token


def open_login_session(user: User, ip: str | None = None) -> str:
    """Start a login for this browser and commit; returns the id Flask-Login keeps.

    The id names the user, their session version (a password change ends every login) and a
    random token whose hash is stored (logging out ends this one login)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(user_id=user.id, token_hash=_token_hash(token), ip_address=ip and ip[:45])
    )
    db.session.commit()
    user.login_session_id = f"{user.id}:{user.session_version}:{token}"
    return user.login_session_id


def end_login_session(session_id: str) -> None:
    """Log this one browser out for good (its cookie, or a copy of it, no longer works)."""
    parts = _session_parts(session_id)
    if parts is not None:
        db.session.execute(
            sa.update(LoginSession)
            .where(
                LoginSession.token_hash == _token_hash(parts[2]),
                LoginSession.ended_at.is_(None),
            )
            .values(ended_at=utcnow())
        )
        db.session.commit()


# Built once: every request of a logged-in user runs it.
_OPEN_LOGIN = (
    sa.select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        LoginSession.token_hash == sa.bindparam("token_hash"),
        LoginSession.ended_at.is_(None),
    )
)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: the login must be open and the session version current."""
    parts = _session_parts(session_id)
    if parts is None:
        return None
    user_id, version, token = parts
    user = db.session.scalar(_OPEN_LOGIN, {"user_id": user_id, "token_hash": _token_hash(token)})
    if user is None or user.session_version != version or not user.active:
        return None
    user.login_session_id = session_id
    return user


def _check_password(password: str, email: str, name: str, field: str = "password") -> None:
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise ServiceError(" ".join(problems), field=field)


def _check_new_login(email: str, password: str, name: str) -> str:
    email = normalise_email(email)
    _check_password(password, email, name)
    if find_user_by_email(email) is not None:
        raise ServiceError("An account with this e-mail address already exists.", field="email")
    return email


def _refuse_blocked_registration(ip: str | None, email: str) -> None:
    """From a FRAUD-STOP blocked address nothing is created: the attempt is logged and the
    refusal does not say why (seed 002)."""
    blocked = fraud.is_ip_blocked(ip)
    if blocked is not None:
        fraud.record_attempt(BlockedAttemptKind.REGISTRATION, ip, email=email, blocked_ip=blocked)
        raise ServiceError(REGISTRATION_REFUSED)


def _add_customer(
    *, name: str, company: str, email: str, phone: str, password_hash: str, ip: str | None
) -> User:
    """An organisation, its first customer login and primary contact, audited; no commit."""
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
        password_hash=password_hash,
    )
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
    return user


def register_customer(
    *, name: str, company: str, email: str, password: str, phone: str = "", ip: str | None = None
) -> User:
    """Create an organisation, its first customer login and primary contact at once; commit.

    For the CLI and tests: the public form goes through `request_registration` instead.
    """
    _refuse_blocked_registration(ip, email)
    email = _check_new_login(email, password, name)
    user = _add_customer(
        name=name,
        company=company,
        email=email,
        phone=phone,
        password_hash=hash_password(password),
        ip=ip,
    )
    db.session.commit()
    return user


def request_registration(
    *,
    name: str,
    company: str,
    email: str,
    password: str,
    phone: str = "",
    ip: str | None = None,
    confirm_link_for: Callable[[str], str],
    reset_link_for: Callable[[str], str],
    login_url: str,
    secret_key: str,
    reset_max_age: int,
    link_max_age: int,
    now: datetime | None = None,
) -> None:
    """Start a self-registration: mail a link that finishes it; commit.

    When the address already has an account nothing is created and its owner is told by
    mail instead, with a reset link. The caller answers the same either way, so the form
    never tells whether an address is registered. FRAUD-STOP refuses as before.
    """
    _refuse_blocked_registration(ip, email)
    email = normalise_email(email)
    _check_password(password, email, name)
    # Hashed either way, so a registered address takes as long to answer as a new one.
    password_hash = hash_password(password)
    owner = find_user_by_email(email)
    if owner is None:
        pending = PendingRegistration(
            email=email,
            name=name.strip(),
            company=company.strip(),
            phone=phone or None,
            password_hash=password_hash,
            ip_address=ip and ip[:45],
            created_at=now or utcnow(),
        )
        _queue_finish_link(pending, confirm_link_for, link_max_age)
    elif owner.active:
        _tell_owner(
            owner, reset_link_for(make_reset_token(owner, secret_key)), login_url, reset_max_age
        )
    db.session.commit()


def _queue_finish_link(
    pending: PendingRegistration, link_for: Callable[[str], str], max_age: int
) -> None:
    """Keep the registration and mail the link that finishes it; no commit."""
    token = secrets.token_urlsafe(32)
    pending.token_hash = _token_hash(token)
    db.session.add(pending)
    queue_mail(
        to_address=pending.email,
        to_name=pending.name,
        subject="Finish creating your support account",
        template="registration_confirm",
        name=pending.name,
        company=pending.company,
        email=pending.email,
        confirm_url=link_for(token),
        valid_hours=max(max_age // 3600, 1),
    )


def _tell_owner(owner: User, reset_url: str, login_url: str, reset_max_age: int) -> None:
    """Mail the address's owner that someone tried to register it; no commit."""
    queue_mail(
        to_address=owner.email,
        to_name=owner.name,
        subject="Someone tried to create an account with your address",
        template="registration_attempt",
        user=owner,
        login_url=login_url,
        reset_url=reset_url,
        valid_minutes=max(reset_max_age // 60, 1),
    )


def _pending_query(token: str, max_age: int, now: datetime | None):
    oldest = (now or utcnow()) - timedelta(seconds=max_age)
    return sa.select(PendingRegistration).where(
        PendingRegistration.token_hash == _token_hash(token),
        PendingRegistration.created_at >= oldest,
    )


def pending_registration(
    token: str, *, max_age: int, now: datetime | None = None
) -> PendingRegistration | None:
    """The registration a mailed link finishes, or None if expired, used or made up."""
    return db.session.scalar(_pending_query(token, max_age, now))


def confirm_registration(
    token: str, *, max_age: int, ip: str | None = None, now: datetime | None = None
) -> User:
    """Finish a registration through its mailed link, once: create the account; commit."""
    pending = pending_registration(token, max_age=max_age, now=now)
    if pending is None:
        raise ServiceError("This link has expired or was already used.", field="token")
    _refuse_blocked_registration(ip, pending.email)
    # Whoever deletes the row uses the link: a second submission of it deletes nothing.
    used = db.session.execute(
        sa.delete(PendingRegistration).where(PendingRegistration.id == pending.id)
    )
    if used.rowcount != 1:
        db.session.rollback()
        raise ServiceError("This link has expired or was already used.", field="token")
    if find_user_by_email(pending.email) is not None:  # finished by another of its links
        _forget_pending(pending.email)
        raise ServiceError(ACCOUNT_EXISTS)
    user = _add_customer(
        name=pending.name,
        company=pending.company,
        email=pending.email,
        phone=pending.phone or "",
        password_hash=pending.password_hash,
        ip=ip,
    )
    _forget_pending(pending.email)
    return user


def _forget_pending(email: str) -> None:
    """Drop every other link for this address (its account exists now); commit."""
    db.session.execute(sa.delete(PendingRegistration).where(PendingRegistration.email == email))
    db.session.commit()


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
            fraud_flags.flag_new_address(user, ip, now)  # a blocked address: the cases say so
        else:
            seen.last_seen_at = now
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of `user`; commit."""
    user.session_version += 1
    db.session.commit()


@functools.cache
def time_zone_choices() -> tuple[str, ...]:
    """Every IANA time zone name this system knows, sorted (the profile's select)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def update_profile(user: User, *, name: str, phone: str, time_zone: str | None) -> User:
    """Change the user's own name, phone and time zone (empty: the business zone); commit.
    The e-mail and role stay."""
    name = (name or "").strip()
    phone = (phone or "").strip()
    if not name:
        raise ServiceError("Enter your name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ServiceError(f"Use at most {NAME_MAX_LENGTH} characters.", field="name")
    if len(phone) > PHONE_MAX_LENGTH:
        raise ServiceError(f"Use at most {PHONE_MAX_LENGTH} characters.", field="phone")
    if time_zone and time_zone not in time_zone_choices():
        raise ServiceError("Choose a time zone from the list.", field="time_zone")
    user.name = name
    user.phone = phone or None
    user.time_zone = time_zone or None
    db.session.commit()
    return user


def _check_new_password(user: User, password: str, field: str) -> None:
    _check_password(password, user.email, user.name, field)


def _set_new_password(user: User, password: str) -> None:
    # A new hash also voids every reset link made for the old one (see password_fingerprint).
    user.set_password(password)
    user.session_version += 1


def change_password(user: User, current: str, new: str, *, ip: str | None = None) -> User:
    """Replace a known password, end every other session, audit and notify by mail; commit.

    The caller logs its own browser in again: the bumped session version ends this session too.
    """
    if not user.check_password(current):
        raise ServiceError("Your current password is not correct.", field="current_password")
    _check_new_password(user, new, "new_password")
    _set_new_password(user, new)
    audit.record(
        "account.password_change",
        actor=user,
        obj=user,
        organisation_id=user.organisation_id,
        ip_address=ip,
    )
    queue_mail(
        to_address=user.email,
        to_name=user.name,
        subject="Your password was changed",
        template="password_changed",
        user=user,
        changed_at=utcnow(),
        ip=ip,
    )
    db.session.commit()
    return user


def password_fingerprint(user: User) -> str:
    """A short digest of the current password hash: it changes whenever the password does."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[-16:]


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def make_reset_token(user: User, secret_key: str) -> str:
    """A signed, timestamped token naming the user and their current password."""
    return _reset_serializer(secret_key).dumps([user.id, password_fingerprint(user)])


def _read_reset_token(token: str, secret_key: str, max_age: int) -> tuple[int, str] | None:
    try:
        payload = _reset_serializer(secret_key).loads(token, max_age=max_age)
    except BadData:  # forged, mangled or expired
        return None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or not isinstance(payload[1], str)
    ):
        return None
    return payload[0], payload[1]


def _user_matching(user: User | None, fingerprint: str) -> User | None:
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(password_fingerprint(user), fingerprint):
        return None  # the password changed since: the link was used (or overtaken)
    return user


def user_for_reset_token(token: str, secret_key: str, max_age: int) -> User | None:
    """The active user a reset token was made for, or None if expired, used or forged."""
    payload = _read_reset_token(token, secret_key, max_age)
    if payload is None:
        return None
    user_id, fingerprint = payload
    return _user_matching(db.session.get(User, user_id), fingerprint)


def request_password_reset(
    email: str, *, secret_key: str, max_age: int, link_for: Callable[[str], str]
) -> bool:
    """Mail a reset link if an active account has this address; commit. True if one was queued.

    `link_for(token)` builds the absolute URL; the caller must not tell the user the result.
    """
    user = find_user_by_email(email)
    if user is None or not user.active:
        return False
    queue_mail(
        to_address=user.email,
        to_name=user.name,
        subject="Reset your password",
        template="password_reset",
        user=user,
        reset_url=link_for(make_reset_token(user, secret_key)),
        valid_minutes=max(max_age // 60, 1),
    )
    db.session.commit()
    return True


def reset_password(
    token: str, new: str, *, secret_key: str, max_age: int, ip: str | None = None
) -> User:
    """Set a new password through a reset link, once; end every session and audit; commit."""
    invalid = ServiceError("This link has expired or was already used.", field="token")
    payload = _read_reset_token(token, secret_key, max_age)
    if payload is None:
        raise invalid
    user_id, fingerprint = payload
    # Lock the row so two submissions of one link cannot both pass the fingerprint check.
    user = db.session.scalar(
        sa.select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    try:
        if _user_matching(user, fingerprint) is None:
            raise invalid
        _check_new_password(user, new, "password")
    except ServiceError:
        db.session.rollback()  # release the lock
        raise
    _set_new_password(user, new)
    audit.record(
        "account.password_reset",
        actor=user,
        obj=user,
        organisation_id=user.organisation_id,
        ip_address=ip,
    )
    db.session.commit()
    return user


@functools.cache
def _dummy_hash() -> str:
    """A real scrypt hash to check against when the address is unknown (made once, lazily)."""
    return hash_password(secrets.token_hex(16))
