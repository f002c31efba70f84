"""Phone support through the test client: caller lookup, account panel, the phone procedure
screen and its system e-mail (seed 000), voice-mail intake and case links (seed 003)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    Activity,
    ActivityKind,
    Article,
    CannedResponse,
    Case,
    CaseLink,
    CaseStatus,
    Contact,
    LinkKind,
    OrderKind,
    Organisation,
    Origin,
    OutboxMail,
    Role,
    User,
    utcnow,
)
from helpdesk.rules.phone_procedure import Issue
from helpdesk.sample_data import demo
from helpdesk.services import ServiceError
from helpdesk.services.tracker import phone
from tests.conftest import as_user, csrf_from, login_as
from tests.factories import make_case, make_order, make_organisation, make_user

KEY = "AB12CD34EF56A7B8"


def _canned() -> None:
    for key, title, customers_only, body in demo.CANNED:
        db.session.add(
            CannedResponse(
                key=key,
                title=title,
                subject=title.removeprefix("FAQ-"),
                customers_only=customers_only,
                body=body,
            )
        )
    text = "Log in, choose New case, pick your order and describe the issue."
    db.session.add(
        Article(
            slug="open-support-case",
            title="How to open a support case",
            body=text,
            body_html=render_markup(text),
        )
    )


@pytest.fixture
def desk(app):
    """An agent; Harbor Theatre (no plan, a former employee); an evaluator; a long evaluator."""
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind", email="lena@helpdesk.example")
        tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2, email="tomas@helpdesk.example")
        harbor = make_organisation(name="Harbor Theatre", customer_number="C100002")
        ben = make_user(
            Role.CUSTOMER,
            organisation=harbor,
            name="Ben Harris",
            email="ben@harbortheatre.example",
        )
        ben_contact = Contact(
            organisation_id=harbor.id,
            user_id=ben.id,
            name="Ben Harris",
            email="ben@harbortheatre.example",
            phone="+1 303 555 0102",
            is_primary=True,
        )
        db.session.add(ben_contact)
        hannah = Contact(
            organisation_id=harbor.id,
            name="Hannah Price",
            email="hannah@harbortheatre.example",
            former_employee=True,
            former_note="former box office manager",
        )
        db.session.add(hannah)
        make_order(
            harbor,
            version="9.0",
            ordered_at=utcnow() - timedelta(days=200),
            licensed_website="shop.harbortheatre.example",
            licence_key=KEY,
        )
        cedar = make_organisation(name="Cedar Books")
        cara = make_user(
            Role.CUSTOMER, organisation=cedar, name="Cara Chen", email="cara@cedarbooks.example"
        )
        make_order(
            cedar, kind=OrderKind.EVALUATION, amount_cents=0, ordered_at=utcnow() - timedelta(5)
        )
        lakeside = make_organisation(name="Lakeside Crafts")
        dan = make_user(
            Role.CUSTOMER, organisation=lakeside, name="Dan Ortiz", email="dan@lakeside.example"
        )
        make_order(
            lakeside,
            kind=OrderKind.EVALUATION,
            amount_cents=0,
            ordered_at=utcnow() - timedelta(days=130),
        )
        _canned()
        db.session.commit()
        return {
            "lena": lena.id,
            "tomas": tomas.id,
            "harbor": harbor.id,
            "ben": ben.id,
            "ben_contact": ben_contact.id,
            "hannah": hannah.id,
            "cedar": cedar.id,
            "cara": cara.id,
            "lakeside": lakeside.id,
            "dan": dan.id,
        }


@pytest.fixture
def agent(app, client, desk):
    return as_user(app, client, desk["lena"])


def rows(app, model, *where):
    with app.app_context():
        found = db.session.scalars(sa.select(model).where(*where)).all()
        db.session.expunge_all()
        return found


HX = {"HX-Request": "true"}


# --- Access --------------------------------------------------------------------------------


def urls(desk) -> list[tuple[str, str]]:
    org = desk["harbor"]
    return [
        ("get", "/tracker/callers?q=harbor"),
        ("get", f"/tracker/callers/{org}"),
        ("get", f"/tracker/callers/{org}/phone?issue=support"),
        ("post", f"/tracker/callers/{org}/phone"),
        ("get", "/tracker/intake"),
        ("post", "/tracker/intake"),
        ("post", "/tracker/cases/1/link"),
    ]


@pytest.mark.parametrize(("role", "home"), [(Role.CUSTOMER, "/cases"), (Role.BILLING, "/billing/")])
def test_customers_and_billing_are_refused(app, client, desk, role, home):
    with app.app_context():
        user = make_user(role)
        db.session.commit()
        login_as(client, user)
    token = csrf_from(client.get(home).text)
    for method, url in urls(desk):
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, "issue": "support"})
        assert response.status_code == 403, url
    assert rows(app, OutboxMail) == [] and rows(app, Case) == []


def test_anonymous_visitors_log_in_first(client, desk):
    for method, url in urls(desk):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 400), url
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/auth/login")


def test_the_sidebar_links_to_lookup_and_intake(agent):
    html = agent.get("/tracker/").text
    assert 'href="/tracker/callers">Caller lookup<' in html
    assert 'href="/tracker/intake">Phone intake<' in html


# --- Caller lookup and account panel -----------------------------------------------------


def test_lookup_page_and_live_fragment(agent, desk):
    page = agent.get("/tracker/callers?q=harbortheatre")
    assert page.status_code == 200 and "<html" in page.text
    assert f'href="/tracker/callers/{desk["harbor"]}?q=harbortheatre"' in page.text
    assert 'hx-trigger="input changed delay:300ms, search"' in page.text
    fragment = agent.get("/tracker/callers?q=harbortheatre", headers=HX)
    assert "<html" not in fragment.text and 'id="caller-results"' in fragment.text
    assert "Harbor Theatre" in fragment.text and "shop.harbortheatre.example" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_lookup_by_masked_key_never_shows_the_key(agent):
    html = agent.get("/tracker/callers?q=ab12-cd34", headers=HX).text
    assert "Harbor Theatre" in html and "A7B8" in html and KEY not in html


def test_no_match_gives_the_seed_advice(agent):
    html = agent.get("/tracker/callers?q=nobody-we-know", headers=HX).text
    assert "No account found for “nobody-we-know”" in html
    assert (
        "Without an account we cannot help on this call. Ask the caller to have the person who "
        "made the purchase contact us for support."
    ) in html


def test_lookup_text_is_escaped(agent):
    html = agent.get("/tracker/callers?q=<script>x</script>", headers=HX).text
    assert "<script>x" not in html and "&lt;script&gt;" in html


def test_account_panel(agent, app, desk):
    with app.app_context():
        case = make_case(
            db.session.get(Organisation, desk["harbor"]), subject="Tickets do not print"
        )
        db.session.commit()
        number = case.number
    html = agent.get(f"/tracker/callers/{desk['harbor']}?q=harbor").text
    assert "<html" in html and 'id="caller-results"' in html  # the search stays on reload
    panel = agent.get(f"/tracker/callers/{desk['harbor']}", headers=HX).text
    assert "<html" not in panel and "Harbor Theatre" in panel and "C100002" in panel
    hannah = re.search(r'<li class="former">(.*?)</li>', panel, re.S).group(1)
    assert (
        "Hannah Price" in hannah and ">former<" in hannah and "former box office manager" in hannah
    )
    assert '<li class="current">' in panel and "Ben Harris" in panel
    assert "••••••••••••A7B8" in panel and KEY not in panel
    assert "shop.harbortheatre.example" in panel and "9.0" in panel and "purchase" in panel
    assert f'href="/tracker/cases/{number}"' in panel and "Tickets do not print" in panel
    assert "No active plan" in panel and "Ordered 200 days ago" in panel
    assert f'href="/tracker/callers/{desk["harbor"]}/phone"' in panel
    assert f'href="/tracker/intake?organisation_id={desk["harbor"]}"' in panel


def test_account_panel_of_unknown_organisation_is_404(agent):
    assert agent.get("/tracker/callers/999999").status_code == 404


# --- Phone procedure -----------------------------------------------------------------------


def phone_url(desk, org="harbor", **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/tracker/callers/{desk[org]}/phone" + (f"?{query}" if query else "")


def test_phone_screen_waits_for_the_issue(agent, desk):
    html = agent.get(phone_url(desk)).text
    assert "Phone procedure: Harbor Theatre" in html and "No active plan" in html
    assert "Ask the caller to briefly describe the issue" in html
    assert "Ben Harris &lt;ben@harbortheatre.example&gt; (primary)" in html
    assert "Hannah Price" not in html  # a former employee is not mailed
    assert 'hx-target="#phone-recommendation"' in html


def test_recommendation_fragment_with_rendered_text(agent, desk):
    html = agent.get(phone_url(desk, issue="support"), headers=HX).text
    assert "<html" not in html and html.lstrip().startswith('<section id="phone-recommendation"')
    assert "FAQ-Available support resources" in html
    assert "No active plan · Installation or support question" in html
    assert "Hello Ben Harris," in html and "Lena Lind" in html
    assert "- How to open a support case: http://" in html  # {article_links}
    assert "{customer_name}" not in html and "{agent_name}" not in html
    assert 'name="canned_key" value="faq-support-resources"' in html


@pytest.mark.parametrize(
    ("org", "args", "expected"),
    [
        ("harbor", {"issue": "bug_report"}, "FAQ-How to report a bug"),
        ("harbor", {"issue": "support", "persistent": "y"}, "FAQ-What are my priority support"),
        ("cedar", {"issue": "support"}, "FAQ-How to open a support case"),
        ("cedar", {"issue": "hosting"}, "FAQ-How to open a hosting ticket"),
    ],
)
def test_recommendation_follows_the_table(agent, desk, org, args, expected):
    assert expected in agent.get(phone_url(desk, org, **args), headers=HX).text


def test_an_evaluator_with_a_key_problem_gets_the_support_case_email(agent, desk):
    html = agent.get(phone_url(desk, "cedar", issue="licence_key"), headers=HX).text
    assert "FAQ-How to open a support case" in html and "customers only" in html


def test_long_evaluations_are_transferred_to_sales(agent, desk):
    html = agent.get(phone_url(desk, "lakeside", issue="support"), headers=HX).text
    assert "Transfer the call to Sales." in html and 'class="send-form"' not in html


def send(agent, desk, org="harbor", **fields):
    token = csrf_from(agent.get(phone_url(desk, org)).text)
    data = {
        "csrf_token": token,
        "recipient": f"contact-{desk['ben_contact']}",
        "issue": "support",
        **fields,
    }
    return agent.post(phone_url(desk, org), data=data, follow_redirects=True)


def test_send_queues_the_email_and_logs_the_call_as_a_new_phone_case(agent, app, desk):
    response = send(agent, desk, canned_key="faq-support-resources")
    assert response.status_code == 200
    [case] = rows(app, Case)
    assert (case.origin, case.status, case.assignee_id) == (
        Origin.PHONE,
        CaseStatus.ANSWERED,
        desk["lena"],
    )
    assert case.subject == "Phone call: Installation or support question"
    assert case.organisation_id == desk["harbor"] and case.requester_id == desk["ben"]
    assert case.correspondent_email == "ben@harbortheatre.example"
    assert case.first_response_at is not None and case.awaiting_agent_since is None
    [mail] = rows(app, OutboxMail)
    assert (mail.to_address, mail.to_name, mail.template_key, mail.case_id) == (
        "ben@harbortheatre.example",
        "Ben Harris",
        "faq-support-resources",
        case.id,
    )
    assert mail.subject == f"[#{case.number}] Available support resources"
    assert mail.body_text.startswith("Hello Ben Harris,")
    assert f"Your reference for this call is #{case.number}." in mail.body_text
    assert "Lena Lind\nSupport team" in mail.body_text
    assert "{" not in mail.body_text
    mails = rows(app, Activity, Activity.case_id == case.id, Activity.kind == ActivityKind.MAIL)
    assert [a.summary for a in mails] == [
        "Sent system e-mail “FAQ-Available support resources” to Ben Harris "
        "<ben@harbortheatre.example>"
    ]
    assert rows(app, Activity, Activity.case_id == case.id, Activity.kind == ActivityKind.CALL)
    flash = (
        "Sent “FAQ-Available support resources” to Ben Harris &lt;ben@harbortheatre.example&gt;; "
        f"logged on a new phone case #{case.number}."
    )
    assert flash in response.text


def test_send_on_an_existing_case_logs_it_there(agent, app, desk):
    with app.app_context():
        case = make_case(db.session.get(Organisation, desk["harbor"]), subject="Reports")
        db.session.commit()
        case_id, number = case.id, case.number
    response = send(agent, desk, issue="bug_report", case=str(case_id))
    assert f"logged on case #{number}." in response.text
    assert [c.id for c in rows(app, Case)] == [case_id]
    [mail] = rows(app, OutboxMail)
    assert mail.case_id == case_id and mail.template_key == "faq-report-bug"
    assert f"#{number}" in mail.body_text
    assert rows(app, Activity, Activity.case_id == case_id, Activity.kind == ActivityKind.MAIL)


def test_send_refuses_what_the_seed_does_not_send(agent, app, desk):
    # A former employee is not a choice; long evaluators go to Sales; a stale screen is refused.
    former = send(agent, desk, recipient=f"contact-{desk['hannah']}")
    assert "Not a valid choice" in former.text
    sales = send(agent, desk, "lakeside", recipient=f"user-{desk['dan']}")
    assert "There is no system e-mail to send for this call." in sales.text
    stale = send(agent, desk, canned_key="faq-open-case")
    nobody = send(agent, desk, recipient="")
    assert "Choose who is calling." in nobody.text
    assert "The recommendation changed since it was shown" in stale.text
    assert rows(app, OutboxMail) == [] and rows(app, Case) == []


def test_send_refuses_a_case_of_another_customer(agent, app, desk):
    with app.app_context():
        case = make_case(db.session.get(Organisation, desk["cedar"]))
        db.session.commit()
        case_id = case.id
    response = send(agent, desk, case=str(case_id))
    assert "Not a valid choice" in response.text
    assert rows(app, OutboxMail) == []


def test_unknown_variables_and_attribute_access_stay_as_written(agent, app, desk):
    with app.app_context():
        canned = db.session.scalar(
            sa.select(CannedResponse).where(CannedResponse.key == "faq-support-resources")
        )
        canned.body = "Hi {customer_name} {unknown} {customer_name.__class__} {agent_name!r} {"
        canned.subject = "Resources for {customer_name}"
        db.session.commit()
    send(agent, desk)
    [mail] = rows(app, OutboxMail)
    assert mail.body_text.startswith(
        "Hi Ben Harris {unknown} {customer_name.__class__} {agent_name!r} {"
    )
    assert mail.subject.endswith("] Resources for Ben Harris")


def test_article_links_point_to_help_articles(app, desk):
    with app.app_context(), app.test_request_context():
        lena = db.session.get(User, desk["lena"])
        email = phone.preview("faq-open-case", agent=lena, recipient_name="Cara Chen")
        assert "- How to open a support case: http" in email.body
        assert "/help/articles/" in email.body
        assert "#(given when sent)" in email.body
        fallback = phone.preview("faq-priority-options", agent=lena, recipient_name="")
        assert fallback.body.startswith("Hello customer,")
        assert phone.preview("no-such-key", agent=lena, recipient_name="x") is None


def test_service_refuses_key_email_to_non_customers_and_foreign_cases(app, desk):
    with app.app_context(), app.test_request_context():
        lena = db.session.get(User, desk["lena"])
        cedar = db.session.get(Organisation, desk["cedar"])
        with pytest.raises(ServiceError, match="customers only"):
            phone.send_system_email(
                lena, cedar, "cara@cedarbooks.example", "Cara Chen", "faq-request-key"
            )
        harbor_case = make_case(db.session.get(Organisation, desk["harbor"]))
        db.session.commit()
        with pytest.raises(ServiceError, match="another customer"):
            phone.send_system_email(
                lena, cedar, "cara@cedarbooks.example", "Cara", "faq-open-case", harbor_case
            )
        with pytest.raises(ServiceError, match="current contact"):
            phone.send_system_email(lena, cedar, "someone@else.example", "Someone", "faq-open-case")
        with pytest.raises(ServiceError, match="no such system e-mail"):
            phone.send_system_email(lena, cedar, "cara@cedarbooks.example", "Cara", "faq-nope")
        sent = phone.send_system_email(
            lena,
            cedar,
            "CARA@cedarbooks.example",
            "",
            "faq-development",
            issue=Issue.CUSTOMISATION,
        )
        assert sent.new_case and sent.case.subject == "Phone call: Customisation request"
        assert sent.mail.to_name == "Cara Chen" and sent.case.requester_id == desk["cara"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 1


# --- Voice-mail intake and linking ---------------------------------------------------------


def test_intake_starts_with_the_lookup(agent, desk):
    html = agent.get("/tracker/intake").text
    assert "Find the caller's account" in html and 'hx-get="/tracker/callers?pick=intake"' in html
    found = agent.get("/tracker/callers?q=harbor&pick=intake", headers=HX).text
    assert f'href="/tracker/intake?organisation_id={desk["harbor"]}"' in found
    without_js = agent.get("/tracker/intake?q=harbor").text
    assert f'href="/tracker/intake?organisation_id={desk["harbor"]}"' in without_js


def test_intake_form_prefills_the_primary_contact(agent, desk):
    html = agent.get(f"/tracker/intake?organisation_id={desk['harbor']}").text
    assert "Voice mail from Harbor Theatre" in html
    assert 'value="ben@harbortheatre.example"' in html
    assert f'name="organisation_id" type="hidden" value="{desk["harbor"]}"' in html


def intake(agent, desk, **fields):
    url = f"/tracker/intake?organisation_id={desk['harbor']}"
    token = csrf_from(agent.get(url).text)
    data = {
        "csrf_token": token,
        "organisation_id": str(desk["harbor"]),
        "title": "Box office printer prints blank tickets",
        "synopsis": "Ben called: the ticket printer prints blank tickets since this morning.",
        "issue": "support",
        "callback_phone": "+1 303 555 0102 ext. 12",
        "correspondent_email": "ben@harbortheatre.example",
        "estimate_minutes": "20",
        "assignee_id": str(desk["tomas"]),
        "priority_score": "13",
        "product_version": "9.0",
        "operating_system": "Windows 11",
        **fields,
    }
    return agent.post("/tracker/intake", data=data)


def test_intake_creates_a_phone_case_with_every_field(agent, app, desk):
    response = intake(agent, desk)
    assert response.status_code == 302
    [case] = rows(app, Case)
    assert response.headers["Location"] == f"/tracker/cases/{case.number}"
    assert (case.origin, case.status, case.category) == (Origin.PHONE, CaseStatus.NEW, "support")
    assert case.subject == "Box office printer prints blank tickets"
    assert case.body.startswith("Ben called:") and "<p>" in case.body_html
    assert case.callback_phone == "+1 303 555 0102 ext. 12"
    assert case.correspondent_email == "ben@harbortheatre.example"
    assert case.requester_id == desk["ben"]
    assert (case.estimate_minutes, case.assignee_id, case.priority_score) == (
        20,
        desk["tomas"],
        13,
    )
    assert (case.product_version, case.operating_system) == ("9.0", "Windows 11")
    assert case.awaiting_agent_since is not None and case.number > 0
    page = agent.get(response.headers["Location"]).text
    assert f"Phone case #{case.number} created." in page
    assert rows(app, OutboxMail) == []  # the agent calls back; no mail on intake


def test_intake_without_choices_uses_triage(agent, app, desk):
    response = intake(agent, desk, assignee_id="", priority_score="", estimate_minutes="")
    assert response.status_code == 302
    [case] = rows(app, Case)
    assert case.assignee_id is None and case.estimate_minutes is None
    assert case.tier == 1  # no active plan, not a bug: level one (seed 000 New Support Cases)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, "Enter a meaningful title."),
        ({"synopsis": "  "}, "Write what the caller needs."),
        ({"correspondent_email": "not-an-address"}, "Enter a valid e-mail address."),
        ({"estimate_minutes": "-5"}, "Number must be between"),
        ({"priority_score": "500"}, "Number must be between"),
        ({"organisation_id": ""}, "Find the caller&#39;s account first."),
        ({"organisation_id": "999999"}, "Find the caller&#39;s account first."),
    ],
)
def test_intake_errors_keep_the_form(agent, app, desk, fields, error):
    response = intake(agent, desk, **fields)
    assert response.status_code == 422
    assert error in response.text
    assert rows(app, Case) == []


def test_intake_suggests_linking_the_email_case_on_the_same_subject(agent, app, desk):
    with app.app_context():
        harbor = db.session.get(Organisation, desk["harbor"])
        email_case = make_case(harbor, origin=Origin.EMAIL, subject="Printer prints blank pages")
        make_case(harbor, origin=Origin.EMAIL, subject="Invoice address")  # no shared word
        make_case(harbor, origin=Origin.WEB, subject="Printer settings")  # not an e-mail
        make_case(
            harbor, origin=Origin.EMAIL, subject="Printer jam", status=CaseStatus.CLOSED
        )  # closed
        make_case(
            db.session.get(Organisation, desk["cedar"]),
            origin=Origin.EMAIL,
            subject="Printer prints blank tickets",
        )  # another customer
        db.session.commit()
        suggested = email_case.number
    response = intake(agent, desk)
    location = response.headers["Location"]
    assert location.endswith(f"?link={suggested}")
    page = agent.get(location).text
    assert f"The e-mail case #{suggested} “Printer prints blank pages”" in page
    assert "“blank, printer, prints”" in page
    assert page.count("shares “") == 1
    assert re.search(rf'name="other_number"[^>]*value="{suggested}"', page)  # prefilled


def link(agent, number, other):
    token = csrf_from(agent.get(f"/tracker/cases/{number}").text)
    return agent.post(
        f"/tracker/cases/{number}/link",
        data={"csrf_token": token, "other_number": str(other)},
        follow_redirects=True,
    )


@pytest.fixture
def cases(app, desk):
    with app.app_context():
        harbor = db.session.get(Organisation, desk["harbor"])
        phone_case = make_case(harbor, origin=Origin.PHONE, subject="Printer")
        email_case = make_case(harbor, origin=Origin.EMAIL, subject="Printer mail")
        foreign = make_case(db.session.get(Organisation, desk["cedar"]), origin=Origin.EMAIL)
        db.session.commit()
        return {
            "phone": phone_case.number,
            "email": email_case.number,
            "foreign": foreign.number,
            "phone_id": phone_case.id,
            "email_id": email_case.id,
        }


def test_link_creates_a_related_link_and_logs_it_on_both(agent, app, cases):
    response = link(agent, cases["phone"], f"#{cases['email']}")
    assert f"Case #{cases['phone']} is linked to #{cases['email']}." in response.text
    [row] = rows(app, CaseLink)
    assert (row.case_id, row.linked_case_id, row.kind) == (
        cases["phone_id"],
        cases["email_id"],
        LinkKind.RELATED,
    )
    assert f'href="/tracker/cases/{cases["email"]}">#{cases["email"]}</a>' in response.text
    for case_id in (cases["phone_id"], cases["email_id"]):
        assert rows(app, Activity, Activity.case_id == case_id, Activity.kind == ActivityKind.LINK)
    again = link(agent, cases["email"], cases["phone"])
    assert "is already linked" in again.text
    assert len(rows(app, CaseLink)) == 1


@pytest.mark.parametrize(
    ("other", "error"),
    [
        ("self", "A case cannot be linked to itself."),
        ("foreign", "belongs to another customer"),
        ("999999999", "There is no case #999999999."),
        ("abc", "Enter the number of the case to link."),
        ("", "Enter the number of the case to link."),
    ],
)
def test_link_refuses(agent, app, cases, other, error):
    target = {"self": cases["phone"], "foreign": cases["foreign"]}.get(other, other)
    response = link(agent, cases["phone"], target)
    assert error in response.text
    assert rows(app, CaseLink) == []


def test_case_page_offers_the_caller_account_and_phone_procedure(agent, cases, desk):
    html = agent.get(f"/tracker/cases/{cases['phone']}").text
    assert f'href="/tracker/callers/{desk["harbor"]}"' in html
    assert f'href="/tracker/callers/{desk["harbor"]}/phone"' in html
    assert f'action="/tracker/cases/{cases["phone"]}/link"' in html
