"""The administrator's routing rules (seed 001, "Delegating case assignment"): list, add,
reorder, switch on or off and delete them; each change is audited. The routing itself lives
in rules.routing and services.routing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AgentStatus,
    CaseReason,
    CaseType,
    Category,
    CustomerTopic,
    Role,
    RoutingRule,
    User,
    utcnow,
)
from helpdesk.models.accounts import staff_rows
from helpdesk.rules.tier_fit import staff_tier
from helpdesk.services import ServiceError
from helpdesk.services.core import audit

POSITION_MIN = 0
POSITION_MAX = 9999
ROUTABLE_ROLES = (Role.AGENT, Role.ADMIN)


def ordered_rules() -> list[RoutingRule]:
    """Every rule, in the order routing tries them: position, then the order they were added."""
    return list(
        db.session.scalars(sa.select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    )


def routable_staff() -> list[User]:
    """Active agents and administrators: who a rule may name as assignee or fallback."""
    return list(
        db.session.scalars(
            staff_rows(sa.select(User))
            .where(User.role.in_(ROUTABLE_ROLES), User.active)
            .order_by(User.name, User.id)
        )
    )


def is_catch_all(rule: RoutingRule) -> bool:
    """A rule with nothing to match takes every case that reaches it."""
    return rule.category is None and rule.case_type_id is None and rule.case_reason_id is None


def _covers(earlier: RoutingRule, later: RoutingRule) -> bool:
    # Every case `later` matches, `earlier` matches too (empty fields match anything).
    return all(
        mine is None or mine == theirs
        for mine, theirs in (
            (earlier.category, later.category),
            (earlier.case_type_id, later.case_type_id),
            (earlier.case_reason_id, later.case_reason_id),
        )
    )


@dataclass(frozen=True)
class Person:
    """An assignee or fallback as the list shows them."""

    id: int
    name: str
    tier: int
    active: bool
    routable: bool  # still an agent or administrator
    away: bool


@dataclass(frozen=True)
class RuleRow:
    """One rule as the admin's list shows it."""

    rule: RoutingRule
    category: Category | None
    case_type: CaseType | None
    case_reason: CaseReason | None
    assignee: Person | None
    fallback: Person | None
    catch_all: bool
    shadowed_by: RoutingRule | None  # an earlier active rule that takes all its cases
    first: bool
    last: bool
    never: tuple[str, ...] = ()  # why it can never match or never assign anyone
    tier_note: str | None = None  # tier-2 cases it matches skip its people


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(
        id=user.id,
        name=user.name,
        tier=staff_tier(user.tier),
        active=user.active,
        routable=user.role in ROUTABLE_ROLES,
        # As services.routing sees it: a passed return time counts as back.
        away=user.agent_status == AgentStatus.AWAY
        and (user.away_until is None or user.away_until > utcnow()),
    )


def overview() -> list[RuleRow]:
    """The rules in order, with the names behind their ids and rules that can never match."""
    rules = ordered_rules()
    user_ids = {uid for r in rules for uid in (r.assignee_id, r.fallback_id) if uid is not None}
    type_ids = {r.case_type_id for r in rules if r.case_type_id is not None}
    reason_ids = {r.case_reason_id for r in rules if r.case_reason_id is not None}
    users = _by_id(User, user_ids)
    types = _by_id(CaseType, type_ids)
    reasons = _by_id(CaseReason, reason_ids)
    rows = []
    for index, rule in enumerate(rules):
        shadowed_by = None
        if rule.active:
            shadowed_by = next(
                (e for e in rules[:index] if e.active and _covers(e, rule)),
                None,
            )
        rows.append(
            RuleRow(
                rule=rule,
                category=Category(rule.category) if rule.category is not None else None,
                case_type=types.get(rule.case_type_id),
                case_reason=reasons.get(rule.case_reason_id),
                assignee=_person(users.get(rule.assignee_id)),
                fallback=_person(users.get(rule.fallback_id)),
                catch_all=is_catch_all(rule),
                shadowed_by=shadowed_by,
                first=index == 0,
                last=index == len(rules) - 1,
                never=_never(rule, types, reasons, users) if rule.active else (),
                tier_note=_tier_note(rule, users),
            )
        )
    return rows


def _never(
    rule: RoutingRule,
    types: dict[int, CaseType],
    reasons: dict[int, CaseReason],
    users: dict[int, User],
) -> tuple[str, ...]:
    """Why an active rule can never match a case or never assign one (seed 001's rules
    are only useful when they fire: say so instead of saving one that silently never does)."""
    found = []
    case_type = types.get(rule.case_type_id) if rule.case_type_id is not None else None
    reason = reasons.get(rule.case_reason_id) if rule.case_reason_id is not None else None
    if rule.case_type_id is not None and (case_type is None or not case_type.active):
        found.append("Never matches: its case type is switched off, so no case can get it.")
    if rule.case_reason_id is not None and (reason is None or not reason.active):
        found.append("Never matches: its reason is switched off, so no case can get it.")
    elif (
        reason is not None
        and rule.case_type_id is not None
        and reason.case_type_id not in (None, rule.case_type_id)
    ):
        found.append("Never matches: its reason belongs to another case type.")
    people = [users.get(uid) for uid in (rule.assignee_id, rule.fallback_id) if uid is not None]
    if not any(p is not None and p.active and p.role in ROUTABLE_ROLES for p in people):
        found.append("Never assigns: nobody it names is active staff, so its cases wait.")
    return tuple(found)


def _tier_note(rule: RoutingRule, users: dict[int, User]) -> str | None:
    """When tier-2 cases this rule matches would find nobody of tier 2 on it."""
    people = [users.get(uid) for uid in (rule.assignee_id, rule.fallback_id) if uid is not None]
    if any(p is not None and staff_tier(p.tier) >= 2 for p in people):
        return None
    if rule.category == Category.BUG_REPORT:
        return "Bug reports start at tier 2 and nobody here is: they wait in the support queue."
    return (
        "Tier 2 cases it matches (priority support, active plans, bug reports) pass over "
        "these tier 1 people and wait in the support queue; add a tier 2 fallback."
    )


def _by_id(model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}


def suggested_position() -> int:
    """A position for a new rule: after the others, but above a trailing catch-all if it fits.

    A rule added after the catch-all would never be reached, so the form suggests the place
    just after the rule before it, when the numbers leave room.
    """
    rules = ordered_rules()
    if not rules:
        return 1
    last = rules[-1]
    if is_catch_all(last) and last.active:
        after = rules[-2].position + 1 if len(rules) > 1 else 1
        if after < last.position:
            return after
    return min(last.position + 1, POSITION_MAX)


def _snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "position": rule.position,
        "category": str(rule.category) if rule.category is not None else None,
        "case_type_id": rule.case_type_id,
        "case_reason_id": rule.case_reason_id,
        "assignee_id": rule.assignee_id,
        "fallback_id": rule.fallback_id,
        "active": rule.active,
    }


def _routable_user(user_id: int | None, field: str, label: str) -> User:
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active or user.role not in ROUTABLE_ROLES:
        raise ServiceError(f"Choose an active agent or administrator as the {label}.", field=field)
    return user


def create_rule(
    actor: User,
    *,
    assignee_id: int,
    position: int,
    category: Category | str | None = None,
    case_type_id: int | None = None,
    case_reason_id: int | None = None,
    fallback_id: int | None = None,
    ip_address: str | None = None,
) -> RoutingRule:
    """Add a routing rule after checking what it matches and who it names; audit; commit."""
    if category is not None:
        try:
            category = Category(category)
        except ValueError:
            raise ServiceError("Choose a category from the list.", field="category") from None
    case_type = db.session.get(CaseType, case_type_id) if case_type_id is not None else None
    if case_type_id is not None and (case_type is None or not case_type.active):
        raise ServiceError("Choose a case type from the list.", field="case_type_id")
    reason = db.session.get(CaseReason, case_reason_id) if case_reason_id is not None else None
    if case_reason_id is not None and (reason is None or not reason.active):
        raise ServiceError("Choose a reason from the list.", field="case_reason_id")
    # A reason without a type is shared by every type (as when an agent classifies a case).
    if (
        reason is not None
        and case_type_id is not None
        and reason.case_type_id
        not in (
            None,
            case_type_id,
        )
    ):
        raise ServiceError(
            f"The reason \u201c{reason.name}\u201d does not belong to the type "
            f"\u201c{case_type.name}\u201d.",
            field="case_reason_id",
        )
    assignee = _routable_user(assignee_id, "assignee_id", "assignee")
    if fallback_id is not None:
        fallback = _routable_user(fallback_id, "fallback_id", "fallback")
        if fallback.id == assignee.id:
            raise ServiceError(
                "Choose a different person as the fallback, or none.", field="fallback_id"
            )
    if (
        not isinstance(position, int)
        or isinstance(position, bool)
        or not POSITION_MIN <= position <= POSITION_MAX
    ):
        raise ServiceError(
            f"Enter a whole number from {POSITION_MIN} to {POSITION_MAX}.", field="position"
        )
    rule = RoutingRule(
        position=position,
        category=category,
        case_type_id=case_type_id,
        case_reason_id=case_reason_id,
        assignee_id=assignee.id,
        fallback_id=fallback_id,
        active=True,
    )
    db.session.add(rule)
    db.session.flush()
    audit.record("routing.create", actor=actor, obj=rule, ip_address=ip_address, **_snapshot(rule))
    db.session.commit()
    return rule


def move_rule(
    actor: User,
    rule: RoutingRule,
    direction: Literal["up", "down"],
    *,
    ip_address: str | None = None,
) -> RoutingRule:
    """Swap a rule with its neighbour in the routing order; audit; commit."""
    if direction not in ("up", "down"):
        raise ServiceError("Move a rule up or down.")
    rules = ordered_rules()
    index = rules.index(rule)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(rules):
        raise ServiceError(f"This rule is already {'first' if direction == 'up' else 'last'}.")
    before = {r.id: r.position for r in rules}
    # Equal positions are ordered by id, so swapping two equal numbers would change nothing:
    # first make the numbers strictly increasing, moving as few rules as possible.
    previous = None
    for r in rules:
        if previous is not None and r.position <= previous:
            r.position = previous + 1
        previous = r.position
    other = rules[other_index]
    rule.position, other.position = other.position, rule.position
    changed = [
        {"rule_id": r.id, "position": [before[r.id], r.position]}
        for r in rules
        if r.position != before[r.id]
    ]
    audit.record(
        "routing.update",
        actor=actor,
        obj=rule,
        ip_address=ip_address,
        change=f"move {direction}",
        positions=changed,
    )
    db.session.commit()
    return rule


def set_active(
    actor: User, rule: RoutingRule, active: bool, *, ip_address: str | None = None
) -> RoutingRule:
    """Switch a rule on or off (an inactive rule is skipped by routing); audit; commit."""
    if rule.active == active:
        return rule
    rule.active = active
    audit.record(
        "routing.update",
        actor=actor,
        obj=rule,
        ip_address=ip_address,
        change="activate" if active else "deactivate",
        active=[not active, active],
    )
    db.session.commit()
    return rule


def delete_rule(actor: User, rule: RoutingRule, *, ip_address: str | None = None) -> None:
    """Remove a rule for good, keeping what it was in the audit row; commit."""
    audit.record("routing.delete", actor=actor, obj=rule, ip_address=ip_address, **_snapshot(rule))
    db.session.delete(rule)
    db.session.commit()


TOPIC_LABEL_MAX = 80


def topics() -> list[CustomerTopic]:
    """Every topic customers may pick, in the order the new-case form lists them."""
    return list(
        db.session.scalars(
            sa.select(CustomerTopic).order_by(
                CustomerTopic.position, CustomerTopic.label, CustomerTopic.id
            )
        )
    )


def create_topic(
    actor: User,
    *,
    label: str,
    case_type_id: int | None,
    category: Category | str | None = None,
    ip_address: str | None = None,
) -> CustomerTopic:
    """Offer customers a topic that gives a new case a type (and counts as a category); audit;
    commit. Routing rules for that type then take such cases on arrival."""
    label = " ".join((label or "").split())
    if not label:
        raise ServiceError("Enter what customers will see, e.g. Billing or payment.", field="label")
    if len(label) > TOPIC_LABEL_MAX:
        raise ServiceError(f"Keep it under {TOPIC_LABEL_MAX} characters.", field="label")
    if "\x00" in label:
        raise ServiceError("It contains characters we cannot store.", field="label")
    taken = {t.label.casefold() for t in topics()} | {
        c.replace("_", " ").casefold() for c in Category
    }
    if label.casefold() in taken:
        raise ServiceError("Customers can already pick that; choose another name.", field="label")
    case_type = db.session.get(CaseType, case_type_id) if case_type_id is not None else None
    if case_type is None or not case_type.active:
        raise ServiceError("Choose a case type from the list.", field="case_type_id")
    try:
        category = Category(category or Category.OTHER)
    except ValueError:
        raise ServiceError("Choose a category from the list.", field="category") from None
    position = max((t.position for t in topics()), default=0) + 1
    topic = CustomerTopic(
        label=label, case_type_id=case_type.id, category=category, position=position
    )
    db.session.add(topic)
    db.session.flush()
    audit.record(
        "routing.topic_create",
        actor=actor,
        obj=topic,
        ip_address=ip_address,
        label=label,
        case_type_id=case_type.id,
        category=str(category),
    )
    db.session.commit()
    return topic


def delete_topic(actor: User, topic_id: int | None, *, ip_address: str | None = None) -> None:
    """Stop offering a topic (cases that have its type keep it); audit; commit."""
    topic = db.session.get(CustomerTopic, topic_id) if topic_id is not None else None
    if topic is None:
        raise ServiceError("That topic no longer exists; the list below is up to date.")
    audit.record(
        "routing.topic_delete",
        actor=actor,
        obj=topic,
        ip_address=ip_address,
        label=topic.label,
        case_type_id=topic.case_type_id,
    )
    db.session.delete(topic)
    db.session.commit()
