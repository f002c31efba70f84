"""Macros through the test client: the composer's picker, sending with a macro, the macros
page (personal and shared, by role), CSRF, and the support report's Macros table."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    CannedResponse,
    Case,
    CaseStatus,
    MacroUse,
    Message,
    Role,
)
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_order, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def desk(app):
    """Two agents, an admin, a customer's case, a shared macro that closes and personal ones."""
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind")
        tomas = make_user(Role.AGENT, name="Tomas Tran")
        admin = make_user(Role.ADMIN, name="Ada Admin")
        anna = make_user(Role.CUSTOMER, name="Anna Novak")
        order = make_order(anna.organisation)
        case = make_case(
            anna.organisation,
            requester_id=anna.id,
            order_id=order.id,
            assignee_id=lena.id,
            status=CaseStatus.OPEN,
        )
        shared = CannedResponse(
            title="Solved: closing",
            body="Hello {customer_name}, closing #{case_number}. {agent_name}",
            actions={"status": "closed"},
        )
        mine = CannedResponse(
            title="Log file please", body="Send the log of {organisation}.", owner_id=lena.id
        )
        theirs = CannedResponse(title="Tomas's secret", body="Hush.", owner_id=tomas.id)
        db.session.add_all([shared, mine, theirs])
        db.session.commit()
        return {
            "lena": lena.id,
            "tomas": tomas.id,
            "admin": admin.id,
            "anna": anna.id,
            "number": case.number,
            "org": anna.organisation.name,
            "shared": shared.id,
            "mine": mine.id,
            "theirs": theirs.id,
        }


def picker(client, desk, query=""):
    return client.get(
        f"/tracker/cases/{desk['number']}/macros", query_string={"macro_q": query}, headers=HX
    )


def test_the_case_page_has_the_picker_inside_the_composer_form(app, client, desk):
    as_user(app, client, desk["lena"])
    page = client.get(f"/tracker/cases/{desk['number']}").text
    form = page[page.index('id="composer"') :]
    form = form[: form.index("</form>")]
    assert 'name="macro_id"' in form and 'id="macro-search"' in form
    assert form.index('name="macro_id"') < form.index('name="body"')
    assert "macro-picker.js" in page


def test_picker_lists_shared_and_mine_rendered_for_the_case_never_a_colleagues(app, client, desk):
    as_user(app, client, desk["lena"])
    response = picker(client, desk)
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert "Solved: closing" in text and "Log file please" in text
    assert "Tomas's secret" not in text
    assert f"Hello Anna Novak, closing #{desk['number']}. Lena Lind" in text
    assert f"Send the log of {desk['org']}." in text
    assert "On send: status: closed" in text


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("closing", "Solved: closing", "Log file please"),
        ("LOG", "Log file please", "Solved: closing"),
        ("organisation", "Log file please", "Solved: closing"),  # the text matches too
    ],
)
def test_picker_filters_as_you_type(app, client, desk, query, shown, hidden):
    as_user(app, client, desk["lena"])
    text = html.unescape(picker(client, desk, query).text)
    assert shown in text and hidden not in text


def test_picker_says_when_nothing_matches(app, client, desk):
    as_user(app, client, desk["lena"])
    text = html.unescape(picker(client, desk, "zebra").text)
    assert "No macro matches “zebra”." in text and "macro-option" not in text


def test_picker_is_for_staff_on_cases_they_can_see(app, client, desk):
    as_user(app, client, desk["anna"])
    assert picker(client, desk).status_code == 403
    as_user(app, client, desk["lena"])
    missing = client.get("/tracker/cases/999999/macros", headers=HX)
    assert missing.status_code == 404
    # Without htmx it is the case page's job.
    assert client.get(f"/tracker/cases/{desk['number']}/macros").status_code == 302


def send(client, desk, **data):
    token = csrf_from(client.get(f"/tracker/cases/{desk['number']}").text)
    return client.post(
        f"/tracker/cases/{desk['number']}/messages",
        data={"csrf_token": token, "kind": "reply", "body": "All fixed now.", **data},
    )


def case_of(app, desk) -> Case:
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == desk["number"]))
        db.session.expunge(case)
        return case


def test_sending_with_a_shared_macro_applies_its_status_and_logs_it(app, client, desk):
    as_user(app, client, desk["lena"])
    response = send(client, desk, macro_id=str(desk["shared"]))
    assert response.status_code == 302
    assert case_of(app, desk).status == CaseStatus.CLOSED
    page = html.unescape(client.get(f"/tracker/cases/{desk['number']}").text)
    assert "All fixed now." in page
    assert "Macro “Solved: closing” used: status closed" in page
    with app.app_context():
        assert db.session.get(CannedResponse, desk["shared"]).use_count == 1


@pytest.mark.parametrize("macro_id", ["theirs", "999999", "abc", "99999999999999999999"])
def test_a_colleagues_or_unknown_macro_is_a_form_error_and_nothing_is_saved(
    app, client, desk, macro_id
):
    as_user(app, client, desk["lena"])
    response = send(client, desk, macro_id=str(desk.get(macro_id, macro_id)))
    assert response.status_code == 422
    assert "That macro is not one of yours or the team&#39;s" in response.text
    assert "All fixed now." in response.text  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MacroUse)) == 0
    assert case_of(app, desk).status == CaseStatus.OPEN


def test_sending_without_a_macro_is_unchanged(app, client, desk):
    as_user(app, client, desk["lena"])
    assert send(client, desk, macro_id="").status_code == 302
    assert case_of(app, desk).status == CaseStatus.ANSWERED
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MacroUse)) == 0


def test_macros_page_shows_mine_and_shared_with_usage(app, client, desk):
    as_user(app, client, desk["lena"])
    send(client, desk, macro_id=str(desk["mine"]))
    page = html.unescape(client.get("/tracker/macros").text)
    mine = page[page.index("My macros") : page.index("Shared with the team")]
    shared = page[page.index("Shared with the team") :]
    assert "Log file please" in mine and "Solved: closing" in shared
    assert "Tomas's secret" not in page
    assert f'href="/tracker/macros/{desk["mine"]}"' in page
    assert f'href="/tracker/macros/{desk["shared"]}"' not in page  # agents do not edit shared
    row = mine[mine.index("Log file please") :]
    assert '<td class="num" data-label="Uses">1</td>' in row


def post(client, url, data, page="/tracker/macros/new"):
    token = csrf_from(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **data})


def test_an_agent_writes_edits_and_deletes_a_personal_macro(app, client, desk):
    as_user(app, client, desk["lena"])
    created = post(
        client,
        "/tracker/macros/new",
        {"title": "Thanks", "body": "Thanks, {customer_name}!", "status": "answered"},
    )
    assert created.status_code == 302
    with app.app_context():
        macro = db.session.scalar(sa.select(CannedResponse).where(CannedResponse.title == "Thanks"))
        assert macro.owner_id == desk["lena"] and macro.actions == {"status": "answered"}
        macro_id = macro.id
    edited = post(
        client,
        f"/tracker/macros/{macro_id}",
        {"title": "Thanks a lot", "body": "Thanks!", "active": "y"},
        page=f"/tracker/macros/{macro_id}",
    )
    assert edited.status_code == 302
    assert post(client, f"/tracker/macros/{macro_id}/delete", {}).status_code == 302
    with app.app_context():
        assert db.session.get(CannedResponse, macro_id) is None
        actions = db.session.scalars(
            sa.select(AuditLog.action).where(AuditLog.action.like("macro.%")).order_by(AuditLog.id)
        ).all()
        assert actions == ["macro.create", "macro.update", "macro.delete"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "x"}, "Enter a name."),
        ({"title": "x", "body": "Hi {nickname}"}, "Unknown placeholder {nickname}"),
        ({"title": "x", "body": "x", "status": "deleted"}, "Not a valid choice"),
        ({"title": "x", "body": "x", "article_slug": "no-such-page"}, "no public help article"),
    ],
)
def test_bad_macros_show_form_errors(app, client, desk, data, message):
    as_user(app, client, desk["lena"])
    response = post(client, "/tracker/macros/new", data)
    assert response.status_code == 422 and message in html.unescape(response.text)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedResponse)) == 3


def test_agents_cannot_share_or_touch_others_macros(app, client, desk):
    as_user(app, client, desk["lena"])
    # The "shared" box is not offered to agents, and posting it anyway shares nothing.
    assert 'name="shared"' not in client.get("/tracker/macros/new").text
    response = post(client, "/tracker/macros/new", {"title": "Mine", "body": "x", "shared": "y"})
    assert response.status_code == 422
    assert "Only administrators share macros" in response.text
    assert client.get(f"/tracker/macros/{desk['theirs']}").status_code == 404
    assert client.get(f"/tracker/macros/{desk['shared']}").status_code == 403
    assert post(client, f"/tracker/macros/{desk['theirs']}/delete", {}).status_code == 404
    assert post(client, f"/tracker/macros/{desk['shared']}/delete", {}).status_code == 403
    with app.app_context():
        assert db.session.get(CannedResponse, desk["theirs"]) is not None


def test_an_admin_shares_a_macro_and_edits_shared_ones(app, client, desk):
    as_user(app, client, desk["admin"])
    created = post(
        client,
        "/tracker/macros/new",
        {"title": "Team hello", "body": "Hello!", "shared": "y", "active": "y"},
    )
    assert created.status_code == 302
    with app.app_context():
        macro = db.session.scalar(
            sa.select(CannedResponse).where(CannedResponse.title == "Team hello")
        )
        assert macro.owner_id is None
    page = f"/tracker/macros/{desk['shared']}"
    edited = post(client, page, {"title": "Solved", "body": "Bye.", "active": "y"}, page=page)
    assert edited.status_code == 302
    # Agents see it in their picker.
    as_user(app, client, desk["lena"])
    assert "Team hello" in picker(client, desk, "hello").text


def test_macro_posts_need_the_csrf_token(app, client, desk):
    as_user(app, client, desk["lena"])
    refused = client.post("/tracker/macros/new", data={"title": "x", "body": "y"})
    assert refused.status_code == 400
    refused = client.post(f"/tracker/macros/{desk['mine']}/delete")
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(CannedResponse, desk["mine"]) is not None


def test_customers_never_reach_the_macros_pages(app, client, desk):
    as_user(app, client, desk["anna"])
    assert client.get("/tracker/macros").status_code == 403
    assert client.get(f"/tracker/macros/{desk['mine']}").status_code == 403


def test_support_report_lists_macro_uses(app, client, desk):
    as_user(app, client, desk["lena"])
    send(client, desk, macro_id=str(desk["mine"]))
    as_user(app, client, desk["admin"])
    page = html.unescape(client.get("/reports/support").text)
    section = page[page.index('id="macros"') :]
    section = section[: section.index("</section>")]
    assert "Log file please" in section and '<td class="num">1</td>' in section
    assert "Solved: closing" not in section  # not used in the period
    csv = client.get("/reports/support/macros.csv").text.splitlines()
    assert csv[0].lstrip("\ufeff") == "Macro,Uses,Last used"
    assert csv[1].startswith("Log file please,1,")


def test_macro_names_and_text_are_shown_as_text_in_the_picker(app, client, desk):
    with app.app_context():
        macro = db.session.get(CannedResponse, desk["mine"])
        macro.title = '<img src=x onerror="alert(1)">'
        macro.body = '"><script>alert(2)</script>'
        db.session.commit()
    as_user(app, client, desk["lena"])
    text = picker(client, desk).text
    assert "<img" not in text and "<script>" not in text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in text


def test_the_system_e_mails_page_lists_no_saved_replies(app, client, desk):
    with app.app_context():
        db.session.add(CannedResponse(key="faq-x", title="FAQ-X", subject="X", body="Hi"))
        db.session.commit()
    as_user(app, client, desk["admin"])
    page = client.get("/admin/canned").text
    assert "FAQ-X" in page and "Log file please" not in page and "Solved: closing" not in page
    assert client.get(f"/admin/canned/{desk['mine']}").status_code == 404
