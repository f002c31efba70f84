"""Did this solve it?: the question on mailed answers, answering it, and the report's scores."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Article,
    CaseStatus,
    Feedback,
    FeedbackArticle,
    MessageKind,
    OutboxMail,
    Role,
    Setting,
    Visibility,
)
from helpdesk.rules.feedback import Outcome
from helpdesk.services.cases import feedback
from helpdesk.services.mail import canned, outbox
from helpdesk.services.reports import feedback_report
from helpdesk.services.reports.reports import Period
from helpdesk.services.tracker import phone, tracker
from tests.factories import make_case, make_user

pytestmark = pytest.mark.usefixtures("ctx")

LINK = re.compile(r"Did this solve it\? Yes: (\S+)  No: (\S+)")


@pytest.fixture
def world():
    lena = make_user(Role.AGENT, name="Lena Lind")
    anna = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
    article = Article(
        slug="reset-licence",
        title="Resetting a licence",
        body="Open My orders.",
        body_html="<p>Open My orders.</p>",
        visibility=Visibility.PUBLIC,
    )
    hidden = Article(
        slug="escalations",
        title="Escalations",
        body="Staff only.",
        body_html="<p>Staff only.</p>",
        visibility=Visibility.INTERNAL,
    )
    db.session.add_all([article, hidden])
    case = make_case(anna.organisation, requester_id=anna.id, assignee_id=lena.id)
    case.status = CaseStatus.OPEN
    db.session.commit()
    return {"lena": lena, "anna": anna, "case": case, "article": article}


def reply(world, body="Restart the service.", policy=None):
    return tracker.agent_message(
        agent=world["lena"],
        case=world["case"],
        body=body,
        kind=MessageKind.REPLY,
        uploads=[],
        policy=policy,
    )


def only_mail() -> OutboxMail:
    [mail] = db.session.scalars(sa.select(OutboxMail)).all()
    return mail


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_public_reply_asks_with_two_links_and_remembers_who_and_what(world, policy):
    other = Article(slug="proxy", title="Proxy", body="x", body_html="<p>x</p>")
    db.session.add(other)
    db.session.commit()
    message = reply(
        world,
        "See https://x/help/reset-licence and http://127.0.0.1:5000/help/reset-licence "
        "and http://127.0.0.1:5000/help/escalations "
        f"and http://127.0.0.1:5000/help/articles/{other.id}",
        policy,
    )
    mail = only_mail()
    yes, no = LINK.search(mail.body_text).groups()
    assert mail.body_text.rstrip().endswith(no)
    assert yes.startswith("http://127.0.0.1:5000/feedback/")
    assert feedback.read_token(token_of(yes)) == feedback.Vote(mail.id, world["case"].id, True)
    assert feedback.read_token(token_of(no)).solved is False
    question = db.session.scalar(sa.select(Feedback))
    assert (question.outbox_mail_id, question.case_id) == (mail.id, world["case"].id)
    assert (question.agent_id, question.message_id) == (world["lena"].id, message.id)
    assert question.canned_key is None and question.solved is None
    # The public article linked in the reply is carried; the internal one is not.
    carried = db.session.scalars(sa.select(FeedbackArticle.article_id)).all()
    assert sorted(carried) == sorted([world["article"].id, other.id])


def test_a_system_email_asks_and_names_itself_and_the_agent(world):
    canned.seed_defaults()
    phone.send_system_email(
        world["lena"],
        world["anna"].organisation,
        "anna@northwind.example",
        "Anna Novak",
        "faq-open-case",
        world["case"],
    )
    mail = only_mail()
    assert LINK.search(mail.body_text)
    question = db.session.scalar(sa.select(Feedback))
    assert (question.canned_key, question.agent_id) == ("faq-open-case", world["lena"].id)


def test_acknowledgements_and_mail_without_a_case_do_not_ask(world):
    outbox.queue_mail(
        to_address="anna@northwind.example",
        subject="We received your case",
        template="case_opened",
        case=world["case"],
        user=world["anna"],
    )
    outbox.queue_mail(
        to_address="someone@else.example",
        subject="How to open a case",
        template="how_to_open_case",
        name="Someone",
        body=None,
    )
    db.session.commit()
    assert all(
        "Did this solve it?" not in m.body_text for m in db.session.scalars(sa.select(OutboxMail))
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0


def test_answering_records_refuses_the_same_again_and_takes_a_changed_mind(world, policy):
    reply(world, policy=policy)
    mail = only_mail()
    yes_url, no_url = LINK.search(mail.body_text).groups()
    yes, no = feedback.read_token(token_of(yes_url)), feedback.read_token(token_of(no_url))
    asked = mail.created_at
    outcome, question = feedback.answer(yes, now=asked + timedelta(hours=1))
    assert outcome is Outcome.RECORDED and question.solved is True
    assert question.answered_at == asked + timedelta(hours=1)
    assert feedback.answer(yes, now=asked + timedelta(hours=2))[0] is Outcome.ALREADY
    outcome, question = feedback.answer(no, now=asked + timedelta(days=3))
    assert outcome is Outcome.CHANGED and question.solved is False
    assert question.changed_at == asked + timedelta(days=3)
    assert question.answered_at == asked + timedelta(hours=1)
    # After the window nothing changes any more.
    outcome, question = feedback.answer(yes, now=asked + timedelta(days=30))
    assert outcome is Outcome.EXPIRED and question.solved is False


def test_the_window_is_a_setting(world, policy):
    reply(world, policy=policy)
    mail = only_mail()
    yes = feedback.read_token(token_of(LINK.search(mail.body_text).group(1)))
    db.session.add(Setting(key="FEEDBACK_LINK_DAYS", value=2))
    db.session.commit()
    assert feedback.answer(yes, now=mail.created_at + timedelta(days=2))[0] is Outcome.EXPIRED


def test_tampered_and_foreign_tokens_are_refused(world, policy):
    reply(world, policy=policy)
    mail = only_mail()
    token = token_of(LINK.search(mail.body_text).group(1))
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x", token + "x", ""):
        with pytest.raises(feedback.BadLink):
            feedback.read_token(bad)
    # Signed by us, but naming another case than the mail's: refused too.
    wrong_case = feedback.read_token(feedback.make_token(mail.id, world["case"].id + 1, True))
    with pytest.raises(feedback.BadLink):
        feedback.answer(wrong_case, now=mail.created_at)
    no_mail = feedback.read_token(feedback.make_token(mail.id + 99, world["case"].id, True))
    with pytest.raises(feedback.BadLink):
        feedback.question_for(no_mail)


def test_article_page_answers_once_per_reader_and_may_change(world):
    article, now = world["article"], world["case"].created_at
    outcome, first = feedback.answer_on_article(article, True, earlier_id=None, now=now)
    assert outcome is Outcome.RECORDED
    again = feedback.answer_on_article(article, True, earlier_id=first.id, now=now)
    assert again[0] is Outcome.ALREADY and again[1].id == first.id
    changed = feedback.answer_on_article(article, False, earlier_id=first.id, now=now)
    assert changed[0] is Outcome.CHANGED and changed[1].solved is False
    # Someone else's answer id (or a made-up one) starts a new answer.
    other = feedback.answer_on_article(article, True, earlier_id=first.id + 50, now=now)
    assert other[0] is Outcome.RECORDED and other[1].id != first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackArticle)) == 2


def _answered(world, *, key=None, solved, article=None, agent=None):
    row = Feedback(
        case_id=world["case"].id,
        agent_id=(agent or world["lena"]).id,
        canned_key=key,
        solved=solved,
        created_at=world["case"].created_at,
    )
    db.session.add(row)
    db.session.flush()
    if article is not None:
        db.session.add(FeedbackArticle(feedback_id=row.id, article_id=article.id))
    return row


def test_the_report_scores_agents_emails_and_articles_and_flags_the_weak(world):
    canned.seed_defaults()
    tomas = make_user(Role.AGENT, name="Tomas Tran")
    for solved in (False, False, False, True, None):  # 4 answers, 3 No, one not answered
        _answered(world, key="faq-open-case", solved=solved, article=world["article"])
    for solved in (True, True, False, True, True):
        _answered(world, key="faq-request-key", solved=solved, agent=tomas)
    db.session.commit()
    today = world["case"].created_at.date()
    period = Period(today - timedelta(days=1), today + timedelta(days=1))

    agents = feedback_report.agents_table(period)
    assert agents.rows == [("Lena Lind", 5, 4, 1, 3, 25.0), ("Tomas Tran", 5, 5, 4, 1, 80.0)]

    # Four answers are below the default minimum of five: not flagged yet.
    emails = feedback_report.emails_table(period)
    assert emails.rows == [
        ("FAQ-How to request a key", 5, 5, 4, 1, 80.0, ""),
        ("FAQ-How to open a support case", 5, 4, 1, 3, 25.0, ""),
    ]
    db.session.add(Setting(key="FEEDBACK_FLAG_MIN_ANSWERS", value=4))
    db.session.commit()
    emails = feedback_report.emails_table(period)
    assert emails.rows[0] == (
        "FAQ-How to open a support case",
        5,
        4,
        1,
        3,
        25.0,
        "Often does not solve it",
    )
    assert "from 4 answers on, when at least 50 % of them said No" in emails.note
    articles = feedback_report.articles_table(period)
    assert articles.rows == [("Resetting a licence", 5, 4, 1, 3, 25.0, "Often does not solve it")]

    # Outside the period: nothing.
    later = Period(today + timedelta(days=5), today + timedelta(days=6))
    assert feedback_report.emails_table(later).rows == []
    assert isinstance(later.first, date)
