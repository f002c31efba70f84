"""When a periodic job is due: its current tick and its next run.

Source: issue 17 item 1 ("one worker for every periodic job, on a schedule in the business time
zone"). A job has a cadence:

- every N seconds: ticks start at whole multiples of N seconds since the epoch (UTC), so every
  worker on every machine agrees on the tick whatever time it started;
- daily at HH:MM in the business time zone: one tick per local day, named by that day, so a
  daylight-saving change never makes two ticks (or none) on one day; a local time that does
  not exist that day (the spring gap) runs at the instant the zone maps it to;
- at the close of business: one tick per business day, at its closing time.

A tick is named "<job>@<when>" and is run once between all workers. A daily or closing tick
missed while no worker ran is still due for `catch_up` after it (the close-of-business one
until the next opening), never later: a worker started in the morning must not hand back the
cases of the evening before.

Instants going in and out are naive UTC, as the database stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from helpdesk.rules.business_hours import BusinessCalendar, last_close, next_opening

EVERY = "every"
DAILY = "daily"
CLOSE = "close"
_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Cadence:
    """How often a job runs: `every` seconds, `daily` at a local time, or at the `close`."""

    kind: str
    seconds: int = 0
    at: time | None = None
    catch_up: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if self.kind not in (EVERY, DAILY, CLOSE):
            raise ValueError(f"unknown cadence {self.kind!r}")
        if self.kind == EVERY and self.seconds <= 0:
            raise ValueError("an 'every' cadence needs a positive number of seconds")
        if self.kind == DAILY and self.at is None:
            raise ValueError("a 'daily' cadence needs a time of day")


def every(seconds: int) -> Cadence:
    """A tick every `seconds` seconds."""
    return Cadence(EVERY, seconds=seconds)


def daily(at: time, catch_up: timedelta = timedelta(hours=6)) -> Cadence:
    """A tick once a local day at `at`."""
    return Cadence(DAILY, at=at, catch_up=catch_up)


def at_close() -> Cadence:
    """A tick at each business day's closing time."""
    return Cadence(CLOSE)


@dataclass(frozen=True)
class Tick:
    """One scheduled run: its key (unique per job and period) and when it fell due."""

    key: str
    at: datetime


def current_tick(
    name: str, cadence: Cadence, now: datetime, calendar: BusinessCalendar
) -> Tick | None:
    """The tick of `name` due at `now`, or None when the last one is too old to catch up."""
    if cadence.kind == EVERY:
        start = _every_start(cadence.seconds, now)
        return Tick(f"{name}@{start:%Y-%m-%dT%H:%M:%S}Z", start)
    if cadence.kind == DAILY:
        day = calendar.local_date(now)
        at = _local_to_utc(day, cadence.at, calendar)
        if at > now:
            day -= _DAY
            at = _local_to_utc(day, cadence.at, calendar)
        if now - at > cadence.catch_up:
            return None
        return Tick(f"{name}@{day.isoformat()}", at)
    closed = last_close(now, calendar)
    if now >= next_opening(closed, calendar):
        return None
    return Tick(f"{name}@{calendar.local_date(closed).isoformat()}", closed)


def next_run(cadence: Cadence, now: datetime, calendar: BusinessCalendar) -> datetime:
    """The first tick after `now` (naive UTC)."""
    if cadence.kind == EVERY:
        return _every_start(cadence.seconds, now) + timedelta(seconds=cadence.seconds)
    day = calendar.local_date(now)
    for _ in range(3 * 366):
        if cadence.kind == DAILY:
            at = _local_to_utc(day, cadence.at, calendar)
        else:
            at = calendar.window(day)[1] if calendar.is_business_day(day) else None
        if at is not None and at > now:
            return at
        day += _DAY
    raise ValueError("the business calendar has no working day within three years")


def _every_start(seconds: int, now: datetime) -> datetime:
    elapsed = int((now - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def _local_to_utc(day, at: time, calendar: BusinessCalendar) -> datetime:
    local = datetime.combine(day, at, tzinfo=calendar.zone)
    return local.astimezone(UTC).replace(tzinfo=None)
