"""Did this solve it? (issue 15 item 17): one question per answer mailed to a customer, and
its yes/no once they click; also the readers' answers on a help article's own page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt
from helpdesk.models.mail import OutboxMail


class Feedback(CreatedAt, db.Model):
    """One "Did this solve it?" question and its answer (`solved` empty until answered).

    Asked by an outbox mail (`outbox_mail_id`: a public reply or a system e-mail on a case),
    or answered on an article's page (`article_id`, no mail). `created_at` is when it was asked.
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_mail_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_mails.id", ondelete="CASCADE"), unique=True
    )
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    # Who wrote the reply or sent the system e-mail.
    agent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    canned_key: Mapped[str | None] = mapped_column(sa.String(60))  # the system e-mail
    article_id: Mapped[int | None] = mapped_column(  # answered on this article's page
        sa.ForeignKey("articles.id", ondelete="CASCADE")
    )
    solved: Mapped[bool | None]
    answered_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]  # the customer changed their mind

    mail: Mapped[OutboxMail | None] = relationship(OutboxMail)

    __table_args__ = (
        sa.Index("ix_feedback_created", "created_at"),
        sa.Index("ix_feedback_canned_created", "canned_key", "created_at"),
    )


class FeedbackArticle(db.Model):
    """A help article the answer carried (a link in the mail, or the page answered on)."""

    __tablename__ = "feedback_articles"

    feedback_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
