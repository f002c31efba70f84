"""Macros: actions applied with the reply in one transaction, who may use and edit which."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    Article,
    AuditLog,
    CannedResponse,
    CaseReason,
    CaseStatus,
    CaseType,
    MacroUse,
    Message,
    MessageKind,
    OutboxMail,
    Role,
    Visibility,
    utcnow,
)
from helpdesk.rules.macros import Actions
from helpdesk.rules.send_status import AfterSend
from helpdesk.services import ServiceError
from helpdesk.services.tracker import macros, tracker
from tests.factories import make_case, make_user

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def world():
    lena = make_user(Role.AGENT, name="Lena Lind")
    tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2)
    admin = make_user(Role.ADMIN, name="Ada Admin")
    anna = make_user(Role.CUSTOMER, name="Anna Novak")
    billing = CaseType(name="Billing")
    db.session.add(billing)
    db.session.flush()
    refund = CaseReason(name="Refund", case_type_id=billing.id)
    article = Article(
        slug="refund-policy",
        title="Refund policy",
        body="Refunds within 30 days.",
        body_html="<p>Refunds within 30 days.</p>",
        visibility=Visibility.PUBLIC,
    )
    db.session.add_all([refund, article])
    case = make_case(anna.organisation, requester_id=anna.id, assignee_id=lena.id)
    case.status = CaseStatus.OPEN
    db.session.commit()
    return {
        "lena": lena,
        "tomas": tomas,
        "admin": admin,
        "case": case,
        "billing": billing,
        "refund": refund,
    }


def macro(owner=None, **actions) -> CannedResponse:
    row = CannedResponse(
        title="Refund sent",
        subject="",
        body="Hello {customer_name}, the refund for #{case_number} is on its way.",
        owner_id=owner.id if owner else None,
        actions=actions,
    )
    db.session.add(row)
    db.session.commit()
    return row


def send(world, agent, macro_id, body="The refund is on its way.", policy=None):
    return tracker.agent_message(
        agent=agent,
        case=world["case"],
        body=body,
        kind=MessageKind.REPLY,
        uploads=[],
        policy=policy,
        macro_id=macro_id,
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_sending_with_a_macro_applies_every_action_counts_and_logs_it(world, policy):
    used = macro(
        status="closed",
        case_type_id=world["billing"].id,
        case_reason_id=world["refund"].id,
        priority_factor="cannot_sell",
        assignee_id=world["tomas"].id,
        article_slug="refund-policy",
    )
    message = send(world, world["lena"], used.id, policy=policy)
    case = world["case"]
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED and case.closed_by_id == world["lena"].id
    assert (case.case_type_id, case.case_reason_id) == (world["billing"].id, world["refund"].id)
    assert case.priority_factors == ["cannot_sell"] and case.priority_score == 10
    assert case.assignee_id == world["tomas"].id
    assert message.body.endswith("Refund policy: http://127.0.0.1:5000/help/refund-policy")
    mail = db.session.scalar(sa.select(OutboxMail))
    assert "Refund policy: http://127.0.0.1:5000/help/refund-policy" in mail.body_text
    db.session.refresh(used)
    assert used.use_count == 1 and used.last_used_at is not None
    use = db.session.scalar(sa.select(MacroUse))
    assert (use.macro_id, use.user_id, use.case_id) == (used.id, world["lena"].id, case.id)
    summaries = list(db.session.scalars(sa.select(Activity.summary)))
    assert any(
        s.startswith("Macro “Refund sent” used: status closed, type Billing / Refund")
        and "assigned to Tomas Tran" in s
        and "linked “Refund policy”" in s
        for s in summaries
    )


def test_a_macro_without_actions_only_counts(world, policy):
    used = macro(world["lena"])
    send(world, world["lena"], used.id, policy=policy)
    db.session.refresh(world["case"])
    assert world["case"].status == CaseStatus.ANSWERED  # what a reply does anyway
    assert count(MacroUse) == 1


@pytest.mark.parametrize("whose", ["colleague", "missing", "inactive"])
def test_someone_elses_or_no_macro_is_refused_and_nothing_is_saved(world, policy, whose):
    theirs = macro(world["tomas"], status="closed")
    macro_id = {"colleague": theirs.id, "missing": theirs.id + 99, "inactive": theirs.id}[whose]
    if whose == "inactive":
        theirs.owner_id = None
        theirs.active = False
        db.session.commit()
    with pytest.raises(ServiceError) as refused:
        send(world, world["lena"], macro_id, policy=policy)
    assert refused.value.field == "macro_id"
    assert (count(Message), count(MacroUse), count(OutboxMail)) == (0, 0, 0)
    db.session.refresh(world["case"])
    assert world["case"].status == CaseStatus.OPEN


def test_an_action_that_no_longer_fits_rolls_the_whole_reply_back(world, policy):
    used = macro(case_type_id=world["billing"].id)
    world["billing"].active = False
    db.session.commit()
    with pytest.raises(ServiceError, match="no longer in the list"):
        send(world, world["lena"], used.id, policy=policy)
    assert (count(Message), count(MacroUse), count(OutboxMail)) == (0, 0, 0)
    db.session.refresh(used)
    assert used.use_count == 0


def test_a_link_already_in_the_reply_is_not_added_twice(world, policy):
    used = macro(article_slug="refund-policy")
    body = "See http://127.0.0.1:5000/help/refund-policy please."
    assert send(world, world["lena"], used.id, body=body, policy=policy).body == body


def test_picker_lists_mine_and_shared_never_a_colleagues(world):
    macro(world["lena"]).title = "Mine: refund"
    shared = macro()
    shared.title = "Team: password reset"
    shared.body = "Reset it at {organisation}."
    macro(world["tomas"]).title = "Theirs: refund"
    db.session.commit()
    titles = [e.macro.title for e in macros.picker(world["lena"], world["case"])]
    assert sorted(titles) == ["Mine: refund", "Team: password reset"]
    found = macros.picker(world["lena"], world["case"], "password")
    assert [e.macro.title for e in found] == ["Team: password reset"]
    assert found[0].text == f"Reset it at {world['case'].organisation.name}."
    assert macros.picker(world["lena"], world["case"], "100%_") == []


def test_picker_text_is_rendered_for_the_case_with_unknowns_reported(world):
    row = macro(world["lena"], status="answered")
    row.body = "Hi {customer_name}, #{case_number} from {agent_name}; order {order_no}"
    db.session.commit()
    (entry,) = macros.picker(world["lena"], world["case"])
    number = world["case"].number
    assert entry.text == f"Hi Anna Novak, #{number} from Lena Lind; order {{order_no}}"
    assert entry.unknown == ("{order_no}",)
    assert entry.effects == ["status: waiting on the customer"] and entry.status == "answered"


def fields(**overrides) -> macros.MacroInput:
    return macros.MacroInput(
        **{"title": "Thanks", "body": "Thanks, {customer_name}!", "actions": Actions(), **overrides}
    )


def test_agents_keep_personal_macros_and_only_admins_share(world):
    mine = macros.create_macro(world["lena"], fields(), shared=False)
    assert mine.owner_id == world["lena"].id
    with pytest.raises(ServiceError, match="Only administrators"):
        macros.create_macro(world["lena"], fields(), shared=True)
    shared = macros.create_macro(world["admin"], fields(title="Team thanks"), shared=True)
    assert shared.owner_id is None
    with pytest.raises(ServiceError):
        macros.update_macro(world["lena"], shared, fields(title="Hijacked"))
    with pytest.raises(ServiceError):
        macros.update_macro(world["tomas"], mine, fields(title="Hijacked"))
    with pytest.raises(ServiceError):
        macros.delete_macro(world["tomas"], mine)
    macros.update_macro(world["lena"], mine, fields(title="Thanks a lot"))
    macros.delete_macro(world["admin"], shared)
    actions = list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["macro.create", "macro.create", "macro.update", "macro.delete"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": " "}, "title", "Enter a name."),
        ({"body": "Hi {name}"}, "body", "Unknown placeholder {name}"),
        ({"actions": Actions(case_reason_id=1)}, "case_type_id", "Choose the case type"),
        ({"actions": Actions(case_type_id=9999)}, "case_type_id", "Choose a case type"),
        ({"actions": Actions(assignee_id=9999)}, "assignee_id", "Choose an active agent."),
        ({"actions": Actions(article_slug="nope")}, "article_slug", "no public help article"),
    ],
)
def test_bad_macros_are_refused_on_the_field(world, overrides, field, message):
    with pytest.raises(ServiceError, match=message) as refused:
        macros.create_macro(world["lena"], fields(**overrides), shared=False)
    assert refused.value.field == field


def test_system_emails_are_not_deleted(world):
    system = CannedResponse(key="faq-x", title="FAQ-X", subject="X", body="Hi")
    db.session.add(system)
    db.session.commit()
    with pytest.raises(ServiceError, match="inactive instead"):
        macros.delete_macro(world["admin"], system)


def test_usage_counts_uses_in_the_period(world, policy):
    used = macro(world["lena"])
    now = utcnow()
    db.session.add_all(
        [
            MacroUse(macro_id=used.id, user_id=world["lena"].id, created_at=now),
            MacroUse(macro_id=used.id, user_id=world["lena"].id, created_at=now),
            MacroUse(macro_id=used.id, created_at=now - timedelta(days=40)),
        ]
    )
    db.session.commit()
    (row,) = macros.usage(now - timedelta(days=30), now + timedelta(seconds=1))
    assert (row.title, row.uses, row.last_used_at) == ("Refund sent", 2, now)


def test_a_status_chosen_beside_send_wins_over_the_macros(world, policy):
    used = macro(status="closed", case_type_id=world["billing"].id)
    tracker.agent_message(
        agent=world["lena"],
        case=world["case"],
        body="More to do.",
        kind=MessageKind.REPLY,
        uploads=[],
        policy=policy,
        then=AfterSend.KEEP_OPEN,
        macro_id=used.id,
    )
    db.session.refresh(world["case"])
    assert world["case"].status == CaseStatus.OPEN
    assert world["case"].case_type_id == world["billing"].id  # the other actions still apply
