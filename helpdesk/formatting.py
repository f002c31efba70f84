"""The one way dates, times, money and numbers are written, for pages and e-mail alike.

`when` is exact, `ago` relative (for lists); both in the viewer's time zone and locale
(helpdesk.i18n). Money and numbers follow the locale through Babel.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from babel import dates, numbers
from flask_babel import gettext
from markupsafe import Markup

from helpdesk import i18n

# The one format of the whole product: "2 Dec 2026, 08:41" and "2 Dec 2026".
DATETIME_FORMAT = "d MMM y, HH:mm"
DATE_FORMAT = "d MMM y"
WEEKDAY_DATE_FORMAT = "EEE d MMM y"  # "Wed 2 Dec 2026", where the day of the week matters
# Within this span a list says "3h ago"; past it, a neighbouring day says "yesterday".
HOURS_SPAN = timedelta(hours=12)
UNIVERSAL_ZONES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"}
)


def money(cents: int | None, currency: str = "USD") -> str:
    """Integer cents in the locale's currency format, e.g. "$1,234.50" or "€995.00"."""
    if cents is None:
        return ""
    return numbers.format_currency(Decimal(cents) / 100, currency, locale=i18n.locale())


def number(value: int | float | Decimal | None) -> str:
    """A number with the locale's grouping, e.g. "12,345"."""
    return "" if value is None else numbers.format_decimal(value, locale=i18n.locale())


def _aware(value: datetime) -> datetime:
    # Stored times are naive UTC (models.utcnow).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def zone_label(at: datetime | None = None, zone: tzinfo | None = None) -> str:
    """The viewer's zone at an instant (default now) as "MST", "MDT", or else "GMT+01:00"."""
    instant = _aware(at or i18n.now())
    zone = zone or i18n.viewer_zone()
    label = dates.format_datetime(instant, "zzz", tzinfo=zone, locale=i18n.locale())
    if label[:1] in "+-":  # the locale has no abbreviation for this zone
        label = dates.format_datetime(instant, "ZZZZ", tzinfo=zone, locale=i18n.locale())
    return label


def zone_name() -> str:
    """The viewer's zone as people say it, e.g. "Mountain Time" or "Central European Time"."""
    zone = i18n.viewer_zone()
    if getattr(zone, "zone", None) in UNIVERSAL_ZONES:
        # CLDR has no generic name for UTC ("Unknown Region (UTC) Time"): name the instant's.
        return dates.get_timezone_name(_aware(i18n.now()), locale=i18n.locale())
    return dates.get_timezone_name(zone, locale=i18n.locale())


def when(value: datetime | date | None, named: bool = False, weekday: bool = False) -> str:
    """A stored UTC time as "2 Dec 2026, 08:41" in the viewer's zone; a date as "2 Dec 2026".

    `named` adds the zone ("... 08:41 MST") where no footer says it, as in e-mail;
    `weekday` starts a date with its day of the week ("Wed 2 Dec 2026").
    """
    if value is None:
        return ""
    if not isinstance(value, datetime):
        pattern = WEEKDAY_DATE_FORMAT if weekday else DATE_FORMAT
        return dates.format_date(value, pattern, locale=i18n.locale())
    zone = i18n.viewer_zone()
    shown = datetime_text(_aware(value).astimezone(zone), i18n.locale())
    return f"{shown} {zone_label(value, zone)}" if named else shown


def datetime_text(local: datetime, locale) -> str:
    """`local` in DATETIME_FORMAT, written out: Babel's general formatter parses and walks
    the pattern each time, a fifth of a 25-row list (tests keep the two equal)."""
    month = locale.months["format"]["abbreviated"][local.month]
    return f"{local.day} {month} {local.year}, {local.hour:02d}:{local.minute:02d}"


def relative(value: datetime, now: datetime, zone: tzinfo, locale=None) -> str:
    """How far `value` is from `now` as a list says it: "3h ago", "in 2h", "yesterday"."""
    delta = _aware(value) - _aware(now)
    if abs(delta) < timedelta(minutes=1):
        return gettext("just now")
    if abs(delta) >= HOURS_SPAN:
        days = (_aware(value).astimezone(zone).date() - _aware(now).astimezone(zone).date()).days
        if days == -1:
            return gettext("yesterday")
        if days == 1:
            return gettext("tomorrow")
    return dates.format_timedelta(
        delta,
        granularity="minute",
        add_direction=True,
        format="narrow",
        locale=locale or i18n.locale(),
    )


def ago(value: datetime | None) -> Markup:
    """A <time> element saying how long ago (or ahead) `value` is, the exact time on hover."""
    if value is None:
        return Markup("")
    # Zone and locale looked up once: a list writes this for every row.
    zone, locale = i18n.viewer_zone(), i18n.locale()
    instant = _aware(value)
    iso = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    title = datetime_text(instant.astimezone(zone), locale)
    text = relative(value, i18n.now(), zone, locale)
    # Markup + str escapes the str: the same as Markup.format, without its formatter.
    return (
        Markup('<time datetime="')
        + iso
        + Markup('" title="')
        + title
        + Markup('">')
        + text
        + Markup("</time>")
    )
