"""Agents' notifications (issue 19 item 1).

Each notification is written in the transaction of what caused it (an assignment, a reply, a
note naming someone), links to its case, and is mailed too when the agent chose that event
for e-mail. Nothing is sent for an agent's own actions. Writing one moves the change stamp, so
the sidebar's live poll brings the bell's new count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import g, has_request_context

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    Notification,
    NotificationEvent,
    Role,
    User,
    utcnow,
)
from helpdesk.models.accounts import staff_rows
from helpdesk.rules import mentions
from helpdesk.rules.folders import AWAITING_AGENT
from helpdesk.services.core import settings
from helpdesk.services.mail.outbox import queue_mail
from helpdesk.services.tracker import change_stamp

E = NotificationEvent
# What each event is called where an agent chooses which ones to get by e-mail.
EVENT_LABELS = {
    E.ASSIGNED: "A case is assigned to me",
    E.HANDED_OVER: "A colleague hands a case over to me",
    E.ESCALATED: "A case is escalated to my tier",
    E.CUSTOMER_REPLIED: "A customer replies on my case",
    E.MENTIONED: "Someone mentions me in a private note",
    E.SLA_SOON: "A target of my case is about to be missed",
    E.SLA_MISSED: "A target of my case is missed",
}
TEXT_MAX = 300
PAGE = 50
MISSED_LOOKBACK = timedelta(days=1)  # a first run warns of recent misses, not of old history
_UNREAD = "notifications_unread"


def _subject(case: Case) -> str:
    return f"#{case.number} {case.subject}"


def mails(user: User, event: NotificationEvent) -> bool:
    """Whether `user` gets `event` by e-mail too (every event, unless they chose otherwise)."""
    chosen = user.notify_by_mail
    return True if chosen is None else event.value in chosen


def notify(
    users: Iterable[User | None],
    event: NotificationEvent,
    case: Case | None,
    text: str,
    *,
    actor: User | None,
    once_key: str | None = None,
    mail_template: str = "notification",
    **mail_context,
) -> int:
    """Notify each active staff member in `users` except `actor`; no commit. How many."""
    sent = 0
    for user in {u.id: u for u in users if u is not None}.values():
        if (actor is not None and user.id == actor.id) or not user.active or not user.is_staff:
            continue
        if once_key is not None and _already(user, once_key):
            continue
        db.session.add(
            Notification(
                user_id=user.id,
                case_id=case.id if case is not None else None,
                actor_id=actor.id if actor is not None else None,
                event=event,
                text=text[:TEXT_MAX],
                once_key=once_key,
            )
        )
        if mails(user, event):
            queue_mail(
                to_address=user.email,
                to_name=user.name,
                case=case,
                user=user,
                subject=text[:150],
                template=mail_template,
                # A mail of its own (the customer's reply) keeps its key; the others share one.
                template_key=mail_template
                if mail_template != "notification"
                else f"notification:{event.value}",
                text=text,
                **mail_context,
            )
        sent += 1
    if sent:
        change_stamp.bump()
    return sent


def _already(user: User, once_key: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Notification.id).where(
                Notification.user_id == user.id, Notification.once_key == once_key
            )
        )
        is not None
    )


# --- the causes ------------------------------------------------------------------------------


def assigned(case: Case, assignee: User | None, actor: User | None) -> None:
    by = f"{actor.name} assigned you" if actor is not None else "The routing rules gave you"
    notify([assignee], E.ASSIGNED, case, f"{by} {_subject(case)}", actor=actor)


def assigned_many(cases: list[Case], assignee: User | None, actor: User) -> None:
    """One notification for several cases assigned at once (a bulk action)."""
    if len(cases) == 1:
        return assigned(cases[0], assignee, actor)
    if cases:
        numbers = ", ".join(f"#{c.number}" for c in cases[:10]) + (
            " ..." if len(cases) > 10 else ""
        )
        text = f"{actor.name} assigned you {len(cases)} cases: {numbers}"
        notify([assignee], E.ASSIGNED, None, text, actor=actor)


def handed_over(case: Case, assignee: User, actor: User, leaving: User) -> None:
    text = f"{actor.name} handed {_subject(case)} over to you from {leaving.name}"
    notify([assignee], E.HANDED_OVER, case, text, actor=actor)


def escalated(case: Case, actor: User) -> None:
    """Everyone of the case's new tier: the case waits in their queue."""
    tier_agents = db.session.scalars(
        sa.select(User).where(User.role == Role.AGENT, User.tier == case.tier, User.active)
    )
    text = f"{actor.name} escalated {_subject(case)} to tier {case.tier}"
    notify(tier_agents, E.ESCALATED, case, text, actor=actor)


def customer_replied(case: Case, **mail_context) -> None:
    """The case's agent; the mail is the reply itself (templates/mail/customer_replied.txt)."""
    notify(
        [case.assignee],
        E.CUSTOMER_REPLIED,
        case,
        f"Customer replied: {_subject(case)}",
        actor=None,
        mail_template="customer_replied",
        **mail_context,
    )


def mentioned_in_note(case: Case, body: str, author: User) -> None:
    handles = mentions.mentioned(body)
    if not handles:
        return
    named = [u for u in staff() if mentions.handle_of(u.name) in handles]
    text = f"{author.name} mentioned you in a note on {_subject(case)}"
    notify(named, E.MENTIONED, case, text, actor=author)


def staff() -> list[User]:
    """Active staff, by name: who can be @mentioned."""
    # In the words of the staff index: the few dozen staff rows, not every customer.
    return list(
        db.session.scalars(staff_rows(sa.select(User)).where(User.active).order_by(User.name))
    )


def mention_choices() -> list[dict[str, str]]:
    """What the composer completes after "@": each colleague's handle and name."""
    return [{"handle": mentions.handle_of(u.name), "name": u.name} for u in staff()]


# Each running target: its column, what it is called, and what stops it.
_TARGETS = (
    ("sla_due_at", "First response", lambda: Case.first_response_at.is_(None)),
    ("next_reply_due_at", "Next reply", lambda: sa.true()),
    ("resolution_due_at", "Resolution", lambda: Case.sla_paused_at.is_(None)),
)


def deadlines(now: datetime | None = None) -> int:
    """The worker's job: warn each assignee of a target (first response, next reply,
    resolution) about to be missed (the SLA_WARNING_MINUTES setting ahead) and when it was
    missed; each once. Commit."""
    now = now or utcnow()
    warning = timedelta(minutes=settings.setting("SLA_WARNING_MINUTES"))
    sent = 0
    for column_name, label, running in _TARGETS:
        column = getattr(Case, column_name)
        due_cases = db.session.scalars(
            sa.select(Case).where(
                Case.status.in_([status.value for status in AWAITING_AGENT]),
                column > now - MISSED_LOOKBACK,
                column <= now + warning,
                running(),
                Case.assignee_id.is_not(None),
            )
        )
        for case in due_cases:
            sent += _warn(case, getattr(case, column_name), label, now)
    db.session.commit()
    return sent


def _warn(case: Case, due_at: datetime, label: str, now: datetime) -> int:
    if due_at <= now:
        event, text = E.SLA_MISSED, f"{label} target missed: {_subject(case)}"
    else:
        minutes = max(int((due_at - now).total_seconds() // 60), 1)
        event, text = E.SLA_SOON, f"{label} due in {minutes} min: {_subject(case)}"
    key = f"{event.value}:{label[:5]}:{case.id}:{due_at.isoformat(timespec='minutes')}"
    return notify([case.assignee], event, case, text, actor=None, once_key=key)


# --- reading and marking ---------------------------------------------------------------------


def unread_count(user: User) -> int:
    """Unread notifications of `user`, read once per request (the bell and the sidebar)."""
    if has_request_context() and _UNREAD in g and g.get(_UNREAD)[0] == user.id:
        return g.get(_UNREAD)[1]
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    if has_request_context():
        setattr(g, _UNREAD, (user.id, count))
    return count


def latest(user: User, limit: int = PAGE) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def owned(user: User, notification_id: int) -> Notification | None:
    return db.session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )


def _mark(user: User, *conditions) -> int:
    done = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None), *conditions)
        .values(read_at=utcnow())
    ).rowcount
    if done:
        change_stamp.bump()  # the user's other tabs update their bell
    if has_request_context():
        g.pop(_UNREAD, None)
    db.session.commit()
    return done


def mark_read(user: User, notification: Notification) -> None:
    _mark(user, Notification.id == notification.id)


def mark_case_read(user: User, case: Case) -> None:
    """Opening a case reads its notifications (only a write when there are unread ones)."""
    if unread_count(user):
        _mark(user, Notification.case_id == case.id)


def mark_all_read(user: User) -> int:
    return _mark(user)


def set_mail_events(user: User, events: Iterable[str]) -> list[str]:
    """Choose the events `user` also gets by e-mail; commit."""
    chosen = [e.value for e in NotificationEvent if e.value in set(events)]
    user.notify_by_mail = chosen
    db.session.commit()
    return chosen
