"""Did this solve it? (issue 15 item 17): Yes/No links in answers mailed to customers.

Public replies and system e-mails on a case end with one line, "Did this solve it? Yes: <link>
No: <link>". Each link carries a signed token naming the outbox mail, its case and the answer;
nothing else is needed to answer (no login). The link's page asks to confirm with one button
(POST), so mail scanners that open every link never vote. The question row records who wrote
the reply, which system e-mail it was and which help articles it linked, for the report.
Tokens do not expire by themselves: a link works for FEEDBACK_LINK_DAYS after its mail was
queued, counted from the stored mail, so the clock is the caller's `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from helpdesk.extensions import db
from helpdesk.models import (
    Article,
    Case,
    Feedback,
    FeedbackArticle,
    Message,
    OutboxMail,
    User,
    Visibility,
    utcnow,
)
from helpdesk.rules import feedback as rules
from helpdesk.rules.canned import SLUG
from helpdesk.rules.feedback import Outcome
from helpdesk.services.core import settings
from helpdesk.services.mail.links import mail_link

SALT = "did-this-solve-it"
REPLY_TEMPLATE = "agent_replied"  # a public reply
SYSTEM_EMAIL_TEMPLATE = "canned"  # a system e-mail sent to a caller
# Only answers ask. "We received your case" and the like answer nothing yet.
ASKING_TEMPLATES = frozenset({REPLY_TEMPLATE, SYSTEM_EMAIL_TEMPLATE})
QUESTION = "Did this solve it? Yes: {yes}  No: {no}"


class BadLink(Exception):
    """The token was tampered with, or names a question that does not exist."""


@dataclass(frozen=True)
class Vote:
    """What a verified token says: this mail, on this case, answered so."""

    mail_id: int
    case_id: int
    solved: bool


# --- tokens ---------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(mail_id: int, case_id: int, solved: bool) -> str:
    """The signed token of one answer to one mail."""
    return _serializer().dumps([mail_id, case_id, 1 if solved else 0])


def read_token(token: str) -> Vote:
    """The vote a token carries; BadLink when it was not signed by us or is malformed."""
    try:
        data = _serializer().loads(token)
    except BadData:
        raise BadLink from None
    if (
        not isinstance(data, list)
        or len(data) != 3
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in data)
        or data[2] not in (0, 1)
    ):
        raise BadLink
    return Vote(mail_id=data[0], case_id=data[1], solved=bool(data[2]))


def answer_link(mail_id: int, case_id: int, solved: bool) -> str:
    """The absolute link a customer clicks to answer."""
    return mail_link("feedback.answer", token=make_token(mail_id, case_id, solved))


# --- asking, when a mail is queued ------------------------------------------------------------


def linked_articles(text: str) -> list[int]:
    """Ids of the public help articles linked in `text`: by slug (help centre, replies) or by
    id (the portal's article page, which system e-mails link)."""
    by_slug = mail_link("helpcentre.article_show", slug="x")[:-1]
    by_id = mail_link("portal.article_show", article_id=1)[:-1]
    slugs = set(re.findall(re.escape(by_slug) + f"({SLUG.pattern})", text or ""))
    ids = {int(found) for found in re.findall(re.escape(by_id) + r"(\d{1,9})\b", text or "")}
    if not slugs and not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Article.id)
            .where(
                sa.or_(Article.slug.in_(sorted(slugs)), Article.id.in_(sorted(ids))),
                Article.visibility == Visibility.PUBLIC,
            )
            .order_by(Article.id)
        )
    )


def asks(template: str, case: Case | None) -> bool:
    """Whether a mail of this template asks "Did this solve it?": answers on a case only."""
    return case is not None and template in ASKING_TEMPLATES


def ask(
    mail: OutboxMail,
    case: Case,
    *,
    template: str,
    agent: User | None = None,
    message: Message | None = None,
) -> Feedback:
    """Add the question to a mail being queued: its row, and the line with both links; no
    commit (the caller's transaction holds the mail)."""
    db.session.flush()  # the mail's id goes into the links
    question = Feedback(
        mail=mail,
        outbox_mail_id=mail.id,
        case_id=case.id,
        agent_id=agent.id if agent is not None else None,
        message_id=message.id if message is not None else None,
        canned_key=mail.template_key if template == SYSTEM_EMAIL_TEMPLATE else None,
        created_at=mail.created_at or utcnow(),
    )
    db.session.add(question)
    db.session.flush()
    for article_id in linked_articles(mail.body_text):
        db.session.add(FeedbackArticle(feedback_id=question.id, article_id=article_id))
    line = QUESTION.format(
        yes=answer_link(mail.id, case.id, True), no=answer_link(mail.id, case.id, False)
    )
    mail.body_text = mail.body_text.rstrip("\n") + "\n\n" + line + "\n"
    return question


# --- answering --------------------------------------------------------------------------------


def question_for(vote: Vote) -> Feedback:
    """The question a verified token names; BadLink when there is none (or not on that case)."""
    question = db.session.scalar(sa.select(Feedback).where(Feedback.outbox_mail_id == vote.mail_id))
    if question is None or question.case_id != vote.case_id:
        raise BadLink
    return question


def valid_days() -> int:
    """How long answer links work, in days (the administrators' setting)."""
    return int(settings.setting("FEEDBACK_LINK_DAYS"))


def expires_at(question: Feedback) -> datetime:
    """When this question's links stop working."""
    return rules.expires_at(question.created_at, valid_days())


def is_expired(question: Feedback, now: datetime) -> bool:
    """True once the question's links have stopped working."""
    return rules.is_expired(question.created_at, now, valid_days())


def answer(vote: Vote, *, now: datetime) -> tuple[Outcome, Feedback]:
    """Record the customer's answer to one mail; commit. The row is locked so two clicks at
    once cannot both count as first."""
    question = db.session.scalar(
        sa.select(Feedback).where(Feedback.outbox_mail_id == vote.mail_id).with_for_update()
    )
    if question is None or question.case_id != vote.case_id:
        db.session.rollback()
        raise BadLink
    outcome = rules.decide(
        question.solved,
        vote.solved,
        asked_at=question.created_at,
        now=now,
        valid_days=valid_days(),
    )
    if outcome is Outcome.RECORDED:
        question.solved = vote.solved
        question.answered_at = now
    elif outcome is Outcome.CHANGED:
        question.solved = vote.solved
        question.changed_at = now
    db.session.commit()
    return outcome, question


# --- a help article's own page ------------------------------------------------------------------


def answer_on_article(
    article: Article, solved: bool, *, earlier_id: int | None, now: datetime
) -> tuple[Outcome, Feedback]:
    """A reader's answer on the article's page; `earlier_id` is their earlier answer to it
    (kept in their browser session), which the same answer leaves and the other one changes;
    commit."""
    earlier = db.session.get(Feedback, earlier_id) if earlier_id is not None else None
    if earlier is not None and earlier.article_id == article.id:
        outcome = rules.decide(earlier.solved, solved, asked_at=now, now=now, valid_days=1)
        if outcome is Outcome.CHANGED:
            earlier.solved = solved
            earlier.changed_at = now
        db.session.commit()
        return outcome, earlier
    question = Feedback(article_id=article.id, solved=solved, answered_at=now, created_at=now)
    db.session.add(question)
    db.session.flush()
    db.session.add(FeedbackArticle(feedback_id=question.id, article_id=article.id))
    db.session.commit()
    return Outcome.RECORDED, question


# --- the agent's case page ----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseAnswer:
    """One customer answer on a case, as the case page lists it."""

    solved: bool
    answered_at: datetime
    agent_name: str | None
    system_email: str | None  # the system e-mail's title, for those


def case_answers(case_id: int, limit: int = 10) -> list[CaseAnswer]:
    """The customer's answers to the mails of a case, newest first."""
    from helpdesk.models import CannedResponse  # only the case page needs the titles

    rows = db.session.execute(
        sa.select(
            Feedback.solved,
            sa.func.coalesce(Feedback.changed_at, Feedback.answered_at),
            User.name,
            sa.func.coalesce(CannedResponse.title, Feedback.canned_key),
        )
        .outerjoin(User, User.id == Feedback.agent_id)
        .outerjoin(CannedResponse, CannedResponse.key == Feedback.canned_key)
        .where(Feedback.case_id == case_id, Feedback.solved.is_not(None))
        .order_by(sa.func.coalesce(Feedback.changed_at, Feedback.answered_at).desc(), Feedback.id)
        .limit(limit)
    ).all()
    return [CaseAnswer(*row) for row in rows]
