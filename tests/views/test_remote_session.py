"""The remote-session screen and the customer number on the portal profile."""

from __future__ import annotations

import html as htmllib
import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, CaseStatus, Role
from tests.conftest import as_user, post_form
from tests.factories import make_case, make_organisation, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        org = make_organisation(name="Harbor Theatre", customer_number="C1002")
        agent = make_user(Role.AGENT, name="Lena Lind")
        ben = make_user(Role.CUSTOMER, organisation=org, name="Ben Harris")
        case = make_case(org, number=10042, status=CaseStatus.OPEN, assignee_id=agent.id)
        db.session.commit()
        return {"agent": agent.id, "ben": ben.id, "case": case.id}


URL = "/tracker/cases/10042/remote-session"


def text(html: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def timeline(app, case_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Activity.summary).where(Activity.case_id == case_id).order_by(Activity.id)
            )
        )


def test_the_customer_reads_their_number_on_their_profile(app, client, desk):
    page = text(as_user(app, client, desk["ben"]).get("/auth/profile").text)
    assert "Customer number C1002" in page
    assert "read out this number" in page


def test_staff_profiles_show_no_customer_number(app, client, desk):
    assert "Customer number" not in as_user(app, client, desk["agent"]).get("/auth/profile").text


def test_the_case_page_links_to_the_screen_which_does_not_show_the_number(app, client, desk):
    as_user(app, client, desk["agent"])
    assert (
        f'href="{URL}">Remote session: identity check</a>'
        in client.get("/tracker/cases/10042").text
    )
    page = client.get(URL).text
    assert "Number the customer reads out" in page
    assert "C1002" not in page  # the customer proves it; the screen does not give it away
    assert "disconnect me at once" in page


def test_check_start_and_end_are_logged_on_the_case(app, client, desk):
    as_user(app, client, desk["agent"])
    checked = post_form(client, URL + "/check", {"number": "c 1002"}, page=URL)
    assert checked.status_code == 200
    page = text(checked.text)
    assert "It matches. That is the customer number of Harbor Theatre." in page
    assert "Read this to the customer" in page
    assert timeline(app, desk["case"]) == []
    started = post_form(client, URL + "/start", {"number": "c 1002"}, page=URL)
    assert started.status_code == 302
    page = text(client.get(started.headers["Location"]).text)
    assert "Session in progress" in page and "by Lena Lind" in page
    ended = post_form(client, URL + "/end", {}, page=URL)
    assert ended.status_code == 302
    case_page = text(client.get(ended.headers["Location"]).text)
    assert "Remote session ended and logged on the case." in case_page
    assert "Remote session started: identity confirmed by customer number" in case_page
    assert "Remote session ended, customer confirmed we are disconnected" in case_page


def test_a_wrong_number_is_a_clear_message_and_only_a_refusal_is_recorded(app, client, desk):
    as_user(app, client, desk["agent"])
    response = post_form(client, URL + "/check", {"number": "C9999"}, page=URL)
    assert response.status_code == 422
    page = text(response.text)
    assert (
        "C9999 is neither the customer number of Harbor Theatre nor one of its case numbers. "
        "Do not connect" in page
    )
    assert "Read this to the customer" not in page
    assert timeline(app, desk["case"]) == [
        "Remote session refused: the number read out (C9999) is not Harbor Theatre's"
    ]
    empty = post_form(client, URL + "/check", {"number": ""}, page=URL)
    assert empty.status_code == 422
    assert "Type the number the customer reads out." in empty.text
    assert len(timeline(app, desk["case"])) == 1


def test_ending_without_a_session_says_so(app, client, desk):
    as_user(app, client, desk["agent"])
    response = post_form(client, URL + "/end", {}, page=URL)
    assert (
        "No remote session is in progress on this case."
        in client.get(response.headers["Location"]).text
    )


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.BILLING])
def test_only_agents_and_admins_run_remote_sessions(app, client, desk, role):
    with app.app_context():
        user = make_user(role)
        db.session.commit()
        user_id = user.id
    assert as_user(app, client, user_id).get(URL).status_code == 403
