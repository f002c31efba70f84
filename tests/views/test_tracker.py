"""The agents' Issue Tracker through the test client: folders, case page, actions, bulk."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    CaseAction,
    CaseReason,
    CaseStatus,
    CaseType,
    Message,
    MessageKind,
    Origin,
    OutboxMail,
    Role,
    User,
    utcnow,
)
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_order, make_user


@pytest.fixture
def desk(app):
    """An agent, a colleague, an admin, a customer with an order, and a pick list."""
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind")
        tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2)
        admin = make_user(Role.ADMIN, name="Ada Admin")
        anna = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
        order = make_order(anna.organisation, product="AbleCommerce")
        kind = CaseType(name="Billing")
        db.session.add_all([kind, CaseAction(name="Called customer")])
        db.session.flush()
        db.session.add(CaseReason(name="Refund", case_type_id=kind.id))
        db.session.commit()
        return {
            "lena": lena.id,
            "tomas": tomas.id,
            "admin": admin.id,
            "anna": anna.id,
            "org": anna.organisation_id,
            "order": order.id,
        }


def add_case(app, desk, **fields) -> int:
    with app.app_context():
        anna = db.session.get(User, desk["anna"])
        case = make_case(anna.organisation, requester_id=anna.id, order_id=desk["order"], **fields)
        db.session.commit()
        return case.number


def load(app, number) -> Case:
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


def numbers_listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="cases" value="(\d+)"', html)]


def test_folders_list_the_right_cases_with_live_counts(app, client, desk):
    now = utcnow()
    queue = add_case(app, desk, subject="Unassigned one")
    new = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW)
    waiting = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.WAITING)
    expired = add_case(
        app,
        desk,
        assignee_id=desk["lena"],
        status=CaseStatus.OPEN,
        awaiting_agent_since=now - timedelta(days=30),
    )
    theirs = add_case(app, desk, assignee_id=desk["tomas"], status=CaseStatus.NEW)
    as_user(app, client, desk["lena"])
    assert numbers_listed(client.get("/tracker/folders/queue").text) == [queue]
    assert numbers_listed(client.get("/tracker/").text) == [new]
    assert numbers_listed(client.get("/tracker/folders/waiting").text) == [waiting]
    assert numbers_listed(client.get("/tracker/folders/expired_1").text) == [expired]
    assert sorted(numbers_listed(client.get("/tracker/folders/all").text)) == sorted(
        [queue, new, waiting, expired, theirs]
    )
    sidebar = client.get("/tracker/").text
    counts = dict(re.findall(r'data-folder="(\w+)">(\d+)<', sidebar))
    assert counts == {
        "queue": "1",
        "new": "1",
        "open": "0",
        "waiting": "1",
        "expired_1": "1",
        "expired_2": "0",
    }
    assert client.get("/tracker/folders/nonsense").status_code == 404


def test_everyone_scope_is_for_administrators_only(app, client, desk):
    theirs = add_case(app, desk, assignee_id=desk["tomas"], status=CaseStatus.NEW)
    as_user(app, client, desk["lena"])
    assert theirs not in numbers_listed(client.get("/tracker/folders/new?scope=everyone").text)
    admin = app.test_client()
    as_user(app, admin, desk["admin"])
    assert theirs in numbers_listed(admin.get("/tracker/folders/new?scope=everyone").text)
    assert theirs not in numbers_listed(admin.get("/tracker/folders/new").text)


def test_lists_sort_by_priority_then_first_come_first_served(app, client, desk):
    now = utcnow()
    old_low = add_case(app, desk, created_at=now - timedelta(hours=5), priority_score=0)
    new_high = add_case(app, desk, created_at=now - timedelta(hours=1), priority_score=10)
    old_high = add_case(app, desk, created_at=now - timedelta(hours=3), priority_score=10)
    as_user(app, client, desk["lena"])
    assert numbers_listed(client.get("/tracker/folders/queue").text) == [
        old_high,
        new_high,
        old_low,
    ]


def test_filters_narrow_the_list(app, client, desk):
    phone = add_case(app, desk, origin=Origin.PHONE, tier=2)
    web = add_case(app, desk, origin=Origin.WEB)
    as_user(app, client, desk["lena"])
    assert numbers_listed(client.get("/tracker/folders/all?origin=phone").text) == [phone]
    assert numbers_listed(client.get("/tracker/folders/all?tier=2").text) == [phone]
    assert set(numbers_listed(client.get("/tracker/folders/all?organisation=Company").text)) == {
        phone,
        web,
    }
    assert numbers_listed(client.get("/tracker/folders/all?organisation=zzz").text) == []
    assert set(numbers_listed(client.get("/tracker/folders/all?product=AbleCommerce").text)) == {
        phone,
        web,
    }
    assert numbers_listed(client.get("/tracker/folders/all?assignee=none&origin=web").text) == [web]
    assert client.get("/tracker/folders/all?tier=x&origin=<b>&type=-1").status_code == 200


def test_live_polls_answer_204_until_something_changes(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW)
    as_user(app, client, desk["lena"])
    page = client.get("/tracker/").text
    counts_known = re.search(r"/tracker/counts\?known=(\w+)", page).group(1)
    list_known = re.search(r"known=(\w+)&amp;page=1", page).group(1)
    htmx = {"HX-Request": "true"}
    assert client.get(f"/tracker/counts?known={counts_known}", headers=htmx).status_code == 204
    assert (
        client.get(f"/tracker/folders/new?known={list_known}&page=1", headers=htmx).status_code
        == 204
    )
    add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW, subject="Fresh one")
    counts = client.get(f"/tracker/counts?known={counts_known}", headers=htmx)
    assert counts.status_code == 200 and 'data-folder="new">2<' in counts.text
    listing = client.get(f"/tracker/folders/new?known={list_known}&page=1", headers=htmx)
    assert listing.status_code == 200 and "Fresh one" in listing.text
    assert "<html" not in listing.text
    assert number


def test_opening_a_new_case_moves_it_to_open(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW)
    as_user(app, client, desk["lena"])
    assert client.get(f"/tracker/cases/{number}").status_code == 200
    case = load(app, number)
    assert case.status == CaseStatus.OPEN and case.opened_at is not None


def test_someone_elses_view_does_not_open_it(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["tomas"], status=CaseStatus.NEW)
    as_user(app, client, desk["lena"])
    client.get(f"/tracker/cases/{number}")
    assert load(app, number).status == CaseStatus.NEW


def _post(client, number, action, data, **kwargs):
    token = csrf_from(client.get(f"/tracker/cases/{number}").text)
    return client.post(
        f"/tracker/cases/{number}/{action}", data={"csrf_token": token, **data}, **kwargs
    )


def test_public_reply_answers_mails_and_moves_the_case(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.WAITING)
    as_user(app, client, desk["lena"])
    response = _post(
        client,
        number,
        "messages",
        {
            "kind": "reply",
            "body": "Clear the cache, then retry.",
            "attachments": [(io.BytesIO(b"steps"), "steps.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    case = load(app, number)
    assert case.status == CaseStatus.ANSWERED and case.awaiting_agent_since is None
    assert case.first_response_at is not None and case.last_agent_reply_at is not None
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.to_address == "anna@northwind.example"
        assert "Clear the cache, then retry." in mail.body_text
        assert mail.subject == f"[#{number}] Re: {case.subject}"
    page = client.get(f"/tracker/cases/{number}").text
    assert "Clear the cache, then retry." in page and "steps.txt" in page


def test_private_note_stays_private(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.OPEN)
    as_user(app, client, desk["lena"])
    _post(client, number, "messages", {"kind": "note", "body": "Customer is on 5.1 really"})
    assert load(app, number).status == CaseStatus.OPEN
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
    agent_page = client.get(f"/tracker/cases/{number}").text
    assert "Customer is on 5.1 really" in agent_page and "Private note" in agent_page
    customer = app.test_client()
    as_user(app, customer, desk["anna"])
    assert "Customer is on 5.1 really" not in customer.get(f"/cases/{number}").text


def test_answering_an_unassigned_case_takes_it(app, client, desk):
    number = add_case(app, desk)
    as_user(app, client, desk["lena"])
    _post(client, number, "messages", {"kind": "reply", "body": "On it."})
    assert load(app, number).assignee_id == desk["lena"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "reply", "body": ""}, "Write a message."),
        ({"kind": "shout", "body": "x"}, "Not a valid choice."),
    ],
)
def test_bad_messages_show_errors(app, client, desk, data, message):
    number = add_case(app, desk)
    as_user(app, client, desk["lena"])
    response = _post(client, number, "messages", data)
    assert response.status_code == 422 and message in response.text


def test_accept_assign_and_hand_over(app, client, desk):
    number = add_case(app, desk)
    as_user(app, client, desk["lena"])
    assert _post(client, number, "accept", {}).status_code == 302
    assert load(app, number).assignee_id == desk["lena"]
    _post(
        client,
        number,
        "assign",
        {"assignee_id": str(desk["tomas"]), "note": "Going on leave; Tomas agreed."},
    )
    case = load(app, number)
    assert case.assignee_id == desk["tomas"] and case.status == CaseStatus.NEW
    page = client.get(f"/tracker/cases/{number}").text
    assert "Going on leave; Tomas agreed." in page and "Assigned to Tomas Tran" in page
    _post(client, number, "assign", {"assignee_id": ""})
    assert load(app, number).assignee_id is None
    refused = _post(client, number, "assign", {"assignee_id": str(desk["anna"])})
    assert refused.status_code == 422


def test_accepting_someone_elses_case_is_refused(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["tomas"])
    as_user(app, client, desk["lena"])
    response = _post(client, number, "accept", {})
    assert response.status_code == 422 and "already assigned to Tomas Tran" in response.text


def test_classify_priority_calls_and_actions_fill_the_timeline(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["lena"])
    with app.app_context():
        type_id = db.session.scalar(sa.select(CaseType.id))
        reason_id = db.session.scalar(sa.select(CaseReason.id))
        action_id = db.session.scalar(sa.select(CaseAction.id))
    as_user(app, client, desk["lena"])
    assert (
        _post(
            client,
            number,
            "classify",
            {"case_type_id": str(type_id), "case_reason_id": str(reason_id)},
        ).status_code
        == 302
    )
    assert _post(client, number, "priority", {"priority_score": "13"}).status_code == 302
    assert (
        _post(
            client,
            number,
            "calls",
            {"notes": "Rang back, walked through reset", "outcome": "solved"},
        ).status_code
        == 302
    )
    assert (
        _post(
            client, number, "actions", {"action_id": str(action_id), "note": "10 minutes"}
        ).status_code
        == 302
    )
    case = load(app, number)
    assert (case.case_type_id, case.case_reason_id, case.priority_score) == (type_id, reason_id, 13)
    with app.app_context():
        kinds = set(db.session.scalars(sa.select(Activity.kind)))
    assert {ActivityKind.CALL, ActivityKind.ACTION, ActivityKind.PRIORITY} <= kinds
    page = client.get(f"/tracker/cases/{number}").text
    assert "Rang back, walked through reset" in page and "Called customer: 10 minutes" in page


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("priority", {"priority_score": "1000"}, "Number must be between -50 and 100."),
        ("priority", {"priority_score": "abc"}, "Not a valid integer value."),
        ("calls", {"notes": ""}, "Write what was said."),
        ("actions", {"action_id": "999"}, "Not a valid choice."),
        ("classify", {"case_type_id": "999"}, "Not a valid choice."),
    ],
)
def test_bad_actions_show_errors(app, client, desk, action, data, message):
    number = add_case(app, desk)
    as_user(app, client, desk["lena"])
    response = _post(client, number, action, data)
    assert response.status_code == 422 and message in response.text


def test_repost_and_close_from_expired_2(app, client, desk):
    long_ago = utcnow() - timedelta(days=10)
    number = add_case(
        app,
        desk,
        assignee_id=desk["lena"],
        status=CaseStatus.ANSWERED,
        awaiting_agent_since=None,
        last_agent_reply_at=long_ago,
    )
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.number == number))
        db.session.add(
            Message(
                case_id=case_id,
                author_id=desk["lena"],
                kind=MessageKind.REPLY,
                origin=Origin.WEB,
                body="The fix is in 9.2.1",
                body_html="<p>The fix is in 9.2.1</p>",
                created_at=long_ago,
            )
        )
        db.session.commit()
    as_user(app, client, desk["lena"])
    assert number in numbers_listed(client.get("/tracker/folders/expired_2").text)
    assert _post(client, number, "repost", {}).status_code == 302
    with app.app_context():
        assert "The fix is in 9.2.1" in db.session.scalar(sa.select(OutboxMail.body_text))
    assert number not in numbers_listed(client.get("/tracker/folders/expired_2").text)
    assert _post(client, number, "close", {"comment": "Closing: no reply."}).status_code == 302
    case = load(app, number)
    assert case.status == CaseStatus.CLOSED and case.closed_by_id == desk["lena"]


def test_bulk_assign_priority_and_close(app, client, desk):
    first, second = add_case(app, desk), add_case(app, desk)
    as_user(app, client, desk["lena"])
    token = csrf_from(client.get("/tracker/folders/queue").text)

    def bulk(follow_redirects=False, **data):
        return client.post(
            "/tracker/bulk",
            follow_redirects=follow_redirects,
            data={"csrf_token": token, "back": "/tracker/folders/all", **data},
        )

    assert (
        bulk(cases=[str(first), str(second)], action="priority", priority_score="7").status_code
        == 302
    )
    assert bulk(cases=[str(first)], action="assign", assignee_id=str(desk["tomas"]))
    assert bulk(cases=[str(second)], action="close").status_code == 302
    assert load(app, first).priority_score == 7 and load(app, first).assignee_id == desk["tomas"]
    assert load(app, second).status == CaseStatus.CLOSED
    refused = bulk(action="close", follow_redirects=True)
    assert "Select at least one case" in refused.text


def test_jump_to_a_case_by_number(app, client, desk):
    number = add_case(app, desk)
    as_user(app, client, desk["lena"])
    response = client.get(f"/tracker/search?q=%23{number}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tracker/cases/{number}"


def test_customers_never_reach_the_tracker_and_billing_only_case_pages(app, client, desk):
    number = add_case(app, desk)
    with app.app_context():
        billing = make_user(Role.BILLING)
        db.session.commit()
        billing_id = billing.id
    customer = as_user(app, app.test_client(), desk["anna"])
    assert customer.get("/tracker/").status_code == 403
    assert customer.get(f"/tracker/cases/{number}").status_code == 403
    # Billing staff work the money on case pages (issue 15), never the agents' folders.
    clerk = as_user(app, app.test_client(), billing_id)
    assert clerk.get("/tracker/").status_code == 403
    assert clerk.get(f"/tracker/cases/{number}").status_code == 200


def test_query_count_of_a_folder_page_does_not_grow_with_cases(app, client, desk):
    """No query per row: 3 cases or 40 cases cost the same number of queries."""
    from sqlalchemy import event

    as_user(app, client, desk["lena"])

    def queries_for(url: str) -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    for _ in range(3):
        add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.OPEN)
    few = queries_for("/tracker/folders/all")
    for _ in range(37):
        add_case(app, desk, assignee_id=desk["tomas"], status=CaseStatus.OPEN)
    many = queries_for("/tracker/folders/all")
    assert few == many


def test_presence_warns_when_another_agent_views_or_types(app, desk):
    number = add_case(app, desk, assignee_id=desk["lena"])
    lena, tomas = app.test_client(), app.test_client()
    as_user(app, lena, desk["lena"])
    as_user(app, tomas, desk["tomas"])
    token = csrf_from(lena.get(f"/tracker/cases/{number}").text)
    alone = lena.post(f"/tracker/cases/{number}/presence", data={"csrf_token": token})
    assert alone.status_code == 200 and "right now" not in alone.text
    tomas_token = csrf_from(tomas.get(f"/tracker/cases/{number}").text)
    tomas.post(f"/tracker/cases/{number}/presence", data={"csrf_token": tomas_token})
    viewing = lena.post(f"/tracker/cases/{number}/presence", data={"csrf_token": token})
    assert "Tomas Tran is viewing this case right now." in viewing.text
    tomas.post(f"/tracker/cases/{number}/presence", data={"csrf_token": tomas_token, "typing": "1"})
    typing = lena.post(f"/tracker/cases/{number}/presence", data={"csrf_token": token})
    assert "Tomas Tran is typing a reply right now." in typing.text
    # A soft warning only: Lena can still post.
    posted = lena.post(
        f"/tracker/cases/{number}/messages",
        data={"csrf_token": token, "kind": "note", "body": "Mine, Tomas."},
    )
    assert posted.status_code == 302


def test_presence_expires(app, desk):
    from helpdesk.models import CasePresence

    number = add_case(app, desk, assignee_id=desk["lena"])
    with app.app_context():
        case_id = db.session.scalar(sa.select(Case.id).where(Case.number == number))
        db.session.add(
            CasePresence(
                case_id=case_id, user_id=desk["tomas"], seen_at=utcnow() - timedelta(minutes=2)
            )
        )
        db.session.commit()
    lena = app.test_client()
    as_user(app, lena, desk["lena"])
    token = csrf_from(lena.get(f"/tracker/cases/{number}").text)
    response = lena.post(f"/tracker/cases/{number}/presence", data={"csrf_token": token})
    assert "Tomas" not in response.text


def test_presence_post_needs_csrf(app, desk):
    number = add_case(app, desk)
    lena = app.test_client()
    as_user(app, lena, desk["lena"])
    assert lena.post(f"/tracker/cases/{number}/presence").status_code == 400


def test_search_page_ranks_highlights_and_escapes(app, client, desk):
    add_case(app, desk, subject="Printer <script>alert(1)</script> jams", body="Paper stuck.")
    add_case(app, desk, subject="Unrelated", body="The printer is fine here.")
    as_user(app, client, desk["lena"])
    html = client.get("/tracker/search?q=printer").text
    assert "2 cases found." in html
    assert "<mark>" in html and "<script>alert(1)</script>" not in html
    assert html.index("jams") < html.index("Unrelated")  # subject match ranks first
    fragment = client.get("/tracker/search?q=printer", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="search-results"' in fragment.text
    assert "Nothing found" in client.get("/tracker/search?q=zebra").text
    assert client.get('/tracker/search?q=%22)(*NEAR"').status_code == 200


def test_the_sidebar_poll_stays_204_when_only_the_minute_moves(app, client, desk, frozen_clock):
    """The stamp carries the minute so folders that move with the clock are seen; a minute
    passing with the same counts must still answer 'nothing new', not the whole sidebar."""
    add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW)
    as_user(app, client, desk["lena"])
    page = client.get("/tracker/").text
    poll = html.unescape(re.search(r'hx-get="(/tracker/counts\?[^"]+)"', page).group(1))
    htmx = {"HX-Request": "true"}
    assert client.get(poll, headers=htmx).status_code == 204
    frozen_clock.advance(61)
    assert client.get(poll, headers=htmx).status_code == 204
    frozen_clock.advance(3600)
    assert client.get(poll, headers=htmx).status_code == 204
