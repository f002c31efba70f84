"""Intake through the test client (seed 000, seed 003, issue 12): the time a voice mail was
left and the ticked factors at intake, cases opened by hand from an e-mail or by us, the case
page's intake panel and origin correction, and the phone procedure keeping the call's issue
and case after "Send", with the sales contact for callers sent to sales."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, AuditLog, Case, Organisation, Origin, Role, Setting
from helpdesk.sample_data import demo
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_user
from tests.views import test_phone
from tests.views.test_admin_settings import save_settings
from tests.views.test_phone import HX, intake, phone_url, rows, send

desk = test_phone.desk  # fixtures: the phone desk (Harbor Theatre, Lakeside...) and its agent
agent = test_phone.agent

# --- Intake: when the message was left, ticked factors, origin ------------------------------


def test_the_intake_form_asks_when_the_message_was_left_and_which_factors_apply(agent, desk):
    html = agent.get(f"/tracker/intake?organisation_id={desk['harbor']}").text
    assert 'name="received_at" type="datetime-local"' in html
    assert "Message left at" in html
    assert 'name="factors" type="checkbox" value="cannot_sell"' in html
    # Detected factors are not offered: the case's own data decides them.
    assert 'value="phoned"' not in html and 'value="after_hours_overnight"' not in html
    assert "+5 instead when a customer" in html and "(not both)" in html


def _last_weekday_at(hour: int, minute: int) -> tuple[datetime, datetime]:
    """The latest weekday at least a day ago at hour:minute in the business zone: the local
    time as typed and the naive UTC it is stored as (always in the past, whatever today is)."""
    zone = ZoneInfo("America/Denver")
    day = datetime.now(zone).date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    local = datetime.combine(day, time(hour, minute))
    return local, local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def test_a_time_typed_in_the_agents_zone_is_stored_in_utc_and_factors_add_up(agent, app, desk):
    # The agent's zone is the business zone (America/Denver); 10:30 local on a weekday is
    # inside business hours: +3 for the call, and the agent ticked +10.
    local, stored = _last_weekday_at(10, 30)
    response = intake(
        agent,
        desk,
        priority_score="",
        received_at=local.strftime("%Y-%m-%dT%H:%M"),
        factors=["cannot_sell"],
    )
    assert response.status_code == 302
    [case] = rows(app, Case)
    assert case.received_at == stored
    assert case.priority_factors == ["cannot_sell", "phoned"]
    assert case.priority_score == 13
    page = agent.get(response.headers["Location"]).text
    assert "Message left" in page and local.strftime("%H:%M") in _panel(page)


def test_a_voice_mail_left_overnight_by_an_after_hours_customer_is_plus_5(agent, app, desk):
    with app.app_context():
        db.session.get(Organisation, desk["harbor"]).after_hours_support = True
        db.session.commit()
    local, _ = _last_weekday_at(21, 40)  # typed in the next morning: the left time decides
    response = intake(agent, desk, priority_score="", received_at=local.isoformat()[:16])
    assert response.status_code == 302
    [case] = rows(app, Case)
    assert (case.priority_factors, case.priority_score) == (["after_hours_overnight"], 5)


def test_an_unknown_factor_or_a_future_time_keeps_the_form(agent, app, desk):
    bad_factor = intake(agent, desk, factors=["phoned"])
    assert bad_factor.status_code == 422
    assert "&#39;phoned&#39; is not a valid choice" in bad_factor.text
    future = intake(agent, desk, received_at="2999-01-01T09:00")
    assert future.status_code == 422 and "That time is still to come" in future.text
    assert rows(app, Case) == []


def test_an_agent_opens_a_case_from_an_email(agent, app, desk):
    html = agent.get(f"/tracker/intake?organisation_id={desk['harbor']}&origin=email").text
    assert "<h1>Open a case from an e-mail</h1>" in html
    assert "E-mail from Harbor Theatre" in html
    assert '<option selected value="email">' in html
    response = intake(agent, desk, origin="email", callback_phone="", priority_score="")
    assert response.status_code == 302
    [case] = rows(app, Case)
    assert case.origin == Origin.EMAIL and case.correspondent_email == "ben@harbortheatre.example"
    page = agent.get(response.headers["Location"]).text
    assert f"E-mail case #{case.number} created." in page
    [opened] = rows(app, Activity, Activity.case_id == case.id, Activity.summary.like("E-mail%"))
    assert opened.summary == "E-mail case opened by Lena Lind"


def test_an_email_case_needs_the_sender_and_a_generated_one_does_not(agent, app, desk):
    no_sender = intake(agent, desk, origin="email", correspondent_email="")
    assert no_sender.status_code == 422
    assert "Enter the address the e-mail came from." in no_sender.text
    ours = intake(agent, desk, origin="generated", correspondent_email="", priority_score="")
    assert ours.status_code == 302
    [case] = rows(app, Case)
    assert case.origin == Origin.GENERATED and case.priority_factors == []


def test_web_is_not_an_origin_an_agent_types_in(agent, app, desk):
    response = intake(agent, desk, origin="web")
    assert response.status_code == 422 and "Not a valid choice" in response.text
    assert rows(app, Case) == []


def test_giving_a_case_below_its_tier_at_intake_needs_a_reason(agent, app, desk):
    html = agent.get(f"/tracker/intake?organisation_id={desk['harbor']}").text
    assert "Reason to give it below its tier" in html and 'name="override_reason"' in html
    # A bug report starts at tier 2; Lena (tier 1) gives it to herself.
    typed = {"issue": "bug_report", "assignee_id": str(desk["lena"]), "title": "Blank tickets"}
    refused = intake(agent, desk, **typed)
    assert refused.status_code == 422
    error = re.search(r'<p class="error" id="assignee_id-error">([^<]*)</p>', refused.text)
    assert error is not None and error.group(1) == (
        "This case needs tier 2: you are tier 1. Choose an agent of tier 2 or higher, "
        "leave it to the routing rules, or give a reason to give it anyway."
    )
    # The form keeps what was typed, the chosen agent included.
    assert 'value="Blank tickets"' in refused.text
    assert f'<option selected value="{desk["lena"]}">' in refused.text
    assert rows(app, Case) == [] and rows(app, AuditLog) == []
    given = intake(agent, desk, **typed, override_reason="Nobody of tier 2 is in today")
    assert given.status_code == 302
    [case] = rows(app, Case)
    assert (case.tier, case.assignee_id) == (2, desk["lena"])
    [entry] = rows(app, AuditLog, AuditLog.action == "case.assign_below_tier")
    assert entry.details["reason"] == "Nobody of tier 2 is in today"
    page = agent.get(given.headers["Location"]).text
    assert (
        "Override: Lena Lind gave this tier 2 case to themselves (tier 1): "
        "Nobody of tier 2 is in today"
    ) in page
    # Tomas is tier 2: no reason needed.
    assert intake(agent, desk, **{**typed, "assignee_id": str(desk["tomas"])}).status_code == 302


def test_the_account_lookup_keeps_the_chosen_origin(agent, desk):
    found = agent.get("/tracker/callers?q=harbor&pick=intake&origin=generated", headers=HX).text
    assert f'href="/tracker/intake?organisation_id={desk["harbor"]}&amp;origin=generated"' in found
    page = agent.get("/tracker/intake?origin=generated").text
    assert "<h1>Open a case ourselves</h1>" in page
    assert 'hx-get="/tracker/callers?pick=intake&amp;origin=generated"' in page


# --- The case page's intake panel -----------------------------------------------------------


def _phone_case(app, desk, **fields) -> int:
    with app.app_context():
        case = make_case(
            db.session.get(Organisation, desk["harbor"]),
            origin=Origin.PHONE,
            callback_phone="+1 303 555 0102 ext. 12",
            product_version="9.0",
            operating_system="Windows 11",
            estimate_minutes=90,
            received_at=datetime(2026, 12, 2, 3, 15),
            **fields,
        )
        db.session.commit()
        return case.number


def _panel(html: str) -> str:
    return re.search(r'<section class="card case-panel case-intake".*?</section>', html, re.S)[0]


def test_the_case_page_shows_what_intake_recorded(agent, app, desk):
    number = _phone_case(app, desk)
    panel = _panel(agent.get(f"/tracker/cases/{number}").text)
    assert '<a href="tel:+13035550102ext.12">+1 303 555 0102 ext. 12</a>' in panel
    assert "<dt>Version</dt><dd>9.0" in panel and "<dt>Computer OS</dt><dd>Windows 11" in panel
    assert "<dt>Estimate</dt><dd>1 h 30 min</dd>" in panel
    assert "<dt>Message left</dt><dd>1 Dec 2026, 20:15" in panel  # Denver time
    assert "<dt>Reached us by</dt><dd>phone</dd>" in panel


def _post(agent, number: int, path: str, **data):
    token = csrf_from(agent.get(f"/tracker/cases/{number}").text)
    return agent.post(f"/tracker/cases/{number}/{path}", data={"csrf_token": token, **data})


def test_changing_the_details_is_saved_and_logged(agent, app, desk):
    number = _phone_case(app, desk)
    response = _post(
        agent,
        number,
        "intake",
        **{
            "intake-callback_phone": "+1 303 555 0199",
            "intake-product_version": "9.0",
            "intake-operating_system": "macOS 15",
            "intake-estimate_minutes": "",
        },
    )
    assert response.status_code == 302
    [case] = rows(app, Case)
    assert (case.callback_phone, case.operating_system, case.estimate_minutes) == (
        "+1 303 555 0199",
        "macOS 15",
        None,
    )
    [logged] = rows(app, Activity, Activity.summary.like("Details changed%"))
    assert logged.summary == (
        "Details changed: callback number +1 303 555 0102 ext. 12 → +1 303 555 0199; "
        "OS Windows 11 → macOS 15; estimate 90 min → none"
    )
    page = agent.get(f"/tracker/cases/{number}").text
    assert "Details saved." in page and "macOS 15" in _panel(page)


def test_a_bad_detail_keeps_the_panel_open_with_the_error(agent, app, desk):
    number = _phone_case(app, desk)
    response = _post(agent, number, "intake", **{"intake-estimate_minutes": "-1"})
    assert response.status_code == 422
    panel = _panel(response.text)
    assert 'id="intake-details" open' in panel and "Number must be between" in panel
    assert rows(app, Case)[0].estimate_minutes == 90


def test_correcting_the_origin_is_on_the_timeline_from_to_and_by_whom(agent, app, desk):
    number = _phone_case(app, desk)
    response = _post(agent, number, "origin", origin="email")
    assert response.status_code == 302
    [case] = rows(app, Case)
    assert case.origin == Origin.EMAIL
    [logged] = rows(app, Activity, Activity.summary.like("Origin%"))
    assert logged.summary == "Origin corrected: phone → e-mail" and logged.actor_id == desk["lena"]
    page = agent.get(f"/tracker/cases/{number}").text
    timeline = page[page.index('class="card case-timeline"') :]
    assert "Origin corrected: phone → e-mail" in timeline and "Lena Lind" in timeline


def test_the_same_origin_again_is_a_form_error(agent, app, desk):
    number = _phone_case(app, desk)
    response = _post(agent, number, "origin", origin="phone")
    assert response.status_code == 422
    assert "The origin is already phone." in _panel(response.text)


# --- Phone procedure: the follow-up keeps the call, the sales contact -----------------------


def test_after_send_the_issue_and_the_new_case_stay_selected(agent, app, desk):
    response = send(agent, desk, canned_key="faq-support-resources")
    [case] = rows(app, Case)
    html = response.text
    assert '<option selected value="support">' in html
    assert f'<option selected value="{case.id}">#{case.number} ' in html
    assert f'name="case" value="{case.id}"' in html  # the next Send logs on the same case
    assert f"Sent and logged on #{case.number}." in html
    # The persistent caller's follow-up: the same case, no second one.
    follow_up = send(
        agent, desk, case=str(case.id), persistent="y", canned_key="faq-priority-options"
    )
    assert f"logged on case #{case.number}." in follow_up.text
    assert [c.id for c in rows(app, Case)] == [case.id]


def test_send_to_sales_names_the_sales_contact(agent, app, desk):
    with app.app_context():
        for key, value in {
            "SALES_CONTACT_NAME": "Sales and marketing",
            "SALES_CONTACT_PHONE": "+1 303 555 0150 ext. 2",
            "SALES_CONTACT_EMAIL": "sales@example.com",
        }.items():
            db.session.add(Setting(key=key, value=value))
        db.session.commit()
    html = agent.get(phone_url(desk, "lakeside", issue="support"), headers=HX).text
    assert "Transfer the call to Sales." in html
    assert "<dd>Sales and marketing</dd>" in html
    assert '<a href="tel:+13035550150ext.2">+1 303 555 0150 ext. 2</a>' in html
    assert '<a href="mailto:sales@example.com">sales@example.com</a>' in html


def test_send_to_sales_without_a_contact_says_so(agent, desk):
    html = agent.get(phone_url(desk, "lakeside", issue="support"), headers=HX).text
    assert "No sales contact is set" in html


def test_an_administrator_sets_the_sales_contact(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        admin_id = admin.id
    as_user(app, client, admin_id)
    page = client.get("/admin/settings").text
    assert "Sales contact" in page and 'name="SALES_CONTACT_PHONE"' in page
    response = save_settings(
        app,
        client,
        SALES_CONTACT_NAME="  Sales   desk ",
        SALES_CONTACT_PHONE="ext. 2",
        SALES_CONTACT_EMAIL="Sales@Example.com",
    )
    assert response.status_code == 302
    with app.app_context():
        stored = dict(
            db.session.execute(
                sa.select(Setting.key, Setting.value).where(Setting.key.like("SALES%"))
            ).all()
        )
    assert stored == {
        "SALES_CONTACT_NAME": "Sales desk",
        "SALES_CONTACT_PHONE": "ext. 2",
        "SALES_CONTACT_EMAIL": "sales@example.com",
    }


def test_a_sales_contact_name_too_long_is_a_field_error(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        admin_id = admin.id
    as_user(app, client, admin_id)
    response = save_settings(app, client, SALES_CONTACT_NAME="x" * 121)
    assert response.status_code == 422 and "Use at most 120 characters." in response.text


# --- The demo --------------------------------------------------------------------------------


def test_the_demo_shows_the_overnight_voice_mail_its_details_and_the_sales_contact(app, client):
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    post_form(
        client, "/auth/login", {"email": "agent1@example.com", "password": demo.DEMO_PASSWORD}
    )
    with app.app_context():
        voice_mail = db.session.scalar(
            sa.select(Case).where(Case.subject.like("Voice mail: box office printer%"))
        )
        number, left = voice_mail.number, voice_mail.received_at
        lakeside = db.session.scalar(
            sa.select(Organisation.id).where(Organisation.name == "Lakeside Crafts")
        )
        corrected = db.session.scalar(
            sa.select(Case.number).where(Case.subject == "Invoice address for the next renewal")
        )
    panel = _panel(client.get(f"/tracker/cases/{number}").text)
    assert left is not None and "<dt>Message left</dt>" in panel
    assert "+1 303 555 0177" in panel and "Windows 11" in panel
    assert "<dt>Estimate</dt><dd>20 min</dd>" in panel and "<dt>Version</dt><dd>9.0" in panel
    # The rule, its hint and the demo agree: +5 for the overnight message, not also +3.
    page = client.get(f"/tracker/cases/{number}").text
    assert re.search(r"score <strong>5</strong>", page)
    sales = client.get(f"/tracker/callers/{lakeside}/phone?issue=support", headers=HX).text
    assert "+1 303 555 0150 ext. 2" in sales and "sales@example.com" in sales
    timeline = client.get(f"/tracker/cases/{corrected}").text
    assert "Origin corrected: phone → e-mail" in timeline
