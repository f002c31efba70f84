"""Who may move money from a case page, and what each staff role may do there."""

from __future__ import annotations

import pytest

from helpdesk.rules.billing_access import may_handle_money, may_on_case


@pytest.mark.parametrize(
    ("role", "granted", "active", "expected"),
    [
        ("billing", False, True, True),
        ("admin", False, True, True),
        ("agent", False, True, False),
        ("agent", True, True, True),
        ("customer", True, True, False),  # the flag never makes a customer staff
        ("billing", False, False, False),  # a deactivated login moves nothing
        ("agent", True, False, False),
    ],
)
def test_who_may_handle_money(role, granted, active, expected):
    assert may_handle_money(role, granted, active) is expected


@pytest.mark.parametrize(
    ("role", "action", "expected"),
    [
        ("billing", "view", True),
        ("billing", "note", True),
        ("billing", "call", True),
        ("billing", "reply", False),
        ("billing", "assign", False),
        ("billing", "close", False),
        ("billing", "escalate", False),
        ("agent", "reply", True),
        ("agent", "assign", True),
        ("admin", "close", True),
        ("customer", "view", False),  # customers have their own portal
        ("agent", "unknown", False),
    ],
)
def test_case_page_actions_by_role(role, action, expected):
    assert may_on_case(role, action) is expected
