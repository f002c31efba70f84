"""Charts as server-rendered SVG: readable without JavaScript, with accessible titles.

Source: issue 8 ("charts a person would rather look at than read"). Each chart is an
`<svg role="img">` labelled by its own `<title>` and `<desc>`, so a screen reader announces
what it shows; the page puts the same figures in a table next to it. Every label is
escaped here, which is why the views may mark the result as safe markup. Colours come from
classes (styled in app.css): the Content-Security-Policy forbids inline styles.

Issue 14 (item 8) made the text readable: a chart is drawn once per width in `WIDTHS`, its
user units equal to CSS pixels, and the stylesheet shows the widest drawing that fits its box
(a container query), so text is never scaled below its 13 px. The layout arithmetic (text
widths, truncation, tick thinning, label placement) lives in the small pure functions below.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import pairwise

Datum = tuple[str, float]

# The drawings made of every chart, in CSS px; app.css has one container query per width.
WIDTHS = (300, 440, 580)
# Below this width a bar's label goes above the bar instead of in a column to its left.
LABELS_ABOVE_BELOW = 440
FONT_SIZE = 13  # px: the `svg.chart` font size in app.css
BOLD = 1.1  # how much wider semi-bold text (the goal label) runs than regular text
BAR_HEIGHT = 22
BAR_GAP = 8
NARROW_LABEL = 18  # the line above a bar that holds its label in the narrow layout
NARROW_BAR = 16
LABEL_SHARE = 0.4  # the label column takes at most this share of a wide bar chart
EDGE = 2  # kept clear at each side: some glyphs (a "T", a "J") reach past their origin
PAD = 6  # between a bar and its value, a label and its bar, a label and the edge
TICK_GAP = 10  # the least room between two x-axis labels
COLUMN_HEIGHT = 180
EMPTY_TEXT = "No data for this period."

# Em widths, generous: near the widest common sans-serif faces (DejaVu Sans, Verdana), so a
# label measured here fits in whichever system font the browser picks.
_THIN = frozenset("fijlrtIJ.,:;'!|()[]{} ")
_WIDE = frozenset("mwMW@%&")


@dataclass(frozen=True)
class Tick:
    """One x-axis label: the column it names, where its centre is and the text shown."""

    index: int
    x: float
    text: str
    width: float

    @property
    def left(self) -> float:
        """Where the label's text begins."""
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        """Where the label's text ends."""
        return self.x + self.width / 2


def chart_id(text: str) -> str:
    """A safe element id from any text: lower case letters, digits and hyphens."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return f"chart-{cleaned or 'x'}"


def format_number(value: float, unit: str = "") -> str:
    """12 -> "12", 2.25 -> "2.2", with an optional unit: "2.2 h"."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip()


@functools.lru_cache(maxsize=4096)
def _em(char: str) -> float:
    if char in _THIN:
        return 0.4
    if char in _WIDE:
        return 1.0
    if unicodedata.east_asian_width(char) in "WF" or not char.isascii():
        return 1.0  # other scripts and accented letters: assume a full em
    return 0.8 if char.isupper() else 0.66


def text_width(text: str, size: float = FONT_SIZE, *, bold: bool = False) -> float:
    """A generous estimate of how wide `text` runs at `size` px (never much too small)."""
    return sum(_em(char) for char in text) * size * (BOLD if bold else 1)


def fit_text(text: str, width: float, size: float = FONT_SIZE) -> str:
    """`text`, or as much of it as fits in `width` px followed by an ellipsis."""
    if text_width(text, size) <= width:
        return text
    # One pass over the text: the longest prefix that fits beside the ellipsis (trailing
    # spaces are cut, so a longer prefix of spaces never fits better).
    ellipsis, used, fits = _em("…"), 0.0, 0
    for end, char in enumerate(text[:-1], start=1):
        used += _em(char)
        if (used + ellipsis) * size > width:
            break
        fits = end
    cut = text[:fits].rstrip()
    return cut + "…" if cut else "…"


def place_label(
    x: float, width: float, lo: float, hi: float, pad: float = PAD
) -> tuple[float, str]:
    """Where a label of `width` next to position `x` goes: right of it, else left, inside [lo, hi].

    Returns the text's x and its SVG text-anchor.
    """
    if x + pad + width <= hi:
        return max(x + pad, lo), "start"
    if x - pad - width >= lo:
        return x - pad, "end"
    return lo, "start"  # wider than either side: start at the edge (fit_text keeps it <= hi - lo)


def _tick(index: int, centre: float, label: str, lo: float, hi: float, size: float) -> Tick:
    text = fit_text(label, hi - lo, size)
    width = text_width(text, size)
    # A label at either end slides inwards rather than run past the edge of the chart.
    x = min(max(centre, lo + width / 2), hi - width / 2)
    return Tick(index, x, text, width)


def thin_ticks(
    centres: Sequence[float],
    labels: Sequence[str],
    lo: float,
    hi: float,
    *,
    gap: float = TICK_GAP,
    size: float = FONT_SIZE,
) -> list[Tick]:
    """Every k-th label, k the smallest that leaves `gap` px between any two labels shown."""
    ticks: list[Tick] = []
    for every in range(1, len(labels) + 1):
        ticks = [
            _tick(index, centres[index], labels[index], lo, hi, size)
            for index in range(0, len(labels), every)
        ]
        if all(right.left - left.right >= gap for left, right in pairwise(ticks)):
            break
    return ticks


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


def _open(ident: str, width: int, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg class="chart chart-w{width}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]


def _text(cls: str, x: float, y: float, text: str, anchor: str = "start") -> str:
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}"{anchor_attr}>{escape(text)}</text>'


def _empty(ident: str, width: int, title: str) -> str:
    parts = _open(ident, width, title, EMPTY_TEXT, 40)
    parts.append(f'<text class="chart-empty" x="{PAD}" y="25">{EMPTY_TEXT}</text></svg>')
    return "".join(parts)


@dataclass(frozen=True)
class BarLayout:
    """Where a bar chart's parts go at one width: label column, bars, values, row pitch."""

    width: int
    label_width: float  # the room for a label's text
    bar_x: float  # where every bar starts
    plot: float  # the length of the longest bar
    labels_above: bool

    @property
    def pitch(self) -> float:
        """The height of one row: label (when above), bar and gap."""
        return NARROW_LABEL + NARROW_BAR + BAR_GAP if self.labels_above else BAR_HEIGHT + BAR_GAP

    @property
    def bar_height(self) -> float:
        """How thick a bar is."""
        return NARROW_BAR if self.labels_above else BAR_HEIGHT

    def label_position(self, row: int) -> tuple[float, float, str]:
        """The label's x, baseline and text-anchor for row `row`."""
        top = BAR_GAP + row * self.pitch
        if self.labels_above:
            return EDGE, top + FONT_SIZE, "start"
        return self.bar_x - PAD, top + BAR_HEIGHT / 2 + 4.5, "end"

    def bar_top(self, row: int) -> float:
        """The y of the top of row `row`'s bar."""
        return BAR_GAP + row * self.pitch + (NARROW_LABEL if self.labels_above else 0)


def bar_layout(width: int, labels: Sequence[str], values: Sequence[str]) -> BarLayout:
    """The layout of horizontal bars at `width` px that fits every label and value inside it."""
    value_room = max((text_width(value) for value in values), default=0) + PAD
    if width < LABELS_ABOVE_BELOW:
        return BarLayout(width, width - 2 * EDGE, EDGE, width - EDGE - value_room, True)
    longest = max((text_width(label) for label in labels), default=0)
    label_width = min(longest, width * LABEL_SHARE)
    bar_x = EDGE + label_width + PAD
    return BarLayout(width, label_width, bar_x, width - EDGE - bar_x - value_room, False)


def bar_chart(
    title: str,
    data: Sequence[Datum],
    *,
    width: int = WIDTHS[-1],
    unit: str = "",
    description: str | None = None,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Horizontal bars, one per (label, value), in the order given; an optional goal line."""
    ident = f"{chart_id(title)}-w{width}"
    if not data:
        return _empty(ident, width, title)
    scale = _scale(data, reference)
    values = [format_number(value, unit) for _, value in data]
    layout = bar_layout(width, [label for label, _ in data], values)
    goal_room = FONT_SIZE + PAD if reference else 0
    height = BAR_GAP + len(data) * layout.pitch + goal_room
    parts = _open(ident, width, title, description or summary(data, unit), height)
    for row, ((label, value), shown) in enumerate(zip(data, values, strict=True)):
        length = max(value, 0) / scale * layout.plot
        label_x, label_y, anchor = layout.label_position(row)
        bar_y = layout.bar_top(row)
        parts.append(
            f'<g class="chart-row"><title>{escape(f"{label}: {shown}")}</title>'
            + _text("chart-label", label_x, label_y, fit_text(label, layout.label_width), anchor)
            + f'<rect class="chart-bar" x="{layout.bar_x:.1f}" y="{bar_y:.1f}" '
            f'width="{length:.1f}" height="{layout.bar_height}"/>'
            + _text(
                "chart-value",
                layout.bar_x + length + PAD,
                bar_y + layout.bar_height / 2 + 4.5,
                shown,
            )
            + "</g>"
        )
    if reference:
        x = layout.bar_x + reference / scale * layout.plot
        text = fit_text(reference_label, width / 2)
        text_x, anchor = place_label(x, text_width(text, bold=True), EDGE, width - EDGE)
        parts.append(
            f'<g class="chart-goal"><line x1="{x:.1f}" y1="{BAR_GAP / 2}" x2="{x:.1f}" '
            f'y2="{height - goal_room:.1f}"/>'
            + _text("chart-goal-label", text_x, height - 5, text, anchor)
            + "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    title: str,
    data: Sequence[Datum],
    *,
    width: int = WIDTHS[-1],
    unit: str = "",
    description: str | None = None,
    reference: float | None = None,
    reference_label: str = "",
    tick_label: Callable[[str], str] | None = None,
) -> str:
    """Vertical columns over an ordered axis (hours, days); an optional goal line.

    `tick_label` turns a column's label into its shorter x-axis text (say, a date to "Nov 3");
    the full label stays in the column's tooltip.
    """
    ident = f"{chart_id(title)}-w{width}"
    if not data:
        return _empty(ident, width, title)
    scale = _scale(data, reference)
    top_text = format_number(scale, unit)
    left = max(text_width(top_text), text_width("0")) + 2 * PAD
    top = FONT_SIZE + 4 if reference else 12
    base = top + COLUMN_HEIGHT
    height = base + FONT_SIZE + 15
    step = (width - left - PAD) / len(data)
    column = max(step * 0.8, 1)
    centres = [left + (index + 0.5) * step for index in range(len(data))]
    shorter = tick_label or str
    ticks = thin_ticks(centres, [shorter(label) for label, _ in data], EDGE, width - EDGE)
    parts = _open(ident, width, title, description or summary(data, unit), height)
    parts.append(
        f'<g class="chart-axis"><line x1="{left:.1f}" y1="{base}" x2="{width - 2}" y2="{base}"/>'
        + _text("chart-axis-label", left - PAD, top + 8, top_text, "end")
        + _text("chart-axis-label", left - PAD, base, "0", "end")
        + "</g>"
    )
    for index, (label, value) in enumerate(data):
        length = max(value, 0) / scale * COLUMN_HEIGHT
        parts.append(
            f'<g class="chart-row"><title>{escape(f"{label}: {format_number(value, unit)}")}'
            f'</title><rect class="chart-bar" x="{centres[index] - column / 2:.1f}" '
            f'y="{base - length:.1f}" width="{column:.1f}" height="{length:.1f}"/></g>'
        )
    parts.append(
        '<g class="chart-ticks">'
        + "".join(
            _text("chart-label", tick.x, base + FONT_SIZE + 5, tick.text, "middle")
            for tick in ticks
        )
        + "</g>"
    )
    if reference:
        y = base - reference / scale * COLUMN_HEIGHT
        text = fit_text(reference_label, (width - left) / 2)
        parts.append(
            f'<g class="chart-goal"><line x1="{left:.1f}" y1="{y:.1f}" x2="{width - 2}" '
            f'y2="{y:.1f}"/>' + _text("chart-goal-label", width - PAD, y - 4, text, "end") + "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)
