"""Which policy holds a case."""

from __future__ import annotations

import pytest

from helpdesk.rules.sla_policies import PolicyFit, choose, met_percent

POLICIES = [
    PolicyFit("any", "any"),  # 0
    PolicyFit("priority", "any"),  # 1
    PolicyFit("any", "high"),  # 2
    PolicyFit("priority", "high"),  # 3
    PolicyFit("after_hours", "any"),  # 4
]


@pytest.mark.parametrize(
    ("plan", "priority", "index"),
    [
        ("priority", "high", 3),
        ("priority", "normal", 1),
        ("standard", "high", 2),
        ("standard", "normal", 0),
        ("after_hours", "high", 4),  # the plan counts more than the priority
    ],
)
def test_the_most_specific_policy_wins(plan, priority, index):
    assert choose(POLICIES, plan, priority) == index


def test_none_fits():
    assert choose([PolicyFit("priority", "high")], "standard", "normal") is None


def test_the_first_of_equals_wins():
    assert choose([PolicyFit("any", "any"), PolicyFit("any", "any")], "standard", "normal") == 0


def test_met_percent():
    assert met_percent(3, 4) == 75.0 and met_percent(0, 0) is None
