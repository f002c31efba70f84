import re
import xml.etree.ElementTree as ET

import pytest

from helpdesk.rules.charts import (
    EMPTY_TEXT,
    bar_chart,
    chart_id,
    column_chart,
    format_number,
    shorten,
    summary,
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
    assert widths[0] == pytest.approx(2 * widths[1])
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
    assert 1 < len(ticks) <= 12
    assert len(list(root.iter(f"{SVG}rect"))) == 30


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(12, "", "12"), (2.25, "h", "2.2 h"), (1234.0, "", "1,234"), (0.04, "h", "0.0 h")],
)
def test_format_number(value, unit, text):
    assert format_number(value, unit) == text


def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip():
    label = "Checkout page shows an error after the upgrade to 9.2"
    assert shorten(label) == "Checkout page shows an erro…"
    assert len(shorten(label)) == 28
    root = parse(bar_chart("Subjects", [(label, 3)]))
    assert next(root.iter(f"{SVG}g")).find(f"{SVG}title").text == f"{label}: 3"


def test_ids_and_summary():
    assert chart_id("Cases by type / reason!") == "chart-cases-by-type-reason"
    assert chart_id("???") == "chart-x"
    assert summary([("a", 1)], "h") == "1 entry; highest: a (1 h)."
