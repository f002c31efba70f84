"""Who may move money from a case page (issue 15 item 15; seed 002 Payment Manager).

Billing staff and administrators refund and reship as their daily work. An agent may too
once an administrator grants them the billing permission (a per-user flag): the person who
owns a finance case (seed 001: "all finance related cases" go to one named person) then
settles it on the case without handing it over. Customers never may. This function is the
one place that decides it; services and views both ask it.

Billing staff open case pages to read the thread and work the money, but the agent's own
tools stay with agents: public replies, assignment, status, priority, escalation, clones.
They may add private notes and log the calls they make about a refund (seed 001: every
outgoing call is logged on the case).
"""

from __future__ import annotations

MONEY_ROLES = frozenset({"billing", "admin"})
GRANTABLE_ROLES = frozenset({"agent"})  # the only role the billing permission changes

# What each staff role may do on a case page; everything else there is agent work.
CASE_READER_ACTIONS = frozenset({"view", "note", "call"})
AGENT_ACTIONS = CASE_READER_ACTIONS | frozenset(
    {"reply", "assign", "accept", "classify", "priority", "action", "close", "escalate", "clone"}
)
CASE_ACTIONS = {
    "agent": AGENT_ACTIONS,
    "admin": AGENT_ACTIONS,
    "billing": CASE_READER_ACTIONS,
}


def may_handle_money(role: str, billing_permission: bool, active: bool = True) -> bool:
    """True when this login may refund payments and reship parcels."""
    if not active:
        return False
    return role in MONEY_ROLES or (role in GRANTABLE_ROLES and bool(billing_permission))


def may_on_case(role: str, action: str) -> bool:
    """True when a staff role may take `action` ("view", "note", "reply" ...) on a case page."""
    return action in CASE_ACTIONS.get(role, frozenset())
