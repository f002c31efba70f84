"""Charts as server-rendered SVG: readable without JavaScript, with accessible titles.

Source: issue 8 ("charts a person would rather look at than read"). Each chart is an
`<svg role="img">` labelled by its own `<title>` and `<desc>`, so a screen reader announces
what it shows; the page puts the same figures in a table next to it. Every label is
escaped here, which is why the views may mark the result as safe markup. Colours come from
classes (styled in app.css): the Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from html import escape

Datum = tuple[str, float]

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 190
VALUE_WIDTH = 70
COLUMN_HEIGHT = 180
MAX_LABEL_CHARS = 28
MAX_TICK_LABELS = 12
EMPTY_TEXT = "No data for this period."


def chart_id(text: str) -> str:
    """A safe element id from any text: lower case letters, digits and hyphens."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return f"chart-{cleaned or 'x'}"


def format_number(value: float, unit: str = "") -> str:
    """12 -> "12", 2.25 -> "2.3", with an optional unit: "2.3 h"."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip()


def shorten(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    """A label cut to `limit` characters with an ellipsis (the full text stays in a tooltip)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def summary(data: Sequence[Datum], unit: str = "") -> str:
    """A one-sentence description: how many entries and which is highest."""
    if not data:
        return EMPTY_TEXT
    label, value = max(data, key=lambda datum: datum[1])
    count = len(data)
    return (
        f"{count} entr{'y' if count == 1 else 'ies'}; "
        f"highest: {label} ({format_number(value, unit)})."
    )


def _scale(data: Sequence[Datum], reference: float | None) -> float:
    # A chart of zeros still needs a non-zero scale; the goal line must fit too.
    return max([value for _, value in data] + [reference or 0, 0]) or 1


def _open(ident: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]


def _empty(ident: str, title: str) -> str:
    parts = _open(ident, title, EMPTY_TEXT, 40)
    parts.append(f'<text class="chart-empty" x="10" y="25">{EMPTY_TEXT}</text></svg>')
    return "".join(parts)


def bar_chart(
    title: str,
    data: Sequence[Datum],
    *,
    unit: str = "",
    description: str | None = None,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Horizontal bars, one per (label, value), in the order given; an optional goal line."""
    ident = chart_id(title)
    if not data:
        return _empty(ident, title)
    scale = _scale(data, reference)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = len(data) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP + (18 if reference else 0)
    parts = _open(ident, title, description or summary(data, unit), height)
    for index, (label, value) in enumerate(data):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        length = max(value, 0) / scale * plot
        text = f"{label}: {format_number(value, unit)}"
        parts.append(
            f'<g class="chart-row"><title>{escape(text)}</title>'
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 15}" '
            f'text-anchor="end">{escape(shorten(label))}</text>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}"/>'
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}">'
            f"{escape(format_number(value, unit))}</text></g>"
        )
    if reference:
        x = LABEL_WIDTH + reference / scale * plot
        parts.append(_goal_line(x, BAR_GAP / 2, height - 16, x + 4, height - 4, reference_label))
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    title: str,
    data: Sequence[Datum],
    *,
    unit: str = "",
    description: str | None = None,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Vertical columns over an ordered axis (hours, days); an optional goal line."""
    ident = chart_id(title)
    if not data:
        return _empty(ident, title)
    scale = _scale(data, reference)
    left, top, bottom = 48, 12, 28
    height = top + COLUMN_HEIGHT + bottom
    step = (WIDTH - left - 8) / len(data)
    width = max(step * 0.8, 1)
    every = math.ceil(len(data) / MAX_TICK_LABELS)
    base = top + COLUMN_HEIGHT
    parts = _open(ident, title, description or summary(data, unit), height)
    parts.append(
        f'<g class="chart-axis"><line x1="{left}" y1="{base}" x2="{WIDTH - 4}" y2="{base}"/>'
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end">'
        f"{escape(format_number(scale, unit))}</text>"
        f'<text x="{left - 6}" y="{base}" text-anchor="end">0</text></g>'
    )
    for index, (label, value) in enumerate(data):
        x = left + index * step + (step - width) / 2
        length = max(value, 0) / scale * COLUMN_HEIGHT
        text = f"{label}: {format_number(value, unit)}"
        tick = ""
        if index % every == 0:
            tick = (
                f'<text class="chart-label" x="{x + width / 2:.1f}" y="{base + 18}" '
                f'text-anchor="middle">{escape(shorten(label, 12))}</text>'
            )
        parts.append(
            f'<g class="chart-row"><title>{escape(text)}</title>'
            f'<rect class="chart-bar" x="{x:.1f}" y="{base - length:.1f}" width="{width:.1f}" '
            f'height="{length:.1f}"/>{tick}</g>'
        )
    if reference:
        y = base - reference / scale * COLUMN_HEIGHT
        parts.append(
            f'<g class="chart-goal"><line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 4}" '
            f'y2="{y:.1f}"/><text x="{WIDTH - 6}" y="{y - 4:.1f}" text-anchor="end">'
            f"{escape(reference_label)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _goal_line(x: float, y1: float, y2: float, text_x: float, text_y: float, label: str) -> str:
    return (
        f'<g class="chart-goal"><line x1="{x:.1f}" y1="{y1:.1f}" x2="{x:.1f}" y2="{y2:.1f}"/>'
        f'<text x="{text_x:.1f}" y="{text_y:.1f}">{escape(label)}</text></g>'
    )
