"""The worker's schedule: each job's current tick and next run, table-driven, no app.

The calendar is the default one: 8:00-17:00 Monday to Friday, America/Denver (UTC-7 in winter,
UTC-6 in summer; daylight time starts on 8 March 2026 and ends on 1 November 2026). Instants
in the tables are naive UTC.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from helpdesk.rules.business_hours import BusinessCalendar
from helpdesk.rules.schedule import Cadence, at_close, current_tick, daily, every, next_run

CAL = BusinessCalendar()
SIX = daily(time(6, 0))
HALF_PAST_ONE = daily(time(1, 30))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("name", "cadence", "now", "key", "due_at"),
    [
        # every N seconds: whole multiples since the epoch, whoever asks
        (
            "queue-check",
            every(300),
            "2026-12-02T10:07:30",
            "queue-check@2026-12-02T10:05:00Z",
            None,
        ),
        (
            "queue-check",
            every(300),
            "2026-12-02T10:05:00",
            "queue-check@2026-12-02T10:05:00Z",
            None,
        ),
        ("send-mail", every(5), "2026-12-03T00:00:04", "send-mail@2026-12-03T00:00:00Z", None),
        # daily at 06:00 Denver: 13:00 UTC in winter, 12:00 UTC in summer
        ("charge", SIX, "2026-12-02T13:30", "charge@2026-12-02", "2026-12-02T13:00"),
        ("charge", SIX, "2026-12-02T13:00", "charge@2026-12-02", "2026-12-02T13:00"),
        ("charge", SIX, "2026-03-09T12:30", "charge@2026-03-09", "2026-03-09T12:00"),
        # local midnight has passed in UTC terms but not in Denver: still the day before
        ("charge", SIX, "2026-12-03T06:30", None, None),
        ("charge", daily(time(23, 0)), "2026-12-03T06:30", "charge@2026-12-02", "2026-12-03T06:00"),
        # fall back: 01:30 happens twice on 1 November, the day still has one tick
        ("early", HALF_PAST_ONE, "2026-11-01T07:45", "early@2026-11-01", "2026-11-01T07:30"),
        ("early", HALF_PAST_ONE, "2026-11-01T08:45", "early@2026-11-01", "2026-11-01T07:30"),
        # spring forward: 02:30 does not exist on 8 March; it runs once, at 09:30 UTC
        ("gap", daily(time(2, 30)), "2026-03-08T09:45", "gap@2026-03-08", "2026-03-08T09:30"),
        # close of business, Wednesday 2 December: 17:00 MST is midnight UTC
        ("end-of-day", at_close(), "2026-12-03T00:00", "end-of-day@2026-12-02", "2026-12-03T00:00"),
        ("end-of-day", at_close(), "2026-12-03T07:00", "end-of-day@2026-12-02", "2026-12-03T00:00"),
        # summer: 17:00 MDT is 23:00 UTC
        ("end-of-day", at_close(), "2026-07-01T23:10", "end-of-day@2026-07-01", "2026-07-01T23:00"),
        # Friday's close is still due over the weekend (nobody works until Monday)
        ("end-of-day", at_close(), "2026-12-05T18:00", "end-of-day@2026-12-04", "2026-12-05T00:00"),
    ],
)
def test_current_tick(name, cadence, now, key, due_at):
    tick = current_tick(name, cadence, utc(now), CAL)
    assert (tick.key if tick else None) == key
    if due_at:
        assert tick.at == utc(due_at)


@pytest.mark.parametrize(
    ("cadence", "now"),
    [
        # a worker started in the morning does not hand back the evening's cases
        (at_close(), "2026-12-03T15:00"),
        (at_close(), "2026-12-03T18:00"),
        # a daily tick missed by more than its catch-up is skipped
        (SIX, "2026-12-02T19:01"),
    ],
)
def test_a_tick_too_old_to_catch_up_is_not_due(cadence, now):
    assert current_tick("job", cadence, utc(now), CAL) is None


@pytest.mark.parametrize(
    ("cadence", "now", "expected"),
    [
        (every(300), "2026-12-02T10:07:30", "2026-12-02T10:10:00"),
        (every(60), "2026-12-02T23:59:59", "2026-12-03T00:00:00"),
        (SIX, "2026-12-02T12:59", "2026-12-02T13:00"),
        (SIX, "2026-12-02T13:00", "2026-12-03T13:00"),
        # across the change to daylight time: 06:00 MDT is 12:00 UTC
        (SIX, "2026-03-07T14:00", "2026-03-08T12:00"),
        (at_close(), "2026-12-02T20:00", "2026-12-03T00:00"),
        # Friday evening: the next close is Monday's
        (at_close(), "2026-12-05T00:00", "2026-12-08T00:00"),
        (at_close(), "2026-10-30T22:00", "2026-10-30T23:00"),
        # the Monday after the change back to standard time closes at midnight UTC again
        (at_close(), "2026-10-31T12:00", "2026-11-03T00:00"),
    ],
)
def test_next_run(cadence, now, expected):
    assert next_run(cadence, utc(now), CAL) == utc(expected)


def test_a_holiday_has_no_close():
    holiday = BusinessCalendar(holidays=frozenset({datetime(2026, 12, 3).date()}))
    assert next_run(at_close(), utc("2026-12-03T01:00"), holiday) == utc("2026-12-05T00:00")


@pytest.mark.parametrize(
    "arguments", [{"kind": "hourly"}, {"kind": "every", "seconds": 0}, {"kind": "daily"}]
)
def test_a_broken_cadence_is_refused(arguments):
    with pytest.raises(ValueError):
        Cadence(**arguments)


def test_ticks_change_when_the_period_does():
    first = current_tick("q", every(300), utc("2026-12-02T10:09:59"), CAL)
    second = current_tick("q", every(300), utc("2026-12-02T10:10:00"), CAL)
    assert first.key != second.key
    assert second.at - first.at == timedelta(seconds=300)
