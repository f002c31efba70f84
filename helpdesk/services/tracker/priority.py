"""Priority scoring (seed 003): the weights, a new case's detected factors, agents' ticks and
the administrator's weights. The arithmetic and the seed's table live in rules.priority."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    Organisation,
    Setting,
    User,
    utcnow,
)
from helpdesk.rules import priority as rules
from helpdesk.rules.business_hours import to_local
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import touch
from helpdesk.services.core import audit
from helpdesk.services.tracker import sla

SETTING_KEY = "priority_weights"
SUMMARY_MAX = 500


def weights() -> dict[str, int]:
    """Every factor's weight: the seed's default unless the admin's setting overrides it."""
    result = dict(rules.DEFAULT_WEIGHTS)
    setting = db.session.get(Setting, SETTING_KEY)
    stored = setting.value if setting is not None and isinstance(setting.value, dict) else {}
    for code, value in stored.items():
        if code in result and _valid_weight(value):
            result[code] = value
    return result


def _valid_weight(value: object) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and rules.WEIGHT_MIN <= value <= rules.WEIGHT_MAX
    )


def detect(case: Case, at: datetime) -> list[str]:
    """The factors the case's own data shows at `at` (naive UTC): the time it reached us,
    which is when the voice mail was left (`received_at`) if the agent entered it."""
    at = case.received_at or at
    calendar = sla.current_calendar(at)
    arrived = to_local(at, calendar).replace(tzinfo=None)
    organisation = case.organisation or db.session.get(Organisation, case.organisation_id)
    parent = db.session.get(Case, case.parent_id) if case.parent_id else None
    return rules.detect_factors(
        origin=str(case.origin),
        arrived_local=arrived,
        business_open=calendar.opens,
        business_close=calendar.closes,
        after_hours_plan=bool(organisation and organisation.after_hours_support),
        customer_time_zone=organisation.time_zone if organisation else "",
        # Only the agent can tell a same-topic extension when it arrives; they tick it.
        is_extension_same_topic=False,
        parent_at_tier2=parent is not None and parent.tier >= 2,
        business_days=calendar.weekdays,
        holidays=calendar.holidays,
    )


def score_new_case(case: Case, at: datetime) -> None:
    """Triage: add the detected factors to any already set and score them; no commit."""
    present = rules.counts(c for c in case.priority_factors or [] if isinstance(c, str))
    for code, count in rules.counts(detect(case, at)).items():
        present[code] = max(present.get(code, 0), count)
    known = {
        code: min(n, rules.MAX_REPEAT if rules.BY_CODE[code].repeatable else 1)
        for code, n in present.items()
        if code in rules.BY_CODE
    }
    case.priority_factors = rules.from_counts(known)
    case.priority_score = rules.score(case.priority_factors, weights())


def _checked_factors(factors: Iterable[str]) -> list[str]:
    factors = list(factors)
    for code in factors:
        if not isinstance(code, str) or code not in rules.BY_CODE:
            raise ServiceError(f"Unknown priority factor: {code}.", field="factors")
    try:
        return rules.from_counts(rules.counts(factors))
    except ValueError:
        raise ServiceError(
            f"A factor counts at most {rules.MAX_REPEAT} times, and most only once.",
            field="factors",
        ) from None


def _summary(lines: list[rules.Line], total: int, previous: int) -> str:
    parts = [
        f"{line.factor.code.replace('_', ' ')}"
        f"{f' x{line.count}' if line.count > 1 else ''} ({line.points:+d})"
        for line in lines
    ]
    text = (
        f"Priority factors: {', '.join(parts) or 'none'} = {total}, "
        f"{rules.level(total)} (was {previous})"
    )
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 3] + "..."


def set_factors(actor: User, case: Case, factors: Iterable[str]) -> Case:
    """An agent ticks or unticks factors: recompute the score, log the breakdown; commit."""
    factors = _checked_factors(factors)
    current = weights()
    total = rules.score(factors, current)
    previous_factors = list(case.priority_factors or [])
    previous = case.priority_score
    if factors == previous_factors and total == previous:
        return case
    lines = rules.breakdown(factors, current)
    now = utcnow()
    db.session.add(
        Activity(
            case_id=case.id,
            actor_id=actor.id,
            kind=ActivityKind.PRIORITY,
            summary=_summary(lines, total, previous),
            details={
                "factors": factors,
                "previous_factors": previous_factors,
                "score": total,
                "previous_score": previous,
                "level": str(rules.level(total)),
                "breakdown": [
                    {
                        "factor": line.factor.code,
                        "count": line.count,
                        "weight": line.weight,
                        "points": line.points,
                    }
                    for line in lines
                ],
            },
            created_at=now,
        )
    )
    case.priority_factors = factors
    case.priority_score = total
    touch(case, now)
    db.session.commit()
    return case


def save_weights(
    actor: User, new_weights: Mapping[str, object], *, ip_address: str | None = None
) -> dict[str, int]:
    """The administrator sets factor weights (whole numbers, -50 to 50); audit; commit.

    Only weights that differ from the seed's defaults are stored. Existing cases keep the
    score they have; new cases and the next change of a case's factors use the new weights.
    """
    for code, value in new_weights.items():
        if code not in rules.BY_CODE:
            raise ServiceError(f"Unknown priority factor: {code}.")
        if not _valid_weight(value):
            raise ServiceError(
                f"Enter a whole number from {rules.WEIGHT_MIN} to {rules.WEIGHT_MAX}.",
                field=code,
            )
    before = weights()
    after = {**before, **new_weights}
    changes = {code: [before[code], after[code]] for code in after if before[code] != after[code]}
    if not changes:
        return before
    overrides = {
        code: value for code, value in after.items() if value != rules.DEFAULT_WEIGHTS[code]
    }
    setting = db.session.get(Setting, SETTING_KEY)
    if setting is None:
        db.session.add(Setting(key=SETTING_KEY, value=overrides))
    else:
        setting.value = overrides
    audit.record("priority.weights", actor=actor, ip_address=ip_address, changes=changes)
    db.session.commit()
    return after


@dataclass(frozen=True)
class Panel:
    """What the case page shows: the stored score and level, and the factors behind them."""

    score: int
    level: rules.Level
    lines: list[rules.Line]
    computed: int  # what the factors add up to with today's weights
    unknown: list[str]  # stored codes this version does not know (shown, not counted)

    @property
    def overridden(self) -> bool:
        """The score was set by hand or under older weights."""
        return self.score != self.computed


def describe(case: Case, current: Mapping[str, int] | None = None) -> Panel:
    """The case's priority as the page shows it."""
    current = weights() if current is None else current
    stored = list(case.priority_factors or [])
    known = [code for code in stored if isinstance(code, str) and code in rules.BY_CODE]
    unknown = sorted({str(code) for code in stored} - set(rules.BY_CODE))
    return Panel(
        score=case.priority_score,
        level=rules.level(case.priority_score),
        lines=rules.breakdown(known, current),
        computed=rules.score(known, current),
        unknown=unknown,
    )
