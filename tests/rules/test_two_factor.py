"""Who must pass a second factor, and how typed codes are read."""

from __future__ import annotations

import pytest

from helpdesk.rules import two_factor as rules


@pytest.mark.parametrize(
    ("role", "roles", "all_staff", "expected"),
    [
        ("billing", ("billing", "admin"), False, True),
        ("admin", ("billing", "admin"), False, True),
        ("agent", ("billing", "admin"), False, False),
        ("agent", ("billing", "admin"), True, True),
        ("customer", ("billing", "admin"), True, False),
        ("customer", ("customer",), False, False),
        ("billing", (), False, False),
    ],
)
def test_required(role, roles, all_staff, expected):
    assert rules.required(role, roles, all_staff) is expected


@pytest.mark.parametrize(
    ("typed", "read"),
    [(" 123 456 ", "123456"), ("K3F9Q-7XM2D", "k3f9q7xm2d"), (None, ""), ("12\t34-56", "123456")],
)
def test_cleaned(typed, read):
    assert rules.cleaned(typed) == read


def test_cleaned_input_is_cut_just_past_the_longest_code():
    assert len(rules.cleaned("9" * 10_000)) == rules.CODE_MAX + 1


@pytest.mark.parametrize(
    ("code", "expected"),
    [("123456", True), ("12345", False), ("1234567", False), ("²²²²²²", False)],
)
def test_is_authenticator_code(code, expected):
    assert rules.is_authenticator_code(code) is expected


def test_recovery_code_text():
    assert rules.recovery_code_text("abcdefghjk") == "abcde-fghjk"


@pytest.mark.parametrize(
    ("now", "expired"), [(100.0, False), (700.0, False), (700.1, True), (99.0, True)]
)
def test_pending_expired(now, expired):
    assert rules.pending_expired(100.0, now, 600) is expired
