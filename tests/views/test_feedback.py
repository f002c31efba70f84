"""Did this solve it? pages: a link from a mail shows one button; only the POST records."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Article,
    CaseStatus,
    Feedback,
    MessageKind,
    OutboxMail,
    Role,
    Visibility,
)
from helpdesk.services.cases import feedback
from helpdesk.services.cases.attachments import AttachmentPolicy
from helpdesk.services.tracker import tracker
from tests.conftest import csrf_from, login_as
from tests.factories import make_case, make_user

LINK = re.compile(r"Did this solve it\? Yes: (\S+)  No: (\S+)")


@pytest.fixture
def mailed(app, tmp_path):
    """A reply mailed to Anna on her case; the paths of its Yes and No links."""
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind")
        anna = make_user(Role.CUSTOMER, name="Anna Novak")
        case = make_case(anna.organisation, requester_id=anna.id, subject="Printer offline")
        case.status = CaseStatus.OPEN
        db.session.commit()
        tracker.agent_message(
            agent=lena,
            case=case,
            body="Restart it.",
            kind=MessageKind.REPLY,
            uploads=[],
            policy=AttachmentPolicy.from_config({**app.config, "ATTACHMENT_DIR": str(tmp_path)}),
        )
        mail = db.session.scalar(sa.select(OutboxMail))
        yes, no = LINK.search(mail.body_text).groups()
        return {
            "yes": yes.removeprefix("http://127.0.0.1:5000"),
            "no": no.removeprefix("http://127.0.0.1:5000"),
            "mail": mail.id,
            "case": case.id,
            "number": case.number,
            "anna": anna.id,
        }


def answer_of(app, mail_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(Feedback.solved).where(Feedback.outbox_mail_id == mail_id)
        )


def test_opening_the_link_records_nothing_and_shows_one_button(app, client, mailed):
    page = client.get(mailed["yes"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"case #{mailed['number']} “Printer offline”" in html
    assert html.count('type="submit"') == 1
    assert "Yes, it solved it" in html
    assert f'href="{mailed["no"]}"' in html  # the wrong link clicked: the other answer
    assert answer_of(app, mailed["mail"]) is None  # a mail scanner opening links never votes


def test_confirming_records_without_a_login_and_a_second_time_says_already(app, client, mailed):
    page = client.get(mailed["yes"])
    done = client.post(mailed["yes"], data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 302 and done.headers["Location"].endswith(mailed["yes"])
    assert answer_of(app, mailed["mail"]) is True
    shown = client.get(mailed["yes"]).get_data(as_text=True)
    assert "Thank you! We are glad it solved it." in shown
    assert "You already answered this e-mail" in shown
    assert 'type="submit"' not in shown  # nothing left to confirm
    again = client.post(mailed["yes"], data={"csrf_token": csrf_from(shown)}, follow_redirects=True)
    assert "You already answered this e-mail" in again.get_data(as_text=True)
    assert answer_of(app, mailed["mail"]) is True


def test_the_other_link_changes_the_answer(app, client, mailed):
    token = csrf_from(client.get(mailed["yes"]).get_data(as_text=True))
    client.post(mailed["yes"], data={"csrf_token": token})
    page = client.get(mailed["no"]).get_data(as_text=True)
    assert "Your answer so far: it solved it." in page and "Changed your mind?" in page
    done = client.post(mailed["no"], data={"csrf_token": token}, follow_redirects=True)
    assert "We changed your answer: it did not solve it." in done.get_data(as_text=True)
    assert answer_of(app, mailed["mail"]) is False


def test_a_post_without_the_csrf_token_records_nothing(app, client, mailed):
    assert client.post(mailed["yes"]).status_code == 400
    assert answer_of(app, mailed["mail"]) is None


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_a_tampered_or_cut_link_is_a_friendly_404(app, client, mailed, cut):
    page = client.get(mailed["yes"][:-cut])
    assert page.status_code == 404
    assert "This link does not work" in page.get_data(as_text=True)


def test_a_signed_link_for_a_mail_that_does_not_exist_is_a_404(app, client, mailed):
    with app.test_request_context():
        token = feedback.make_token(mailed["mail"] + 7, mailed["case"], True)
    assert client.get(f"/feedback/{token}").status_code == 404


def test_an_expired_link_is_a_friendly_410_also_for_the_post(app, client, mailed):
    token = csrf_from(client.get(mailed["yes"]).get_data(as_text=True))
    with app.app_context():
        question = db.session.scalar(sa.select(Feedback))
        question.created_at -= timedelta(days=30)
        db.session.commit()
    page = client.get(mailed["yes"])
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    assert "work for 30 days" in page.get_data(as_text=True)
    assert client.post(mailed["yes"], data={"csrf_token": token}).status_code == 410
    assert answer_of(app, mailed["mail"]) is None


def test_logged_in_as_someone_else_the_link_still_answers_for_its_mail(app, client, mailed):
    with app.app_context():
        login_as(client, make_user(Role.AGENT))
    token = csrf_from(client.get(mailed["no"]).get_data(as_text=True))
    assert client.post(mailed["no"], data={"csrf_token": token}).status_code == 302
    assert answer_of(app, mailed["mail"]) is False


@pytest.fixture
def article(app):
    with app.app_context():
        row = Article(
            slug="reset-licence",
            title="Resetting a licence",
            body="Open My orders.",
            body_html="<p>Open My orders.</p>",
            visibility=Visibility.PUBLIC,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def test_readers_answer_on_an_article_page_once_and_may_change(app, client, article):
    page = client.get("/help/reset-licence").get_data(as_text=True)
    assert "Did this article solve it?" in page
    token = csrf_from(page)
    url = "/feedback/article/reset-licence"
    done = client.post(url, data={"csrf_token": token, "solved": "yes"}, follow_redirects=True)
    assert "glad the article helped" in done.get_data(as_text=True)
    again = client.post(url, data={"csrf_token": token, "solved": "yes"}, follow_redirects=True)
    assert "You already answered for this article" in again.get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "solved": "no"})
    with app.app_context():
        assert db.session.scalars(sa.select(Feedback.solved)).all() == [False]
    assert client.post(url, data={"csrf_token": token, "solved": "maybe"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1
    assert client.post("/feedback/article/nope", data={"csrf_token": token}).status_code == 404


def test_staff_do_not_see_the_article_question(app, client, article):
    with app.app_context():
        login_as(client, make_user(Role.AGENT))
    assert "Did this article solve it?" not in client.get("/help/reset-licence").get_data(
        as_text=True
    )


def test_the_support_report_shows_the_scores(app, client, mailed):
    token = csrf_from(client.get(mailed["no"]).get_data(as_text=True))
    client.post(mailed["no"], data={"csrf_token": token})
    with app.app_context():
        login_as(client, make_user(Role.ADMIN))
    html = client.get("/reports/support").get_data(as_text=True)
    assert "Did this solve it? per agent" in html
    section = html[html.index('id="solved-agents"') :]
    row = re.search(r"<tr><th scope=\"row\">Lena Lind</th>(.*?)</tr>", section, re.S).group(1)
    assert re.findall(r">([^<]+)</td>", row) == ["1", "1", "0", "1", "0"]
    csv = client.get("/reports/support/solved-agents.csv").get_data(as_text=True)
    assert "Lena Lind,1,1,0,1,0.0" in csv


def test_the_agents_case_page_lists_the_customers_answers(app, client, mailed):
    with app.app_context():
        agent = make_user(Role.AGENT)
        login_as(client, agent)
    page = client.get(f"/tracker/cases/{mailed['number']}").get_data(as_text=True)
    assert 'id="case-solved-title"' not in page  # nothing answered yet
    anonymous = client.application.test_client()
    token = csrf_from(anonymous.get(mailed["no"]).get_data(as_text=True))
    anonymous.post(mailed["no"], data={"csrf_token": token})
    page = client.get(f"/tracker/cases/{mailed['number']}").get_data(as_text=True)
    section = page[page.index('id="case-solved-title"') :]
    assert re.search(r'class="badge badge-note">No</span>\s*to the reply by Lena Lind', section)
