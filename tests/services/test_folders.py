"""The SQL folders agree with the pure folder rule on every combination of the clock."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Role, utcnow
from helpdesk.rules.folders import CaseClock, Folder, FolderSettings, folder_of
from helpdesk.services.tracker.folders import (
    ALL,
    LIST_FOLDERS,
    Scope,
    folder_condition,
    folder_counts,
    scope_condition,
)
from tests.factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")
SETTINGS = FolderSettings(agent_reply_days=30, unviewed_days=7)


@pytest.fixture
def grid():
    """One case for every combination of status, assignee and clock edges."""
    now = utcnow()
    me, other = make_user(Role.AGENT), make_user(Role.AGENT)
    organisation = make_organisation()
    days = lambda n: None if n is None else now - timedelta(days=n)  # noqa: E731
    cases = []
    for status, assignee, awaiting, replied, viewed in itertools.product(
        list(CaseStatus),
        [None, me.id, other.id],
        [None, 29.99, 30, 31],
        [None, 6.99, 7, 8],
        ["never", "before", "after"],
    ):
        replied_at = days(replied)
        viewed_at = None
        if viewed != "never" and replied_at is not None:
            viewed_at = replied_at + timedelta(hours=1 if viewed == "after" else -1)
        cases.append(
            make_case(
                organisation,
                status=status,
                assignee_id=assignee,
                awaiting_agent_since=days(awaiting),
                last_agent_reply_at=replied_at,
                customer_viewed_at=viewed_at,
            )
        )
    db.session.commit()
    return now, me, cases


def test_sql_folders_match_the_rule_for_every_case(grid):
    now, _, cases = grid
    expected = {
        case.id: folder_of(
            CaseClock(
                case.status,
                case.assignee_id,
                case.awaiting_agent_since,
                case.last_agent_reply_at,
                case.customer_viewed_at,
            ),
            now,
            SETTINGS,
        )
        for case in cases
    }
    for folder in Folder:
        ids = set(
            db.session.scalars(sa.select(Case.id).where(folder_condition(folder, now, SETTINGS)))
        )
        assert ids == {cid for cid, f in expected.items() if f == folder}, folder
    all_ids = set(
        db.session.scalars(sa.select(Case.id).where(folder_condition(ALL, now, SETTINGS)))
    )
    assert all_ids == set(expected)


def test_my_folders_hold_only_my_cases_but_queue_and_all_are_shared(grid):
    now, me, _ = grid
    mine = Scope(me.id)
    for folder in LIST_FOLDERS:
        rows = (
            db.session.execute(
                sa.select(Case.assignee_id).where(
                    folder_condition(folder, now, SETTINGS), scope_condition(folder, mine)
                )
            )
            .scalars()
            .all()
        )
        if folder == Folder.QUEUE:
            assert set(rows) == {None}
        elif folder == ALL:
            assert len(set(rows)) == 3
        elif folder == Folder.EXPIRED_1:
            assert set(rows) == {None, me.id}
        else:
            assert set(rows) == {me.id}, folder


def test_counts_equal_the_folder_lists(grid):
    now, me, _ = grid
    for scope in (Scope(me.id), Scope(me.id, everyone=True)):
        counts = folder_counts(scope, now, SETTINGS)
        for folder, count in counts.items():
            listed = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Case)
                .where(
                    folder_condition(Folder(folder), now, SETTINGS),
                    scope_condition(Folder(folder), scope),
                )
            )
            assert count == listed > 0, folder
