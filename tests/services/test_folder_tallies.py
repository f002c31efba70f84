"""The kept folder tallies equal a full recount after any mix of writes (issue 18).

The sidebar no longer counts every open case: it reads `case_tallies`, kept by triggers in the
transaction of each write, and counts only the cases whose agent turn began within the expiry
days. These tests make random writes of every kind (ORM changes, bulk statements, deletes, new
cases) on a moving clock and compare the kept counts with a recount of the folder lists."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, CaseTally, Role, utcnow
from helpdesk.rules.folders import Folder, FolderSettings
from helpdesk.services.tracker.folders import (
    WORK_FOLDERS,
    Scope,
    folder_condition,
    folder_counts,
    rebuild_tallies,
    recount_tallies,
    scope_condition,
)
from tests.factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")
SETTINGS = FolderSettings(agent_reply_days=30, unviewed_days=7)


def kept_tallies() -> dict[tuple[int, str, int], int]:
    rows = db.session.execute(sa.select(CaseTally).where(CaseTally.n != 0)).scalars()
    return {(row.assignee_key, row.state, row.tier): row.n for row in rows}


def listed_counts(scope: Scope, now) -> dict[str, int]:
    """Each work folder's count as its own list query finds it: the full recount."""
    return {
        folder.value: db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(folder_condition(folder, now, SETTINGS), scope_condition(folder, scope))
        )
        for folder in WORK_FOLDERS
    }


def random_write(rng: random.Random, cases: list[Case], agents: list[int], now) -> None:
    """One write of the kinds the app makes: status, assignee, clock columns, tier."""
    case = rng.choice(cases)
    moment = now - timedelta(days=rng.choice([0, 1, 6.9, 7, 8, 29.9, 30, 31, 90]))
    match rng.randrange(7):
        case 0:
            case.status = rng.choice(list(CaseStatus))
        case 1:
            case.assignee_id = rng.choice([None, *agents])
        case 2:
            case.awaiting_agent_since = rng.choice([None, moment])
        case 3:
            case.last_agent_reply_at = rng.choice([None, moment])
        case 4:
            case.customer_viewed_at = rng.choice([None, moment, moment + timedelta(hours=1)])
        case 5:
            case.tier = rng.choice([1, 2, 3])
        case 6:
            case.status, case.awaiting_agent_since = CaseStatus.WAITING, moment


def test_kept_counts_equal_a_full_recount_after_random_writes():
    rng = random.Random(18)
    organisation = make_organisation()
    agents = [make_user(Role.AGENT).id for _ in range(3)]
    cases = [
        make_case(
            organisation,
            status=rng.choice(list(CaseStatus)),
            assignee_id=rng.choice([None, *agents]),
            awaiting_agent_since=utcnow() - timedelta(days=rng.choice([1, 40])),
        )
        for _ in range(40)
    ]
    db.session.commit()
    now = utcnow()
    for round_number in range(12):
        for _ in range(15):
            random_write(rng, cases, agents, now)
        if round_number % 3 == 1:  # a bulk statement passes the ORM's own bookkeeping
            db.session.execute(
                sa.update(Case)
                .where(Case.id.in_([c.id for c in rng.sample(cases, 5)]))
                .values(assignee_id=rng.choice(agents), status=CaseStatus.OPEN)
            )
        if round_number % 4 == 2:
            gone = cases.pop(rng.randrange(len(cases)))
            db.session.delete(gone)
            cases.append(make_case(organisation, assignee_id=rng.choice(agents)))
        db.session.commit()
        db.session.expire_all()
        now += timedelta(days=rng.choice([0, 0.5, 3, 8]))  # folders move with the clock too
        assert kept_tallies() == recount_tallies(), round_number
        for scope in [Scope(agent) for agent in agents] + [Scope(agents[0], everyone=True)]:
            assert folder_counts(scope, now, SETTINGS) == listed_counts(scope, now), (
                round_number,
                scope,
            )


def test_a_rolled_back_write_leaves_the_counts_as_they_were():
    organisation = make_organisation()
    agent = make_user(Role.AGENT)
    case = make_case(organisation, assignee_id=agent.id, awaiting_agent_since=utcnow())
    db.session.commit()
    before = kept_tallies()
    case.status = CaseStatus.CLOSED
    db.session.flush()
    db.session.rollback()
    assert kept_tallies() == before == recount_tallies()
    assert folder_counts(Scope(agent.id), utcnow(), SETTINGS)[Folder.NEW.value] == 1


def test_tallies_rebuilt_after_writes_past_the_triggers():
    """The benchmark loader writes with the triggers suspended, then rebuilds."""
    organisation = make_organisation()
    agent = make_user(Role.AGENT)
    make_case(organisation, assignee_id=agent.id, tier=2)
    make_case(organisation, status=CaseStatus.ANSWERED, last_agent_reply_at=utcnow())
    db.session.commit()
    expected = kept_tallies()
    db.session.execute(sa.delete(CaseTally))
    rebuild_tallies()
    db.session.commit()
    assert kept_tallies() == expected == {(agent.id, "new", 2): 1, (0, "unviewed", 1): 1}
