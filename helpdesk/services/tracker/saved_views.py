"""Saved views (issue 19 item 2): a named folder with filters, kept for oneself or shared with
the team, listed in the sidebar with a live count.

A view keeps only the folder and the filters: opening it shows the folder as the viewer sees
it (their own New, say), so a shared view works for everyone. Counting stops at COUNT_CAP, so
a view over a million cases costs no more than one over a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, Role, SavedView, User
from helpdesk.rules.folders import FolderSettings
from helpdesk.services import ServiceError
from helpdesk.services.tracker import case_filters, change_stamp, folders

NAME_MAX = 60
VIEWS_PER_PERSON = 30
COUNT_CAP = 1000  # the sidebar says "1,000+" beyond this


@dataclass(frozen=True)
class ViewCount:
    """A view as the sidebar lists it."""

    id: int
    name: str
    folder: str
    filters: dict
    shared: bool
    mine: bool
    count: int

    @property
    def capped(self) -> bool:
        return self.count >= COUNT_CAP


def _visible(user: User) -> sa.Select:
    return sa.select(SavedView).where(sa.or_(SavedView.owner_id == user.id, SavedView.shared))


def visible(user: User) -> list[SavedView]:
    """The user's own views and the team's shared ones, by name."""
    return list(db.session.scalars(_visible(user).order_by(SavedView.name, SavedView.id)))


def get_visible(user: User, view_id: int | None) -> SavedView | None:
    if view_id is None:
        return None
    return db.session.scalar(_visible(user).where(SavedView.id == view_id))


def may_delete(user: User, view: SavedView) -> bool:
    return view.owner_id == user.id or (view.shared and user.role == Role.ADMIN)


def count(view: SavedView, scope: folders.Scope, now: datetime, expiry: FolderSettings) -> int:
    """How many cases the view shows this viewer, up to COUNT_CAP."""
    folder = folders.parse_folder(view.folder) or folders.ALL
    shown = (
        sa.select(Case.id)
        .where(
            folders.folder_condition(folder, now, expiry),
            folders.scope_condition(folder, scope),
            *case_filters.conditions(view.filters or {}),
        )
        .limit(COUNT_CAP)
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(shown)) or 0


def counted(user: User, scope, now: datetime, expiry: FolderSettings) -> list[ViewCount]:
    """Every view the user sees, with its count."""
    return [
        ViewCount(
            view.id,
            view.name,
            view.folder,
            dict(view.filters or {}),
            view.shared,
            view.owner_id == user.id,
            count(view, scope, now, expiry),
        )
        for view in visible(user)
    ]


def create(
    owner: User, *, name: str, folder: str, filters: dict[str, str], shared: bool
) -> SavedView:
    """Save the folder and filters under `name`; commit."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Name the view, e.g. VIP cases waiting.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Use at most {NAME_MAX} characters.", field="name")
    if folders.parse_folder(folder or "") is None:
        raise ServiceError("Choose a folder for the view.", field="folder")
    mine = db.session.scalar(
        sa.select(sa.func.count()).select_from(SavedView).where(SavedView.owner_id == owner.id)
    )
    if mine >= VIEWS_PER_PERSON:
        raise ServiceError(
            f"You have {VIEWS_PER_PERSON} views already: delete one first.", field="name"
        )
    view = SavedView(
        name=name,
        owner_id=owner.id,
        shared=bool(shared),
        folder=str(folder),
        filters=case_filters.chosen(filters),
    )
    db.session.add(view)
    change_stamp.bump()  # the sidebars show it at their next poll
    db.session.commit()
    return view


def delete(actor: User, view: SavedView) -> None:
    """Delete a view: its owner, or an administrator for a shared one; commit."""
    if not may_delete(actor, view):
        raise ServiceError("Only the person who saved this view can delete it.")
    db.session.delete(view)
    change_stamp.bump()
    db.session.commit()
