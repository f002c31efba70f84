import pytest

from helpdesk.rules.routing import (
    CaseFacts,
    Decision,
    PassedOver,
    Person,
    Route,
    Skip,
    decide,
    route_case,
    skip_reason,
)

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


# decide(): who, and why -----------------------------------------------------------------

LENA, TOMAS, PRIYA, GONE = 11, 12, 13, 14
PEOPLE = {
    LENA: Person(LENA, tier=1),
    TOMAS: Person(TOMAS, tier=2),
    PRIYA: Person(PRIYA, tier=3),
    GONE: Person(GONE, tier=2, active=False),
}
BILLING = 20
TIERED = [
    Route(TOMAS, fallback_id=PRIYA, case_type_id=BILLING),  # 0: the finance person
    Route(GONE, fallback_id=LENA, category="hosting"),  # 1: someone who left
    Route(LENA, fallback_id=TOMAS),  # 2: the catch-all, a tier-2 fallback
]


def away(*ids):
    return {**PEOPLE, **{i: Person(i, tier=PEOPLE[i].tier, away=True) for i in ids}}


@pytest.mark.parametrize(
    ("case", "people", "expected"),
    [
        # The rule's assignee takes it.
        (CaseFacts("other", BILLING), PEOPLE, Decision(TOMAS, 0)),
        # Away: the fallback, and the timeline can say who was away.
        (
            CaseFacts("other", BILLING),
            away(TOMAS),
            Decision(PRIYA, 0, True, (PassedOver(TOMAS, Skip.AWAY),)),
        ),
        # Both away: the queue, with both reasons.
        (
            CaseFacts("other", BILLING),
            away(TOMAS, PRIYA),
            Decision(None, 0, False, (PassedOver(TOMAS, Skip.AWAY), PassedOver(PRIYA, Skip.AWAY))),
        ),
        # Seed 000: a tier-2 case passes over the tier-1 catch-all agent for the fallback.
        (
            CaseFacts("support", tier=2),
            PEOPLE,
            Decision(TOMAS, 2, True, (PassedOver(LENA, Skip.TIER),)),
        ),
        # A tier-1 case stays with her.
        (CaseFacts("support", tier=1), PEOPLE, Decision(LENA, 2)),
        # Tier 3 needed: nobody on the catch-all is; the case waits for its tier.
        (
            CaseFacts("support", tier=3),
            PEOPLE,
            Decision(None, 2, False, (PassedOver(LENA, Skip.TIER), PassedOver(TOMAS, Skip.TIER))),
        ),
        # Below the tier counts before away: the reason given is the one that always holds.
        (
            CaseFacts("support", tier=2),
            away(LENA),
            Decision(TOMAS, 2, True, (PassedOver(LENA, Skip.TIER),)),
        ),
        # Someone no longer on the staff is passed over.
        (
            CaseFacts("hosting"),
            PEOPLE,
            Decision(LENA, 1, True, (PassedOver(GONE, Skip.INACTIVE),)),
        ),
        # A person the rule names who is unknown to routing counts as no longer active.
        (
            CaseFacts("hosting"),
            {LENA: PEOPLE[LENA]},
            Decision(LENA, 1, True, (PassedOver(GONE, Skip.INACTIVE),)),
        ),
    ],
)
def test_decide_says_who_and_why(case, people, expected):
    assert decide(case, TIERED, people) == expected


def test_no_matching_rule_is_a_decision_without_a_rule():
    assert decide(CaseFacts("other"), TIERED[:2], PEOPLE) == Decision(None)


@pytest.mark.parametrize(
    ("person", "case_tier", "why"),
    [
        (Person(1, tier=1), 1, None),
        (Person(1, tier=3), 2, None),
        (Person(1, tier=1), 2, Skip.TIER),
        (Person(1, tier=2, away=True), 2, Skip.AWAY),
        (Person(1, tier=3, active=False), 1, Skip.INACTIVE),
        (None, 1, Skip.INACTIVE),
    ],
)
def test_skip_reason(person, case_tier, why):
    assert skip_reason(person, case_tier) == why
