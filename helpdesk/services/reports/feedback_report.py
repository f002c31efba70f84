"""The support report's "Did this solve it?" tables (issue 15 item 17): per agent, per system
e-mail and per help article, how many customers were asked, answered, and said Yes or No;
system e-mails and articles that often do not solve it are flagged (the thresholds are the
administrators' settings). Questions count in the period they were asked."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Article, CannedResponse, Feedback, FeedbackArticle, User
from helpdesk.rules.feedback import often_unsolved, solved_percent
from helpdesk.services.core import settings
from helpdesk.services.reports.reports import Period, Table, _count_if, _in_period

ROWS_MAX = 50
FLAG = "Often does not solve it"


def _counts():
    """Asked, answered, Yes and No, as SQL aggregates over Feedback rows."""
    return (
        sa.func.count(Feedback.id),
        _count_if(Feedback.solved.is_not(None)),
        _count_if(Feedback.solved.is_(True)),
        _count_if(Feedback.solved.is_(False)),
    )


def thresholds() -> tuple[int, int]:
    """(minimum answers, per cent No) at which the report flags an e-mail or article."""
    return (
        int(settings.setting("FEEDBACK_FLAG_MIN_ANSWERS")),
        int(settings.setting("FEEDBACK_FLAG_PERCENT")),
    )


def flag_note() -> str:
    minimum, percent = thresholds()
    return (
        f"Flagged “{FLAG.lower()}” from {minimum} answers on, when at least {percent} % of "
        "them said No."
    )


def _flag(yes: int, no: int) -> str:
    minimum, percent = thresholds()
    return FLAG if often_unsolved(yes, no, min_answers=minimum, percent=percent) else ""


def _sorted(rows: list[tuple]) -> list[tuple]:
    """Flagged first, then the most answered, then by name."""
    return sorted(rows, key=lambda row: (row[-1] == "", -(row[3] + row[4]), row[0]))


def agents_table(period: Period) -> Table:
    """Per agent who wrote the reply or sent the system e-mail."""
    rows = db.session.execute(
        sa.select(User.name, *_counts())
        .join(User, User.id == Feedback.agent_id)
        .where(*_in_period(Feedback.created_at, period))
        .group_by(User.id, User.name)
        .order_by(User.name, User.id)
        .limit(ROWS_MAX)
    ).all()
    return Table(
        "solved-agents",
        "Did this solve it? per agent",
        ("Agent", "Asked", "Answered", "Solved", "Not solved", "Solved %"),
        [
            (name, asked, answered, yes, no, solved_percent(yes, no))
            for name, asked, answered, yes, no in rows
        ],
        note="Replies and system e-mails sent in the period ask the customer “Did this solve "
        "it?” with a Yes and a No link.",
    )


def emails_table(period: Period) -> Table:
    """Per system e-mail, by its title."""
    title = sa.func.coalesce(sa.func.max(CannedResponse.title), Feedback.canned_key)
    rows = db.session.execute(
        sa.select(title, *_counts())
        .outerjoin(CannedResponse, CannedResponse.key == Feedback.canned_key)
        .where(Feedback.canned_key.is_not(None), *_in_period(Feedback.created_at, period))
        .group_by(Feedback.canned_key)
        .limit(ROWS_MAX)
    ).all()
    table_rows = [
        (name, asked, answered, yes, no, solved_percent(yes, no), _flag(yes, no))
        for name, asked, answered, yes, no in rows
    ]
    return Table(
        "solved-emails",
        "Did this solve it? per system e-mail",
        ("System e-mail", "Asked", "Answered", "Solved", "Not solved", "Solved %", "Flag"),
        _sorted(table_rows),
        note=flag_note(),
    )


def articles_table(period: Period) -> Table:
    """Per help article: answers to mails that linked it, and answers on its own page."""
    rows = db.session.execute(
        sa.select(Article.title, *_counts())
        .select_from(Feedback)
        .join(FeedbackArticle, FeedbackArticle.feedback_id == Feedback.id)
        .join(Article, Article.id == FeedbackArticle.article_id)
        .where(*_in_period(Feedback.created_at, period))
        .group_by(Article.id, Article.title)
        .limit(ROWS_MAX)
    ).all()
    table_rows = [
        (name, asked, answered, yes, no, solved_percent(yes, no), _flag(yes, no))
        for name, asked, answered, yes, no in rows
    ]
    return Table(
        "solved-articles",
        "Did this solve it? per help article",
        ("Article", "Asked", "Answered", "Solved", "Not solved", "Solved %", "Flag"),
        _sorted(table_rows),
        note="Replies that linked the article, and readers who answered on its page. "
        + flag_note(),
    )


TABLES = {
    "solved-agents": agents_table,
    "solved-emails": emails_table,
    "solved-articles": articles_table,
}
