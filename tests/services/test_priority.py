"""Priority services: weights from the settings, triage detection, agents' ticks, admin weights."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    AuditLog,
    Case,
    Category,
    Holiday,
    Origin,
    Role,
    Setting,
)
from helpdesk.rules.priority import DEFAULT_WEIGHTS
from helpdesk.services import ServiceError
from helpdesk.services.cases import cases
from helpdesk.services.cases.attachments import AttachmentPolicy
from helpdesk.services.tracker import priority
from tests.factories import make_case, make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")
DENVER = ZoneInfo("America/Denver")


def utc(local: datetime, zone: ZoneInfo = DENVER) -> datetime:
    """Naive UTC, as stored, for a wall-clock time in `zone`."""
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


WEDNESDAY_22 = utc(datetime(2025, 3, 12, 22, 0))  # after close, mountain time (MDT)
WEDNESDAY_10 = utc(datetime(2025, 3, 12, 10, 0))


def test_weights_default_to_the_seed():
    assert priority.weights() == DEFAULT_WEIGHTS


def test_the_setting_overrides_weights_and_junk_in_it_is_ignored():
    db.session.add(
        Setting(
            key="priority_weights",
            value={"phoned": 4, "cannot_sell": 99, "insists_on_fix": True, "bribed": 3},
        )
    )
    db.session.commit()
    current = priority.weights()
    assert current["phoned"] == 4
    assert current["cannot_sell"] == 10  # out of range: the default stands
    assert current["insists_on_fix"] == -5  # not a number
    assert "bribed" not in current


def test_a_phone_case_from_an_after_hours_customer_at_22_local_is_after_hours_overnight():
    organisation = make_organisation(after_hours_support=True)
    case = make_case(organisation, origin=Origin.PHONE, created_at=WEDNESDAY_22)
    priority.score_new_case(case, WEDNESDAY_22)
    assert case.priority_factors == ["after_hours_overnight"]
    assert case.priority_score == 5


def test_the_same_call_without_the_plan_or_in_hours_is_an_ordinary_call():
    plain = make_case(make_organisation(), origin=Origin.PHONE)
    priority.score_new_case(plain, WEDNESDAY_22)
    planned = make_case(make_organisation(after_hours_support=True), origin=Origin.PHONE)
    priority.score_new_case(planned, WEDNESDAY_10)
    assert plain.priority_factors == planned.priority_factors == ["phoned"]
    assert plain.priority_score == planned.priority_score == 3


def test_an_east_coast_email_mid_afternoon_business_time():
    organisation = make_organisation(time_zone="America/New_York")
    case = make_case(organisation, origin=Origin.EMAIL)
    priority.score_new_case(case, utc(datetime(2025, 3, 12, 14, 30)))  # 16:30 in New York
    assert case.priority_factors == ["east_coast_afternoon"]
    assert case.priority_score == 1


def test_a_holiday_counts_as_after_close():
    db.session.add(Holiday(day=date(2025, 3, 12), name="Closed"))
    case = make_case(make_organisation(), origin=Origin.EMAIL)
    priority.score_new_case(case, WEDNESDAY_10)
    assert case.priority_factors == ["email_after_close"]


def test_a_sub_case_of_a_tier_2_case_is_lowered_and_weights_apply():
    db.session.add(Setting(key="priority_weights", value={"new_case_on_tier2_item": -3}))
    organisation = make_organisation()
    parent = make_case(organisation, tier=2)
    case = make_case(organisation, origin=Origin.EMAIL, parent_id=parent.id)
    priority.score_new_case(case, WEDNESDAY_10)
    assert case.priority_factors == ["new_case_on_tier2_item"]
    assert case.priority_score == -3


def test_triage_keeps_factors_already_set_without_counting_a_detection_twice():
    organisation = make_organisation(after_hours_support=True)
    case = make_case(
        organisation,
        origin=Origin.PHONE,
        priority_factors=["cannot_sell", "after_hours_overnight", "after_hours_overnight"],
    )
    priority.score_new_case(case, WEDNESDAY_22)
    assert case.priority_factors == [
        "cannot_sell",
        "after_hours_overnight",
        "after_hours_overnight",
    ]
    assert case.priority_score == 20  # the seed's worked example


def test_opening_a_web_case_after_close_scores_it(app, tmp_path, monkeypatch):
    monkeypatch.setattr(cases, "utcnow", lambda: WEDNESDAY_22)
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    policy = AttachmentPolicy.from_config({**app.config, "ATTACHMENT_DIR": str(tmp_path)})
    with app.test_request_context():
        case = cases.open_case(
            customer=customer,
            order_id=order.id,
            category=Category.SUPPORT,
            subject="Late question",
            body="Written at night.",
            uploads=[],
            policy=policy,
        )
    stored = db.session.get(Case, case.id)
    assert stored.priority_factors == ["email_after_close"]
    assert stored.priority_score == 2


def test_set_factors_recomputes_and_logs_the_breakdown():
    agent = make_user(Role.AGENT)
    case = make_case(make_organisation(), priority_factors=["phoned"], priority_score=3)
    version = case.version
    db.session.commit()
    priority.set_factors(
        agent, case, ["cannot_sell", "after_hours_overnight", "after_hours_overnight"]
    )
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.priority_score == 20
    assert case.priority_factors == [
        "cannot_sell",
        "after_hours_overnight",
        "after_hours_overnight",
    ]
    assert case.version == version + 1
    activity = db.session.scalar(sa.select(Activity).where(Activity.case_id == case.id))
    assert activity.kind == ActivityKind.PRIORITY and activity.actor_id == agent.id
    assert "= 20, high (was 3)" in activity.summary
    assert activity.details["breakdown"] == [
        {"factor": "cannot_sell", "count": 1, "weight": 10, "points": 10},
        {"factor": "after_hours_overnight", "count": 2, "weight": 5, "points": 10},
    ]
    assert activity.details["previous_factors"] == ["phoned"]


def test_set_factors_replaces_a_manual_score_and_unchanged_factors_write_nothing():
    agent = make_user(Role.AGENT)
    case = make_case(make_organisation(), priority_factors=["phoned"], priority_score=40)
    db.session.commit()
    priority.set_factors(agent, case, ["phoned"])
    assert case.priority_score == 3
    priority.set_factors(agent, case, ["phoned"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 1


@pytest.mark.parametrize(
    "factors",
    [["bribed"], ["cannot_sell", "cannot_sell"], ["phoned"] * 10],
)
def test_set_factors_refuses_unknown_codes_and_impossible_repeats(factors):
    agent = make_user(Role.AGENT)
    case = make_case(make_organisation())
    db.session.commit()
    with pytest.raises(ServiceError):
        priority.set_factors(agent, case, factors)


def test_save_weights_stores_the_changes_and_audits_them():
    admin = make_user(Role.ADMIN)
    db.session.commit()
    saved = priority.save_weights(admin, {"phoned": 4, "cannot_sell": 10}, ip_address="10.0.0.1")
    assert saved["phoned"] == 4
    db.session.expire_all()
    assert db.session.get(Setting, "priority_weights").value == {"phoned": 4}
    assert priority.weights()["phoned"] == 4
    entry = db.session.scalar(sa.select(AuditLog))
    assert entry.action == "priority.weights" and entry.actor_id == admin.id
    assert entry.details == {"changes": {"phoned": [3, 4]}}
    assert entry.ip_address == "10.0.0.1"
    # Back to the seed's weight: nothing left to override.
    priority.save_weights(admin, {"phoned": 3})
    assert db.session.get(Setting, "priority_weights").value == {}


def test_saving_the_same_weights_writes_no_audit_row():
    admin = make_user(Role.ADMIN)
    db.session.commit()
    priority.save_weights(admin, dict(DEFAULT_WEIGHTS))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"phoned": 51}, "phoned"),
        ({"phoned": -51}, "phoned"),
        ({"phoned": "3"}, "phoned"),
        ({"phoned": 2.5}, "phoned"),
        ({"phoned": True}, "phoned"),
        ({"bribed": 1}, None),
    ],
)
def test_save_weights_validates(given, field):
    admin = make_user(Role.ADMIN)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        priority.save_weights(admin, given)
    assert refused.value.field == field
    assert db.session.get(Setting, "priority_weights") is None


def test_describe_shows_a_manual_override_and_unknown_codes():
    case = make_case(make_organisation(), priority_factors=["phoned", "legacy"], priority_score=9)
    panel = priority.describe(case)
    assert panel.score == 9 and panel.computed == 3 and panel.overridden
    assert panel.level == "high" and panel.unknown == ["legacy"]
    assert [line.factor.code for line in panel.lines] == ["phoned"]


def test_business_hours_follow_the_settings(app, monkeypatch):
    # Detection reads the same business calendar as the SLA clock (services.sla).
    organisation = make_organisation(after_hours_support=True)
    case = make_case(organisation, origin=Origin.PHONE)
    monkeypatch.setitem(app.config, "BUSINESS_HOURS_START", "23:00")
    monkeypatch.setitem(app.config, "BUSINESS_HOURS_END", "23:59")
    priority.score_new_case(case, WEDNESDAY_22)  # 22:00 is before a 23:00 opening
    assert case.priority_factors == ["after_hours_overnight"]
