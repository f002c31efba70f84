"""The Issue Tracker folders of seed 002 as database queries.

`rules.folders.folder_of` decides one case's folder in Python; `folder_condition` says the
same in SQL so a folder page is one indexed query. tests/services/test_folders.py checks
that both agree on every edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from helpdesk.extensions import db
from helpdesk.i18n import N_
from helpdesk.models import Case, CaseStatus, CaseTally, Role, User
from helpdesk.rules.folders import AWAITING_AGENT, Folder, FolderSettings

ALL = "all"
# The folders an agent works from, in the order of the sidebar; Answered and All list
# cases that wait on the customer or on nobody.
WORK_FOLDERS = [
    Folder.QUEUE,
    Folder.NEW,
    Folder.OPEN,
    Folder.WAITING,
    Folder.EXPIRED_1,
    Folder.EXPIRED_2,
]
LIST_FOLDERS = [*WORK_FOLDERS, Folder.ANSWERED, Folder.CLOSED, ALL]
# Marked for the catalogue; templates show them through _().
TITLES = {
    Folder.QUEUE: N_("Support queue"),
    Folder.NEW: N_("New"),
    Folder.OPEN: N_("Open"),
    Folder.WAITING: N_("Waiting"),
    Folder.EXPIRED_1: N_("Expired 1"),
    Folder.EXPIRED_2: N_("Expired 2"),
    Folder.ANSWERED: N_("Answered"),
    Folder.CLOSED: N_("Closed"),
    ALL: N_("All"),
}
# The letter that follows "g" to jump to a folder from the keyboard (Gmail's "g i"); the sidebar
# and the shortcut list carry it as data-shortcut-g for static/shortcuts.js.
GO_KEYS = {
    Folder.QUEUE: "q",
    Folder.NEW: "n",
    Folder.OPEN: "o",
    Folder.WAITING: "w",
    Folder.CLOSED: "c",
    ALL: "a",
}
EXPLANATIONS = {
    Folder.QUEUE: "Unassigned cases. Assign each from here, or accept it into your own queue.",
    Folder.NEW: "Assigned to you and not yet opened.",
    Folder.OPEN: "Opened, but not yet answered.",
    Folder.WAITING: "The customer replied: further help or a new question waits for you.",
    Folder.EXPIRED_1: "No agent reply for {e1} days. Reassign, or close if it no longer matters.",
    Folder.EXPIRED_2: "Answered, but the customer has neither viewed nor closed it for {e2} "
    "days. Repost the answer, or close.",
    Folder.ANSWERED: "Answered; the customer's turn.",
    Folder.CLOSED: "Closed by the customer or by support.",
    ALL: "Every case ever, and who it is assigned to.",
}


@dataclass(frozen=True)
class Scope:
    """Whose cases a folder shows: the agent's own, or everyone's (administrators)."""

    user_id: int
    everyone: bool = False


def scope_for(user: User, everyone_requested: bool) -> Scope:
    """Only administrators may look at everyone's personal folders."""
    return Scope(user.id, everyone=everyone_requested and user.role == Role.ADMIN)


def folder_condition(
    folder: Folder | str, now: datetime, settings: FolderSettings
) -> ColumnElement[bool]:
    """The SQL condition for `folder`, exactly as `rules.folders.folder_of` decides."""
    expired_before = now - timedelta(days=settings.agent_reply_days)
    unviewed_before = now - timedelta(days=settings.unviewed_days)
    awaiting = Case.status.in_([status.value for status in AWAITING_AGENT])
    expired_1 = sa.and_(
        awaiting,
        Case.awaiting_agent_since.is_not(None),
        Case.awaiting_agent_since <= expired_before,
    )
    fresh = sa.or_(Case.awaiting_agent_since.is_(None), Case.awaiting_agent_since > expired_before)
    expired_2 = sa.and_(
        Case.status == CaseStatus.ANSWERED,
        Case.last_agent_reply_at.is_not(None),
        Case.last_agent_reply_at <= unviewed_before,
        sa.or_(
            Case.customer_viewed_at.is_(None),
            Case.customer_viewed_at < Case.last_agent_reply_at,
        ),
    )
    match folder:
        case Folder.CLOSED:
            return Case.status == CaseStatus.CLOSED
        case Folder.EXPIRED_1:
            return expired_1
        case Folder.QUEUE:
            return sa.and_(awaiting, Case.assignee_id.is_(None), fresh)
        case Folder.NEW | Folder.OPEN | Folder.WAITING:
            return sa.and_(Case.status == folder.value, Case.assignee_id.is_not(None), fresh)
        case Folder.EXPIRED_2:
            return expired_2
        case Folder.ANSWERED:
            return sa.and_(Case.status == CaseStatus.ANSWERED, sa.not_(expired_2))
        case _:
            return sa.true()


def scope_condition(folder: Folder | str, scope: Scope) -> ColumnElement[bool]:
    """Queue and All are shared; other folders are the agent's own unless `everyone`."""
    if scope.everyone or folder in (Folder.QUEUE, ALL):
        return sa.true()
    if folder == Folder.EXPIRED_1:
        # Nobody's expired cases are everybody's business: operators reassign them (seed 002).
        return sa.or_(Case.assignee_id == scope.user_id, Case.assignee_id.is_(None))
    return Case.assignee_id == scope.user_id


def folder_order(folder: Folder | str) -> list:
    """Work folders: priority score, then first come first served; Closed and All: newest."""
    if folder == Folder.CLOSED:
        return [Case.closed_at.desc(), Case.id.desc()]
    if folder == ALL:
        return [Case.created_at.desc(), Case.id.desc()]
    return [Case.priority_score.desc(), Case.created_at, Case.id]


def folder_counts(scope: Scope, now: datetime, settings: FolderSettings) -> dict[str, int]:
    """Live counts of the work folders, at the same cost at any number of cases.

    The kept tallies (`case_tallies`) hold every open case per assignee and state. The folders
    that do not depend on the clock's expiry are counted directly among the cases whose agent
    turn began within the expiry days (an indexed range: an agent's recent work, not the whole
    history); the Expired folders are then the tallies minus those fresh cases."""
    fresh_before = now - timedelta(days=settings.agent_reply_days)
    unviewed_before = now - timedelta(days=settings.unviewed_days)
    fresh = _fresh_awaiting(scope, fresh_before)
    tallies = _tallies(scope)
    mine = {status: fresh.get((True, status), 0) for status in AWAITING_AGENT}
    queue = sum(fresh.get((False, status), 0) for status in AWAITING_AGENT)
    awaiting_mine = sum(tallies.get((True, status.value), 0) for status in AWAITING_AGENT)
    awaiting_nobody = sum(tallies.get((False, status.value), 0) for status in AWAITING_AGENT)
    # Expired 2 is the agent's own; everyone's includes answers nobody holds any more.
    unviewed = tallies.get((True, UNVIEWED), 0) + (
        tallies.get((False, UNVIEWED), 0) if scope.everyone else 0
    )
    return {
        Folder.QUEUE.value: queue,
        Folder.NEW.value: mine[CaseStatus.NEW],
        Folder.OPEN.value: mine[CaseStatus.OPEN],
        Folder.WAITING.value: mine[CaseStatus.WAITING],
        Folder.EXPIRED_1.value: awaiting_mine - sum(mine.values()) + awaiting_nobody - queue,
        Folder.EXPIRED_2.value: unviewed - _fresh_unviewed(scope, unviewed_before),
    }


# The tally state of an answer the customer has not seen (migration 0023_folder_tallies).
UNVIEWED = "unviewed"


def recount_tallies() -> dict[tuple[int, str, int], int]:
    """The tallies as counted from the cases themselves: what the triggers must hold."""
    state = sa.case(
        (Case.status.in_([s.value for s in AWAITING_AGENT]), Case.status),
        (
            sa.and_(
                Case.status == CaseStatus.ANSWERED,
                Case.last_agent_reply_at.is_not(None),
                sa.or_(
                    Case.customer_viewed_at.is_(None),
                    Case.customer_viewed_at < Case.last_agent_reply_at,
                ),
            ),
            UNVIEWED,
        ),
        (Case.status == CaseStatus.ANSWERED, CaseStatus.ANSWERED.value),
    )
    key = (sa.func.coalesce(Case.assignee_id, 0), state, Case.tier)
    rows = db.session.execute(
        sa.select(*key, sa.func.count()).where(Case.status != CaseStatus.CLOSED).group_by(*key)
    )
    return {(assignee, str(s), tier): n for assignee, s, tier, n in rows}


def rebuild_tallies() -> None:
    """Write the tallies again from a recount, for writes that went past the triggers (the
    benchmark loader suspends them: a trigger per row made its load a third slower)."""
    db.session.execute(sa.delete(CaseTally))
    rows = [
        {"assignee_key": assignee, "state": state, "tier": tier, "n": n}
        for (assignee, state, tier), n in recount_tallies().items()
    ]
    if rows:
        db.session.execute(sa.insert(CaseTally), rows)


def _assigned_to(scope: Scope) -> ColumnElement[bool]:
    """Cases the scope's own folders hold: the agent's, or anybody's for everyone."""
    return Case.assignee_id.is_not(None) if scope.everyone else Case.assignee_id == scope.user_id


def _tallies(scope: Scope) -> dict[tuple[bool, str], int]:
    """Kept open-case counts per (assigned to the scope?, state); nobody's under False."""
    owner = (
        (CaseTally.assignee_key != 0)
        if scope.everyone
        else (CaseTally.assignee_key == scope.user_id)
    )
    keys = sa.true() if scope.everyone else CaseTally.assignee_key.in_([0, scope.user_id])
    rows = db.session.execute(
        sa.select(owner, CaseTally.state, sa.func.sum(CaseTally.n))
        .where(keys)
        .group_by(owner, CaseTally.state)
    )
    return {(bool(mine), state): int(total) for mine, state, total in rows}


def _fresh_awaiting(scope: Scope, fresh_before: datetime) -> dict[tuple[bool, str], int]:
    """Cases awaiting an agent that have not expired, per (the scope's own?, status); the
    unassigned ones under False."""
    nobody = _fresh_by_status(Case.assignee_id.is_(None), fresh_before)
    if scope.everyone:  # everybody's minus nobody's: both counts stay inside an index
        every = _fresh_by_status(sa.true(), fresh_before)
        mine = {status: n - nobody.get(status, 0) for status, n in every.items()}
    else:
        mine = _fresh_by_status(Case.assignee_id == scope.user_id, fresh_before)
    return {(True, s): n for s, n in mine.items()} | {(False, s): n for s, n in nobody.items()}


def _fresh_by_status(owner: ColumnElement[bool], fresh_before: datetime) -> dict[str, int]:
    # Two index ranges (turn began after the boundary; no turn recorded) rather than one OR,
    # which SQLite would answer by reading every awaiting case of the owner.
    awaiting = Case.status.in_([status.value for status in AWAITING_AGENT])
    ranges = [
        sa.select(Case.status, sa.func.count().label("n"))
        .where(owner, awaiting, since)
        .group_by(Case.status)
        for since in (
            Case.awaiting_agent_since > fresh_before,
            Case.awaiting_agent_since.is_(None),
        )
    ]
    counts: dict[str, int] = {}
    for status, n in db.session.execute(sa.union_all(*ranges)):
        counts[CaseStatus(status)] = counts.get(CaseStatus(status), 0) + int(n)
    return counts


def _fresh_unviewed(scope: Scope, unviewed_before: datetime) -> int:
    """The scope's unviewed answers that are not yet old enough for Expired 2."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                sa.true() if scope.everyone else Case.assignee_id == scope.user_id,
                Case.status == CaseStatus.ANSWERED,
                Case.last_agent_reply_at > unviewed_before,
                sa.or_(
                    Case.customer_viewed_at.is_(None),
                    Case.customer_viewed_at < Case.last_agent_reply_at,
                ),
            )
        )
        or 0
    )


def parse_folder(name: str) -> Folder | str | None:
    """The folder named in a URL, or None for an unknown name."""
    if name == ALL:
        return ALL
    try:
        return Folder(name)
    except ValueError:
        return None
