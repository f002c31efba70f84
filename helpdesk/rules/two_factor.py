"""Two-factor login: who must use it, and the shape of what people type (no Flask, no DB)."""

from __future__ import annotations

import re
from collections.abc import Collection

TOTP_DIGITS = 6
RECOVERY_CODE_COUNT = 10
RECOVERY_GROUP = 5  # a recovery code is shown as two groups of five, e.g. "k3f9q-7xm2d"
# Letters and digits people do not confuse when they read a code from paper.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_TOTP = re.compile(rf"\d{{{TOTP_DIGITS}}}")
CODE_MAX = 40  # longer input is refused before it is looked at


def required(role: str, required_roles: Collection[str], all_staff: bool) -> bool:
    """Whether a login of `role` must pass a second factor (customers never are asked)."""
    if role == "customer":
        return False
    return all_staff or role in required_roles


def cleaned(entered: str | None) -> str:
    """What was typed, without spaces and dashes, lower-case: "123 456" and "K3F9Q-7XM2D"
    are read as "123456" and "k3f9q7xm2d"."""
    return re.sub(r"[\s-]+", "", entered or "").lower()[: CODE_MAX + 1]


def is_authenticator_code(code: str) -> bool:
    """Six digits: what an authenticator app shows (a recovery code has letters)."""
    return _TOTP.fullmatch(code) is not None


def recovery_code_text(code: str) -> str:
    """A recovery code as shown once to its owner: two groups of five."""
    return f"{code[:RECOVERY_GROUP]}-{code[RECOVERY_GROUP:]}"


def pending_expired(started: float, now: float, max_age: float) -> bool:
    """Whether the step between password and code has taken too long (or the clock went back)."""
    return not 0 <= now - started <= max_age
