"""The case page's tier and routing context: may I take this case, and how far may I
escalate it (seeds 000, 001, 003)."""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.models import Case, User
from helpdesk.rules.tier_fit import can_take, escalation_target, staff_tier
from helpdesk.tracker.forms import AcceptForm


@dataclass(frozen=True)
class TierFit:
    """The viewer against the case's tier."""

    my_tier: int
    case_tier: int
    can_take: bool  # without an override
    escalate_to: int | None  # the tier this viewer may escalate to, if any


def tier_fit(case: Case, viewer: User) -> TierFit:
    """How the viewer's tier fits the case's."""
    return TierFit(
        my_tier=staff_tier(viewer.tier),
        case_tier=case.tier,
        can_take=can_take(viewer.tier, case.tier),
        escalate_to=escalation_target(viewer.tier, case.tier),
    )


def case_routing_context(case: Case, viewer: User, given: dict) -> dict:
    """Template context for the accept panel and the tier actions; `given` forms win."""
    context = {"tier_fit": tier_fit(case, viewer)}
    if "accept_form" not in given:
        context["accept_form"] = AcceptForm()
    return context
