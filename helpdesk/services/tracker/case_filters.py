"""The filters of a folder page (and of saved views) as SQL conditions on cases.

Each filter comes from a query parameter; a value that cannot be read is ignored, never an
error, so an old bookmark or a hand-edited URL still shows a list.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from helpdesk.models import Case, CaseTag, Order, Organisation, Origin, Tag
from helpdesk.rules import tags as tag_rules
from helpdesk.rules.numbers import parse_id, parse_int
from helpdesk.services.fraud import fraud_flags

FILTERS = (
    "tag",
    "type",
    "tier",
    "priority",
    "origin",
    "assignee",
    "organisation",
    "product",
    "flag",
)
VALUE_MAX = 120
PRIORITY_LOW, PRIORITY_HIGH = -50, 100  # the range of a case's priority score


def conditions(args: Mapping[str, str]) -> list:
    """The SQL conditions of every filter set in `args`."""
    found = []
    if tag := tag_rules.normalised(args.get("tag", "")[:VALUE_MAX]):
        tagged = (
            sa.select(CaseTag.case_id).join(Tag, Tag.id == CaseTag.tag_id).where(Tag.name == tag)
        )
        found.append(Case.id.in_(tagged))
    if (type_id := parse_id(args.get("type"))) is not None:
        found.append(Case.case_type_id == type_id)
    if (tier := parse_id(args.get("tier"))) is not None:
        found.append(Case.tier == tier)
    priority = parse_int(args.get("priority") or "", low=PRIORITY_LOW, high=PRIORITY_HIGH)
    if priority is not None:  # "at least"
        found.append(Case.priority_score >= priority)
    if (origin := args.get("origin")) in {o.value for o in Origin}:
        found.append(Case.origin == origin)
    assignee = args.get("assignee", "")
    if assignee == "none":
        found.append(Case.assignee_id.is_(None))
    elif (assignee_id := parse_id(assignee)) is not None:
        found.append(Case.assignee_id == assignee_id)
    if organisation := args.get("organisation", "").strip()[:100]:
        matching = sa.select(Organisation.id).where(
            Organisation.name.ilike(f"%{escape_like(organisation)}%", escape="\\")
        )
        found.append(Case.organisation_id.in_(matching))
    if product := args.get("product", "").strip()[:VALUE_MAX]:
        found.append(Case.order_id.in_(sa.select(Order.id).where(Order.product == product)))
    if args.get("flag") == fraud_flags.FRAUD:
        found.append(fraud_flags.flagged_condition())
    return found


def chosen(args: Mapping[str, str]) -> dict[str, str]:
    """The filters set in `args`, as text (what a saved view keeps)."""
    return {
        key: str(args.get(key, "")).strip()[:VALUE_MAX]
        for key in FILTERS
        if str(args.get(key, "")).strip()
    }


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
