"""The case page's composer: one "Send" with the status to set, through the test client."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, Case, CaseStatus, Message, OutboxMail, Role
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_user


@pytest.fixture
def desk(app):
    """An agent and a customer with a case waiting for the agent."""
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind")
        anna = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
        case = make_case(
            anna.organisation, requester_id=anna.id, assignee_id=lena.id, status=CaseStatus.WAITING
        )
        db.session.commit()
        return {"lena": lena.id, "number": case.number}


def page(client, number) -> str:
    response = client.get(f"/tracker/cases/{number}")
    assert response.status_code == 200
    return response.text


def send(client, number, **data):
    token = csrf_from(page(client, number))
    return client.post(
        f"/tracker/cases/{number}/messages",
        data={"csrf_token": token, "kind": "reply", "body": "All fixed.", **data},
    )


def counts(app, number) -> tuple[str, int, int, list[str]]:
    """Status, messages, mails and timeline of the case."""
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        messages = db.session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.case_id == case.id)
        )
        mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
        summaries = list(
            db.session.scalars(
                sa.select(Activity.summary).where(Activity.case_id == case.id).order_by(Activity.id)
            )
        )
        return case.status.value, messages, mails, summaries


def test_the_composer_has_one_send_button_with_the_status_choices(app, client, desk):
    as_user(app, client, desk["lena"])
    html = page(client, desk["number"])
    composer = html[html.index('id="composer"') : html.index('class="card case-timeline"')]
    assert re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', composer) == ["Send"]
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]+)</option>', composer)
    assert options == [
        ("", "with the usual status"),
        ("answered", "and wait for the customer"),
        ("open", "and keep open"),
        ("closed", "and close"),
    ]
    # The r / n keyboard shortcuts look for these inside #composer.
    assert re.search(r'<textarea[^>]* name="body"', composer)
    assert re.search(r'<input[^>]* name="kind"[^>]* value="reply"', composer)
    assert re.search(r'<input[^>]* name="kind"[^>]* value="note"', composer)


def test_reply_and_close_in_one_post(app, client, desk):
    as_user(app, client, desk["lena"])
    response = send(client, desk["number"], then="closed")
    assert response.status_code == 302
    assert counts(app, desk["number"]) == (
        "closed",
        1,
        1,
        ["Answered by Lena Lind", "Closed by Lena Lind"],
    )
    html = client.get(response.headers["Location"]).text
    assert "Reply sent to the customer. The case is closed." in html
    assert '<span class="status status-closed">closed</span>' in html
    assert "All fixed." in html


def test_reply_and_keep_open(app, client, desk):
    as_user(app, client, desk["lena"])
    assert send(client, desk["number"], then="open").status_code == 302
    assert counts(app, desk["number"]) == ("open", 1, 1, ["Kept open by Lena Lind"])


def test_a_reply_without_a_choice_waits_for_the_customer(app, client, desk):
    as_user(app, client, desk["lena"])
    assert send(client, desk["number"]).status_code == 302
    assert counts(app, desk["number"]) == ("answered", 1, 1, ["Answered by Lena Lind"])


def test_a_note_keeps_the_status_unless_one_is_chosen(app, client, desk):
    as_user(app, client, desk["lena"])
    assert send(client, desk["number"], kind="note", then="").status_code == 302
    assert counts(app, desk["number"]) == ("waiting", 1, 0, [])
    response = send(client, desk["number"], kind="note", then="answered")
    assert response.status_code == 302
    assert counts(app, desk["number"]) == ("answered", 2, 0, ["Answered by Lena Lind"])
    html = client.get(response.headers["Location"]).text
    assert "Note added. The case waits for the customer." in html


def test_an_unknown_status_is_a_form_error_and_saves_nothing(app, client, desk):
    as_user(app, client, desk["lena"])
    response = send(client, desk["number"], then="deleted")
    assert response.status_code == 422
    assert 'id="then-error">Not a valid choice.</p>' in response.text
    assert "All fixed." in response.text  # the agent's text is kept for another try
    assert counts(app, desk["number"]) == ("waiting", 0, 0, [])


def test_a_note_cannot_reopen_a_closed_case(app, client, desk):
    as_user(app, client, desk["lena"])
    send(client, desk["number"], then="closed")
    response = send(client, desk["number"], kind="note", then="open")
    assert response.status_code == 422
    assert "a note cannot change its status" in response.text
    assert counts(app, desk["number"])[:2] == ("closed", 1)


def test_a_form_error_opens_its_action_panel(app, client, desk):
    as_user(app, client, desk["lena"])
    token = csrf_from(page(client, desk["number"]))
    response = client.post(
        f"/tracker/cases/{desk['number']}/calls", data={"csrf_token": token, "notes": ""}
    )
    assert response.status_code == 422
    assert '<details class="action-panel" id="log-call" open>' in response.text
    assert '<details class="action-panel" id="record-action">' in response.text
