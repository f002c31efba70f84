"""API token rules: who may grant which scopes, what a token may do today, the bearer header,
what is stored of a token, and whether a token is live."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpdesk.rules import api_tokens as rules

CASES_AND_CUSTOMERS = {"cases:read", "cases:write", "customers:read", "customers:write"}
A_TOKEN = "hdp_" + "A" * 43


@pytest.mark.parametrize(
    ("role", "billing_permission", "expected"),
    [
        ("customer", False, set()),
        ("customer", True, set()),  # the permission never reaches a customer
        ("agent", False, CASES_AND_CUSTOMERS | {"articles:write"}),
        ("agent", True, CASES_AND_CUSTOMERS | {"articles:write", "billing"}),
        ("billing", False, CASES_AND_CUSTOMERS | {"billing"}),
        ("billing", True, CASES_AND_CUSTOMERS | {"billing"}),
        ("admin", False, set(rules.SCOPES)),
        ("nobody", False, set()),
    ],
)
def test_grantable_per_role(role, billing_permission, expected):
    assert rules.grantable(role, billing_permission) == expected


def test_every_grantable_scope_is_described():
    for role in ("agent", "billing", "admin"):
        assert rules.grantable(role, True) <= set(rules.SCOPES)
    assert all(rules.SCOPES.values())


@pytest.mark.parametrize(
    ("scopes", "role", "billing_permission", "active", "expected"),
    [
        (["cases:read", "billing"], "billing", False, True, {"cases:read", "billing"}),
        # An agent who lost the billing permission: the token stops refunding at once.
        (["cases:read", "billing"], "agent", False, True, {"cases:read"}),
        (["cases:read", "billing"], "agent", True, True, {"cases:read", "billing"}),
        # Demoted to customer, or deactivated: nothing.
        (["cases:read"], "customer", False, True, set()),
        (["cases:read", "billing"], "admin", False, False, set()),
        (["no:such"], "admin", False, True, set()),
        ([], "admin", False, True, set()),
    ],
)
def test_effective(scopes, role, billing_permission, active, expected):
    assert rules.effective(scopes, role, billing_permission, active) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {A_TOKEN}", A_TOKEN),
        (f"bearer {A_TOKEN}", A_TOKEN),  # the scheme is case-insensitive
        (f"  Bearer   {A_TOKEN}  ", A_TOKEN),
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer ", None),
        (A_TOKEN, None),  # no scheme
        (f"Basic {A_TOKEN}", None),
        (f"Token {A_TOKEN}", None),
        ("Bearer hdp_short", None),
        (f"Bearer {A_TOKEN}A", None),  # one character too many
        (f"Bearer {A_TOKEN[:-1]}", None),
        ("Bearer hdq_" + "A" * 43, None),  # another prefix
        ("Bearer hdp_" + "A" * 42 + "=", None),  # padding is not URL-safe base64 here
        (f"Bearer {A_TOKEN} extra", None),
        ("Bearer hdp_" + "٣" * 43, None),  # non-ASCII digits are not token characters
    ],
)
def test_bearer_token(header, expected):
    assert rules.bearer_token(header) == expected


def test_digest_is_the_sha256_hex_of_the_token():
    assert rules.digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert len(rules.digest(A_TOKEN)) == 64
    assert rules.digest(A_TOKEN) != rules.digest(A_TOKEN[:-1] + "B")


def test_unknown_and_ordered_scopes():
    assert rules.unknown_scopes(["cases:read", "x", "billing", "y"]) == ["x", "y"]
    assert rules.ordered(["billing", "cases:read", "billing"]) == ["cases:read", "billing"]


def test_the_default_expiry_is_one_of_the_choices():
    assert rules.DEFAULT_EXPIRY_DAYS in rules.EXPIRY_DAYS


NOW = datetime(2027, 1, 15, 8, 0)


@pytest.mark.parametrize(
    ("expires_at", "revoked_at", "expected"),
    [
        (NOW + timedelta(seconds=1), None, rules.LIVE),
        (NOW, None, rules.EXPIRED),  # the API refuses it from its expiry on
        (NOW - timedelta(days=1), None, rules.EXPIRED),
        (NOW + timedelta(days=30), NOW - timedelta(hours=1), rules.REVOKED),
        (NOW - timedelta(days=1), NOW - timedelta(days=2), rules.REVOKED),
    ],
)
def test_state(expires_at, revoked_at, expected):
    assert rules.state(expires_at, revoked_at, NOW) == expected
