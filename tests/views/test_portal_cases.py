"""The customer portal through the test client: open, read, reply, close, reopen, files."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    Article,
    Attachment,
    Case,
    CaseLink,
    CaseStatus,
    Message,
    MessageKind,
    Origin,
    OutboxMail,
    Role,
    User,
    utcnow,
)
from tests.conftest import as_user, csrf_from, login_as
from tests.factories import make_case, make_order, make_user


@pytest.fixture
def world(app):
    """Two organisations, each with a customer and an order, and one agent."""
    with app.app_context():
        anna = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
        ben = make_user(Role.CUSTOMER, name="Ben Harris")
        agent = make_user(Role.AGENT, name="Lena Lind", email="lena@support.example")
        anna_order = make_order(anna.organisation, version="9.2")
        ben_order = make_order(ben.organisation)
        db.session.commit()
        return {
            "anna": anna.id,
            "ben": ben.id,
            "agent": agent.id,
            "anna_order": anna_order.id,
            "ben_order": ben_order.id,
        }


def open_case(client, order, **overrides):
    token = csrf_from(client.get("/cases/new").text)
    data = {
        "csrf_token": token,
        "order_id": str(order),
        "category": "support",
        "subject": "Checkout fails",
        "body": "Step 3 shows an **error**.",
        **overrides,
    }
    return client.post("/cases/new", data=data, content_type="multipart/form-data")


def only_case(app) -> Case:
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        db.session.expunge(case)
        return case


def test_new_case_form_offers_only_our_orders(app, client, world):
    as_user(app, client, world["anna"])
    html = client.get("/cases/new").text
    assert f'value="{world["anna_order"]}"' in html
    assert f'value="{world["ben_order"]}"' not in html


def test_opening_a_case_numbers_it_queues_the_mail_and_files_it_as_new(app, client, world):
    as_user(app, client, world["anna"])
    response = open_case(client, world["anna_order"])
    case = only_case(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.number}"
    page = client.get(response.headers["Location"]).text
    assert f"Your case #{case.number} is open" in page
    assert "<strong>error</strong>" in page  # Markdown rendered, sanitised
    assert (case.status, case.origin, case.assignee_id) == (CaseStatus.NEW, Origin.WEB, None)
    assert case.awaiting_agent_since is not None
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.to_address == "anna@northwind.example"
        assert mail.subject.startswith(f"[#{case.number}]") and str(case.number) in mail.body_text
        assert mail.case_id == case.id
        activity = db.session.scalar(sa.select(Activity.summary))
        assert activity == "Opened by the customer on the web"


def test_new_customer_request_goes_to_tier_two(app, client, world):
    """Seed 000: an order within 30 days is an eligible request, handled by level two."""
    as_user(app, client, world["anna"])
    open_case(client, world["anna_order"])
    assert only_case(app).tier == 2


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"subject": ""}, "Enter a subject."),
        ({"subject": "   "}, "Enter a subject."),
        ({"body": ""}, "Describe the issue."),
        ({"subject": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"category": "refund-me"}, "Not a valid choice."),
        ({"order_id": "abc"}, "Choose an order."),
    ],
)
def test_bad_case_input_shows_an_error_and_keeps_the_text(app, client, world, overrides, message):
    as_user(app, client, world["anna"])
    response = open_case(client, world["anna_order"], **overrides)
    assert response.status_code == 422
    assert message in response.text
    if "body" not in overrides:
        assert "Step 3 shows an **error**." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_subject_typed_with_line_breaks_is_stored_as_one_line(app, client, world):
    as_user(app, client, world["anna"])
    response = open_case(client, world["anna_order"], subject="Checkout\r\n fails\tat step\x0b3")
    assert response.status_code == 302
    assert only_case(app).subject == "Checkout fails at step 3"


def test_a_foreign_order_id_is_refused(app, client, world):
    as_user(app, client, world["anna"])
    response = open_case(client, world["ben_order"])
    assert response.status_code == 422 and "Not a valid choice." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_attachments_are_stored_outside_static_and_served_safely(app, client, world):
    as_user(app, client, world["anna"])
    response = open_case(
        client,
        world["anna_order"],
        attachments=[(io.BytesIO(b"trace line 1\n"), "../../etc/install.log")],
    )
    assert response.status_code == 302
    case = only_case(app)
    with app.app_context():
        attachment = db.session.scalar(sa.select(Attachment))
    assert attachment.original_name == "install.log"
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    assert "static" not in app.config["ATTACHMENT_DIR"]
    download = client.get(f"/cases/{case.number}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == b"trace line 1\n"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "text/plain"


@pytest.mark.parametrize(
    "filename, size, message",
    [
        ("page.html", 10, "not accepted"),
        ("logo.svg", 10, "not accepted"),
        ("setup.exe", 10, "not accepted"),
        ("huge.log", 10 * 1024 * 1024 + 1, "larger than 10 MB"),
    ],
)
def test_refused_files_give_a_form_error_and_keep_the_text(
    app, client, world, filename, size, message
):
    as_user(app, client, world["anna"])
    response = open_case(
        client,
        world["anna_order"],
        subject="Keep me typed",
        attachments=[(io.BytesIO(b"x" * size), filename)],
    )
    assert response.status_code == 422
    assert message in response.text and 'value="Keep me typed"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0


def test_another_organisations_case_and_files_are_404(app, client, world):
    with app.app_context():
        ben = db.session.get(User, world["ben"])
        theirs = make_case(ben.organisation, subject="Ben's private case")
        db.session.add(
            Attachment(
                case_id=theirs.id,
                original_name="secret.txt",
                stored_name="0" * 32,
                content_type="text/plain",
                size_bytes=1,
                sha256="0" * 64,
            )
        )
        db.session.commit()
        number, attachment_id = theirs.number, db.session.scalar(sa.select(Attachment.id))
    as_user(app, client, world["anna"])
    assert client.get(f"/cases/{number}").status_code == 404
    assert client.get(f"/cases/{number}/thread?v=1").status_code == 404
    assert client.get(f"/cases/{number}/attachments/{attachment_id}").status_code == 404
    assert client.get("/cases/99999999").status_code == 404
    token = csrf_from(client.get("/cases").text)
    for action in ("reply", "close", "reopen"):
        response = client.post(
            f"/cases/{number}/{action}", data={"csrf_token": token, "body": "hi"}
        )
        assert response.status_code == 404
    assert "Ben's private case" not in client.get("/cases?show=all").text


def _case_with_thread(app, world, **case_fields):
    with app.app_context():
        anna = db.session.get(User, world["anna"])
        now = utcnow()
        case = make_case(
            anna.organisation, requester_id=anna.id, assignee_id=world["agent"], **case_fields
        )
        db.session.add_all(
            [
                Message(
                    case_id=case.id,
                    author_id=world["agent"],
                    kind=MessageKind.REPLY,
                    origin=Origin.WEB,
                    body="Try the checklist.",
                    body_html="<p>Try the checklist.</p>",
                    created_at=now,
                ),
                Message(
                    case_id=case.id,
                    author_id=world["agent"],
                    kind=MessageKind.NOTE,
                    origin=Origin.WEB,
                    body="Customer seems annoyed",
                    body_html="<p>Customer seems annoyed</p>",
                    created_at=now,
                ),
            ]
        )
        case.status = CaseStatus.ANSWERED
        case.last_agent_reply_at = now
        case.awaiting_agent_since = None
        db.session.commit()
        return case.number


def test_thread_shows_public_answers_never_private_notes_and_marks_viewed(app, client, world):
    number = _case_with_thread(app, world)
    as_user(app, client, world["anna"])
    html = client.get(f"/cases/{number}").text
    assert "Try the checklist." in html
    assert "Customer seems annoyed" not in html
    assert "Answered - your reply is welcome" in html
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        assert case.customer_viewed_at >= case.last_agent_reply_at


def test_poll_answers_204_until_the_case_changes(app, client, world):
    number = _case_with_thread(app, world)
    as_user(app, client, world["anna"])
    version = re.search(r"thread\?v=(\d+)", client.get(f"/cases/{number}").text).group(1)
    assert client.get(f"/cases/{number}/thread?v={version}").status_code == 204
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        db.session.add(
            Message(
                case_id=case.id,
                author_id=world["agent"],
                kind=MessageKind.REPLY,
                origin=Origin.WEB,
                body="New answer",
                body_html="<p>New answer</p>",
            )
        )
        case.version += 1
        db.session.commit()
    fresh = client.get(f"/cases/{number}/thread?v={version}", headers={"HX-Request": "true"})
    assert fresh.status_code == 200 and "New answer" in fresh.text
    assert "<html" not in fresh.text
    assert f"thread?v={int(version) + 1}" in fresh.text


def test_reply_moves_an_answered_case_to_waiting_and_notifies_the_agent(app, client, world):
    number = _case_with_thread(app, world)
    as_user(app, client, world["anna"])
    token = csrf_from(client.get(f"/cases/{number}").text)
    response = client.post(
        f"/cases/{number}/reply",
        data={
            "csrf_token": token,
            "body": "Still broken after the checklist.",
            "attachments": [(io.BytesIO(b"\x89PNG\r\n\x1a\nscreenshot"), "after.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    html = client.get(f"/cases/{number}").text
    assert "Still broken after the checklist." in html and "after.png" in html
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        assert case.status == CaseStatus.WAITING
        assert case.awaiting_agent_since is not None
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.to_address == "lena@support.example"
        assert "Still broken after the checklist." in mail.body_text


def test_empty_reply_is_refused(app, client, world):
    number = _case_with_thread(app, world)
    as_user(app, client, world["anna"])
    token = csrf_from(client.get(f"/cases/{number}").text)
    response = client.post(f"/cases/{number}/reply", data={"csrf_token": token, "body": " "})
    assert response.status_code == 422 and "Write your reply." in response.text


def test_close_with_comment_then_reopen_within_the_period(app, client, world):
    number = _case_with_thread(app, world)
    as_user(app, client, world["anna"])
    token = csrf_from(client.get(f"/cases/{number}").text)
    closed = client.post(
        f"/cases/{number}/close", data={"csrf_token": token, "comment": "Solved, thanks!"}
    )
    assert closed.status_code == 302
    html = client.get(f"/cases/{number}").text
    assert "Solved, thanks!" in html and "This case is closed" in html
    assert f'action="/cases/{number}/reply"' not in html
    refused = client.post(f"/cases/{number}/reply", data={"csrf_token": token, "body": "more"})
    assert "This case is closed. Reopen it to write again." in refused.text
    reopened = client.post(f"/cases/{number}/reopen", data={"csrf_token": token})
    assert reopened.headers["Location"] == f"/cases/{number}"
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        assert case.status == CaseStatus.WAITING and case.closed_at is None


def test_reopening_after_the_period_opens_a_linked_case(app, client, world):
    with app.app_context():
        anna = db.session.get(User, world["anna"])
        old = make_case(
            anna.organisation,
            requester_id=anna.id,
            status=CaseStatus.CLOSED,
            closed_at=utcnow() - timedelta(days=app.config["REOPEN_DAYS"] + 1),
            awaiting_agent_since=None,
            subject="Old trouble",
        )
        db.session.commit()
        number = old.number
    as_user(app, client, world["anna"])
    token = csrf_from(client.get(f"/cases/{number}").text)
    response = client.post(f"/cases/{number}/reopen", data={"csrf_token": token})
    with app.app_context():
        follow = db.session.scalar(sa.select(Case).where(Case.number != number))
        link = db.session.scalar(sa.select(CaseLink))
        assert response.headers["Location"] == f"/cases/{follow.number}"
        assert (link.case_id, link.linked_case_id) == (follow.id, old.id)
        assert follow.subject == "Follow-up: Old trouble" and follow.status == CaseStatus.NEW
        assert db.session.get(Case, old.id).status == CaseStatus.CLOSED


def test_case_list_tabs_and_customer_words(app, client, world):
    with app.app_context():
        anna = db.session.get(User, world["anna"])
        make_case(anna.organisation, subject="Still open one")
        make_case(
            anna.organisation, subject="Done one", status=CaseStatus.CLOSED, closed_at=utcnow()
        )
        db.session.commit()
    as_user(app, client, world["anna"])
    open_tab = client.get("/cases").text
    closed_tab = client.get("/cases?show=closed").text
    assert "Still open one" in open_tab and "Done one" not in open_tab
    assert "Done one" in closed_tab and "Still open one" not in closed_tab
    assert "Received" in open_tab
    assert client.get("/cases?show=bogus").status_code == 200


def test_suggestions_match_public_articles_only(app, client, world):
    with app.app_context():
        db.session.add_all(
            [
                Article(
                    slug="key",
                    title="How to request a licence key",
                    body="Use My orders.",
                    body_html="<p>Use My orders.</p>",
                ),
                Article(
                    slug="internal",
                    title="Licence key internals",
                    body="Agents only.",
                    body_html="<p>Agents only.</p>",
                    visibility="internal",
                ),
            ]
        )
        db.session.commit()
    as_user(app, client, world["anna"])
    html = client.get(
        "/help/suggestions?subject=licence+key&body=", headers={"HX-Request": "true"}
    ).text
    assert "How to request a licence key" in html and "internals" not in html
    assert "No matching" in client.get("/help/suggestions?subject=zzzz").text
    assert client.get("/help/suggestions?subject=%25%25%25").status_code == 200


def test_reading_a_suggestion_counts_a_deflection_until_a_case_is_opened(app, client, world):
    with app.app_context():
        article = Article(
            slug="install",
            title="Installation checklist",
            body="Check requirements.",
            body_html="<p>Check requirements.</p>",
        )
        db.session.add(article)
        db.session.commit()
        article_id = article.id

    def deflections() -> int:
        with app.app_context():
            return db.session.get(Article, article_id).deflection_count

    as_user(app, client, world["anna"])
    shown = client.get(f"/help/articles/{article_id}", headers={"HX-Request": "true"})
    assert "Check requirements." in shown.text and "<html" not in shown.text
    client.get(f"/help/articles/{article_id}", headers={"HX-Request": "true"})
    assert deflections() == 1  # read twice, counted once
    open_case(client, world["anna_order"])
    assert deflections() == 0  # the customer opened a case after all


def test_staff_cannot_use_the_portal(app, client, world):
    as_user(app, client, world["agent"])
    assert client.get("/cases/new").status_code == 403


def test_routing_rules_assign_new_cases_with_fallback_when_away(app, client, world):
    from helpdesk.models import AgentStatus, RoutingRule

    with app.app_context():
        # Anna's recent order is an active plan: her cases need tier 2 (seed 000).
        db.session.get(User, world["agent"]).tier = 2
        other = make_user(Role.AGENT, name="Fallback Fay", tier=2)
        db.session.add(RoutingRule(position=1, assignee_id=world["agent"], fallback_id=other.id))
        db.session.commit()
        other_id = other.id
    as_user(app, client, world["anna"])
    open_case(client, world["anna_order"], subject="First")
    with app.app_context():
        agent = db.session.get(User, world["agent"])
        agent.agent_status = AgentStatus.AWAY
        db.session.commit()
    open_case(client, world["anna_order"], subject="Second")
    with app.app_context():
        assigned = dict(db.session.execute(sa.select(Case.subject, Case.assignee_id)).all())
        routed = db.session.scalars(
            sa.select(Activity.summary).where(Activity.summary.like("Routed to%"))
        ).all()
    assert assigned == {"First": world["agent"], "Second": other_id}
    assert sorted(routed) == [
        "Routed to Fallback Fay by rule \u201ceverything else\u201d; Lena Lind is away, "
        "so the fallback took it.",
        "Routed to Lena Lind by rule \u201ceverything else\u201d.",
    ]


def test_the_new_case_form_states_the_attachment_limit_an_admin_set(app, client):
    from helpdesk.models import Setting

    with app.app_context():
        customer = make_user(Role.CUSTOMER)
        make_order(customer.organisation)
        db.session.add(Setting(key="ATTACHMENTS_PER_MESSAGE", value=2))
        db.session.commit()
        login_as(client, customer)

    assert "Up to 2 files of" in client.get("/cases/new").text
