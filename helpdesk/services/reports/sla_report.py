"""Service-level attainment (issue 19 item 4): per policy, how many cases that arrived in a
period met their first-response and resolution targets; a table with its CSV."""

from __future__ import annotations

from collections.abc import Callable

from helpdesk.models import utcnow
from helpdesk.rules.sla_policies import met_percent
from helpdesk.services.reports.reports import Period, Table, business_zone
from helpdesk.services.tracker import sla_policies


def attainment_table(period: Period) -> Table:
    start, end = period.bounds(business_zone())
    rows = [
        (
            a.policy,
            a.cases,
            a.first_due,
            a.first_met,
            met_percent(a.first_met, a.first_due),
            a.resolution_due,
            a.resolution_met,
            met_percent(a.resolution_met, a.resolution_due),
            a.next_reply_late,
        )
        for a in sla_policies.attainment(start, end, utcnow())
    ]
    return Table(
        "attainment",
        "Targets met, by policy",
        (
            "Policy",
            "Cases",
            "First response due",
            "Met",
            "Met %",
            "Resolution due",
            "Met",
            "Met %",
            "Next reply overdue now",
        ),
        rows,
        note="Cases that arrived in the period; a target counts once it fell due or was met.",
    )


SLA_TABLES: dict[str, Callable[[Period], Table]] = {"attainment": attainment_table}


def service_level_report(period: Period) -> dict[str, Table]:
    return {name: build(period) for name, build in SLA_TABLES.items()}
