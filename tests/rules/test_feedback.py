"""Did this solve it?: answering a link, and flagging what often does not solve it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpdesk.rules.feedback import (
    Outcome,
    decide,
    expires_at,
    is_expired,
    often_unsolved,
    solved_percent,
)

ASKED = datetime(2026, 11, 2, 9, 30)


@pytest.mark.parametrize(
    ("previous", "new", "after", "expected"),
    [
        (None, True, timedelta(minutes=1), Outcome.RECORDED),
        (None, False, timedelta(days=29, hours=23), Outcome.RECORDED),
        (True, True, timedelta(days=1), Outcome.ALREADY),
        (False, False, timedelta(days=1), Outcome.ALREADY),
        (True, False, timedelta(days=2), Outcome.CHANGED),
        (False, True, timedelta(days=2), Outcome.CHANGED),
        (None, True, timedelta(days=30), Outcome.EXPIRED),
        (True, False, timedelta(days=31), Outcome.EXPIRED),
        (True, True, timedelta(days=400), Outcome.EXPIRED),
    ],
)
def test_decide(previous, new, after, expected):
    assert decide(previous, new, asked_at=ASKED, now=ASKED + after, valid_days=30) is expected


@pytest.mark.parametrize(
    ("days", "after", "expired"),
    [
        (30, timedelta(days=30) - timedelta(seconds=1), False),
        (30, timedelta(days=30), True),
        (1, timedelta(hours=23), False),
        (1, timedelta(hours=24), True),
    ],
)
def test_expiry_edge(days, after, expired):
    assert is_expired(ASKED, ASKED + after, days) is expired
    assert expires_at(ASKED, days) == ASKED + timedelta(days=days)


@pytest.mark.parametrize(
    ("solved", "not_solved", "percent"),
    [(0, 0, None), (1, 0, 100.0), (0, 3, 0.0), (2, 1, 66.7), (1, 2, 33.3), (5, 5, 50.0)],
)
def test_solved_percent(solved, not_solved, percent):
    assert solved_percent(solved, not_solved) == percent


@pytest.mark.parametrize(
    ("solved", "not_solved", "min_answers", "percent", "flagged"),
    [
        (0, 4, 5, 50, False),  # four No, but too few answers to judge
        (0, 5, 5, 50, True),
        (3, 2, 5, 50, False),  # 40 % No
        (2, 3, 5, 50, True),  # 60 % No
        (5, 5, 5, 50, True),  # exactly half: at least the share
        (6, 4, 5, 50, False),
        (9, 1, 5, 10, True),
        (0, 0, 0, 50, False),  # no answers never flags, whatever the minimum
        (1, 99, 5, 100, False),
        (0, 7, 5, 100, True),
    ],
)
def test_often_unsolved(solved, not_solved, min_answers, percent, flagged):
    assert often_unsolved(solved, not_solved, min_answers=min_answers, percent=percent) is flagged
