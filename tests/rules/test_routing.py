import pytest

from helpdesk.rules.routing import CaseFacts, Route, route_case

CHELSEA, SNK, BLAKE, NATASHA = 1, 2, 3, 4
ROUTES = [
    Route(CHELSEA, category="billing"),
    Route(SNK, fallback_id=CHELSEA, case_type_id=10),  # festival activations
    Route(BLAKE, case_type_id=11, case_reason_id=21),  # premium judging
    Route(NATASHA, case_type_id=12),  # schedule or ticketing
    Route(CHELSEA),  # "any cases you are not sure of"
]
EVERYONE = {CHELSEA, SNK, BLAKE, NATASHA}


@pytest.mark.parametrize(
    ("case", "available", "expected"),
    [
        (CaseFacts("billing"), EVERYONE, CHELSEA),
        (CaseFacts("support", case_type_id=10), EVERYONE, SNK),
        (CaseFacts("support", case_type_id=10), EVERYONE - {SNK}, CHELSEA),  # SNK out
        (CaseFacts("support", case_type_id=10), {BLAKE}, None),  # both out: stays queued
        (CaseFacts("support", case_type_id=11, case_reason_id=21), EVERYONE, BLAKE),
        (CaseFacts("support", case_type_id=11, case_reason_id=22), EVERYONE, CHELSEA),
        (CaseFacts("support", case_type_id=12, case_reason_id=99), EVERYONE, NATASHA),
        (CaseFacts("other"), EVERYONE, CHELSEA),  # catch-all
        (CaseFacts("other"), EVERYONE - {CHELSEA}, None),
    ],
)
def test_first_matching_rule_with_fallback(case, available, expected):
    assert route_case(case, ROUTES, available) == expected


def test_no_rules_leave_the_case_in_the_queue():
    assert route_case(CaseFacts("support"), [], EVERYONE) is None
