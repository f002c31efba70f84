"""Which cases a person's tier lets them take, and where their escalation goes (seeds 000, 003).

Seed 000 sends priority support, eligible requests and bug reports to a level-two technician;
seed 003's Tier II "accepts only items that cannot be completed by primary support". So a case
belongs with people of its tier or higher. A lower-tier person may still take one, but only
by saying so (an override the timeline keeps). Staff without a tier count as tier 1.

Escalating moves a case one tier up; only someone working at the case's tier or above
decides that: a tier-1 agent holding a tier-2 case has nothing to escalate, the case is
already above them.
"""

from __future__ import annotations

TOP_TIER = 3


def staff_tier(tier: int | None) -> int:
    """A person's tier, with no tier counting as primary support (1)."""
    return tier if tier is not None else 1


def can_take(person_tier: int | None, case_tier: int) -> bool:
    """True when a person of `person_tier` may take a `case_tier` case without an override."""
    return staff_tier(person_tier) >= case_tier


def escalation_target(person_tier: int | None, case_tier: int) -> int | None:
    """The tier this person may escalate the case to, or None when they may not."""
    if case_tier >= TOP_TIER or not can_take(person_tier, case_tier):
        return None
    return case_tier + 1
