"""The case page's "Support" row: the eligibility kept when the case was opened, and today's."""

from __future__ import annotations

from datetime import date

from helpdesk.models import Case
from helpdesk.rules.phone_procedure import LEVEL_LABELS
from helpdesk.services.cases.eligibility import at_opening, organisation_eligibility


def eligibility_context(case: Case, today: date) -> dict:
    """What templates/tracker/_case_eligibility.html shows: the level at opening (None when
    not recorded), the level today, and whether today's differs from it."""
    kept = at_opening(case)
    current = organisation_eligibility(case.organisation_id, today)
    return {
        "eligibility_at_opening": kept,
        "eligibility": current,
        "eligibility_changed": kept is None or kept.level != current.level,
        "eligibility_labels": LEVEL_LABELS,
    }
