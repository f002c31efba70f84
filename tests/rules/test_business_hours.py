"""Business hours and the first-response clock of seed 003, table-driven, no app.

March 2025: America/Denver moves to daylight time on Sunday the 9th; November 2025: back to
standard time on Sunday the 2nd. Times in the tables are Denver wall-clock times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.rules.business_hours import (
    BusinessCalendar,
    add_business_hours,
    describe_weekdays,
    first_response_due,
    is_business_time,
    last_close,
    next_opening,
    parse_clock,
    parse_weekdays,
    phone_callback_due,
    sla_state,
)

DENVER = ZoneInfo("America/Denver")
CAL = BusinessCalendar()  # the seed's defaults: 8:00-17:00 Mon-Fri, mountain time
HOLIDAY_MONDAY = BusinessCalendar(holidays=frozenset({date(2025, 3, 10)}))


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2025) -> datetime:
    """Denver wall-clock time as the naive UTC the database stores."""
    local = datetime(year, month, day, hour, minute, tzinfo=DENVER)
    return local.astimezone(UTC).replace(tzinfo=None)


def wall(instant_utc: datetime) -> datetime:
    """Naive UTC back to naive Denver wall-clock time, for readable assertions."""
    return instant_utc.replace(tzinfo=UTC).astimezone(DENVER).replace(tzinfo=None)


# 2025-03-04 is a Tuesday; 2025-03-07 a Friday; 2025-03-08 a Saturday.
@pytest.mark.parametrize(
    ("start", "hours", "calendar", "expected"),
    [
        pytest.param(at(3, 7, 16, 30), 4, CAL, (3, 10, 11, 30), id="friday-1630-to-monday-dst"),
        pytest.param(
            at(3, 7, 16, 30), 4, HOLIDAY_MONDAY, (3, 11, 11, 30), id="holiday-monday-to-tuesday"
        ),
        pytest.param(
            at(10, 31, 16, 30), 4, CAL, (11, 3, 11, 30), id="friday-to-monday-back-to-standard"
        ),
        pytest.param(at(3, 4, 7, 0), 4, CAL, (3, 4, 12, 0), id="0700-counts-from-opening"),
        pytest.param(at(3, 4, 18, 0), 4, CAL, (3, 5, 12, 0), id="1800-counts-from-next-opening"),
        pytest.param(at(3, 4, 22, 0), 4, CAL, (3, 5, 12, 0), id="late-night-next-utc-day"),
        pytest.param(at(3, 4, 13, 0), 4, CAL, (3, 4, 17, 0), id="ends-exactly-at-closing"),
        pytest.param(at(3, 4, 17, 0), 4, CAL, (3, 5, 12, 0), id="starts-exactly-at-closing"),
        pytest.param(at(3, 4, 8, 0), 4, CAL, (3, 4, 12, 0), id="starts-exactly-at-opening"),
        pytest.param(at(3, 4, 8, 0), 9, CAL, (3, 4, 17, 0), id="a-whole-day"),
        pytest.param(at(3, 4, 8, 0), 9.5, CAL, (3, 5, 8, 30), id="a-day-and-a-half-hour"),
        pytest.param(at(3, 6, 10, 0), 12, CAL, (3, 7, 13, 0), id="over-one-night"),
        pytest.param(at(3, 4, 10, 0), 0.25, CAL, (3, 4, 10, 15), id="fractional-hours"),
        pytest.param(at(3, 8, 10, 0), 4, CAL, (3, 10, 12, 0), id="saturday-to-monday"),
        pytest.param(at(3, 8, 10, 0), 0, CAL, (3, 10, 8, 0), id="zero-hours-outside-hours"),
        pytest.param(at(3, 4, 10, 0), 0, CAL, (3, 4, 10, 0), id="zero-hours-inside-hours"),
        pytest.param(at(3, 10, 9, 0), 4, HOLIDAY_MONDAY, (3, 11, 12, 0), id="on-the-holiday"),
        pytest.param(
            at(3, 7, 16, 30),
            4,
            BusinessCalendar(weekdays=parse_weekdays("mon,tue,wed,thu,fri,sat")),
            (3, 8, 11, 30),
            id="saturday-as-working-day",
        ),
    ],
)
def test_add_business_hours(start, hours, calendar, expected):
    month, day, hour, minute = expected
    assert wall(add_business_hours(start, hours, calendar)) == datetime(
        2025, month, day, hour, minute
    )


def test_hours_are_counted_in_the_calendars_zone():
    london = BusinessCalendar(time_zone="Europe/London", opens=time(9), closes=time(17, 30))
    # Friday 2025-03-28 16:30 GMT; London moves to summer time on the 30th.
    start = datetime(2025, 3, 28, 16, 30)
    assert add_business_hours(start, 2, london) == datetime(2025, 3, 31, 9, 0)  # 10:00 BST


# The voice-mail goal (our reading, see the rules module): same day within 4 hours unless in
# the last hour or outside hours, then within the next business day's first 4 hours.
@pytest.mark.parametrize(
    ("received", "calendar", "expected"),
    [
        pytest.param(at(3, 4, 10, 0), CAL, (3, 4, 14, 0), id="1000-due-1400"),
        pytest.param(at(3, 4, 8, 0), CAL, (3, 4, 12, 0), id="at-opening-due-1200"),
        pytest.param(at(3, 4, 14, 0), CAL, (3, 4, 17, 0), id="1400-capped-at-close"),
        pytest.param(at(3, 4, 15, 59), CAL, (3, 4, 17, 0), id="1559-still-same-day"),
        pytest.param(at(3, 4, 16, 0), CAL, (3, 5, 12, 0), id="1600-last-hour-next-day"),
        pytest.param(at(3, 4, 16, 30), CAL, (3, 5, 12, 0), id="1630-last-hour-next-day-1200"),
        pytest.param(at(3, 4, 17, 0), CAL, (3, 5, 12, 0), id="at-closing-next-day"),
        pytest.param(at(3, 4, 18, 0), CAL, (3, 5, 12, 0), id="evening-next-day"),
        pytest.param(at(3, 4, 7, 0), CAL, (3, 4, 12, 0), id="before-opening-same-morning"),
        pytest.param(at(3, 7, 16, 30), CAL, (3, 10, 12, 0), id="friday-last-hour-to-monday"),
        pytest.param(at(3, 8, 10, 0), CAL, (3, 10, 12, 0), id="saturday-to-monday"),
        pytest.param(at(3, 7, 16, 30), HOLIDAY_MONDAY, (3, 11, 12, 0), id="over-holiday-monday"),
        pytest.param(at(3, 10, 10, 0), HOLIDAY_MONDAY, (3, 11, 12, 0), id="on-the-holiday"),
        pytest.param(
            at(3, 4, 8, 30),
            BusinessCalendar(opens=time(8), closes=time(10)),
            (3, 4, 10, 0),
            id="short-day-capped-at-close",
        ),
        pytest.param(
            at(3, 4, 9, 30),
            BusinessCalendar(opens=time(8), closes=time(10)),
            (3, 5, 10, 0),
            id="short-day-last-hour-next-day-capped",
        ),
    ],
)
def test_phone_callback_due(received, calendar, expected):
    month, day, hour, minute = expected
    assert wall(phone_callback_due(received, calendar)) == datetime(2025, month, day, hour, minute)


@pytest.mark.parametrize(
    ("origin", "received", "hours", "expected"),
    [
        pytest.param("phone", at(3, 4, 14, 0), 4, (3, 4, 17, 0), id="phone-rule"),
        pytest.param("phone", at(3, 4, 10, 0), 2, (3, 4, 12, 0), id="phone-with-other-hours"),
        pytest.param("email", at(3, 4, 14, 0), 4, (3, 5, 9, 0), id="email-carries-over"),
        pytest.param("email", at(3, 4, 16, 30), 4, (3, 5, 11, 30), id="late-email-next-day"),
        pytest.param("web", at(3, 4, 10, 0), 4, (3, 4, 14, 0), id="web"),
        pytest.param("generated", at(3, 8, 10, 0), 4, (3, 10, 12, 0), id="generated-weekend"),
        pytest.param("web", at(3, 4, 10, 0), 8, (3, 5, 9, 0), id="configured-8-hours"),
    ],
)
def test_first_response_due(origin, received, hours, expected):
    month, day, hour, minute = expected
    due = first_response_due(origin, received, CAL, hours)
    assert wall(due) == datetime(2025, month, day, hour, minute)


def test_first_response_due_accepts_string_enums():
    from enum import StrEnum

    class Origin(StrEnum):
        PHONE = "phone"

    assert first_response_due(Origin.PHONE, at(3, 4, 16, 30), CAL) == at(3, 5, 12, 0)


DUE = datetime(2025, 3, 4, 21, 0)
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("responded_at", "now", "expected"),
    [
        pytest.param(DUE - 5 * MINUTE, DUE + 600 * MINUTE, "met", id="answered-in-time"),
        pytest.param(DUE, DUE + MINUTE, "met", id="answered-at-the-due-minute"),
        pytest.param(DUE + MINUTE, DUE + 2 * MINUTE, "breached", id="answered-late"),
        pytest.param(None, DUE - 61 * MINUTE, "ok", id="more-than-an-hour-left"),
        pytest.param(None, DUE - 60 * MINUTE, "near", id="exactly-an-hour-left"),
        pytest.param(None, DUE - MINUTE, "near", id="a-minute-left"),
        pytest.param(None, DUE, "breached", id="due-now"),
        pytest.param(None, DUE + 35 * MINUTE, "breached", id="overdue"),
    ],
)
def test_sla_state(responded_at, now, expected):
    assert sla_state(DUE, responded_at, now) == expected


def test_sla_state_warning_window_is_configurable():
    assert sla_state(DUE, None, DUE - 20 * MINUTE, warn_minutes=15) == "ok"
    assert sla_state(DUE, None, DUE - 15 * MINUTE, warn_minutes=15) == "near"


@pytest.mark.parametrize(
    ("now", "calendar", "expected"),
    [
        pytest.param(at(3, 4, 7, 45), CAL, (3, 3, 17, 0), id="tuesday-morning-monday-close"),
        pytest.param(at(3, 10, 7, 45), CAL, (3, 7, 17, 0), id="monday-morning-friday-close"),
        pytest.param(at(3, 4, 10, 0), CAL, (3, 3, 17, 0), id="during-the-day"),
        pytest.param(at(3, 4, 17, 0), CAL, (3, 4, 17, 0), id="at-closing"),
        pytest.param(at(3, 4, 18, 0), CAL, (3, 4, 17, 0), id="evening"),
        pytest.param(at(3, 11, 7, 45), HOLIDAY_MONDAY, (3, 7, 17, 0), id="after-holiday-monday"),
    ],
)
def test_last_close(now, calendar, expected):
    month, day, hour, minute = expected
    assert wall(last_close(now, calendar)) == datetime(2025, month, day, hour, minute)


@pytest.mark.parametrize(
    ("instant", "is_open", "opening"),
    [
        pytest.param(at(3, 4, 7, 59), False, (3, 4, 8, 0), id="before-opening"),
        pytest.param(at(3, 4, 8, 0), True, (3, 4, 8, 0), id="at-opening"),
        pytest.param(at(3, 4, 16, 59), True, (3, 5, 8, 0), id="last-minute"),
        pytest.param(at(3, 4, 17, 0), False, (3, 5, 8, 0), id="at-closing"),
        pytest.param(at(3, 8, 12, 0), False, (3, 10, 8, 0), id="saturday"),
    ],
)
def test_is_business_time_and_next_opening(instant, is_open, opening):
    assert is_business_time(instant, CAL) is is_open
    month, day, hour, minute = opening
    # At or after: exactly at opening is that opening; later in the day it is tomorrow's.
    assert wall(next_opening(instant, CAL)) == datetime(2025, month, day, hour, minute)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon,tue,wed,thu,fri", frozenset(range(5))),
        (" Mon , SAT,sun ", frozenset({0, 5, 6})),
        ("monday,friday", frozenset({0, 4})),
        ("mon,,tue", frozenset({0, 1})),
    ],
)
def test_parse_weekdays(text, expected):
    assert parse_weekdays(text) == expected


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ({0, 1, 2, 3, 4}, "Monday to Friday"),
        ({0, 2, 4}, "Monday, Wednesday and Friday"),
        ({0, 1, 2, 3, 4, 6}, "Monday to Friday and Sunday"),
        ({5, 6}, "Saturday and Sunday"),
        ({0, 1, 3, 4, 5}, "Monday, Tuesday and Thursday to Saturday"),
        ({2}, "Wednesday"),
        (set(), ""),
    ],
)
def test_describe_weekdays(days, expected):
    assert describe_weekdays(frozenset(days), DAY_NAMES) == expected


@pytest.mark.parametrize(("text", "expected"), [("08:00", time(8)), ("8:30", time(8, 30))])
def test_parse_clock(text, expected):
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: parse_weekdays("mon,funday"), id="unknown-weekday"),
        pytest.param(lambda: BusinessCalendar(opens=time(17), closes=time(8)), id="closes-first"),
        pytest.param(lambda: BusinessCalendar(weekdays=frozenset()), id="no-working-days"),
        pytest.param(lambda: BusinessCalendar(weekdays=frozenset({7})), id="weekday-out-of-range"),
        pytest.param(lambda: add_business_hours(at(3, 4, 10), -1, CAL), id="negative-hours"),
        pytest.param(
            lambda: add_business_hours(
                at(3, 4, 10),
                1,
                BusinessCalendar(
                    weekdays=frozenset({0}),
                    holidays=frozenset(date(2025, 3, 3) + timedelta(weeks=n) for n in range(200)),
                ),
            ),
            id="every-working-day-a-holiday",
        ),
    ],
)
def test_invalid_calendars_and_arguments_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_unknown_time_zone_is_refused():
    with pytest.raises(Exception, match="Nowhere"):
        BusinessCalendar(time_zone="Nowhere/Special")
