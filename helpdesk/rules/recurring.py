"""Recurring payments (seed 002 "Period Payments": monthly flat rates, packages, porting).

A recurring payment is charged once a month, on its next charge date. "Enabled from" a date
means the first period starts that day; "disabled from" a date means every period starting
before it is still charged and none from it on. Missed periods (the charging job did not run)
are caught up, oldest first, up to today, but never more than MAX_CATCH_UP at once.
"""

from __future__ import annotations

import calendar
from datetime import date

MAX_CATCH_UP = 24  # two years: beyond that a person should look before the card is charged


def next_period(on: date) -> date:
    """The same day of the next month (the last day of a shorter month)."""
    year, month = (on.year + 1, 1) if on.month == 12 else (on.year, on.month + 1)
    return date(year, month, min(on.day, calendar.monthrange(year, month)[1]))


def stops_on(enabled: bool, effective_on: date) -> date | None:
    """The first day no period may start on: the disable date; None while enabled."""
    return None if enabled else effective_on


def charges(period_on: date | None, enabled: bool, effective_on: date) -> bool:
    """True when a period starting on `period_on` is charged at all."""
    if period_on is None:
        return False
    if enabled:
        return period_on >= effective_on
    return period_on < effective_on


def due_periods(
    next_charge_on: date | None, enabled: bool, effective_on: date, today: date
) -> list[date]:
    """The periods to charge now, oldest first: from the next charge date up to today."""
    due: list[date] = []
    period = next_charge_on
    while (
        period is not None
        and period <= today
        and charges(period, enabled, effective_on)
        and len(due) < MAX_CATCH_UP
    ):
        due.append(period)
        period = next_period(period)
    return due


def next_charge_after(period_on: date, enabled: bool, effective_on: date) -> date | None:
    """The next charge date once `period_on` is charged; None when no later period is."""
    following = next_period(period_on)
    return following if charges(following, enabled, effective_on) else None


def next_charge_when_disabled(next_charge_on: date | None, effective_on: date) -> date | None:
    """Disabling from `effective_on` keeps a next charge that comes before it."""
    return next_charge_on if charges(next_charge_on, False, effective_on) else None
