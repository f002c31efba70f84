"""Reading time spent as agents type it."""

from __future__ import annotations

import pytest

from helpdesk.rules import durations


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("25", 25),
        (" 1:30 ", 90),
        ("1h 30m", 90),
        ("1.5h", 90),
        ("1,5 h", 90),
        ("90 min", 90),
        ("2 hours", 120),
        ("24:00", 1440),
        ("", None),
        (None, None),
    ],
)
def test_minutes(typed, minutes):
    assert durations.minutes(typed) == minutes


@pytest.mark.parametrize("typed", ["0", "1441", "25:00", "soon", "1h later", "-5", "²", "1e3"])
def test_unreadable_or_out_of_range(typed):
    with pytest.raises(ValueError, match="Type minutes"):
        durations.minutes(typed)


@pytest.mark.parametrize(("total", "text"), [(45, "45 min"), (60, "1 h"), (90, "1 h 30 min")])
def test_spoken(total, text):
    assert durations.spoken(total) == text
