"""How urgent a case is: the seed's priority factors, added up, and the level they make.

Seed 003, "Prioritization Policies": cases are worked first come, first served, but some
factors alter priority; "if more than one applies, accumulate the effect. For example if a
customer calls twice, is on after hours, and says that they cannot sell a ticket, then that
is +5+5+10 -> so that makes it high priority".

Read with the table, each of those two calls is "a message left overnight by a customer with
after-hours support" (+5 each); the plain "people who phone for support" (+3) is the general
form of the same call and is not counted on top of it. So the worked example is the factor
list ``["after_hours_overnight", "after_hours_overnight", "cannot_sell"]``: 20, high.

Decided: one overnight voice mail from an after-hours customer scores +5, not +5 and +3.
Every support call reaches us as a voice mail (seed 003 "Telephone - Priority 1"), so such a
message *is* the customer's phone call; the +5 row is the after-hours form of the +3 row and
replaces it. Callers still come first: +5 for the after-hours customer's overnight message,
+3 for any other call, +2 for a late e-mail. This is the only reading under which the seed's
worked example adds up to its own +5+5+10. "Overnight" means outside business hours at the
moment the message was *left* (what the agent enters at intake), not when it was typed in
the next morning. A second call counts again, by its own time.

Factors a contact can repeat (each call, each overnight message, each late e-mail, each status
request) may appear in the list more than once and count each time. Weights default to the
seed's and are admin-editable; the score is their plain sum.

Levels (by score): below 0 low; 0 to 7 normal; 8 to 24 high; 25 and over urgent. So each
factor the seed says to act on "immediately" (cannot sell +10, data not stored +8) is high on
its own, the worked example (20) is high, and only several grave factors together are urgent.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

WEIGHT_MIN, WEIGHT_MAX = -50, 50
MAX_REPEAT = 9  # times one repeatable factor may count on a case
WEEKDAYS = frozenset(range(5))  # Monday to Friday, as date.weekday()

HIGH_AT = 8
URGENT_AT = 25

# "East coast" (seed 003: answer the East coast first in the afternoon): the zones on Eastern
# Time in the United States and Canada.
EASTERN_ZONES = frozenset(
    {
        "America/New_York",
        "America/Detroit",
        "America/Fort_Wayne",
        "America/Indianapolis",
        "America/Indiana/Indianapolis",
        "America/Indiana/Marengo",
        "America/Indiana/Petersburg",
        "America/Indiana/Vevay",
        "America/Indiana/Vincennes",
        "America/Indiana/Winamac",
        "America/Kentucky/Louisville",
        "America/Kentucky/Monticello",
        "America/Louisville",
        "America/Montreal",
        "America/Nipigon",
        "America/Thunder_Bay",
        "America/Toronto",
        "America/Iqaluit",
        "Canada/Eastern",
        "EST5EDT",
        "US/East-Indiana",
        "US/Eastern",
        "US/Michigan",
    }
)
AFTERNOON_FROM, AFTERNOON_UNTIL = time(13, 0), time(16, 0)  # "mid afternoon", business time


class Level(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@dataclass(frozen=True)
class Factor:
    """One row of the seed's table."""

    code: str
    label: str
    weight: int  # the seed's effect; admins may override it
    action: str  # what the agent does next: the seed's "subsequent action", in our words
    repeatable: bool = False  # counts once per contact (each call, each e-mail ...)
    detected: bool = False  # set from the case's data at triage; the others are ticked by agents


FACTORS: tuple[Factor, ...] = (
    Factor(
        "cannot_sell",
        "Customer cannot process a sale",
        10,
        "Call the customer right away.",
    ),
    Factor(
        "data_not_stored",
        "Data is not being stored in the database properly",
        8,
        "Call the customer; once the problem is confirmed, contact tier II at once. Data "
        "problems come before everything else.",
    ),
    Factor(
        "after_hours_overnight",
        "Customer with after-hours support left a message overnight",
        5,
        "Call the customer back, then follow up by e-mail with a link to the help article, "
        "if there is one.",
        repeatable=True,
        detected=True,
    ),
    Factor(
        "phoned",
        "Customer phoned for support",
        3,
        "Listen to the voice mail, then answer by e-mail or call back.",
        repeatable=True,
        detected=True,
    ),
    Factor(
        "email_after_close",
        "Customer left an e-mail after close of business",
        2,
        "Answer it at the start of the next working day.",
        repeatable=True,
        detected=True,
    ),
    Factor(
        "extension_same_topic",
        "Extension to an existing case, same topic",
        1,
        "If the customer is not seeing the answer already given, call them.",
    ),
    Factor(
        "tier2_status_request",
        "Customer requests status on an existing Tier II request",
        1,
        "Attach any new case to the original one, get the status from tier II and e-mail it "
        "to the customer.",
        repeatable=True,
    ),
    Factor(
        "east_coast_afternoon",
        "East coast request (mid afternoon only)",
        1,
        "Answer before west coast e-mail: the customer's working day ends sooner.",
        detected=True,
    ),
    Factor(
        "new_topic",
        "Extension to an existing case with a new topic",
        0,
        "Open a new case for the new topic, at normal priority.",
    ),
    Factor(
        "personal_email",
        "Support request sent to a personal e-mail account",
        0,
        "Open a case and work it in turn; tell the customer the e-mail was logged under its "
        "case number.",
    ),
    Factor(
        "new_case_on_tier2_item",
        "New case about an item already elevated to Tier II",
        -1,
        "Attach the new case as a sub-case of the original, and e-mail the customer that "
        "their information was added to the existing case.",
        detected=True,
    ),
    Factor(
        "insists_on_fix",
        "Given a workaround but insists on a fix to the product",
        -5,
        "Bring it to the attention of management.",
    ),
)
BY_CODE: dict[str, Factor] = {factor.code: factor for factor in FACTORS}
DEFAULT_WEIGHTS: dict[str, int] = {factor.code: factor.weight for factor in FACTORS}


@dataclass(frozen=True)
class Line:
    """One factor of a case's score: how often it applies and what it adds."""

    factor: Factor
    count: int
    weight: int

    @property
    def points(self) -> int:
        return self.count * self.weight


def _weight(code: str, weights: Mapping[str, int]) -> int:
    if code not in BY_CODE:
        raise ValueError(f"unknown priority factor {code!r}")
    return weights.get(code, BY_CODE[code].weight)


def score(factors: Iterable[str], weights: Mapping[str, int]) -> int:
    """The sum of each factor's weight, once per occurrence; unknown codes raise ValueError."""
    return sum(_weight(code, weights) for code in factors)


def level(score: int) -> Level:
    """Below 0 low, 0-7 normal, 8-24 high, 25 and over urgent."""
    if score < 0:
        return Level.LOW
    if score < HIGH_AT:
        return Level.NORMAL
    if score < URGENT_AT:
        return Level.HIGH
    return Level.URGENT


def counts(factors: Iterable[str]) -> dict[str, int]:
    """How often each code occurs, e.g. {"phoned": 2}."""
    return dict(Counter(factors))


def from_counts(counted: Mapping[str, int]) -> list[str]:
    """The factor list for {code: count}, in the seed's table order; zero counts dropped."""
    for code, count in counted.items():
        if code not in BY_CODE:
            raise ValueError(f"unknown priority factor {code!r}")
        if count < 0 or count > (MAX_REPEAT if BY_CODE[code].repeatable else 1):
            raise ValueError(f"{code!r} cannot count {count} times")
    return [f.code for f in FACTORS for _ in range(counted.get(f.code, 0))]


def breakdown(factors: Iterable[str], weights: Mapping[str, int]) -> list[Line]:
    """The present factors in the seed's table order, each with its count and weight."""
    counted = counts(factors)
    for code in counted:
        _weight(code, weights)
    return [
        Line(f, counted[f.code], _weight(f.code, weights)) for f in FACTORS if f.code in counted
    ]


def within_business_hours(
    moment: datetime,
    *,
    business_open: time,
    business_close: time,
    business_days: Collection[int] = WEEKDAYS,
    holidays: Collection[date] = (),
) -> bool:
    """Open from `business_open` (inclusive) to `business_close` (exclusive) on business days."""
    return (
        moment.weekday() in business_days
        and moment.date() not in holidays
        and business_open <= moment.time() < business_close
    )


def is_us_eastern(time_zone: str) -> bool:
    """Whether a customer's IANA zone keeps Eastern Time (the seed's "East coast")."""
    return time_zone in EASTERN_ZONES


def detect_factors(
    *,
    origin: str,
    arrived_local: datetime,
    business_open: time,
    business_close: time,
    after_hours_plan: bool,
    customer_time_zone: str,
    is_extension_same_topic: bool,
    parent_at_tier2: bool,
    business_days: Collection[int] = WEEKDAYS,
    holidays: Collection[date] = (),
) -> list[str]:
    """The factors a new case's own data shows; `arrived_local` is in business time.

    - a phone case: phoned, or after_hours_overnight instead when the customer has the
      after-hours plan and the call came outside business hours (see the module docstring);
    - a written case (e-mail, or the web form, its portal equivalent) outside business hours:
      email_after_close (overnight, weekends and holidays are all "after close");
    - a customer on Eastern Time whose case arrives 13:00-16:00 business time on a business
      day: east_coast_afternoon;
    - an extension on the same topic: extension_same_topic;
    - a sub-case of a case at tier 2: new_case_on_tier2_item.
    """
    open_now = within_business_hours(
        arrived_local,
        business_open=business_open,
        business_close=business_close,
        business_days=business_days,
        holidays=holidays,
    )
    found: list[str] = []
    if origin == "phone":
        found.append("after_hours_overnight" if after_hours_plan and not open_now else "phoned")
    elif origin in ("email", "web") and not open_now:
        found.append("email_after_close")
    if is_extension_same_topic:
        found.append("extension_same_topic")
    if (
        open_now
        and AFTERNOON_FROM <= arrived_local.time() < AFTERNOON_UNTIL
        and is_us_eastern(customer_time_zone)
    ):
        found.append("east_coast_afternoon")
    if parent_at_tier2:
        found.append("new_case_on_tier2_item")
    return from_counts(counts(found))
