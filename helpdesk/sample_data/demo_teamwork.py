"""Demo of what teams use beyond the procedures (issue 19): tags with suggested ones, and
saved views in the tracker's sidebar (a shared one and a personal one), time logged on cases,
colleagues of two customers in CC, service-level policies."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseCc,
    CaseTag,
    SavedView,
    SlaPolicy,
    Tag,
    TimeEntry,
    TimeKind,
    User,
)
from helpdesk.services.reports.reports import business_zone
from helpdesk.services.reports.rollups import local_today

SUGGESTED = ("vip", "outage", "refund", "bug", "billing-question")
# Case number -> its tags: the festival's (priority support) are VIP, and so on.
CASE_TAGS = {
    10005: ("vip",),
    10009: ("vip", "bug"),
    10010: ("vip", "outage"),
    10036: ("vip", "billing-question", "refund"),
    10038: ("refund",),
    10004: ("outage",),
    10001: ("bug",),
    10035: ("bug", "billing-question"),
}


def load(staff: dict[str, User], now: datetime) -> None:
    """Tags, suggested tags, two saved views and some logged time; no commit."""
    _tags_and_views(staff)
    _time(staff, local_today(now, business_zone()))
    _copied()


# Case number -> a colleague of its customer in CC (a current contact of the organisation).
CC = {10003: "omar@northwind.example", 10006: "ivy@harbortheatre.example"}


def _copied() -> None:
    ids = dict(
        db.session.execute(sa.select(Case.number, Case.id).where(Case.number.in_(list(CC)))).all()
    )
    db.session.add_all(
        CaseCc(case_id=ids[number], email=address)
        for number, address in CC.items()
        if number in ids
    )


def _tags_and_views(staff: dict[str, User]) -> None:
    tags = {name: Tag(name=name, suggested=True) for name in SUGGESTED}
    db.session.add_all(tags.values())
    db.session.flush()
    ids = dict(
        db.session.execute(
            sa.select(Case.number, Case.id).where(Case.number.in_(list(CASE_TAGS)))
        ).all()
    )
    db.session.add_all(
        CaseTag(case_id=ids[number], tag_id=tags[name].id)
        for number, names in CASE_TAGS.items()
        if number in ids
        for name in names
    )
    db.session.add_all(
        [
            SavedView(
                name="VIP cases",
                owner_id=staff["admin@example.com"].id,
                shared=True,
                folder="all",
                filters={"tag": "vip"},
            ),
            SavedView(
                name="My urgent ones",
                owner_id=staff["agent1@example.com"].id,
                shared=False,
                folder="open",
                filters={"priority": "5"},
            ),
        ]
    )


# (case number, agent, minutes, kind, days ago, note): a little of everything for the time report.
TIME = [
    (10009, "agent3@example.com", 95, TimeKind.WORK, 3, "Reproduced the double save"),
    (10009, "agent3@example.com", 20, TimeKind.NOTE, 2, ""),
    (10005, "agent2@example.com", 35, TimeKind.REPLY, 1, ""),
    (10003, "agent2@example.com", 15, TimeKind.CALL, 0, ""),
    (10004, "agent2@example.com", 50, TimeKind.WORK, 0, "Checked the server load"),
    (10014, "agent2@example.com", 25, TimeKind.REPLY, 40, ""),
]


def _time(staff: dict[str, User], today: date) -> None:
    """Time entries on a few cases, this month and last; no commit."""
    ids = dict(
        db.session.execute(
            sa.select(Case.number, Case.id).where(Case.number.in_([t[0] for t in TIME]))
        ).all()
    )
    db.session.add_all(
        TimeEntry(
            case_id=ids[number],
            agent_id=staff[email].id,
            minutes=minutes,
            kind=kind,
            note=note,
            worked_on=today - timedelta(days=days_ago),
        )
        for number, email, minutes, kind, days_ago, note in TIME
        if number in ids
    )


# The service levels the demo cases are held to. The first answer keeps the default goal's
# 4 business hours (the seed's promise); priority support answers the next message and
# resolves sooner.
POLICIES = [
    ("Priority support", "priority", "any", 4, 2, 16),
    ("After-hours plan", "after_hours", "any", 4, 4, 24),
    ("Standard", "any", "any", 4, 8, 40),
]


def policies() -> None:
    """Before the demo cases arrive, so each is held to one; no commit."""
    db.session.add_all(
        SlaPolicy(
            name=name,
            plan=plan,
            priority=priority,
            first_response_hours=first,
            next_reply_hours=next_reply,
            resolution_hours=resolution,
        )
        for name, plan, priority, first, next_reply, resolution in POLICIES
    )
    db.session.flush()
