import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpdesk.rules.charts import (
    EMPTY_TEXT,
    FONT_SIZE,
    LABELS_ABOVE_BELOW,
    WIDTHS,
    bar_chart,
    bar_layout,
    chart_id,
    column_chart,
    fit_text,
    format_number,
    place_label,
    summary,
    text_width,
    thin_ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The chart must be well-formed XML, or browsers show nothing."""
    return ET.fromstring(svg)  # noqa: S314  (our own output, not untrusted input)


def bar_widths(root: ET.Element) -> list[float]:
    return [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]


@pytest.mark.parametrize("build", [bar_chart, column_chart])
def test_chart_is_an_image_labelled_by_its_title_and_description(build):
    root = parse(build("Cases by origin", [("web", 3), ("phone", 1)]))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Cases by origin"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "2 entries; highest: web (3)."


def test_bars_are_proportional_and_keep_the_given_order():
    root = parse(bar_chart("Cases", [("web", 4), ("phone", 2), ("email", 0)]))
    widths = bar_widths(root)
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2)
    assert widths[2] == 0
    labels = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "chart-label"]
    assert labels == ["web", "phone", "email"]


def test_columns_rise_with_their_values():
    root = parse(column_chart("Per hour", [("08:00", 1), ("09:00", 3)]))
    heights = [float(rect.get("height")) for rect in root.iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(3 * heights[0])


@pytest.mark.parametrize("build", [bar_chart, column_chart])
def test_labels_and_titles_are_escaped(build):
    evil = '<script>alert("x")</script> & "quotes"'
    svg = build(evil, [(evil, 1)], description=evil)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == evil
    assert re.fullmatch(r"chart-[a-z0-9-]+", root.get("aria-labelledby").split()[0][:-6])


@pytest.mark.parametrize("build", [bar_chart, column_chart])
def test_empty_data_says_so(build):
    root = parse(build("Refunds", []))
    assert root.find(f"{SVG}desc").text == EMPTY_TEXT
    assert [t.text for t in root.iter(f"{SVG}text")] == [EMPTY_TEXT]
    assert bar_widths(root) == []


@pytest.mark.parametrize("build", [bar_chart, column_chart])
def test_all_zero_values_draw_without_dividing_by_zero(build):
    root = parse(build("Quiet day", [("a", 0), ("b", 0)]))
    assert all(float(rect.get("height")) >= 0 for rect in root.iter(f"{SVG}rect"))


def test_goal_line_is_drawn_where_the_goal_lies_and_widens_the_scale():
    root = parse(
        bar_chart("Median", [("web", 2)], unit="h", reference=4, reference_label="Goal 4 h")
    )
    goal = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-goal")
    assert goal.find(f"{SVG}text").text == "Goal 4 h"
    line_x = float(goal.find(f"{SVG}line").get("x1"))
    bar = next(root.iter(f"{SVG}rect"))
    # The bar (2 h) reaches half way to the goal (4 h), which ends the scale.
    assert float(bar.get("x")) + 2 * float(bar.get("width")) == pytest.approx(line_x, abs=0.2)


def test_negative_values_draw_no_bar():
    assert bar_widths(parse(bar_chart("Net", [("a", -5), ("b", 5)])))[0] == 0


def test_many_columns_label_only_some_ticks():
    data = [(f"2025-01-{day:02d}", day) for day in range(1, 31)]
    root = parse(column_chart("Per day", data))
    ticks = [t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert 1 < len(ticks) < 30
    assert len(list(root.iter(f"{SVG}rect"))) == 30


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(12, "", "12"), (2.25, "h", "2.2 h"), (1234.0, "", "1,234"), (0.04, "h", "0.0 h")],
)
def test_format_number(value, unit, text):
    assert format_number(value, unit) == text


def test_long_labels_are_cut_to_fit_but_kept_whole_in_the_tooltip():
    label = "Checkout page shows an error after the upgrade to 9.2"
    root = parse(bar_chart("Subjects", [(label, 3)], width=300))
    shown = next(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label")
    assert shown.endswith("…") and label.startswith(shown[:-1])
    assert next(root.iter(f"{SVG}g")).find(f"{SVG}title").text == f"{label}: 3"


def test_ids_and_summary():
    assert chart_id("Cases by type / reason!") == "chart-cases-by-type-reason"
    assert chart_id("???") == "chart-x"
    assert summary([("a", 1)], "h") == "1 entry; highest: a (1 h)."


# Layout arithmetic (issue 14, item 8): text sizes, truncation, ticks and label placement.


def extent(text: ET.Element) -> tuple[float, float]:
    """Where a text element's estimated box starts and ends along x, from its anchor."""
    x, width = float(text.get("x")), text_width(text.text, bold=is_goal(text))
    anchor = text.get("text-anchor", "start")
    start = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return start, start + width


def is_goal(text: ET.Element) -> bool:
    return text.get("class") == "chart-goal-label"


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}text"))


def test_wider_letters_measure_wider_and_size_scales_the_width():
    assert text_width("mmmm") > text_width("nnnn") > text_width("iiii")
    assert text_width("WEB") > text_width("web")
    assert text_width("abc", size=26) == pytest.approx(2 * text_width("abc", size=13))
    assert text_width("Goal", bold=True) > text_width("Goal")
    assert text_width("") == 0


def test_measured_widths_are_generous_for_a_13px_sans_serif():
    # DejaVu Sans, among the widest common faces, sets this at about 7.9 px a character.
    assert text_width("licence key rejected after domain change") >= 40 * 7.5


def test_fit_text_keeps_short_labels_and_cuts_long_ones_with_an_ellipsis():
    assert fit_text("web", 100) == "web"
    cut = fit_text("Goodwill: outage compensation for the whole team", 150)
    assert cut.endswith("…")
    assert "Goodwill: outage compensation".startswith(cut[:-1])
    assert text_width(cut) <= 150
    assert fit_text("Goodwill", 1) == "…"


def test_fit_text_does_not_end_a_cut_on_a_space():
    cut = fit_text("aaaa bbbbbbbbbbbbbbbbbbbb", text_width("aaaa b…"))
    assert cut in {"aaaa b…", "aaaa…"}


def test_place_label_prefers_the_right_then_the_left_and_stays_inside():
    assert place_label(100, 50, 0, 300) == (106, "start")
    assert place_label(280, 50, 0, 300) == (274, "end")
    assert place_label(20, 280, 0, 300) == (0, "start")


def test_thin_ticks_shows_every_label_when_they_fit():
    centres = [50, 150, 250]
    ticks = thin_ticks(centres, ["a", "b", "c"], 0, 300)
    assert [tick.index for tick in ticks] == [0, 1, 2]
    assert [tick.x for tick in ticks] == centres


def test_thin_ticks_leaves_room_between_any_two_labels():
    labels = [f"Nov {day}" for day in range(1, 31)]
    centres = [40 + (index + 0.5) * 8.4 for index in range(30)]
    ticks = thin_ticks(centres, labels, 2, 298, gap=10)
    assert 1 < len(ticks) < 30
    steps = {b.index - a.index for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1  # evenly spaced
    assert all(b.left - a.right >= 10 for a, b in zip(ticks, ticks[1:], strict=False))


def test_thin_ticks_slides_end_labels_inside_the_chart():
    ticks = thin_ticks([5, 295], ["2026-11-02", "2026-11-30"], 2, 298)
    assert ticks[0].left >= 2 and ticks[-1].right <= 298


def test_thin_ticks_with_one_label_wider_than_the_chart_cuts_it():
    (tick,) = thin_ticks([50], ["a label far too long for so small a chart"], 0, 100)
    assert tick.text.endswith("…") and tick.left >= 0 and tick.right <= 100


def test_narrow_bar_layout_puts_labels_above_full_width_bars():
    narrow = bar_layout(300, ["Goodwill: outage"], ["12"])
    wide = bar_layout(580, ["Goodwill: outage"], ["12"])
    assert narrow.labels_above and not wide.labels_above
    assert narrow.bar_x < 5 and narrow.label_width > 290
    assert wide.bar_x > text_width("Goodwill: outage")


def test_wide_bar_layout_caps_the_label_column():
    layout = bar_layout(440, ["x" * 200], ["1"])
    assert layout.label_width <= 440 * 0.4


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("reference", [None, 4.0, 30.0])
def test_every_bar_chart_text_lies_inside_the_drawing(width, reference):
    data = [
        ("Goodwill: outage compensation for the long weekend", 12_345.5),
        ("Tomas Tran", 3),
        ("JJ", 0),
    ]
    root = parse(
        bar_chart(
            "Amounts",
            data,
            width=width,
            unit="h",
            reference=reference,
            reference_label=f"Goal {reference} h",
        )
    )
    assert root.get("width") == str(width)
    assert root.get("viewBox").split()[2] == str(width)  # one user unit is one CSS px
    height = float(root.get("height"))
    for text in texts(root):
        start, end = extent(text)
        assert start >= 0 and end <= width, text.text
        assert FONT_SIZE <= float(text.get("y")) <= height


@pytest.mark.parametrize("width", WIDTHS)
def test_bar_values_sit_right_of_their_bars(width):
    root = parse(bar_chart("Cases", [("web", 10), ("phone", 5)], width=width))
    bars = list(root.iter(f"{SVG}rect"))
    values = [t for t in texts(root) if t.get("class") == "chart-value"]
    for bar, value in zip(bars, values, strict=True):
        assert float(value.get("x")) > float(bar.get("x")) + float(bar.get("width"))


@pytest.mark.parametrize("width", WIDTHS)
def test_labels_go_above_bars_only_on_narrow_drawings(width):
    root = parse(bar_chart("Cases", [("web", 10)], width=width))
    label = next(t for t in texts(root) if t.get("class") == "chart-label")
    bar = next(root.iter(f"{SVG}rect"))
    above = float(label.get("y")) <= float(bar.get("y"))
    assert above == (width < LABELS_ABOVE_BELOW)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("days", [1, 7, 31, 92])
def test_column_chart_ticks_never_overlap_and_stay_inside(width, days):
    data = [(f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}", day) for day in range(days)]
    root = parse(column_chart("Per day", data, width=width, reference=10, reference_label="Goal"))
    ticks = sorted(
        (extent(t) for t in texts(root) if t.get("class") == "chart-label"), key=lambda e: e[0]
    )
    assert ticks
    assert all(b[0] - a[1] >= 10 for a, b in zip(ticks, ticks[1:], strict=False))
    for text in texts(root):
        start, end = extent(text)
        assert start >= 0 and end <= width, text.text
        assert float(text.get("y")) - FONT_SIZE >= 0  # nothing runs off the top


def test_column_ticks_use_the_short_label_and_keep_the_full_one_in_the_tooltip():
    root = parse(column_chart("Per day", [("2026-11-03", 2)], tick_label=lambda text: "Nov 3"))
    assert [t.text for t in texts(root) if t.get("class") == "chart-label"] == ["Nov 3"]
    assert root.find(f"{SVG}g[@class='chart-row']/{SVG}title").text == "2026-11-03: 2"


def test_each_width_has_its_own_ids():
    ids = {parse(bar_chart("Cases", [("a", 1)], width=w)).get("aria-labelledby") for w in WIDTHS}
    assert len(ids) == len(WIDTHS)


def test_the_stylesheet_switches_drawings_at_each_width():
    css = (Path(__file__).parents[2] / "static" / "app.css").read_text()
    charts = css[css.index("/* Charts") :]
    for width in WIDTHS[1:]:
        assert f"@container (min-width: {width}px)" in charts
    for width in WIDTHS:
        assert f"svg.chart-w{width}" in charts
