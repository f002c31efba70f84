"""Who reads the page: its locale and time zone (through Flask-Babel), and the clock of "now".

The locale is the configured HELPDESK_LOCALE (English by default). The time zone is the
logged-in user's profile zone, else the business time zone an administrator sets, so every
time on a page is on one clock. Relative times ("3h ago") count from `now()`, which tests
replace through the CLOCK config key instead of waiting for the wall clock.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from functools import cache

import flask_babel
import pytz
from babel import Locale
from flask import Flask, current_app, g, has_request_context
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from helpdesk.extensions import db
from helpdesk.models import utcnow
from helpdesk.services.core import settings

DEFAULT_LOCALE = "en"
FALLBACK_ZONE = "America/Denver"
_ZONE_OVERRIDE = "_helpdesk_zone_override"


def N_(text: str) -> str:  # noqa: N802  (the name the extractor looks for)
    """Mark `text` for the catalogue without translating it yet (templates translate it)."""
    return text


def now() -> datetime:
    """The current instant as naive UTC, from the app's CLOCK when one is injected."""
    clock: Callable[[], datetime] | None = current_app.config.get("CLOCK")
    return clock() if clock is not None else utcnow()


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def business_zone_name() -> str:
    """The business time zone (the administrator's setting, else the configured default)."""
    try:
        name = settings.setting("BUSINESS_TIME_ZONE")
    except SQLAlchemyError:
        # Naming the zone must not break a page the database cannot serve (not yet migrated,
        # or down): the configured default is the best answer then.
        db.session.rollback()
        current_app.logger.warning("Business time zone setting unreadable; using the default")
        name = current_app.config.get("BUSINESS_TIME_ZONE")
    return name if name in _known_zones() else FALLBACK_ZONE


def select_locale() -> str:
    """Flask-Babel's locale selector: the configured locale (users may choose one later)."""
    return current_app.config.get("HELPDESK_LOCALE") or DEFAULT_LOCALE


def select_timezone() -> str:
    """Flask-Babel's zone selector: the viewer's profile zone, else the business zone."""
    if has_request_context() and current_user.is_authenticated:
        zone = getattr(current_user, "time_zone", None)
        if zone in _known_zones():
            return zone
    return business_zone_name()


def locale() -> Locale:
    """The locale of this page, or the default one outside a request (CLI jobs)."""
    return flask_babel.get_locale() or Locale.parse(select_locale())


def current_locale() -> str:
    """The page's language as HTML's lang attribute writes it, e.g. "en" or "pt-BR"."""
    return str(locale()).replace("_", "-")


def viewer_zone() -> tzinfo:
    """The time zone every time on this page (or in this e-mail) is shown in."""
    override = g.get(_ZONE_OVERRIDE) if g else None
    if override is not None:
        return override
    return flask_babel.get_timezone() or pytz.timezone(business_zone_name())


@contextmanager
def shown_in(zone_name: str | None) -> Iterator[None]:
    """Show times in `zone_name` (else the business zone) inside the block: mail to a customer
    is read in the customer's zone, whoever's request queued it."""
    name = zone_name if zone_name in _known_zones() else business_zone_name()
    previous = g.get(_ZONE_OVERRIDE)
    setattr(g, _ZONE_OVERRIDE, pytz.timezone(name))
    try:
        yield
    finally:
        setattr(g, _ZONE_OVERRIDE, previous)


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selectors; `_()` and `gettext` then work in every template."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    flask_babel.Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
