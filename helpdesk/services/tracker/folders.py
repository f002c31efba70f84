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
from helpdesk.models import Case, CaseStatus, Role, User
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
    """Live counts of the work folders in one query (closed cases are not scanned)."""
    columns = [
        sa.func.coalesce(
            sa.func.sum(
                sa.case(
                    (sa.and_(folder_condition(f, now, settings), scope_condition(f, scope)), 1),
                    else_=0,
                )
            ),
            0,
        ).label(f.value)
        for f in WORK_FOLDERS
    ]
    where = [Case.status != CaseStatus.CLOSED]
    if not scope.everyone:
        where.append(sa.or_(Case.assignee_id == scope.user_id, Case.assignee_id.is_(None)))
    row = db.session.execute(sa.select(*columns).select_from(Case).where(*where)).one()
    return {f.value: int(getattr(row, f.value)) for f in WORK_FOLDERS}


def parse_folder(name: str) -> Folder | str | None:
    """The folder named in a URL, or None for an unknown name."""
    if name == ALL:
        return ALL
    try:
        return Folder(name)
    except ValueError:
        return None
