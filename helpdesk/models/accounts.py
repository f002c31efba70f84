"""Organisations, people and their logins (seed 002 System Manager, seed 003 contacts)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type, utcnow
from helpdesk.rules.network import address_key


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, at the app's PASSWORD_HASH_METHOD cost.

    Production keeps werkzeug's scrypt defaults; only the test suite lowers the cost (a hash
    there takes milliseconds instead of a fifth of a second). Checking reads the cost stored in
    each hash, so hashes of either cost verify."""
    method = (
        current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    )
    return generate_password_hash(password, method=method)


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    BILLING = "billing"
    ADMIN = "admin"


class AgentStatus(enum.StrEnum):
    AVAILABLE = "available"
    ON_PHONE = "on_phone"
    EMAIL_SUPPORT = "email_support"
    TRAINING = "training"
    AWAY = "away"


class Organisation(CreatedAt, db.Model):
    """A customer company (or a reseller / call shop operator)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    customer_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    partner_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    reseller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    is_reseller: Mapped[bool] = mapped_column(default=False)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="America/Denver")
    after_hours_support: Mapped[bool] = mapped_column(default=False)  # seed 003 "911" group
    prepaid_balance_cents: Mapped[int] = mapped_column(default=0)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="organisation", order_by="Contact.name"
    )

    __table_args__ = (
        sa.CheckConstraint("prepaid_balance_cents >= 0", name="prepaid_not_negative"),
    )


STAFF_ONLY = "role <> 'customer'"


def staff_rows(select: Select) -> Select:
    """`select` over users, limited to staff in the words of the staff index (ix_users_staff).

    SQLite's statistics hold no histogram: with two roles spread over 50,000 users, "agent or
    admin" looks like half the table and its planner read every customer (12 ms per staff
    list at a million cases). A condition written exactly as the partial index's own lets both
    databases read the few dozen staff rows, already in name order."""
    return select.where(sa.text(STAFF_ONLY))


class User(UserMixin, CreatedAt, db.Model):
    """A login: a customer of one organisation, or staff (agent, billing, admin)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    tier: Mapped[int | None] = mapped_column(sa.SmallInteger)
    agent_status: Mapped[AgentStatus | None] = mapped_column(enum_type(AgentStatus, "agent_status"))
    away_until: Mapped[datetime | None]
    status_note: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # None: times are shown in the business time zone (the admin setting), whatever it becomes.
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout-everywhere and password change: old session cookies stop matching.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]
    # -- billingcase --
    # An agent an administrator allowed to refund and reship from case pages (billing staff
    # and administrators may always); decided by helpdesk.rules.billing_access only.
    billing_permission: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # -- two-factor login (TOTP, RFC 6238) --
    # The authenticator's shared key (base32), set once the user confirmed a first code; the
    # pending one waits for that code. The last accepted time step stops a code being replayed.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The notification events this person also gets by e-mail; None: the default (all).
    notify_by_mail: Mapped[list[str] | None] = mapped_column(sa.JSON)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")

    __table_args__ = (
        sa.CheckConstraint("tier IS NULL OR tier BETWEEN 1 AND 3", name="tier_range"),
        sa.CheckConstraint(
            "role <> 'customer' OR organisation_id IS NOT NULL", name="customer_has_organisation"
        ),
        sa.Index("ix_users_role_tier", "role", "tier"),
        sa.Index(
            "ix_users_staff",
            "name",
            sqlite_where=sa.text(STAFF_ONLY),
            postgresql_where=sa.text(STAFF_ONLY),
        ),
    )

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash, never the password."""
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        """True when `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    # The id of this browser's login ("user:version:token"), set when the login is opened or
    # loaded; Flask-Login keeps it in the session and the remember-me cookie.
    login_session_id = None

    # Rows are equal when they are the same row (UserMixin would compare login ids instead).
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def get_id(self) -> str:
        if not self.login_session_id:
            raise RuntimeError("open a login session (services.accounts) before logging in")
        return self.login_session_id

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role != Role.CUSTOMER

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None


class Contact(CreatedAt, db.Model):
    """A person at a customer organisation (seed 003: kept current, former employees marked)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    position: Mapped[str | None] = mapped_column(sa.String(120))
    address: Mapped[str | None] = mapped_column(sa.Text)
    is_primary: Mapped[bool] = mapped_column(default=False)
    former_employee: Mapped[bool] = mapped_column(default=False)
    former_note: Mapped[str | None] = mapped_column(sa.String(200))  # "former accountant"

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")


def _address_key_default(context) -> str | None:
    """Insert default of SeenAddress.address_key: the key of the row's ip_address."""
    try:
        return address_key(context.get_current_parameters()["ip_address"] or "")
    except (KeyError, ValueError):
        return None


class SeenAddress(db.Model):
    """An IP address a user came from: searchable, and blocked in one step by FRAUD-STOP."""

    __tablename__ = "seen_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    ip_address: Mapped[str] = mapped_column(sa.String(45), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # -- searchfraud --
    # The address as a sortable key (rules.network.address_key), so "which customers came
    # from inside this blocked range" is one indexed range query. Filled on every insert.
    address_key: Mapped[str | None] = mapped_column(
        sa.String(32), index=True, default=_address_key_default
    )

    __table_args__ = (sa.UniqueConstraint("user_id", "ip_address", name="user_address"),)


class PhoneNumber(CreatedAt, db.Model):
    """A service number of a telecom customer, with forwarding and porting (seed 002)."""

    __tablename__ = "phone_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40), index=True)
    forward_to: Mapped[str | None] = mapped_column(sa.String(40))
    ported: Mapped[bool] = mapped_column(default=False)


class CallShop(CreatedAt, db.Model):
    """A call shop run by a customer (seed 002: listed at the bottom of the profile)."""

    __tablename__ = "call_shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    booths: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)


class IspService(CreatedAt, db.Model):
    """Internet service sold alongside communications (seed 002 "ISP service")."""

    __tablename__ = "isp_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    plan: Mapped[str] = mapped_column(sa.String(120))
    access_login: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(32), default="active")


class PendingRegistration(CreatedAt, db.Model):
    """A self-registration waiting for its mailed link: nothing else exists until it is used.

    Kept apart from users, so the registration form answers the same whether or not the
    address already has an account (issue 16, no account enumeration)."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)  # normalised, lower-case
    name: Mapped[str] = mapped_column(sa.String(120))
    company: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256 of the token
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))


class LoginSession(CreatedAt, db.Model):
    """One browser's login. Logging out ends it, so a copy of that browser's cookie stops
    working too, while the user's other browsers stay logged in."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256 of the token
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    ended_at: Mapped[datetime | None]


class RecoveryCode(CreatedAt, db.Model):
    """A one-time code that stands in for the authenticator (a lost phone); only its hash is
    kept, and using it marks it used."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256 of the code
    used_at: Mapped[datetime | None]
