"""Business hours and the first-response clock.

Source: seed 003, "Goals" and "Daily Activities". Support hours are 8:00 to 17:00 mountain
time on working days; "the initial response to a phone call is within 4 hours of receiving
a voice mail, and within the day that it occurs if it's not in the last hour of the day.
Phone support is not intended to be carried over to the next day", and "an email request is
within 4 hours of receiving the email. Next day email response to a late day email is
satisfactory."

Only working time counts: nights, non-working weekdays and holidays stop the clock, and a
request that arrives outside hours starts counting at the next opening. Hours are counted
in the calendar's own zone, so a daylight-saving change moves the UTC instants of opening
and closing but never the local 8:00 and 17:00. Instants going in and out are naive UTC,
as the database stores them.

Our reading of the phone rule:

- A voice mail received during business hours, before the last business hour of that day,
  is due at the earlier of 4 business hours later and that day's closing time: "within 4
  hours" and "within the day that it occurs" both hold, and it never carries over.
- A voice mail received in the last business hour (16:00-17:00), or outside business hours
  (the night before, a weekend, a holiday), cannot reasonably be called back the same day;
  it is due within the first 4 business hours of the next business day (by 12:00), the
  morning call-back round of seed 003 ("Morning Activities").
- Any other origin (web, e-mail, generated) is due 4 business hours after it arrived, so a
  late-day e-mail rolls into the next business morning, as the seed allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PHONE = "phone"
DEFAULT_FIRST_RESPONSE_HOURS = 4.0
PHONE_LAST_HOUR = timedelta(hours=1)
# A calendar whose next working day is this far away is broken (every day a holiday).
_MAX_DAYS = 3 * 366
_DAY = timedelta(days=1)
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessCalendar:
    """When support works: a time zone, daily opening and closing, weekdays, holidays."""

    time_zone: str = "America/Denver"
    opens: time = time(8, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday is 0
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # an unknown zone fails here, not on the first case
        if not self.opens < self.closes:
            raise ValueError("business hours must open before they close on the same day")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("business days must be some of Monday (0) to Sunday (6)")

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.time_zone)

    def is_business_day(self, day: date) -> bool:
        """A working weekday that is not a holiday."""
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing of local `day`, as naive UTC instants."""
        return self._utc(day, self.opens), self._utc(day, self.closes)

    def local_date(self, instant_utc: datetime) -> date:
        """The calendar day in the business time zone at a naive UTC instant."""
        return to_local(instant_utc, self).date()

    def _utc(self, day: date, at: time) -> datetime:
        local = datetime.combine(day, at, tzinfo=self.zone)
        return local.astimezone(UTC).replace(tzinfo=None)


def parse_weekdays(text: str) -> frozenset[int]:
    """'mon,tue,wed' (any case, spaces allowed) as date.weekday() numbers."""
    days = set()
    for part in text.split(","):
        name = part.strip().lower()[:3]
        if not name:
            continue
        if name not in WEEKDAY_NAMES:
            raise ValueError(f"unknown weekday {part.strip()!r}")
        days.add(WEEKDAY_NAMES.index(name))
    return frozenset(days)


def describe_weekdays(days: frozenset[int] | set[int], names: list[str] | tuple[str, ...]) -> str:
    """Working days as people say them: "Monday to Friday", "Monday, Wednesday and Friday".

    `names` are the seven day names from Monday, in the reader's language; three or more days
    in a row make a range, and the parts are joined with commas and a final "and".
    """
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]} to {names[run[-1]]}")
        else:
            parts.extend(names[day] for day in run)
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def parse_clock(text: str) -> time:
    """'08:00' or '8:30' as a time of day."""
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def to_local(instant_utc: datetime, calendar: BusinessCalendar) -> datetime:
    """A naive UTC instant as an aware datetime in the business time zone."""
    return instant_utc.replace(tzinfo=UTC).astimezone(calendar.zone)


def _business_days_from(day: date, calendar: BusinessCalendar):
    for _ in range(_MAX_DAYS):
        if calendar.is_business_day(day):
            yield day
        day += _DAY
    raise ValueError("the business calendar has no working day within three years")


def is_business_time(instant_utc: datetime, calendar: BusinessCalendar) -> bool:
    """Whether support is open at this instant (closing time itself is closed)."""
    day = calendar.local_date(instant_utc)
    if not calendar.is_business_day(day):
        return False
    opens, closes = calendar.window(day)
    return opens <= instant_utc < closes


def next_opening(instant_utc: datetime, calendar: BusinessCalendar) -> datetime:
    """The first opening at or after `instant_utc` (naive UTC)."""
    for day in _business_days_from(calendar.local_date(instant_utc), calendar):
        opens, _ = calendar.window(day)
        if opens >= instant_utc:
            return opens
    raise AssertionError("unreachable")  # pragma: no cover


def last_close(instant_utc: datetime, calendar: BusinessCalendar) -> datetime:
    """The most recent closing at or before `instant_utc` (naive UTC): "close of support"."""
    day = calendar.local_date(instant_utc)
    for _ in range(_MAX_DAYS):
        if calendar.is_business_day(day):
            _, closes = calendar.window(day)
            if closes <= instant_utc:
                return closes
        day -= _DAY
    raise ValueError("the business calendar has no working day within three years")


def add_business_hours(start_utc: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """The instant `hours` of working time after `start_utc` (naive UTC in and out).

    A start outside hours counts from the next opening; a result that lands exactly on
    closing time stays there rather than moving to the next morning.
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = timedelta(hours=hours)
    for day in _business_days_from(calendar.local_date(start_utc), calendar):
        opens, closes = calendar.window(day)
        begin = max(start_utc, opens)
        if begin >= closes:
            continue
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise AssertionError("unreachable")  # pragma: no cover


def phone_callback_due(
    received_utc: datetime,
    calendar: BusinessCalendar,
    hours: float = DEFAULT_FIRST_RESPONSE_HOURS,
) -> datetime:
    """Seed 003 voice-mail goal: same day within 4 hours, else the next morning's 4 hours."""
    day = calendar.local_date(received_utc)
    if calendar.is_business_day(day):
        opens, closes = calendar.window(day)
        if opens <= received_utc < closes - PHONE_LAST_HOUR:
            return min(add_business_hours(received_utc, hours, calendar), closes)
    morning = next_opening(received_utc, calendar)
    _, closes = calendar.window(calendar.local_date(morning))
    return min(add_business_hours(morning, hours, calendar), closes)


def first_response_due(
    origin: str,
    received_utc: datetime,
    calendar: BusinessCalendar,
    hours: float = DEFAULT_FIRST_RESPONSE_HOURS,
) -> datetime:
    """When the first answer is due: the phone rule for voice mail, else `hours` of work."""
    if str(origin) == PHONE:
        return phone_callback_due(received_utc, calendar, hours)
    return add_business_hours(received_utc, hours, calendar)


def sla_state(
    due: datetime,
    responded_at: datetime | None,
    now: datetime,
    warn_minutes: int = 60,
) -> str:
    """'met' (answered in time), 'ok', 'near' (within `warn_minutes`) or 'breached'.

    A late answer stays 'breached': the goal was missed even though nobody waits any more.
    """
    if responded_at is not None:
        return "met" if responded_at <= due else "breached"
    if now >= due:
        return "breached"
    if due - now <= timedelta(minutes=warn_minutes):
        return "near"
    return "ok"


def business_seconds(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Working seconds between two naive UTC instants: nights, weekends, holidays excluded."""
    if end <= start:
        return 0.0
    total = 0.0
    day, last = calendar.local_date(start), calendar.local_date(end)
    while day <= last:
        if calendar.is_business_day(day):
            opens, closes = calendar.window(day)
            total += max((min(end, closes) - max(start, opens)).total_seconds(), 0.0)
        day += timedelta(days=1)
    return total
