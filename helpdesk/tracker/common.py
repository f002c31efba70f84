"""Pieces every tracker page needs: expiry settings, the sidebar, the staff list."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import g, request
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.models import User, utcnow
from helpdesk.models.accounts import staff_rows
from helpdesk.rules.folders import FolderSettings
from helpdesk.services.core import settings
from helpdesk.services.tracker import change_stamp, folders, notifications, saved_views
from helpdesk.tracker.blueprint import STAFF


def folder_settings() -> FolderSettings:
    """The expiry days of the Expired folders, from the settings."""
    return FolderSettings(
        agent_reply_days=settings.setting("EXPIRED1_DAYS"),
        unviewed_days=settings.setting("EXPIRED2_DAYS"),
    )


def signature(*parts) -> str:
    """A short fingerprint of what a live region shows; its poll answers 204 while it holds."""
    return hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:16]


def sidebar_context() -> dict:
    """Folder counts for the sidebar, and the signature its poll compares."""
    scope = folders.scope_for(current_user, request.args.get("scope") == "everyone")
    stamp = change_stamp.current()  # read first: a change during the count moves it on
    expiry = folder_settings()
    counts = dict(
        change_stamp.remembered(
            stamp,
            ("folder counts", scope, expiry),
            lambda: folders.folder_counts(scope, utcnow(), expiry),
        )
    )
    user = current_user._get_current_object()
    views = change_stamp.remembered(
        stamp,
        ("saved views", user.id, scope, expiry),
        lambda: saved_views.counted(user, scope, utcnow(), expiry),
    )
    return {
        "counts": counts,
        "saved_views": views,
        "counts_signature": signature(
            sorted(counts.items()),
            [(v.id, v.name, v.count) for v in views],
            notifications.unread_count(user),  # the bell, sent along out of band
        ),
        "counts_stamp": stamp,
        "scope": scope,
        "titles": folders.TITLES,
        "work_folders": folders.WORK_FOLDERS,
        "list_folders": folders.LIST_FOLDERS,
    }


def staff_members() -> list[User]:
    """Active agents and administrators, for assignment: read once per request, however many
    forms and filters of the page list them."""
    if "staff_members" not in g:
        g.staff_members = list(
            db.session.scalars(
                staff_rows(sa.select(User))
                .where(User.role.in_(STAFF), User.active)
                .order_by(User.name)
            )
        )
    return g.staff_members
