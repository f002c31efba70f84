"""Did this solve it? (issue 15 item 17): what a click on a Yes/No link in an e-mail does, and
when the support report calls a system e-mail or help article one that often does not solve it.

- A link works for `valid_days` after its mail was queued (a setting, 30 days by default).
- The first answer is recorded. The same answer again is refused politely ("you already
  answered"): a mail scanner or a double click cannot count twice. The other answer within
  the window replaces the first: the customer changed their mind (a reply that seemed to
  work, then did not), and the report should hold what they think now.
- Flagged: at least `min_answers` answers, of which at least `percent` per cent said No.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta


class Outcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # the same answer again: nothing changes
    CHANGED = "changed"  # the other answer: it replaces the first
    EXPIRED = "expired"  # the link is too old: nothing changes


def expires_at(asked_at: datetime, valid_days: int) -> datetime:
    """When the links of a mail queued at `asked_at` stop working."""
    return asked_at + timedelta(days=valid_days)


def is_expired(asked_at: datetime, now: datetime, valid_days: int) -> bool:
    """True from `valid_days` after the mail on."""
    return now >= expires_at(asked_at, valid_days)


def decide(
    previous: bool | None, new: bool, *, asked_at: datetime, now: datetime, valid_days: int
) -> Outcome:
    """What answering `new` does to a question answered `previous` (None: not yet)."""
    if is_expired(asked_at, now, valid_days):
        return Outcome.EXPIRED
    if previous is None:
        return Outcome.RECORDED
    if previous == new:
        return Outcome.ALREADY
    return Outcome.CHANGED


def solved_percent(solved: int, not_solved: int) -> float | None:
    """The share of answers that said Yes, in per cent to one decimal; None without answers."""
    answers = solved + not_solved
    if answers <= 0:
        return None
    return round(100 * solved / answers, 1)


def often_unsolved(solved: int, not_solved: int, *, min_answers: int, percent: int) -> bool:
    """Enough answers, and at least `percent` per cent of them said No."""
    answers = solved + not_solved
    return answers >= max(min_answers, 1) and 100 * not_solved >= percent * answers
