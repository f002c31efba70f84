import pytest

from helpdesk.rules.tier_fit import can_take, escalation_target, staff_tier


@pytest.mark.parametrize(("tier", "counted"), [(None, 1), (1, 1), (2, 2), (3, 3)])
def test_staff_without_a_tier_count_as_primary_support(tier, counted):
    assert staff_tier(tier) == counted


@pytest.mark.parametrize(
    ("person_tier", "case_tier", "takes", "escalates_to"),
    [
        (1, 1, True, 2),
        (None, 1, True, 2),
        (1, 2, False, None),  # a tier-2 case is above a tier-1 agent: nothing to escalate
        (None, 2, False, None),
        (2, 2, True, 3),
        (3, 2, True, 3),
        (3, 1, True, 2),  # from where the case is, one tier up
        (3, 3, True, None),  # the top
        (2, 3, False, None),
    ],
)
def test_who_takes_and_escalates(person_tier, case_tier, takes, escalates_to):
    assert can_take(person_tier, case_tier) is takes
    assert escalation_target(person_tier, case_tier) == escalates_to
