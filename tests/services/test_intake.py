"""Intake services (seed 003, issue 12): a case opened by hand counts its overnight factor and
its first-response clock from when the message was left, takes the agent's ticked factors,
and may come from an e-mail or from us; details are edited and the origin corrected on the
timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, AuditLog, Case, Origin, Role
from helpdesk.rules.phone_procedure import Issue
from helpdesk.services import ServiceError
from helpdesk.services.cases import intake
from helpdesk.services.tracker import phone
from tests.factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")
DENVER = ZoneInfo("America/Denver")


def utc(local: datetime) -> datetime:
    """Naive UTC, as stored, for a wall-clock time in the business zone."""
    return local.replace(tzinfo=DENVER).astimezone(UTC).replace(tzinfo=None)


TUESDAY_21 = utc(datetime(2025, 3, 11, 21, 0))  # after close (17:00), mountain time
WEDNESDAY_08_30 = utc(datetime(2025, 3, 12, 8, 30))  # the morning after: open
WEDNESDAY_10 = utc(datetime(2025, 3, 12, 10, 0))
WEDNESDAY_19 = utc(datetime(2025, 3, 12, 19, 0))


def _desk(after_hours: bool = True):
    agent = make_user(Role.AGENT, name="Lena Lind")
    organisation = make_organisation(after_hours_support=after_hours)
    make_user(Role.CUSTOMER, organisation=organisation, email="ben@harbortheatre.example")
    db.session.commit()
    return agent, organisation


def _intake(organisation, **fields) -> phone.Intake:
    return phone.Intake(
        organisation_id=organisation.id,
        title="Printer prints blank tickets",
        synopsis="The ticket printer prints blank tickets.",
        correspondent_email="ben@harbortheatre.example",
        **fields,
    )


@pytest.mark.parametrize(
    ("left", "typed", "after_hours", "factors"),
    [
        # Left overnight, typed in the next morning: the left time decides (+5, not +3 too).
        (TUESDAY_21, WEDNESDAY_08_30, True, ["after_hours_overnight"]),
        # The same message without the after-hours plan: an ordinary call.
        (TUESDAY_21, WEDNESDAY_08_30, False, ["phoned"]),
        # Left during the day, typed in after close: still an ordinary call.
        (WEDNESDAY_10, WEDNESDAY_19, True, ["phoned"]),
        # No time entered: the moment of intake is when it reached us.
        (None, WEDNESDAY_19, True, ["after_hours_overnight"]),
        (None, WEDNESDAY_10, True, ["phoned"]),
    ],
)
def test_the_overnight_factor_counts_from_when_the_message_was_left(
    left, typed, after_hours, factors
):
    agent, organisation = _desk(after_hours)
    case = phone.open_phone_case(agent, _intake(organisation, received_at=left), now=typed)
    assert case.received_at == left
    assert case.priority_factors == factors
    assert case.priority_score == {"after_hours_overnight": 5, "phoned": 3}[factors[0]]


def test_the_first_response_clock_starts_when_the_message_was_left():
    agent, organisation = _desk()
    left = utc(datetime(2025, 3, 12, 9, 0))
    case = phone.open_phone_case(
        agent, _intake(organisation, received_at=left), now=left + timedelta(hours=2)
    )
    assert case.sla_due_at == left + timedelta(hours=4)  # seed 003: within 4 hours


def test_ticked_factors_add_to_the_detected_ones():
    agent, organisation = _desk()
    case = phone.open_phone_case(
        agent,
        _intake(organisation, received_at=TUESDAY_21, factors=("cannot_sell", "insists_on_fix")),
        now=WEDNESDAY_08_30,
    )
    assert case.priority_factors == ["cannot_sell", "after_hours_overnight", "insists_on_fix"]
    assert case.priority_score == 10 + 5 - 5


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"factors": ("phoned",)}, "factors", "Unknown priority factor: phoned."),
        ({"origin": "web"}, "origin", "Choose how the case reached us."),
        ({"origin": "fax"}, "origin", "Choose how the case reached us."),
        (
            {"received_at": WEDNESDAY_10 + timedelta(minutes=6)},
            "received_at",
            "That time is still to come",
        ),
        (
            {"received_at": WEDNESDAY_10 - timedelta(days=91)},
            "received_at",
            "within the last 90 days",
        ),
        (
            {"origin": Origin.EMAIL, "correspondent_email": ""},
            "correspondent_email",
            "Enter the address the e-mail came from.",
        ),
    ],
)
def test_refusals_name_their_field_and_save_nothing(fields, field, message):
    agent, organisation = _desk()
    data = {"correspondent_email": "ben@harbortheatre.example", **fields}
    with pytest.raises(ServiceError) as refused:
        phone.open_phone_case(
            agent,
            phone.Intake(
                organisation_id=organisation.id, title="Printer", synopsis="Blank.", **data
            ),
            now=WEDNESDAY_10,
        )
    assert refused.value.field == field and message in refused.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_phone_clock_a_little_ahead_is_not_the_future():
    agent, organisation = _desk()
    ahead = WEDNESDAY_10 + timedelta(minutes=4)
    case = phone.open_phone_case(agent, _intake(organisation, received_at=ahead), now=WEDNESDAY_10)
    assert case.received_at == ahead


@pytest.mark.parametrize(
    ("origin", "opened"),
    [
        (Origin.PHONE, "Voice mail taken in by Lena Lind"),
        (Origin.EMAIL, "E-mail case opened by Lena Lind"),
        (Origin.GENERATED, "Opened by Lena Lind: a case we generated"),
    ],
)
def test_an_agent_opens_a_case_of_each_origin(origin, opened):
    agent, organisation = _desk()
    case = phone.open_phone_case(agent, _intake(organisation, origin=origin), now=WEDNESDAY_10)
    assert case.origin == origin
    summaries = db.session.scalars(
        sa.select(Activity.summary).where(Activity.case_id == case.id)
    ).all()
    assert opened in summaries
    # Only a call is "phoned"; an e-mail in business hours and our own case have no factor.
    assert case.priority_factors == (["phoned"] if origin == Origin.PHONE else [])


def test_details_change_with_one_timeline_entry():
    agent, organisation = _desk()
    case = make_case(organisation, callback_phone="+1 303 555 0102", estimate_minutes=30)
    db.session.commit()
    changed = intake.update_details(
        agent,
        case,
        callback_phone=" +1 303 555 0199 ",
        product_version="9.2",
        operating_system="",
        estimate_minutes=45,
        now=WEDNESDAY_10,
    )
    assert changed == ["callback number", "version", "estimate"]
    assert (case.callback_phone, case.product_version, case.estimate_minutes) == (
        "+1 303 555 0199",
        "9.2",
        45,
    )
    [entry] = db.session.scalars(sa.select(Activity).where(Activity.case_id == case.id)).all()
    assert entry.summary == (
        "Details changed: callback number +1 303 555 0102 → +1 303 555 0199; "
        "version none → 9.2; estimate 30 min → 45 min"
    )
    assert (entry.actor_id, entry.created_at) == (agent.id, WEDNESDAY_10)


def test_unchanged_details_write_nothing_and_bad_ones_are_refused():
    agent, organisation = _desk()
    case = make_case(organisation, operating_system="Windows 11")
    db.session.commit()
    same = {
        "callback_phone": "",
        "product_version": None,
        "operating_system": "Windows 11",
        "estimate_minutes": None,
    }
    assert intake.update_details(agent, case, **same) == []
    for field, value in (
        ("callback_phone", "1" * 41),
        ("estimate_minutes", -1),
        ("operating_system", "Win\x0011"),
    ):
        with pytest.raises(ServiceError) as refused:
            intake.update_details(agent, case, **{**same, field: value})
        assert refused.value.field == field
    assert db.session.scalars(sa.select(Activity)).all() == []


def test_correcting_the_origin_logs_from_to_and_who():
    agent, organisation = _desk()
    case = make_case(organisation, origin=Origin.WEB)
    db.session.commit()
    intake.correct_origin(agent, case, "email", now=WEDNESDAY_10)
    assert case.origin == Origin.EMAIL
    [entry] = db.session.scalars(sa.select(Activity).where(Activity.case_id == case.id)).all()
    assert entry.summary == "Origin corrected: web form → e-mail"
    assert (entry.actor_id, entry.created_at) == (agent.id, WEDNESDAY_10)
    for wrong in ("email", "fax"):
        with pytest.raises(ServiceError):
            intake.correct_origin(agent, case, wrong)


# --- The chosen assignee and the case's tier -------------------------------------------------


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _tier_two_intake(organisation, assignee, **fields) -> phone.Intake:
    """A bug report, which starts at tier 2, given to `assignee` at intake."""
    return _intake(organisation, issue=Issue.BUG_REPORT, assignee_id=assignee.id, **fields)


def test_a_case_for_tier_2_is_not_given_to_tier_1_without_a_reason():
    agent, organisation = _desk()
    with pytest.raises(ServiceError) as refused:
        phone.open_phone_case(agent, _tier_two_intake(organisation, agent), now=WEDNESDAY_10)
    assert refused.value.field == "assignee_id"
    assert refused.value.message == (
        "This case needs tier 2: you are tier 1. Choose an agent of tier 2 or higher, "
        "leave it to the routing rules, or give a reason to give it anyway."
    )
    colleague = make_user(Role.AGENT, name="Sam Stone", tier=1)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        phone.open_phone_case(
            agent, _tier_two_intake(organisation, colleague, override_reason="  "), now=WEDNESDAY_10
        )
    assert refused.value.field == "assignee_id" and "Sam Stone is tier 1" in refused.value.message
    # Refused: no case, no timeline, no audit row.
    assert (_count(Case), _count(Activity), _count(AuditLog)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("reason", "message"),
    [("x" * 301, "Keep the reason under 300 characters."), ("a\x00b", "cannot store")],
)
def test_a_bad_override_reason_is_refused_on_its_field(reason, message):
    agent, organisation = _desk()
    with pytest.raises(ServiceError) as refused:
        phone.open_phone_case(
            agent, _tier_two_intake(organisation, agent, override_reason=reason), now=WEDNESDAY_10
        )
    assert refused.value.field == "override_reason" and message in refused.value.message
    assert (_count(Case), _count(AuditLog)) == (0, 0)


def test_with_a_reason_tier_1_gets_it_and_the_override_is_logged_and_audited():
    agent, organisation = _desk()
    colleague = make_user(Role.AGENT, name="Sam Stone")  # no tier: primary support
    db.session.commit()
    case = phone.open_phone_case(
        agent,
        _tier_two_intake(organisation, colleague, override_reason="  Knows their printer  "),
        now=WEDNESDAY_10,
    )
    assert (case.tier, case.assignee_id, case.assigned_at) == (2, colleague.id, WEDNESDAY_10)
    summaries = db.session.scalars(
        sa.select(Activity.summary).where(Activity.case_id == case.id).order_by(Activity.id)
    ).all()
    assert summaries[-2:] == [
        "Override: Lena Lind gave this tier 2 case to Sam Stone (tier 1): Knows their printer",
        "Assigned to Sam Stone at phone intake",
    ]
    [entry] = db.session.scalars(sa.select(AuditLog)).all()
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "case.assign_below_tier",
        agent.id,
        case.id,
    )
    assert entry.details["reason"] == "Knows their printer"
    assert (entry.details["assignee_tier"], entry.details["case_tier"]) == (1, 2)


@pytest.mark.parametrize("tier", [2, 3])
def test_an_agent_of_the_cases_tier_or_higher_needs_no_reason(tier):
    agent, organisation = _desk()
    expert = make_user(Role.AGENT, name="Tomas Tran", tier=tier)
    db.session.commit()
    case = phone.open_phone_case(agent, _tier_two_intake(organisation, expert), now=WEDNESDAY_10)
    assert (case.tier, case.assignee_id) == (2, expert.id)
    assert _count(AuditLog) == 0
    # A tier-1 case goes to anyone, and a reason given when none is needed is not logged.
    case = phone.open_phone_case(
        agent, _intake(organisation, assignee_id=agent.id, override_reason="Just because")
    )
    assert (case.tier, case.assignee_id) == (1, agent.id)
    assert _count(AuditLog) == 0
