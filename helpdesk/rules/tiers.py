"""Which support level takes a new case first.

Seed 000, "New Support Cases": "There are three types of support cases that are transferred to
a level-two technician: customers who pay for priority support; eligible support requests
(which includes evaluation users and new customers); bug reports." Everything else stays with
level one, who answers with the appropriate system e-mail.
"""

from __future__ import annotations

from helpdesk.rules.eligibility import SupportLevel

BUG_REPORT = "bug_report"


def initial_tier(category: str, support_level: SupportLevel) -> int:
    """Tier 2 for bug reports and for requests with an active plan; tier 1 otherwise."""
    if category == BUG_REPORT or support_level == SupportLevel.ACTIVE:
        return 2
    return 1
