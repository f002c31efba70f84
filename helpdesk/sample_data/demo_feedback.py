"""Demo "Did this solve it?" answers (issue 15 item 17), so the support report has scores:
the answers mailed on the finished cases of the demo history, system e-mails sent on some of
them, one of which ("FAQ-How to request a key") customers often say did not solve it, and a
few readers' answers on help articles. Mails are built the way the app builds them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Article,
    Case,
    CaseStatus,
    Feedback,
    FeedbackArticle,
    Message,
    MessageKind,
    OutboxMail,
    OutboxStatus,
    User,
)
from helpdesk.services.mail import outbox
from helpdesk.services.tracker import phone

# One answer per reply mailed on a finished case, in turn (None: the customer never answered).
REPLY_ANSWERS = [True, True, None, True, False, True, True, None, True, True, False, True]
# (system e-mail, answers): the key request often does not solve it, the case one does.
SYSTEM_EMAILS = [
    ("faq-request-key", [False, False, True, False, False, None]),
    ("faq-open-case", [True, True, True, None, True, False]),
]
# Readers' answers on a help article's own page.
PAGE_ANSWERS = {"install-checklist": [True, True, True, False]}


def load(agents: list[User]) -> None:
    """Add the mails and answers (the demo history must exist); no commit."""
    replies = db.session.execute(
        sa.select(Case, Message)
        .join(Message, Message.case_id == Case.id)
        .where(
            Case.status == CaseStatus.CLOSED,
            Message.kind == MessageKind.REPLY,
            Message.from_customer.is_(False),
        )
        .order_by(Message.created_at, Message.id)
    ).all()
    for index, (case, message) in enumerate(replies):
        mail = outbox.queue_mail(
            to_address=case.correspondent_email or case.requester.email,
            to_name=case.requester.name if case.requester else "",
            case=case,
            user=case.requester,
            subject=f"Re: {case.subject}",
            template="agent_replied",
            message=message,
            agent=message.author,
        )
        _sent_and_answered(mail, message.created_at, REPLY_ANSWERS[index % len(REPLY_ANSWERS)])
    position = 0
    for key, answers in SYSTEM_EMAILS:
        canned = phone.canned_response(key)
        if canned is None:
            continue
        for answer in answers:
            case, message = replies[position % len(replies)]
            position += 1
            agent = agents[position % len(agents)]
            person = case.requester
            email = phone.render_system_email(
                canned,
                phone.mail_variables(
                    key=key, recipient_name=person.name, case_number=str(case.number), agent=agent
                ),
            )
            mail = outbox.queue_mail(
                to_address=person.email,
                to_name=person.name,
                subject=email.subject,
                template="canned",
                case=case,
                user=person,
                template_key=key,
                body=email.body,
                agent=agent,
            )
            _sent_and_answered(mail, message.created_at + timedelta(minutes=30), answer)
    for slug, answers in PAGE_ANSWERS.items():
        article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
        if article is None or not replies:
            continue
        for day, solved in enumerate(answers):
            at = replies[0][1].created_at + timedelta(days=2 * day + 1)
            question = Feedback(article_id=article.id, solved=solved, answered_at=at, created_at=at)
            db.session.add(question)
            db.session.flush()
            db.session.add(FeedbackArticle(feedback_id=question.id, article_id=article.id))


def _sent_and_answered(mail: OutboxMail, at, solved: bool | None) -> None:
    """Back-date a demo mail to when it was written, mark it sent, and answer its question."""
    mail.created_at = mail.next_attempt_at = at
    mail.status, mail.sent_at, mail.attempts = OutboxStatus.SENT, at, 1
    question = db.session.scalar(sa.select(Feedback).where(Feedback.outbox_mail_id == mail.id))
    question.created_at = at
    if solved is not None:
        question.solved, question.answered_at = solved, at + timedelta(hours=5)
