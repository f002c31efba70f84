"""Adjustable settings: the administrator's values (Setting rows) over the config defaults.

A small registry declares every value an administrator may change at run time, its type and
its limits. `setting(key)` answers with the stored value when there is a valid one, else the
app config's (environment or built-in default). A request reads the Setting table once.
The holidays of the business calendar are managed here too.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, g, has_request_context, request

from helpdesk.config import Config
from helpdesk.extensions import db
from helpdesk.models import Holiday, Setting, User
from helpdesk.rules.business_hours import WEEKDAY_NAMES, parse_clock, parse_weekdays
from helpdesk.rules.numbers import LARGEST_ID, parse_int
from helpdesk.rules.webhook_targets import format_networks, parse_networks
from helpdesk.services import ServiceError
from helpdesk.services.core import audit

INT = "int"
EMAIL = "email"
CLOCK = "clock"
WEEKDAYS = "weekdays"
TIME_ZONE = "time_zone"
TEXT = "text"  # one line of plain text, up to `maximum` characters
YES_NO = "yes_no"  # stored as true or false, chosen as Yes or No
NETWORKS = "networks"  # IP addresses and CIDR ranges, stored canonical and comma-separated
MEGABYTE = 1024 * 1024
HOLIDAY_NAME_MAX = 120


@dataclass(frozen=True)
class SettingSpec:
    """One adjustable value: its config key (also its Setting row key) and its limits."""

    key: str
    group: str
    label: str
    kind: str
    minimum: int | None = None
    maximum: int | None = None
    scale: int = 1  # stored = entered x scale: file sizes are typed in MB, kept in bytes
    hint: str = ""


REGISTRY: tuple[SettingSpec, ...] = (
    SettingSpec(
        "EXPIRED1_DAYS",
        "Folders",
        "Expired 1 after (days)",
        INT,
        1,
        3650,
        hint="Cases no agent has answered for this many days move to Expired 1, so someone "
        f"reassigns or closes them. Default {Config.EXPIRED1_DAYS}.",
    ),
    SettingSpec(
        "EXPIRED2_DAYS",
        "Folders",
        "Expired 2 after (days)",
        INT,
        1,
        3650,
        hint="Answered cases the customer has neither viewed nor closed for this many days move "
        f"to Expired 2, where agents repost the answer or close. Default {Config.EXPIRED2_DAYS}.",
    ),
    SettingSpec(
        "REOPEN_DAYS",
        "Folders",
        "Customers may reopen for (days)",
        INT,
        0,
        3650,
        hint="Days after closing that a customer may reopen a case; after that, reopening "
        f"starts a new linked case. Default {Config.REOPEN_DAYS}.",
    ),
    SettingSpec(
        "BUSINESS_TIME_ZONE",
        "Business hours",
        "Time zone",
        TIME_ZONE,
        hint="The zone of the opening hours below; pages show times in it to anyone whose "
        f"profile names no zone of their own. Default {Config.BUSINESS_TIME_ZONE}.",
    ),
    SettingSpec(
        "BUSINESS_HOURS_START",
        "Business hours",
        "Opens (HH:MM)",
        CLOCK,
        hint=f"The first-response clock runs only while support is open. "
        f"Default {Config.BUSINESS_HOURS_START}.",
    ),
    SettingSpec(
        "BUSINESS_HOURS_END",
        "Business hours",
        "Closes (HH:MM)",
        CLOCK,
        hint="The first-response clock stops until the next working day, and e-mail that "
        f"arrives later gets the after-hours priority. Default {Config.BUSINESS_HOURS_END}.",
    ),
    SettingSpec(
        "BUSINESS_DAYS",
        "Business hours",
        "Working days",
        WEEKDAYS,
        hint="Days support is open; holidays are set on their own page. Default Monday to Friday.",
    ),
    SettingSpec(
        "FIRST_RESPONSE_HOURS",
        "Business hours",
        "First response within (business hours)",
        INT,
        1,
        240,
        hint="The goal for a first answer to a new case, counted in opening hours only; the "
        f"due time of each new case comes from it. Default {Config.FIRST_RESPONSE_HOURS}.",
    ),
    SettingSpec(
        "ATTACHMENT_MAX_BYTES",
        "Attachments",
        "Largest file (MB)",
        INT,
        1,
        50,
        scale=MEGABYTE,
        hint="The largest file a customer or agent may attach; a larger one gets a form "
        f"error. 1 to 50. Default {Config.ATTACHMENT_MAX_BYTES // MEGABYTE}.",
    ),
    SettingSpec(
        "ATTACHMENTS_PER_MESSAGE",
        "Attachments",
        "Files per message",
        INT,
        1,
        20,
        hint=f"How many files one message may carry. Default {Config.ATTACHMENTS_PER_MESSAGE}.",
    ),
    SettingSpec(
        "QUEUE_ALERT_SIZE",
        "Queue alerts",
        "Alert when the queue holds more than (cases)",
        INT,
        1,
        100000,
        hint="When the support queue holds more cases than this, the support director gets an "
        f"alert and agents see a warning. Default {Config.QUEUE_ALERT_SIZE}.",
    ),
    SettingSpec(
        "QUEUE_ALERT_SIMILAR",
        "Queue alerts",
        "Alert at this many alike subjects",
        INT,
        2,
        1000,
        hint="Many new cases with the same subject usually mean a fault in the system or spam. "
        f"Default {Config.QUEUE_ALERT_SIMILAR}.",
    ),
    SettingSpec(
        "QUEUE_ALERT_WINDOW_MINUTES",
        "Queue alerts",
        "... within (minutes)",
        INT,
        1,
        10080,
        hint="Alike subjects count when they arrive within this many minutes. "
        f"Default {Config.QUEUE_ALERT_WINDOW_MINUTES}.",
    ),
    SettingSpec(
        "DIRECTOR_EMAIL",
        "Queue alerts",
        "Support director's e-mail",
        EMAIL,
        hint="Who gets the queue alerts. Empty (the default): every active administrator.",
    ),
    # -- intake -- seed 000: evaluators of several months "should be sent to sales instead".
    SettingSpec(
        "SALES_CONTACT_NAME",
        "Sales contact",
        "Name",
        TEXT,
        maximum=120,
        hint="Who agents transfer a caller to when the phone procedure says to send them to "
        "sales, e.g. Sales and marketing. Empty: agents see that no contact is set.",
    ),
    SettingSpec(
        "SALES_CONTACT_PHONE",
        "Sales contact",
        "Phone or extension",
        TEXT,
        maximum=40,
        hint="The number or extension to transfer the call to.",
    ),
    SettingSpec(
        "SALES_CONTACT_EMAIL",
        "Sales contact",
        "E-mail",
        EMAIL,
        hint="Where the caller can write to sales, read out to them on the phone.",
    ),
    # -- inbound e-mail -- issue 16 item 7: only our own mail server's verdict counts.
    SettingSpec(
        "TRUSTED_AUTHSERV_IDS",
        "Incoming e-mail",
        "Trusted mail servers (authserv-id)",
        TEXT,
        maximum=500,
        hint="The name your mail server puts first in the Authentication-Results header of "
        "each received message, e.g. mx.example.com; several separated by commas. A message "
        "such a server marks dmarc=fail (or spf=fail, when it checked no DMARC) goes to the "
        "inbound mail quarantine instead of a case. Headers from other servers are ignored. "
        "Empty (the default): no header is trusted.",
    ),
    # -- notifications -- issue 19 item 1
    SettingSpec(
        "SLA_WARNING_MINUTES",
        "Notifications",
        "Warn before a target is missed (minutes)",
        INT,
        1,
        1440,
        hint="The agent of a case is notified this long before its first-response target is "
        f"missed, and again when it is. Default {Config.SLA_WARNING_MINUTES}.",
    ),
    # -- signing in -- issue 19 item 7
    SettingSpec(
        "TWO_FACTOR_ALL_STAFF",
        "Signing in",
        "Two-factor login for every staff member",
        YES_NO,
        hint="Yes: agents too must log in with a code from an authenticator app, as billing "
        "staff and administrators always do; each sets it up at their next login. "
        "Customers are never asked. Default: No.",
    ),
    # -- feedback --
    SettingSpec(
        "FEEDBACK_LINK_DAYS",
        "Did this solve it?",
        "Answer links work for (days)",
        INT,
        1,
        365,
        hint="Replies and system e-mails ask the customer “Did this solve it?” with a Yes and a "
        "No link; the links work this many days after the e-mail, and within them the customer "
        f"may change the answer. Default {Config.FEEDBACK_LINK_DAYS}.",
    ),
    SettingSpec(
        "FEEDBACK_FLAG_MIN_ANSWERS",
        "Did this solve it?",
        "Flag after at least (answers)",
        INT,
        1,
        10000,
        hint="The support report marks a system e-mail or help article “often does not solve "
        "it” only once this many customers answered about it. "
        f"Default {Config.FEEDBACK_FLAG_MIN_ANSWERS}.",
    ),
    SettingSpec(
        "FEEDBACK_FLAG_PERCENT",
        "Did this solve it?",
        "Flag when “No” reaches (%)",
        INT,
        1,
        100,
        hint="… and at least this share of those answers said it did not solve it. "
        f"Default {Config.FEEDBACK_FLAG_PERCENT}.",
    ),
    # -- webhooks -- REST API issue: the SSRF guard's exceptions
    SettingSpec(
        "WEBHOOK_ALLOWED_NETWORKS",
        "Webhooks",
        "Internal addresses webhooks may reach",
        NETWORKS,
        hint="Webhooks go only to public addresses, never to this server, your private "
        "network or a cloud metadata service. Name the ranges of an internal receiver here "
        "to allow them anyway, e.g. 10.20.0.0/16; several separated by commas. "
        "Empty (the default): public addresses only.",
    ),
)
BY_KEY = {spec.key: spec for spec in REGISTRY}
GROUPS = tuple(dict.fromkeys(spec.group for spec in REGISTRY))
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_CACHE = "adjustable_settings"


class SettingsError(ServiceError):
    """Some entered values are unacceptable: a message per setting key."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


# --- Parsing: what a person typed, as the value stored (pure) ------------------------------


def parse(spec: SettingSpec, entered: Any) -> Any:
    """The value to store for `entered` (form data); ValueError with a message to show."""
    if spec.kind == INT:
        return _parse_int(spec, entered)
    if spec.kind == EMAIL:
        return _parse_email(entered)
    if spec.kind == CLOCK:
        return _parse_clock(entered)
    if spec.kind == WEEKDAYS:
        return _parse_weekdays(entered)
    if spec.kind == TIME_ZONE:
        return _parse_time_zone(entered)
    if spec.kind == TEXT:
        return _parse_text(spec, entered)
    if spec.kind == YES_NO:
        return _parse_yes_no(entered)
    if spec.kind == NETWORKS:
        return format_networks(parse_networks(str(entered or "")))
    raise ValueError(f"unknown setting kind {spec.kind!r}")


def _parse_int(spec: SettingSpec, entered: Any) -> int:
    if isinstance(entered, bool):
        raise ValueError("Enter a whole number.")
    number = parse_int(str(entered), low=-LARGEST_ID, high=LARGEST_ID)
    if number is None:
        raise ValueError("Enter a whole number.")
    low, high = spec.minimum, spec.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"Enter a whole number from {low} to {high}.")
    return number * spec.scale


def _parse_email(entered: Any) -> str:
    text = str(entered or "").strip()
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError("Enter a valid e-mail address, or leave it empty.") from None


def _parse_clock(entered: Any) -> str:
    match = _CLOCK.fullmatch(str(entered or "").strip())
    if match is None:
        raise ValueError("Enter a time of day as HH:MM, e.g. 08:00.")
    return f"{int(match[1]):02d}:{match[2]}"


def _parse_weekdays(entered: Any) -> str:
    text = entered if isinstance(entered, str) else ",".join(entered or [])
    try:
        days = parse_weekdays(text)
    except ValueError:
        raise ValueError("Choose days from Monday to Sunday.") from None
    if not days:
        raise ValueError("Choose at least one working day.")
    return ",".join(WEEKDAY_NAMES[day] for day in sorted(days))


def _parse_time_zone(entered: Any) -> str:
    name = str(entered or "").strip()
    if name not in _known_zones():
        raise ValueError("Choose a time zone from the list.")
    return name


def _parse_text(spec: SettingSpec, entered: Any) -> str:
    text = " ".join(str(entered or "").split())  # one line: no newlines or runs of spaces
    if spec.maximum is not None and len(text) > spec.maximum:
        raise ValueError(f"Use at most {spec.maximum} characters.")
    return text


def _parse_yes_no(entered: Any) -> bool:
    if isinstance(entered, bool):
        return entered
    answer = str(entered or "").strip().lower()
    if answer not in ("yes", "no"):
        raise ValueError("Choose Yes or No.")
    return answer == "yes"


def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def entered_form(spec: SettingSpec, value: Any) -> Any:
    """A stored value as the form shows it (the inverse of `parse`)."""
    if spec.kind == INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value // spec.scale
        return value  # e.g. 4.5 from the environment: shown as is, saving asks for a whole number
    if spec.kind == WEEKDAYS:
        return [WEEKDAY_NAMES[day] for day in sorted(parse_weekdays(str(value)))]
    if spec.kind == YES_NO and isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _hours_problem(values: Mapping[str, Any]) -> str | None:
    start, end = values.get("BUSINESS_HOURS_START"), values.get("BUSINESS_HOURS_END")
    if start is not None and end is not None and not parse_clock(start) < parse_clock(end):
        return "Closing time must be after the opening time on the same day."
    return None


def validate(entered: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values to store for the registry keys in `entered`, and a message per bad one."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in entered.items():
        spec = BY_KEY.get(key)
        if spec is None:
            continue
        try:
            values[key] = parse(spec, raw)
        except ValueError as error:
            errors[key] = str(error)
    problem = _hours_problem(values)
    if problem:
        errors.setdefault("BUSINESS_HOURS_END", problem)
    return values, errors


def _is_valid_stored(spec: SettingSpec, value: Any) -> bool:
    # A row written by an older version, or by hand, must not break every page: ignore it.
    try:
        return parse(spec, entered_form(spec, value)) == value
    except (TypeError, ValueError):
        return False


# --- Reading: the effective values, once per request ----------------------------------------


def defaults() -> dict[str, Any]:
    """Each registered setting's value from the app config (environment or built-in)."""
    return {key: current_app.config.get(key) for key in BY_KEY}


# Built once, and every row read (the table holds a few dozen): an IN of every key, built on
# each request, cost more than the query.
_ALL_STORED = sa.select(Setting.key, Setting.value)


def _stored() -> dict[str, Any]:
    rows = db.session.execute(_ALL_STORED)
    return {
        key: value for key, value in rows if key in BY_KEY and _is_valid_stored(BY_KEY[key], value)
    }


def _load() -> tuple[dict[str, Any], dict[str, Any]]:
    stored = _stored()
    effective = {**defaults(), **stored}
    if _hours_problem(effective):
        # A stored clock contradicting a newer environment default: the defaults win.
        for key in ("BUSINESS_HOURS_START", "BUSINESS_HOURS_END"):
            stored.pop(key, None)
            effective[key] = current_app.config.get(key)
    return effective, stored


def _cached() -> tuple[dict[str, Any], dict[str, Any]]:
    if not has_request_context():
        return _load()  # CLI jobs and tests: always fresh
    # An app context can outlive a request (tests push one around many), so the cache
    # remembers which request it belongs to.
    owner = request._get_current_object()
    held = g.get(_CACHE)
    if held is None or held[0] is not owner:
        held = (owner, *_load())
        setattr(g, _CACHE, held)
    return held[1], held[2]


def values() -> dict[str, Any]:
    """Every registered setting's effective value, by config key."""
    return dict(_cached()[0])


def overridden() -> dict[str, Any]:
    """The settings an administrator changed from the config default, by key."""
    return dict(_cached()[1])


def setting(key: str) -> Any:
    """The effective value of one registered setting (KeyError for an unknown key)."""
    return _cached()[0][key]


def forget() -> None:
    """Drop this request's cached values (after a save)."""
    g.pop(_CACHE, None)


# --- Saving -----------------------------------------------------------------------------------


def save(
    actor: User, entered: Mapping[str, Any], *, ip_address: str | None = None
) -> dict[str, dict[str, Any]]:
    """Store the entered values (form units), audit before/after and commit; the changes.

    A value equal to the config default removes the override, so later changes to the
    environment default apply again.
    """
    new, errors = validate(entered)
    if errors:
        raise SettingsError(errors)
    current = values()
    config = defaults()
    rows = {
        row.key: row for row in db.session.scalars(sa.select(Setting).where(Setting.key.in_(new)))
    }
    changes: dict[str, dict[str, Any]] = {}
    for key, value in new.items():
        if value != current[key]:
            changes[key] = {"before": current[key], "after": value}
        row = rows.get(key)
        if value == config[key]:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value
    if changes:
        audit.record("settings.update", actor=actor, ip_address=ip_address, changes=changes)
    db.session.commit()
    forget()
    return changes


# --- Holidays: days the business calendar skips ---------------------------------------------


def add_holiday(actor: User, day: date, name: str, *, ip_address: str | None = None) -> Holiday:
    """Add a day without business hours; one per date; audited; commit."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Enter the holiday's name.", field="name")
    if len(name) > HOLIDAY_NAME_MAX:
        raise ServiceError(f"Use at most {HOLIDAY_NAME_MAX} characters.", field="name")
    taken = db.session.scalar(sa.select(Holiday).where(Holiday.day == day))
    if taken is not None:
        raise ServiceError(f"{day:%Y-%m-%d} is already a holiday ({taken.name}).", field="day")
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # another admin added the same day a moment ago
        raise ServiceError(f"{day:%Y-%m-%d} is already a holiday.", field="day") from None
    audit.record(
        "holiday.add",
        actor=actor,
        obj=holiday,
        ip_address=ip_address,
        day=day.isoformat(),
        name=name,
    )
    db.session.commit()
    return holiday


def remove_holiday(actor: User, holiday: Holiday, *, ip_address: str | None = None) -> None:
    """Make the day a normal calendar day again; audited; commit."""
    audit.record(
        "holiday.remove",
        actor=actor,
        obj=holiday,
        ip_address=ip_address,
        day=holiday.day.isoformat(),
        name=holiday.name,
    )
    db.session.delete(holiday)
    db.session.commit()


# --- The sales contact (seed 000 step III.2: send long evaluations to sales) -----------------


@dataclass(frozen=True)
class SalesContact:
    """Who a caller is transferred to when the phone procedure says "send to sales"."""

    name: str
    phone: str
    email: str

    @property
    def is_set(self) -> bool:
        """Whether there is anything to tell the agent."""
        return bool(self.name or self.phone or self.email)


def sales_contact() -> SalesContact:
    """The sales contact from the settings (empty strings where none is set)."""
    return SalesContact(
        name=str(setting("SALES_CONTACT_NAME") or ""),
        phone=str(setting("SALES_CONTACT_PHONE") or ""),
        email=str(setting("SALES_CONTACT_EMAIL") or ""),
    )
