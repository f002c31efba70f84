"""Agents' actions on cases (seeds 001, 002, 003): open, answer, note, assign, accept,
classify, prioritise, log calls and pick-list actions, repost, close."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    CaseAction,
    CasePresence,
    CaseReason,
    CaseStatus,
    CaseType,
    Message,
    MessageKind,
    Role,
    User,
    utcnow,
)
from helpdesk.rules.send_status import AfterSend, SendRefused, status_after_send
from helpdesk.rules.tier_fit import can_take, staff_tier
from helpdesk.services import ServiceError
from helpdesk.services.cases import attachments, cc
from helpdesk.services.cases.attachments import AttachmentPolicy, Upload
from helpdesk.services.cases.cases import BODY_MAX
from helpdesk.services.cases.casework import (
    add_message,
    clean_text,
    committed,
    log_activity,
    mark_closed,
    touch,
)
from helpdesk.services.core import audit
from helpdesk.services.mail import outbox
from helpdesk.services.tracker import notifications, routing, sla_policies

STAFF_ROLES = (Role.AGENT, Role.ADMIN)
PRIORITY_RANGE = range(-50, 101)


def open_as_assignee(agent: User, case: Case) -> None:
    """Seed 002: a New case moves to Open once its assignee has opened it; commit."""
    if case.status == CaseStatus.NEW and case.assignee_id == agent.id:
        now = utcnow()
        case.status = CaseStatus.OPEN
        case.opened_at = now
        log_activity(case, agent, ActivityKind.STATUS, f"Opened by {agent.name}", now)
        touch(case, now)
        db.session.commit()


def _customer_address(case: Case) -> tuple[str, str] | None:
    requester = case.requester
    # Seed 003: an agent may make another contact the correspondent; answers then go there.
    if case.correspondent_email and (
        requester is None or case.correspondent_email.lower() != requester.email.lower()
    ):
        return case.correspondent_email, ""
    if requester is not None:
        return requester.email, requester.name
    return None


def agent_message(
    *,
    agent: User,
    case: Case,
    body: str,
    kind: MessageKind,
    uploads: list[Upload],
    policy: AttachmentPolicy,
    then: AfterSend = AfterSend.USUAL,
    macro_id: int | None = None,
) -> Message:
    """A public answer (mailed) or a private note, and the status chosen beside "Send"; commit.

    The usual choice: a reply makes the case Answered, a note leaves it alone. The message and
    the status change are one transaction, so "Send and close" mails the customer once and the
    timeline shows both. Answering an unassigned case takes it: seed 001 wants cases accepted
    directly. With a macro (the agent's own or a shared one) its actions apply in the same
    transaction; a status chosen beside "Send" wins over the macro's.
    """
    from helpdesk.services.tracker import macros  # imported here: macros builds on this module

    is_reply = kind == MessageKind.REPLY
    try:
        status = status_after_send(is_reply, then, case.status)
    except SendRefused as refusal:
        raise ServiceError(str(refusal)) from None
    macro = macros.usable_macro(agent, macro_id) if macro_id is not None else None
    body = clean_text(body, field="body", label="a message", limit=BODY_MAX)
    linked = None
    if macro is not None:
        body, linked = macros.link_article(macro, body)
        body = clean_text(body, field="body", label="a message", limit=BODY_MAX)
    attachments.check_uploads(uploads, policy)

    def write(files: list[Path]) -> Message:
        now = utcnow()
        message = add_message(
            case, agent, kind=kind, body=body, at=now, files=files, uploads=uploads, policy=policy
        )
        if is_reply:
            _replied(agent, case, message, now)
        _set_status_after_send(agent, case, status, now, answered=is_reply)
        if is_reply:
            sla_policies.agent_answered(case, now)
        if macro is not None:
            macros.apply(agent, case, macro, now, linked, keep_status=then != AfterSend.USUAL)
        touch(case, now)
        if kind == MessageKind.NOTE:
            notifications.mentioned_in_note(case, body, agent)
        return message

    return committed(write)


def _replied(agent: User, case: Case, message: Message, now) -> None:
    """What every reply does, whatever status follows: take the case, stop the clock, mail."""
    if case.assignee_id is None and can_take(agent.tier, case.tier):
        # Seed 001: answering takes the case, but not past its tier (issue 15 item 2): a
        # tier-1 agent's answer to a tier-2 case leaves it in the queue for its tier.
        _set_assignee(agent, case, agent, now)
    case.opened_at = case.opened_at or now
    case.first_response_at = case.first_response_at or now
    case.last_agent_reply_at = now
    _mail_answer(case, message, agent)


def _set_status_after_send(
    agent: User, case: Case, status: CaseStatus, now, *, answered: bool
) -> None:
    if status == case.status:
        if status == CaseStatus.ANSWERED:
            case.awaiting_agent_since = None  # answered again: still the customer's turn
        return
    if status == CaseStatus.CLOSED:
        if answered:  # the timeline shows the answer and the closing, as two steps
            log_activity(case, agent, ActivityKind.STATUS, f"Answered by {agent.name}", now)
        mark_closed(case, agent, now)
        return
    if status == CaseStatus.ANSWERED:
        log_activity(case, agent, ActivityKind.STATUS, f"Answered by {agent.name}", now)
        case.awaiting_agent_since = None
    else:  # kept open: still the agent's turn, so the Expired 1 clock keeps running
        log_activity(case, agent, ActivityKind.STATUS, f"Kept open by {agent.name}", now)
        case.opened_at = case.opened_at or now
        case.awaiting_agent_since = case.awaiting_agent_since or now
    case.status = status


def _mail_answer(case: Case, message: Message, agent: User) -> None:
    """The customer's answer, and a copy to each person CC'd on the case."""
    address = _customer_address(case)
    recipients = ([(*address, False)] if address is not None else []) + [
        (copy, "", True) for copy in cc.addresses(case) if address is None or copy != address[0]
    ]
    for to_address, to_name, copied in recipients:
        outbox.queue_mail(
            to_address=to_address,
            to_name=to_name,
            case=case,
            user=None if copied else case.requester,  # a copy is not addressed to the requester
            subject=f"Re: {case.subject}",
            template="agent_replied",
            message=message,
            agent=agent,
            copied=copied,
        )


def _check_assignee(assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    assignee = db.session.get(User, assignee_id)
    if assignee is None or assignee.role not in STAFF_ROLES or not assignee.active:
        raise ServiceError("Choose an active agent.", field="assignee_id")
    return assignee


def _set_assignee(
    actor: User, case: Case, assignee: User | None, now, *, notify: bool = True
) -> bool:
    """Give `case` to `assignee` (None: the queue); False when it was theirs already."""
    if case.assignee_id == (assignee.id if assignee else None):
        return False
    case.assignee = assignee
    case.assignee_id = assignee.id if assignee else None
    case.assigned_at = now if assignee else None
    if case.status == CaseStatus.OPEN:
        # The new assignee has not opened it yet: it is New to them (seed 002).
        case.status = CaseStatus.NEW
        case.opened_at = None
    summary = f"Assigned to {assignee.name}" if assignee else "Returned to the support queue"
    db.session.add(
        Activity(
            case_id=case.id,
            actor_id=actor.id,
            kind=ActivityKind.ASSIGNMENT,
            summary=summary,
            created_at=now,
        )
    )
    touch(case, now)
    if notify:
        notifications.assigned(case, assignee, actor)
    return True


OVERRIDE_REASON_MAX = 300


def _below_tier(
    actor: User, case: Case, assignee: User, reason: str | None, now, *, accepting: bool
) -> None:
    """Seeds 000/003: a case goes to its tier or higher; a lower tier only by an override
    with a reason, kept on the timeline and in the audit trail. No commit."""
    if case.assignee_id == assignee.id or can_take(assignee.tier, case.tier):
        return
    their_tier = staff_tier(assignee.tier)
    reason = (reason or "").strip()
    if not reason:
        who = "you are" if accepting else f"{assignee.name} is"
        how = "accept it anyway" if accepting else "assign it anyway"
        raise ServiceError(
            f"This case needs tier {case.tier} and {who} tier {their_tier}. "
            f"Leave it for tier {case.tier}, or {how} and say why.",
            field="override_reason",
        )
    reason = clean_text(
        reason, field="override_reason", label="the reason", limit=OVERRIDE_REASON_MAX
    )
    record_override(actor, case, assignee, reason, now)


def record_override(actor: User, case: Case, assignee: User, reason: str, now) -> None:
    """Log on the timeline and in the audit trail that `actor` gave a case to someone below
    its tier, and why; no checks, no commit (the demo data writes its override this way)."""
    their_tier = staff_tier(assignee.tier)
    whom = "themselves" if assignee.id == actor.id else assignee.name
    log_activity(
        case,
        actor,
        ActivityKind.ASSIGNMENT,
        f"Override: {actor.name} gave this tier {case.tier} case to {whom} "
        f"(tier {their_tier}): {reason}",
        now,
    )
    audit.record(
        "case.assign_below_tier",
        actor=actor,
        obj=case,
        organisation_id=case.organisation_id,
        assignee_id=assignee.id,
        assignee_tier=their_tier,
        case_tier=case.tier,
        reason=reason,
    )


def assign(
    actor: User,
    case: Case,
    assignee_id: int | None,
    note: str = "",
    *,
    override_reason: str | None = None,
) -> Case:
    """Give a case to an agent, or back to the support queue; commit.

    Someone below the case's tier gets it only with `override_reason` (logged and audited).
    """
    assignee = _check_assignee(assignee_id)
    now = utcnow()
    if assignee is not None:
        _below_tier(actor, case, assignee, override_reason, now, accepting=assignee.id == actor.id)
    _set_assignee(actor, case, assignee, now)
    if note.strip():
        _note(actor, case, clean_text(note, field="note", label="a note", limit=BODY_MAX), now)
    db.session.commit()
    return case


def _note(actor: User, case: Case, text: str, now) -> None:
    add_message(case, actor, kind=MessageKind.NOTE, body=text, at=now)


def accept(agent: User, case: Case, *, override_reason: str | None = None) -> Case:
    """Seed 001: take a case from the support queue straight into my queue; commit.

    A case above my tier needs `override_reason` (see `assign`).
    """
    if case.assignee_id not in (None, agent.id):
        raise ServiceError(f"This case is already assigned to {case.assignee.name}.")
    return assign(agent, case, agent.id, override_reason=override_reason)


def set_priority(actor: User, case: Case, score: int) -> Case:
    """Set the priority score by hand (the factors come with triage); commit."""
    if score not in PRIORITY_RANGE:
        raise ServiceError("Priority must be between -50 and 100.", field="priority_score")
    if case.priority_score != score:
        now = utcnow()
        log_activity(
            case, actor, ActivityKind.PRIORITY, f"Priority {case.priority_score} -> {score}", now
        )
        case.priority_score = score
        touch(case, now)
        db.session.commit()
    return case


def classify(actor: User, case: Case, case_type_id: int | None, reason_id: int | None) -> Case:
    """Seed 001: assign the appropriate case type and case reason; a case nobody holds yet
    is then delegated by the routing rules (the timeline says to whom and why); commit."""
    case_type = db.session.get(CaseType, case_type_id) if case_type_id else None
    reason = db.session.get(CaseReason, reason_id) if reason_id else None
    if case_type_id and (case_type is None or not case_type.active):
        raise ServiceError("Choose a case type from the list.", field="case_type_id")
    if reason_id and (reason is None or reason.case_type_id not in (None, case_type_id)):
        raise ServiceError("Choose a reason that belongs to the type.", field="case_reason_id")
    now = utcnow()
    case.case_type_id, case.case_reason_id = case_type_id, reason_id
    names = " / ".join(x.name for x in (case_type, reason) if x) or "none"
    log_activity(case, actor, ActivityKind.ACTION, f"Type and reason: {names}", now)
    if case.assignee_id is None:
        # Seed 001: set the type and reason of each queued case, then delegate by type.
        routing.route(case, now, explain_no_match=True)
    touch(case, now)
    db.session.commit()
    return case


def log_call(actor: User, case: Case, notes: str, outcome: str = "") -> Activity:
    """Seed 001 "log a call": incoming or outgoing, with brief notes and the outcome; commit."""
    notes = clean_text(notes, field="notes", label="call notes", limit=500)
    activity = Activity(
        case_id=case.id,
        actor_id=actor.id,
        kind=ActivityKind.CALL,
        summary=notes,
        outcome=(outcome or "").strip()[:200] or None,
        created_at=utcnow(),
    )
    db.session.add(activity)
    # A call to the customer is a response (seed 003: phone call-backs): the SLA clock stops.
    case.first_response_at = case.first_response_at or activity.created_at
    touch(case, activity.created_at)
    db.session.commit()
    return activity


def record_action(actor: User, case: Case, action_id: int, note: str = "") -> Activity:
    """Seed 001: each action taken is selected from the case action pick list; commit."""
    action = db.session.get(CaseAction, action_id)
    if action is None or not action.active:
        raise ServiceError("Choose an action from the list.", field="action_id")
    summary = action.name + (f": {note.strip()[:400]}" if note.strip() else "")
    activity = Activity(
        case_id=case.id,
        actor_id=actor.id,
        kind=ActivityKind.ACTION,
        action_id=action.id,
        summary=summary,
        created_at=utcnow(),
    )
    db.session.add(activity)
    touch(case, activity.created_at)
    db.session.commit()
    return activity


def repost(actor: User, case: Case) -> Case:
    """Seed 002 Expired 2: mail the last answer to the customer again; commit."""
    answer = db.session.scalar(
        sa.select(Message)
        .where(
            Message.case_id == case.id,
            Message.kind == MessageKind.REPLY,
            Message.from_customer.is_(False),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    if answer is None or _customer_address(case) is None or case.status != CaseStatus.ANSWERED:
        raise ServiceError("There is no answer waiting for the customer to repost.")
    now = utcnow()
    _mail_answer(case, answer, answer.author or actor)
    # The answer is in the customer's inbox again: its unviewed clock starts over.
    case.last_agent_reply_at = now
    log_activity(case, actor, ActivityKind.MAIL, "Answer reposted to the customer", now)
    touch(case, now)
    db.session.commit()
    return case


def bulk_cases(numbers: Iterable[int]) -> list[Case]:
    """The cases behind a bulk selection (unknown numbers are skipped)."""
    wanted = sorted({int(n) for n in numbers})[:200]
    return list(db.session.scalars(sa.select(Case).where(Case.number.in_(wanted))))


def bulk_apply(actor: User, cases: list[Case], action: str, value: int | None) -> int:
    """Assign, set priority or close many cases in one transaction; the number changed."""
    if action == "assign":
        assignee = _check_assignee(value)
        above = [
            c.number
            for c in cases
            if assignee is not None
            and c.assignee_id != assignee.id
            and not can_take(assignee.tier, c.tier)
        ]
        if above:
            raise ServiceError(
                f"{assignee.name} is tier {staff_tier(assignee.tier)}, below the tier of "
                f"{', '.join(f'#{n}' for n in above[:5])}{' ...' if len(above) > 5 else ''}. "
                "Leave those out, or assign each from its page and say why."
            )
        now = utcnow()
        # One notification for the lot, not one per case (a bulk action may move 200).
        moved = [c for c in cases if _set_assignee(actor, c, assignee, now, notify=False)]
        notifications.assigned_many(moved, assignee, actor)
    elif action == "priority":
        if value is None or value not in PRIORITY_RANGE:
            raise ServiceError("Priority must be between -50 and 100.")
        now = utcnow()
        for case in cases:
            if case.priority_score != value:
                log_activity(
                    case,
                    actor,
                    ActivityKind.PRIORITY,
                    f"Priority {case.priority_score} -> {value}",
                    now,
                )
                case.priority_score = value
                touch(case, now)
    elif action == "close":
        now = utcnow()
        for case in cases:
            if case.status != CaseStatus.CLOSED:
                case.status = CaseStatus.CLOSED
                case.closed_at, case.closed_by_id = now, actor.id
                case.awaiting_agent_since = None
                log_activity(case, actor, ActivityKind.STATUS, f"Closed by {actor.name}", now)
                touch(case, now)
    else:
        raise ServiceError("Choose what to do with the selected cases.")
    db.session.commit()
    return len(cases)


PRESENCE_WINDOW = timedelta(seconds=30)  # a heartbeat every 10 s keeps an agent present
TYPING_WINDOW = timedelta(seconds=15)


def heartbeat(agent: User, case: Case, *, typing: bool) -> None:
    """Record that `agent` has the case open (and is typing); commit."""
    now = utcnow()
    values = {"seen_at": now, **({"typing_at": now} if typing else {})}
    updated = db.session.execute(
        sa.update(CasePresence)
        .where(CasePresence.case_id == case.id, CasePresence.user_id == agent.id)
        .values(**values)
    ).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.add(CasePresence(case_id=case.id, user_id=agent.id, **values))
        except IntegrityError:
            pass  # another tab of the same agent wrote it first: equally present
    db.session.commit()


def others_present(case: Case, agent: User) -> list[tuple[str, bool]]:
    """(name, typing) of the other agents who have this case open right now."""
    now = utcnow()
    rows = db.session.execute(
        sa.select(User.name, CasePresence.typing_at)
        .join(User, User.id == CasePresence.user_id)
        .where(
            CasePresence.case_id == case.id,
            CasePresence.user_id != agent.id,
            CasePresence.seen_at > now - PRESENCE_WINDOW,
        )
        .order_by(User.name)
    ).all()
    return [
        (name, typing_at is not None and typing_at > now - TYPING_WINDOW)
        for name, typing_at in rows
    ]
