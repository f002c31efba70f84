"""Which chart draws which report table; the SVG itself is built by rules.charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from helpdesk.rules import charts
from helpdesk.services.reports.reports import Dashboard, Table


def _first_cell(row: tuple) -> str:
    return str(row[0])


@dataclass(frozen=True)
class ChartSpec:
    """How to draw a table: bars or columns, which cell is the value, and its unit."""

    title: str
    value: int
    kind: str = "bar"
    unit: str = ""
    label: Callable[[tuple], str] = _first_cell
    tick: Callable[[str], str] | None = None  # a column's shorter x-axis text


def short_day(label: str) -> str:
    """An ISO day as a short axis label, "2026-11-03" -> "Nov 3"; other labels unchanged."""
    try:
        day = date.fromisoformat(label)
    except ValueError:
        return label
    return f"{day:%b} {day.day}"


def _markup(svg: str) -> Markup:
    # rules.charts escapes every label, title and description it writes: safe to embed.
    return Markup(svg)  # noqa: S704


def draw(spec: ChartSpec, rows: list[tuple], **goal) -> Markup:
    """The chart of `rows` as inline SVG; rows without a value are left out."""
    data = [
        (spec.label(row), float(row[spec.value])) for row in rows if row[spec.value] is not None
    ]
    if spec.kind == "column":
        drawings = [
            charts.column_chart(
                spec.title, data, width=width, unit=spec.unit, tick_label=spec.tick, **goal
            )
            for width in charts.WIDTHS
        ]
    else:
        drawings = [
            charts.bar_chart(spec.title, data, width=width, unit=spec.unit, **goal)
            for width in charts.WIDTHS
        ]
    # One drawing per width; the stylesheet shows the widest that fits the chart's box.
    return _markup("".join(drawings))


SUPPORT = {
    "first-response": ChartSpec("Median first response by origin", 3, unit="h"),
    "resolution": ChartSpec("Median resolution time by origin", 2, unit="h"),
    "by-day": ChartSpec("Cases arriving per day", 1, kind="column", tick=short_day),
    "by-type": ChartSpec("Cases by type", 1),
    "by-reason": ChartSpec("Cases by reason", 1),
    "by-product": ChartSpec("Cases by product", 1),
    "by-version": ChartSpec("Cases by version", 1),
    "by-origin": ChartSpec("Cases by origin", 1),
    "patterns": ChartSpec("Recurring subjects", 1),
    "articles-linked": ChartSpec("Help articles most linked", 1),
    "articles-deflecting": ChartSpec("Help articles most deflecting", 1),
    "agents": ChartSpec("Cases answered per agent", 2),
}

BILLING = {
    "payments": ChartSpec(
        "Amount by method and status", 4, label=lambda row: f"{row[0]} {row[1]} ({row[2]})"
    ),
    "payments-by-day": ChartSpec("Money received per day", 1, kind="column", tick=short_day),
    "refunds": ChartSpec("Refunded amount by reason", 2),
    "blocked": ChartSpec("Blocked attempts by kind", 1),
}


def support_charts(tables: dict[str, Table], goal_hours: float) -> dict[str, Markup]:
    """One chart per support table; response times carry the goal line."""
    drawn = {}
    for name, spec in SUPPORT.items():
        goal = {}
        if name == "first-response":
            goal = {"reference": goal_hours, "reference_label": f"Goal {goal_hours:g} h"}
        drawn[name] = draw(spec, tables[name].rows, **goal)
    return drawn


def billing_charts(tables: dict[str, Table]) -> dict[str, Markup]:
    """One chart per billing table."""
    return {name: draw(spec, tables[name].rows) for name, spec in BILLING.items()}


def dashboard_charts(board: Dashboard) -> dict[str, Markup]:
    """Today's arrivals by local hour and by origin, and open cases per team member."""
    hours = [sum(counts[hour] for counts in board.arrivals.values()) for hour in range(24)]
    return {
        "hours": draw(
            ChartSpec("Arrivals today by hour", 1, kind="column"),
            [(f"{hour:02d}:00", count) for hour, count in enumerate(hours)] if any(hours) else [],
        ),
        "origins": draw(
            ChartSpec("Arrivals today by origin", 1),
            [(origin, sum(counts)) for origin, counts in board.arrivals.items()],
        ),
        "team": draw(
            ChartSpec("Open cases per team member", 1),
            [(member.name, count) for member, count in board.members],
        ),
    }
