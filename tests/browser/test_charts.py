"""Issue 14, item 8: every chart of the reports is readable, on a laptop and on a phone.

On the demo data, the dashboard and the support and billing reports are opened at 1366x900 and
390x844; in every chart the browser lays out, no two texts overlap, none runs past the chart's
box, and each is drawn at 11 px or more (its font size times the drawing's scale).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from helpdesk.sample_data import demo

MIN_FONT_PX = 11
SLACK_PX = 0.5  # sub-pixel rounding of text boxes
ADMIN, BILLING = "admin@example.com", "billing@example.com"
PAGES = [
    (ADMIN, "/reports/", "Support dashboard"),
    (ADMIN, "/reports/support", "Support report"),
    (ADMIN, "/reports/billing", "Billing report"),
    (BILLING, "/reports/billing", "Billing report"),
]

# For each chart box: how many drawings are shown, and every text's box and rendered size.
MEASURE = """
() => [...document.querySelectorAll('figure.chart-box')].map(figure => {
  const shown = [...figure.querySelectorAll('svg.chart')]
    .filter(svg => svg.getBoundingClientRect().width > 0);
  return {
    shown: shown.length,
    charts: shown.map(svg => {
      const box = svg.getBoundingClientRect();
      const scale = box.width / svg.viewBox.baseVal.width;
      return {
        title: svg.querySelector('title').textContent,
        box: {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
        texts: [...svg.querySelectorAll('text')].map(text => {
          const r = text.getBoundingClientRect();
          return {
            text: text.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            px: parseFloat(getComputedStyle(text).fontSize) * scale,
          };
        }),
      };
    }),
  };
})
"""


def log_in(page: Page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_attached()


def overlap(a: dict, b: dict) -> bool:
    """Whether two text boxes share more than a sliver of area."""
    return (
        a["left"] < b["right"] - SLACK_PX
        and b["left"] < a["right"] - SLACK_PX
        and a["top"] < b["bottom"] - SLACK_PX
        and b["top"] < a["bottom"] - SLACK_PX
    )


def problems(chart: dict) -> list[str]:
    """What is wrong with one drawn chart: small, clipped or overlapping text."""
    found, box, texts = [], chart["box"], chart["texts"]
    for index, text in enumerate(texts):
        if text["px"] < MIN_FONT_PX:
            found.append(f"{text['text']!r} is {text['px']:.1f} px")
        if (
            text["left"] < box["left"] - SLACK_PX
            or text["right"] > box["right"] + SLACK_PX
            or text["top"] < box["top"] - SLACK_PX
            or text["bottom"] > box["bottom"] + SLACK_PX
        ):
            found.append(f"{text['text']!r} runs past the chart's edge")
        found += [
            f"{text['text']!r} overlaps {other['text']!r}"
            for other in texts[index + 1 :]
            if overlap(text, other)
        ]
    return [f"{chart['title']}: {problem}" for problem in found]


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_report_charts_are_readable_with_nothing_clipped_or_overlapping(
    browser_page: Page, width: int, height: int
):
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    for email, path, heading in PAGES:
        log_in(page, email)
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        figures = page.evaluate(MEASURE)
        assert figures, f"{path} draws no chart"
        assert all(figure["shown"] == 1 for figure in figures), "one drawing per chart box"
        charts = [chart for figure in figures for chart in figure["charts"]]
        assert all(chart["texts"] for chart in charts)
        found = [problem for chart in charts for problem in problems(chart)]
        assert not found, f"{path} as {email} at {width}px:\n" + "\n".join(found)
