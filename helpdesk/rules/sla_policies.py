"""Which service-level policy holds a case (no Flask, no DB).

A policy names a plan and a priority, either of which may be "any". The most specific one
that fits wins: plan and priority, then plan alone, then priority alone, then "any"; among
equals the first listed. No policy fits: the default goal of the settings holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ANY = "any"


@dataclass(frozen=True)
class PolicyFit:
    plan: str
    priority: str


def _specificity(policy: PolicyFit) -> int:
    return (2 if policy.plan != ANY else 0) + (1 if policy.priority != ANY else 0)


def choose(policies: Sequence[PolicyFit], plan: str, priority: str) -> int | None:
    """The index of the policy for a case of `plan` and `priority`, or None."""
    fitting = [
        (-_specificity(p), index)
        for index, p in enumerate(policies)
        if p.plan in (ANY, plan) and p.priority in (ANY, priority)
    ]
    return min(fitting)[1] if fitting else None


def met_percent(met: int, due: int) -> float | None:
    """The share of targets met, or None when none fell due."""
    return round(100 * met / due, 1) if due else None
