"""The one date, time, money and number format, in the viewer's zone, with a fixed clock."""

from datetime import date, datetime, timedelta

import pytest
import pytz

from helpdesk import i18n
from helpdesk.formatting import ago, money, number, relative, when, zone_label
from helpdesk.rules.day_words import day_text
from helpdesk.web.filters import filesize

DENVER = pytz.timezone("America/Denver")
# 2 Dec 2026, 08:41 in Denver (MST, UTC-7): stored times are naive UTC.
NOW = datetime(2026, 12, 2, 15, 41)


@pytest.fixture
def viewing(app, monkeypatch):
    """A request context of an anonymous viewer (business zone) with the clock at NOW."""
    monkeypatch.setitem(app.config, "CLOCK", lambda: NOW)
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 bytes"), (1, "1 byte"), (50, "50 bytes"), (1536, "1.5 KB"), (3 * 1048576, "3.0 MB")],
)
def test_filesize(size, shown):
    assert filesize(size) == shown


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (0, "USD", "$0.00"),
        (99500, "USD", "$995.00"),
        (123450, "USD", "$1,234.50"),
        (-1234567, "USD", "-$12,345.67"),
        (99500, "EUR", "€995.00"),
        (None, "USD", ""),
    ],
)
def test_money_uses_the_locales_currency_format(viewing, cents, currency, shown):
    assert money(cents, currency) == shown


def test_numbers_are_grouped(viewing):
    assert number(1234567) == "1,234,567"
    assert number(None) == ""


def test_when_writes_the_one_format_in_the_business_zone(viewing):
    assert when(NOW) == "2 Dec 2026, 08:41"
    assert when(NOW, named=True) == "2 Dec 2026, 08:41 MST"
    assert when(None) == ""


def test_dates_have_no_time_and_no_zone(viewing):
    assert when(date(2026, 12, 24)) == "24 Dec 2026"
    assert when(date(2026, 12, 24), weekday=True) == "Thu 24 Dec 2026"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        # Denver springs forward at 02:00 local on 8 Mar 2026 (09:00 UTC).
        (datetime(2026, 3, 8, 8, 59), "8 Mar 2026, 01:59 MST"),
        (datetime(2026, 3, 8, 9, 0), "8 Mar 2026, 03:00 MDT"),
        # ... and falls back at 02:00 MDT on 1 Nov 2026 (08:00 UTC): 01:30 happens twice.
        (datetime(2026, 11, 1, 7, 30), "1 Nov 2026, 01:30 MDT"),
        (datetime(2026, 11, 1, 8, 30), "1 Nov 2026, 01:30 MST"),
    ],
)
def test_when_follows_daylight_saving(viewing, stored, shown):
    assert when(stored, named=True) == shown


def test_a_shown_zone_overrides_the_viewers_for_a_block(viewing):
    with i18n.shown_in("Europe/Berlin"):
        assert when(NOW) == "2 Dec 2026, 16:41"
        assert zone_label() == "GMT+01:00"
    assert when(NOW) == "2 Dec 2026, 08:41"
    with i18n.shown_in("Not/AZone"):  # an unknown zone falls back to the business zone
        assert when(NOW) == "2 Dec 2026, 08:41"


def test_the_zone_label_changes_with_the_season(viewing):
    assert zone_label() == "MST"
    assert zone_label(datetime(2026, 7, 1, 12, 0)) == "MDT"


@pytest.mark.parametrize(
    ("offset", "shown"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=-5), "5m ago"),
        (timedelta(hours=-3), "3h ago"),
        (timedelta(hours=2), "in 2h"),
        # 1 Dec 13:00 MST: over 12 hours back and on the day before, in Denver.
        (timedelta(hours=-19, minutes=-41), "yesterday"),
        (timedelta(hours=20), "tomorrow"),
        (timedelta(days=-5), "5d ago"),
        (timedelta(days=-40), "1mo ago"),
    ],
)
def test_relative_times(viewing, offset, shown):
    assert relative(NOW + offset, NOW, DENVER) == shown


def test_yesterday_is_a_day_in_the_viewers_zone(viewing):
    # 2 Dec 01:00 UTC is 1 Dec 18:00 in Denver but already 2 Dec 02:00 in Berlin.
    value = datetime(2026, 12, 2, 1, 0)
    assert relative(value, NOW, DENVER) == "yesterday"
    assert relative(value, NOW, pytz.timezone("Europe/Berlin")) == "15h ago"


def test_ago_is_a_time_element_with_the_exact_time_on_hover(viewing):
    shown = str(ago(NOW - timedelta(hours=3)))
    assert shown == '<time datetime="2026-12-02T12:41:00Z" title="2 Dec 2026, 05:41">3h ago</time>'
    assert str(ago(None)) == ""


@pytest.mark.parametrize("day", [date(2026, 1, 5), date(2026, 5, 31), date(2024, 2, 29)])
def test_the_rules_write_dates_as_the_pages_do(viewing, day):
    assert day_text(day) == when(day)


@pytest.mark.parametrize(
    "name", ["en", "en_GB", "de", "fr", "pt_BR", "ru", "ar", "ja", "zh_Hans", "fa"]
)
def test_times_are_written_as_babel_writes_the_one_format(name):
    """`when` writes DATETIME_FORMAT out by hand for speed: the same text as Babel's, in any
    locale, through the year, at midnight and in a zone that is not whole hours."""
    from babel import Locale, dates

    from helpdesk.formatting import DATETIME_FORMAT, datetime_text

    locale = Locale.parse(name)
    for zone in (DENVER, pytz.timezone("Asia/Kolkata"), pytz.utc):
        for month in range(1, 13):
            instant = datetime(2027, month, month * 2, month * 2 - 1, month * 4, tzinfo=pytz.utc)
            local = instant.astimezone(zone)
            expected = dates.format_datetime(instant, DATETIME_FORMAT, tzinfo=zone, locale=locale)
            assert datetime_text(local, locale) == expected
