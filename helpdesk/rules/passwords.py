"""Password policy for registration and password change.

Not from the seeds: it follows NIST SP 800-63B, which asks for a minimum length,
a generous maximum, and rejecting passwords that are common, repetitive or built
from the user's own details, rather than composition rules (a digit, a symbol...).
"""

import re

MIN_LENGTH = 10
MAX_LENGTH = 128

# Compared case-insensitively; mostly entries long enough to pass the length rule.
COMMON_PASSWORDS = frozenset(
    {
        "0123456789",
        "1234567890",
        "12345678910",
        "123456789a",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "abc1234567",
        "abcd123456",
        "abcdefghij",
        "admin12345",
        "administrator",
        "baseball123",
        "changeme123",
        "computer123",
        "dragon1234",
        "football123",
        "iloveyou123",
        "letmein123",
        "monkey1234",
        "passw0rd123",
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "princess123",
        "qwerty1234",
        "qwerty123456",
        "qwertyuiop",
        "starwars123",
        "sunshine123",
        "superman123",
        "welcome123",
        "zxcvbnm123",
    }
)

_NAME_SEPARATORS = re.compile(r"[\s.,'_-]+")


def password_problems(password: str, email: str = "", name: str = "") -> list[str]:
    """Return what is wrong with a password, as messages for the user; empty if acceptable."""
    problems: list[str] = []
    folded = password.casefold()

    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if folded in COMMON_PASSWORDS:
        problems.append("This password is too common; choose another.")
    if len(set(password)) == 1:
        problems.append("Do not use a single repeated character.")

    local_part = email.strip().split("@", 1)[0].casefold()
    if len(local_part) >= 3 and local_part in folded:
        problems.append("Do not include your e-mail address.")

    # Short name parts ("Li", "de") would reject too many innocent passwords.
    name_parts = [p for p in _NAME_SEPARATORS.split(name.casefold()) if len(p) >= 3]
    if any(part in folded for part in name_parts):
        problems.append("Do not include your name.")

    return problems
