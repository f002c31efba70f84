"""Remote sessions on a case: the identity check, start and end on the timeline and audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, AuditLog, Role
from helpdesk.rules.remote_check import MatchedBy
from helpdesk.services import ServiceError
from helpdesk.services.tracker import remote_sessions
from tests.factories import make_case, make_organisation, make_user

AT = datetime(2026, 3, 4, 10, 30)


@pytest.fixture
def world(ctx):
    org = make_organisation(name="Harbor Theatre", customer_number="C1002")
    other = make_organisation(name="Cedar Books", customer_number="C1003")
    agent = make_user(Role.AGENT, name="Lena Lind")
    case = make_case(org, number=10042)
    sibling = make_case(org, number=10043)
    foreign = make_case(other, number=10044)
    db.session.commit()
    return {"agent": agent, "case": case, "sibling": sibling, "foreign": foreign}


def timeline(case) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Activity.summary).where(Activity.case_id == case.id).order_by(Activity.id)
        )
    )


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


@pytest.mark.parametrize(
    ("typed", "by", "number", "says"),
    [
        (
            "c1002",
            MatchedBy.CUSTOMER_NUMBER,
            None,
            "That is the customer number of Harbor Theatre.",
        ),
        ("#10042", MatchedBy.CASE_NUMBER, 10042, "That is this case, #10042, of Harbor Theatre."),
        (
            "10043",
            MatchedBy.CASE_NUMBER,
            10043,
            "That is case #10043 of Harbor Theatre; the session is logged on this case, #10042.",
        ),
    ],
)
def test_a_matching_number_records_nothing_until_the_start(world, typed, by, number, says):
    case = world["case"]
    verdict = remote_sessions.check(agent=world["agent"], case=case, typed=typed, now=AT)
    assert (verdict.matched_by, verdict.case_number) == (by, number)
    assert remote_sessions.matched_text(case, verdict) == says
    assert timeline(case) == [] and actions() == []


@pytest.mark.parametrize("typed", ["C1003", "10044", "1002", "  "])
def test_a_wrong_number_is_refused_and_only_the_refusal_recorded(world, typed):
    case = world["case"]
    with pytest.raises(ServiceError) as refused:
        remote_sessions.check(agent=world["agent"], case=case, typed=typed, now=AT)
    assert refused.value.field == "number"
    assert "Do not connect" in refused.value.message
    [summary] = timeline(case)
    assert summary.startswith("Remote session refused: the number read out")
    assert actions() == ["remote.refused"]
    assert not remote_sessions.state(case).in_progress


def test_start_then_end_on_the_timeline(world):
    case, agent = world["case"], world["agent"]
    remote_sessions.start(agent=agent, case=case, typed="C1002", now=AT)
    state = remote_sessions.state(case)
    assert state.in_progress and state.started_at == AT and state.started_by == "Lena Lind"
    with pytest.raises(ServiceError, match="already in progress"):
        remote_sessions.start(agent=agent, case=case, typed="C1002", now=AT)
    remote_sessions.end(agent=agent, case=case, now=AT + timedelta(minutes=20))
    assert remote_sessions.state(case).ended_at == AT + timedelta(minutes=20)
    assert timeline(case) == [
        "Remote session started: identity confirmed by customer number; "
        "disconnect instructions read",
        "Remote session ended, customer confirmed we are disconnected",
    ]
    assert actions() == ["remote.start", "remote.end"]
    with pytest.raises(ServiceError, match="No remote session"):
        remote_sessions.end(agent=agent, case=case, now=AT)


def test_start_checks_the_number_again(world):
    case = world["case"]
    with pytest.raises(ServiceError, match="Do not connect"):
        remote_sessions.start(agent=world["agent"], case=case, typed="10044", now=AT)
    assert not remote_sessions.state(case).in_progress
    assert actions() == ["remote.refused"]
