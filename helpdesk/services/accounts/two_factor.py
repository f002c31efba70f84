"""Two-factor login for staff: an authenticator app's codes (TOTP, RFC 6238) and one-time
recovery codes.

The key is kept only once its owner proved their app shows the same codes. Recovery codes
are shown once and kept as SHA-256 hashes (they are long random strings: a slow hash adds
nothing). An accepted authenticator code's time step is remembered, so the same code cannot
be used twice. Every change is audited; the caller passes the time (the app's clock).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from helpdesk.extensions import db
from helpdesk.models import RecoveryCode, User
from helpdesk.rules import two_factor as rules
from helpdesk.services import ServiceError
from helpdesk.services.core import audit, settings

WRONG_CODE = "That code is not right. Type the 6 digits your app shows now, or a recovery code."
# A code from one step before or after is taken too: phones' clocks drift by a few seconds.
DRIFT_STEPS = 1


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _naive_utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)


def is_required(user: User) -> bool:
    """Whether `user` must log in with a second factor: by role (a server setting) or because
    an administrator asked it of all staff."""
    return rules.required(
        user.role.value,
        current_app.config["TWO_FACTOR_REQUIRED_ROLES"],
        bool(settings.setting("TWO_FACTOR_ALL_STAFF")),
    )


def must_set_up(user: User) -> bool:
    """Logged in, required to use a second factor, and not set up yet."""
    return not user.has_two_factor and is_required(user)


# --- setting it up ---------------------------------------------------------------------------


def start_setup(user: User) -> str:
    """A new key for `user`'s authenticator, waiting for its first code; commit."""
    user.totp_pending_secret = pyotp.random_base32()
    db.session.commit()
    return user.totp_pending_secret


def setup_key(user: User) -> str:
    """The key waiting for its first code (a new one when there is none)."""
    return user.totp_pending_secret or start_setup(user)


def setup_uri(user: User, key: str, issuer: str) -> str:
    """The otpauth:// address the QR code holds."""
    return pyotp.TOTP(key).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> Markup:
    """The QR code of `uri` as inline SVG (no external image, nothing to fetch)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, title="QR code")
    return Markup(svg)  # noqa: S704 (segno's own markup of our own URI)


def grouped_key(key: str) -> str:
    """The key in groups of four, for typing into an app by hand."""
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _matching_step(key: str, code: str, now: float, after: int | None) -> int | None:
    """The time step whose code is `code` (within the drift), if it is later than `after`."""
    totp = pyotp.TOTP(key)
    current = int(now // totp.interval)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_setup(user: User, entered: str, *, now: float, ip: str | None) -> list[str]:
    """Turn two-factor login on once the app's code matches; the new recovery codes (shown
    once). Every other login of the user ends. Commit."""
    code = rules.cleaned(entered)
    key = user.totp_pending_secret
    usable = key is not None and rules.is_authenticator_code(code)
    step = _matching_step(key, code, now, None) if usable else None
    if step is None:
        raise ServiceError(
            "That code is not right. Type the 6 digits your app shows for this account now.",
            field="code",
        )
    user.totp_secret, user.totp_pending_secret = key, None
    user.totp_enabled_at = _naive_utc(now)
    user.totp_last_step = step
    user.session_version += 1  # a login opened before the second factor ends here
    codes = _replace_recovery_codes(user)
    audit.record("two_factor.enabled", actor=user, obj=user, ip_address=ip)
    db.session.commit()
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(rules.RECOVERY_ALPHABET) for _ in range(2 * rules.RECOVERY_GROUP))
        for _ in range(rules.RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    return [rules.recovery_code_text(c) for c in codes]


# --- logging in ------------------------------------------------------------------------------


def verify(user: User, entered: str, *, now: float, ip: str | None) -> str:
    """Check a second factor: "authenticator" or "recovery code" when it was right (a
    recovery code is used up); ServiceError when not. Commit."""
    code = rules.cleaned(entered)
    if not user.has_two_factor or not code or len(code) > rules.CODE_MAX:
        raise ServiceError(WRONG_CODE, field="code")
    if rules.is_authenticator_code(code):
        step = _matching_step(user.totp_secret, code, now, user.totp_last_step)
        if step is None:
            raise ServiceError(WRONG_CODE, field="code")
        user.totp_last_step = step
        db.session.commit()
        return "authenticator"
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=_naive_utc(now))
    ).rowcount  # one UPDATE: two logins racing with the same code cannot both win
    if not used:
        db.session.rollback()
        raise ServiceError(WRONG_CODE, field="code")
    audit.record(
        "two_factor.recovery_code_used",
        actor=user,
        obj=user,
        ip_address=ip,
        remaining=unused_recovery_codes(user),
    )
    db.session.commit()
    return "recovery code"


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# --- managing it -----------------------------------------------------------------------------


def new_recovery_codes(user: User, entered: str, *, now: float, ip: str | None) -> list[str]:
    """Replace the recovery codes (the old ones stop working), after a current code. Commit."""
    verify(user, entered, now=now, ip=ip)
    codes = _replace_recovery_codes(user)
    audit.record("two_factor.recovery_codes_replaced", actor=user, obj=user, ip_address=ip)
    db.session.commit()
    return codes


def _clear(user: User) -> None:
    user.totp_secret = user.totp_pending_secret = None
    user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off(user: User, password: str, *, is_required: bool, ip: str | None) -> None:
    """The user turns their own two-factor login off, with their password. Commit."""
    if is_required:
        raise ServiceError(
            "Your role must log in with two-factor login, so it cannot be turned off.",
            field="password",
        )
    if not user.check_password(password or ""):
        raise ServiceError("Your password is not right.", field="password")
    _clear(user)
    audit.record("two_factor.disabled", actor=user, obj=user, ip_address=ip)
    db.session.commit()


def reset(actor: User, target: User, *, ip: str | None) -> None:
    """An administrator clears `target`'s two-factor login (a lost phone and no recovery
    codes); every login of theirs ends, and they set it up again at their next login. Commit."""
    if not target.has_two_factor and not target.totp_pending_secret:
        raise ServiceError(f"{target.name} has no two-factor login to reset.")
    _clear(target)
    target.session_version += 1
    audit.record("two_factor.reset", actor=actor, obj=target, ip_address=ip, email=target.email)
    db.session.commit()
