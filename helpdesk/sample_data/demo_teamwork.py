"""Demo of what teams use beyond the procedures (issue 19): tags with suggested ones, and
saved views in the tracker's sidebar (a shared one and a personal one)."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseTag, SavedView, Tag, User

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


def load(staff: dict[str, User]) -> None:
    """Tags, suggested tags and two saved views; no commit."""
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
