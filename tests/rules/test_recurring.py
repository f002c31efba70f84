"""Monthly periods of recurring payments: due dates, catching up, disabling from a date."""

from __future__ import annotations

from datetime import date

import pytest

from helpdesk.rules.recurring import (
    MAX_CATCH_UP,
    due_periods,
    next_charge_after,
    next_charge_when_disabled,
    next_period,
)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),  # a shorter month: its last day
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 12, 5), date(2027, 1, 5)),
    ],
)
def test_next_period(on, expected):
    assert next_period(on) == expected


@pytest.mark.parametrize(
    ("next_on", "enabled", "effective", "today", "expected"),
    [
        # not due yet, due today, one missed period caught up
        (date(2026, 3, 10), True, date(2026, 1, 10), date(2026, 3, 9), []),
        (date(2026, 3, 10), True, date(2026, 1, 10), date(2026, 3, 10), [date(2026, 3, 10)]),
        (
            date(2026, 2, 10),
            True,
            date(2026, 1, 10),
            date(2026, 3, 20),
            [date(2026, 2, 10), date(2026, 3, 10)],
        ),
        # disabled from a later date: the periods before it are still charged
        (
            date(2026, 2, 10),
            False,
            date(2026, 3, 1),
            date(2026, 3, 20),
            [date(2026, 2, 10)],
        ),
        # disabled from the charge date itself: nothing
        (date(2026, 2, 10), False, date(2026, 2, 10), date(2026, 3, 20), []),
        # no next charge: nothing
        (None, True, date(2026, 1, 10), date(2026, 3, 20), []),
    ],
)
def test_due_periods(next_on, enabled, effective, today, expected):
    assert due_periods(next_on, enabled, effective, today) == expected


def test_catching_up_stops_at_the_limit():
    due = due_periods(date(2000, 1, 1), True, date(2000, 1, 1), date(2026, 1, 1))
    assert len(due) == MAX_CATCH_UP
    assert due[0] == date(2000, 1, 1) and due[-1] == date(2001, 12, 1)


@pytest.mark.parametrize(
    ("period", "enabled", "effective", "expected"),
    [
        (date(2026, 2, 10), True, date(2026, 1, 10), date(2026, 3, 10)),
        (date(2026, 2, 10), False, date(2026, 4, 1), date(2026, 3, 10)),
        (date(2026, 2, 10), False, date(2026, 3, 10), None),  # the disable date: no more
    ],
)
def test_next_charge_after(period, enabled, effective, expected):
    assert next_charge_after(period, enabled, effective) == expected


@pytest.mark.parametrize(
    ("next_on", "effective", "expected"),
    [
        (date(2026, 2, 10), date(2026, 3, 1), date(2026, 2, 10)),  # before it: kept
        (date(2026, 2, 10), date(2026, 2, 10), None),
        (date(2026, 2, 10), date(2026, 2, 1), None),
        (None, date(2026, 2, 1), None),
    ],
)
def test_disabling_keeps_an_earlier_next_charge(next_on, effective, expected):
    assert next_charge_when_disabled(next_on, effective) == expected
