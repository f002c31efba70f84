"""Seed 003 prioritisation: the factor table, the additive score, levels and detection."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from helpdesk.rules import priority as rules
from helpdesk.rules.priority import DEFAULT_WEIGHTS, Level, detect_factors, level, score

OPEN, CLOSE = time(8, 0), time(17, 0)
WEDNESDAY = date(2025, 3, 12)


def at(hh: int, mm: int = 0, day: date = WEDNESDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm)


def detect(**overrides) -> list[str]:
    arguments = {
        "origin": "email",
        "arrived_local": at(10),
        "business_open": OPEN,
        "business_close": CLOSE,
        "after_hours_plan": False,
        "customer_time_zone": "America/Denver",
        "is_extension_same_topic": False,
        "parent_at_tier2": False,
    }
    return detect_factors(**{**arguments, **overrides})


def test_the_table_carries_the_seeds_weights_and_actions():
    assert DEFAULT_WEIGHTS == {
        "cannot_sell": 10,
        "data_not_stored": 8,
        "after_hours_overnight": 5,
        "phoned": 3,
        "email_after_close": 2,
        "extension_same_topic": 1,
        "tier2_status_request": 1,
        "east_coast_afternoon": 1,
        "new_topic": 0,
        "personal_email": 0,
        "new_case_on_tier2_item": -1,
        "insists_on_fix": -5,
    }
    actions = {f.code: f.action for f in rules.FACTORS}
    assert actions["cannot_sell"] == "Call the customer right away."
    assert actions["insists_on_fix"] == "Bring it to the attention of management."
    assert actions["data_not_stored"].endswith("Data problems come before everything else.")
    # The seed gives none for e-mail after hours; agents are still told what to do.
    assert all(action.endswith(".") and action[0].isupper() for action in actions.values())


def test_the_seeds_worked_example_is_20_and_high():
    # "calls twice, is on after hours, and says that they cannot sell a ticket: +5+5+10"
    example = ["after_hours_overnight", "after_hours_overnight", "cannot_sell"]
    assert score(example, DEFAULT_WEIGHTS) == 20
    assert level(score(example, DEFAULT_WEIGHTS)) == Level.HIGH


@pytest.mark.parametrize(
    ("factors", "total"),
    [
        ([], 0),
        (["phoned"], 3),
        (["phoned", "phoned"], 6),  # each call counts
        (["phoned", "phoned", "phoned", "email_after_close"], 11),
        (["insists_on_fix", "phoned"], -2),
        (["new_topic", "personal_email"], 0),
        (["cannot_sell", "data_not_stored", "after_hours_overnight"], 23),
    ],
)
def test_score_adds_every_occurrence(factors, total):
    assert score(factors, DEFAULT_WEIGHTS) == total


def test_score_uses_the_given_weights_and_falls_back_to_the_seeds():
    assert score(["phoned", "phoned", "cannot_sell"], {"phoned": 4}) == 18


def test_score_refuses_unknown_factors():
    with pytest.raises(ValueError, match="unknown priority factor"):
        score(["phoned", "bribed"], DEFAULT_WEIGHTS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-50, Level.LOW),
        (-1, Level.LOW),
        (0, Level.NORMAL),
        (7, Level.NORMAL),
        (8, Level.HIGH),  # data not stored, on its own
        (10, Level.HIGH),  # cannot sell, on its own
        (20, Level.HIGH),  # the seed's example
        (24, Level.HIGH),
        (25, Level.URGENT),
        (100, Level.URGENT),
    ],
)
def test_level_thresholds(value, expected):
    assert level(value) == expected


def test_breakdown_lists_factors_in_table_order_with_counts():
    lines = rules.breakdown(["phoned", "cannot_sell", "phoned"], DEFAULT_WEIGHTS)
    assert [(line.factor.code, line.count, line.weight, line.points) for line in lines] == [
        ("cannot_sell", 1, 10, 10),
        ("phoned", 2, 3, 6),
    ]


def test_from_counts_orders_and_limits_repeats():
    assert rules.from_counts({"phoned": 2, "cannot_sell": 1, "new_topic": 0}) == [
        "cannot_sell",
        "phoned",
        "phoned",
    ]
    with pytest.raises(ValueError):
        rules.from_counts({"cannot_sell": 2})  # not a per-contact factor
    with pytest.raises(ValueError):
        rules.from_counts({"phoned": rules.MAX_REPEAT + 1})
    with pytest.raises(ValueError):
        rules.from_counts({"bribed": 1})


# Detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrived", "after_hours_plan", "expected"),
    [
        (at(10), False, ["phoned"]),
        (at(10), True, ["phoned"]),  # in business hours: an ordinary call
        (at(22), False, ["phoned"]),  # no after-hours plan
        (at(22), True, ["after_hours_overnight"]),  # the +5 replaces the +3
        (at(7, 59), True, ["after_hours_overnight"]),
        (at(8, 0), True, ["phoned"]),  # opening time is business time
        (at(16, 59), True, ["phoned"]),
        (at(17, 0), True, ["after_hours_overnight"]),  # closing time is not
        (at(11, day=date(2025, 3, 15)), True, ["after_hours_overnight"]),  # a Saturday
    ],
)
def test_phone_cases(arrived, after_hours_plan, expected):
    found = detect(origin="phone", arrived_local=arrived, after_hours_plan=after_hours_plan)
    assert found == expected


@pytest.mark.parametrize(
    ("origin", "arrived", "expected"),
    [
        ("email", at(16, 59), []),
        ("email", at(17, 0), ["email_after_close"]),
        ("email", at(23, 30), ["email_after_close"]),
        ("email", at(7, 59), ["email_after_close"]),  # overnight: after the prior day's close
        ("email", at(8, 0), []),
        ("web", at(18), ["email_after_close"]),  # the portal form is the written channel too
        ("generated", at(18), []),
    ],
)
def test_written_cases_after_close(origin, arrived, expected):
    assert detect(origin=origin, arrived_local=arrived) == expected


def test_a_holiday_is_after_close():
    holiday = date(2025, 12, 25)
    assert detect(arrived_local=at(10, day=holiday), holidays={holiday}) == ["email_after_close"]
    assert detect(arrived_local=at(10, day=holiday)) == []


@pytest.mark.parametrize(
    ("zone", "arrived", "expected"),
    [
        ("America/New_York", at(12, 59), []),
        ("America/New_York", at(13, 0), ["east_coast_afternoon"]),
        ("America/New_York", at(15, 59), ["east_coast_afternoon"]),
        ("America/New_York", at(16, 0), []),
        ("US/Eastern", at(14), ["east_coast_afternoon"]),
        ("America/Toronto", at(14), ["east_coast_afternoon"]),
        ("America/Detroit", at(14), ["east_coast_afternoon"]),
        ("America/Los_Angeles", at(14), []),  # the West coast waits
        ("America/Denver", at(14), []),
        ("Not/AZone", at(14), []),
        # Sunday is no business day: after close, but no afternoon rush
        ("America/New_York", at(14, day=date(2025, 3, 16)), ["email_after_close"]),
    ],
)
def test_east_coast_mid_afternoon(zone, arrived, expected):
    assert detect(customer_time_zone=zone, arrived_local=arrived) == expected


def test_extension_and_tier2_parent():
    assert detect(is_extension_same_topic=True) == ["extension_same_topic"]
    assert detect(parent_at_tier2=True) == ["new_case_on_tier2_item"]


def test_several_detections_together_in_table_order():
    found = detect(
        origin="phone",
        arrived_local=at(14),
        customer_time_zone="America/New_York",
        parent_at_tier2=True,
    )
    assert found == ["phoned", "east_coast_afternoon", "new_case_on_tier2_item"]
    assert score(found, DEFAULT_WEIGHTS) == 3


def test_two_overnight_calls_and_a_lost_sale_rank_above_a_plain_call():
    call = detect(origin="phone", arrived_local=at(22), after_hours_plan=True)
    worked_example = call + call + ["cannot_sell"]
    assert score(worked_example, DEFAULT_WEIGHTS) == 20
    assert level(score(["phoned"], DEFAULT_WEIGHTS)) == Level.NORMAL


@pytest.mark.parametrize(
    ("origin", "arrived", "after_hours_plan", "points"),
    [
        ("phone", at(22), True, 5),  # overnight voice mail, after-hours customer: +5, not +8
        ("phone", at(7, 30), True, 5),  # left before opening: overnight too
        ("phone", at(22), False, 3),  # no after-hours plan: a call, +3
        ("phone", at(10), True, 3),  # in business hours: a call, +3
        ("email", at(22), True, 2),  # an e-mail after close: +2, below every call
        ("email", at(10), True, 0),
    ],
)
def test_the_decision_callers_first_and_the_overnight_5_replaces_the_3(
    origin, arrived, after_hours_plan, points
):
    """Module docstring "Decided": one overnight message is +5, never +5 and +3."""
    found = detect(origin=origin, arrived_local=arrived, after_hours_plan=after_hours_plan)
    assert score(found, DEFAULT_WEIGHTS) == points
    assert not {"after_hours_overnight", "phoned"} <= set(found)
