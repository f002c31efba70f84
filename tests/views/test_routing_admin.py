"""The admin's routing rules page (seed 001 delegation) through the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AgentStatus,
    AuditLog,
    Case,
    CaseReason,
    CaseType,
    Category,
    Role,
    RoutingRule,
    User,
    utcnow,
)
from helpdesk.services.cases import cases
from helpdesk.services.cases.attachments import AttachmentPolicy
from tests.conftest import as_user, csrf_from
from tests.factories import make_order, make_user

HTMX = {"HX-Request": "true"}
URL = "/admin/routing"


@pytest.fixture
def people(app):
    with app.app_context():
        users = {
            "chelsea": make_user(Role.AGENT, name="Chelsea Finance").id,
            "snk": make_user(Role.AGENT, name="SNK Liaison").id,
            "blake": make_user(Role.ADMIN, name="Blake Judge").id,
            "gone": make_user(Role.AGENT, name="Gone Agent", active=False).id,
            "agent": make_user(Role.AGENT).id,
            "admin": make_user(Role.ADMIN, name="Ada Admin").id,
            "customer": make_user(Role.CUSTOMER).id,
            "billing": make_user(Role.BILLING).id,
        }
        db.session.commit()
        return users


@pytest.fixture
def catalogue(app):
    """Two case types with their reasons, a reason for any type and a switched-off type."""
    with app.app_context():
        finance = CaseType(name="Finance", position=0)
        festival = CaseType(name="Festival", position=1)
        retired = CaseType(name="Retired", position=2, active=False)
        db.session.add_all([finance, festival, retired])
        db.session.flush()
        refund = CaseReason(case_type_id=finance.id, name="Refund")
        listing = CaseReason(case_type_id=festival.id, name="Listing change")
        general = CaseReason(case_type_id=None, name="Not sure")
        db.session.add_all([refund, listing, general])
        db.session.commit()
        return {
            "finance": finance.id,
            "festival": festival.id,
            "retired": retired.id,
            "refund": refund.id,
            "listing": listing.id,
            "general": general.id,
        }


def add_rule(app, **fields) -> int:
    with app.app_context():
        rule = RoutingRule(**fields)
        db.session.add(rule)
        db.session.commit()
        return rule.id


def rules(app) -> list[tuple]:
    """(id, position, active) of every rule in routing order."""
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(RoutingRule.id, RoutingRule.position, RoutingRule.active).order_by(
                    RoutingRule.position, RoutingRule.id
                )
            )
        ]


def order_of(app) -> list[int]:
    return [rule_id for rule_id, _, _ in rules(app)]


def audits(app) -> list[AuditLog]:
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
        for entry in entries:
            db.session.expunge(entry)
        return entries


def post(client, url, data=None, **kwargs):
    token = csrf_from(client.get(URL).text)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def rule_form(**overrides) -> dict:
    return {
        "category": "",
        "case_type_id": "",
        "case_reason_id": "",
        "assignee_id": "",
        "fallback_id": "",
        "position": "10",
        **{k: str(v) for k, v in overrides.items()},
    }


def row_order(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="routing-rule-(\d+)"', html)]


def row_html(html: str, rule_id: int) -> str:
    return html.split(f'<tr id="routing-rule-{rule_id}"')[1].split("</tr>")[0]


def open_web_case(app, tmp_path, category=Category.SUPPORT) -> int | None:
    """A customer opens a case through the portal's service; who it was routed to."""
    with app.app_context():
        customer = make_user(Role.CUSTOMER)
        # Bought long ago (no active plan): a tier-1 case, which the tier-1 agents here may take.
        order = make_order(customer.organisation, ordered_at=utcnow() - timedelta(days=200))
        db.session.commit()
        policy = AttachmentPolicy.from_config({**app.config, "ATTACHMENT_DIR": str(tmp_path)})
        with app.test_request_context():
            case = cases.open_case(
                customer=customer,
                order_id=order.id,
                category=category,
                subject="Where is my refund?",
                body="Please look.",
                uploads=[],
                policy=policy,
            )
        return db.session.get(Case, case.id).assignee_id


# The list --------------------------------------------------------------------------------


def test_admin_home_links_to_the_routing_rules(app, client, people):
    page = as_user(app, client, people["admin"]).get("/admin/").text
    assert f'href="{URL}"' in page


def test_no_rules_says_cases_wait_in_the_support_queue(app, client, people):
    page = as_user(app, client, people["admin"]).get(URL)
    assert page.status_code == 200
    assert "No routing rules" in page.text and "<table" not in page.text


def test_the_list_shows_rules_in_order_with_what_they_match_and_who_gets_them(
    app, client, people, catalogue
):
    with app.app_context():
        db.session.get(User, people["snk"]).agent_status = AgentStatus.AWAY
        db.session.commit()
    festival = add_rule(
        app,
        position=5,
        case_type_id=catalogue["festival"],
        case_reason_id=catalogue["listing"],
        assignee_id=people["snk"],
        fallback_id=people["chelsea"],
    )
    catch_all = add_rule(app, position=99, assignee_id=people["chelsea"])
    bugs = add_rule(
        app, position=1, category=Category.BUG_REPORT, assignee_id=people["blake"], active=False
    )
    tied = add_rule(app, position=5, case_type_id=catalogue["finance"], assignee_id=people["gone"])
    page = as_user(app, client, people["admin"]).get(URL).text

    assert row_order(page) == [bugs, festival, tied, catch_all]
    rows = {rule_id: row_html(page, rule_id) for rule_id in (festival, catch_all, bugs, tied)}
    assert "Bug report" in rows[bugs] and "Blake Judge" in rows[bugs]
    assert "inactive" in rows[bugs] and rows[bugs].count(">anything<") == 2
    assert "Festival" in rows[festival] and "Listing change" in rows[festival]
    assert "SNK Liaison" in rows[festival] and "away now" in rows[festival]
    assert "Chelsea Finance" in rows[festival]
    assert "no longer active staff" in rows[tied]
    assert rows[catch_all].count(">anything<") == 3 and "catch-all" in rows[catch_all]
    assert ">none<" in rows[catch_all]  # no fallback
    # The seed's rule, explained.
    assert "the first active rule that matches wins" in page
    assert "the fallback takes the case" in page and "catch-all" in page
    # Move up / down only where there is somewhere to go.
    assert 'value="up"' not in rows[bugs] and 'value="down"' in rows[bugs]
    assert 'value="up"' in rows[catch_all] and 'value="down"' not in rows[catch_all]


def test_a_rule_behind_the_catch_all_is_flagged_and_new_rules_go_above_it(app, client, people):
    add_rule(app, position=1, category=Category.HOSTING, assignee_id=people["snk"])
    add_rule(app, position=50, assignee_id=people["chelsea"])
    unreachable = add_rule(
        app, position=60, category=Category.BUG_REPORT, assignee_id=people["blake"]
    )
    page = as_user(app, client, people["admin"]).get(URL).text
    assert "Never reached: the rule at position 50 above takes all its cases." in row_html(
        page, unreachable
    )
    assert page.count("Never reached") == 1
    # The form suggests a position after the last rule, but not past a trailing catch-all.
    assert 'name="position" required type="number" value="61"' in page
    with app.app_context():
        db.session.delete(db.session.get(RoutingRule, unreachable))
        db.session.commit()
    assert 'name="position" required type="number" value="2"' in client.get(URL).text


# Adding -------------------------------------------------------------------------------------


def test_the_form_offers_active_staff_types_and_reasons_by_type(app, client, people, catalogue):
    page = as_user(app, client, people["admin"]).get(URL).text
    form = page.split('id="routing-rule-csrf_token"')[1]
    assert "Chelsea Finance (agent, tier 1)" in form and "Blake Judge (admin)" in form
    assert "Gone Agent" not in form
    for role in ("customer", "billing"):
        assert f'value="{people[role]}"' not in form.split('name="case_type_id"')[0]
    assert ">Finance<" in form and "Retired" not in form
    assert '<optgroup label="Finance"><option value="{}">Refund'.format(catalogue["refund"]) in form
    assert form.index('<optgroup label="Any type">') < form.index('<optgroup label="Finance">')
    assert form.index('<optgroup label="Finance">') < form.index('<optgroup label="Festival">')


def test_adding_a_rule_saves_it_audits_it_and_redirects(app, client, people, catalogue):
    as_user(app, client, people["admin"])
    response = post(
        client,
        "/admin/routing/rules",
        rule_form(
            category="support",
            case_type_id=catalogue["finance"],
            case_reason_id=catalogue["refund"],
            assignee_id=people["chelsea"],
            fallback_id=people["blake"],
            position=3,
        ),
    )
    assert response.status_code == 302 and response.headers["Location"] == URL
    with app.app_context():
        rule = db.session.scalar(sa.select(RoutingRule))
        assert (
            rule.category,
            rule.case_type_id,
            rule.case_reason_id,
            rule.assignee_id,
            rule.fallback_id,
            rule.position,
            rule.active,
        ) == (
            Category.SUPPORT,
            catalogue["finance"],
            catalogue["refund"],
            people["chelsea"],
            people["blake"],
            3,
            True,
        )
        rule_id = rule.id
    (entry,) = audits(app)
    assert (entry.action, entry.actor_id, entry.object_type, entry.object_id) == (
        "routing.create",
        people["admin"],
        "RoutingRule",
        rule_id,
    )
    assert entry.details["assignee_id"] == people["chelsea"] and entry.details["position"] == 3
    assert entry.details["category"] == "support"
    page = client.get(URL).text
    assert "Routing rule added." in page and row_order(page) == [rule_id]


def test_a_catch_all_and_a_reason_of_any_type_are_allowed(app, client, people, catalogue):
    as_user(app, client, people["admin"])
    assert (
        post(
            client, "/admin/routing/rules", rule_form(assignee_id=people["chelsea"], position=99)
        ).status_code
        == 302
    )
    response = post(
        client,
        "/admin/routing/rules",
        rule_form(
            case_type_id=catalogue["festival"],
            case_reason_id=catalogue["general"],
            assignee_id=people["snk"],
            position=1,
        ),
    )
    assert response.status_code == 302
    assert [p for _, p, _ in rules(app)] == [1, 99]
    assert [e.action for e in audits(app)] == ["routing.create", "routing.create"]


def test_adding_with_htmx_returns_the_list_and_a_fresh_form(app, client, people):
    as_user(app, client, people["admin"])
    response = post(
        client,
        "/admin/routing/rules",
        rule_form(category="hosting", assignee_id=people["snk"], position=7),
        headers=HTMX,
    )
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert response.text.lstrip().startswith('<div id="routing-rules" class="routing-rules">')
    assert "<html" not in response.text and "Routing rule added." in response.text
    assert "Hosting or website" in response.text
    # A fresh form, suggesting the next position.
    assert 'name="position" required type="number" value="8"' in response.text
    assert len(rules(app)) == 1


INVALID = [
    ({"assignee_id": ""}, "assignee_id", "Choose who gets the cases."),
    ({"assignee_id": "customer"}, "assignee_id", "Choose an active agent or administrator"),
    ({"assignee_id": "billing"}, "assignee_id", "Choose an active agent or administrator"),
    ({"assignee_id": "gone"}, "assignee_id", "Choose an active agent or administrator"),
    ({"assignee_id": "999999"}, "assignee_id", "Choose an active agent or administrator"),
    ({"fallback_id": "chelsea"}, "fallback_id", "Choose a different person as the fallback"),
    ({"fallback_id": "gone"}, "fallback_id", "Choose an active agent or administrator"),
    ({"fallback_id": "customer"}, "fallback_id", "Choose an active agent or administrator"),
    (
        {"case_type_id": "festival", "case_reason_id": "refund"},
        "case_reason_id",
        "The reason \u201cRefund\u201d does not belong to the type \u201cFestival\u201d.",
    ),
    ({"case_type_id": "retired"}, "case_type_id", "Choose a case type from the list."),
    ({"case_type_id": "999999"}, "case_type_id", "Choose a case type from the list."),
    ({"case_reason_id": "999999"}, "case_reason_id", "Choose a reason from the list."),
    ({"category": "finance"}, "category", "Choose a category from the list."),
    ({"position": ""}, "position", "Enter a whole number."),
    ({"position": "abc"}, "position", "Not a valid integer value."),
    ({"position": "1.5"}, "position", "Not a valid integer value."),
    ({"position": "-1"}, "position", "Enter a whole number from 0 to 9999."),
    ({"position": "10000"}, "position", "Enter a whole number from 0 to 9999."),
]


def resolve(value: str, people: dict, catalogue: dict) -> str:
    return str(people.get(value) or catalogue.get(value) or value)


@pytest.mark.parametrize(("changes", "field", "message"), INVALID)
def test_bad_input_gives_a_form_error_and_saves_nothing(
    app, client, people, catalogue, changes, field, message
):
    as_user(app, client, people["admin"])
    data = {"assignee_id": people["chelsea"], "position": 5}
    data.update({k: resolve(v, people, catalogue) for k, v in changes.items()})
    response = post(client, "/admin/routing/rules", rule_form(**data))
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', response.text)
    assert error and error.group(1).startswith(message), response.text
    assert 'aria-invalid="true"' in response.text
    assert rules(app) == [] and audits(app) == []


def test_bad_input_with_htmx_returns_the_form_with_its_error(app, client, people):
    as_user(app, client, people["admin"])
    response = post(
        client,
        "/admin/routing/rules",
        rule_form(assignee_id=people["chelsea"], fallback_id=people["chelsea"]),
        headers=HTMX,
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="fallback_id-error"' in response.text
    assert rules(app) == []


# Reordering, switching on and off, deleting ---------------------------------------------------


def test_moving_rules_changes_the_order_and_is_audited(app, client, people):
    first = add_rule(app, position=1, category=Category.HOSTING, assignee_id=people["snk"])
    second = add_rule(app, position=2, category=Category.BUG_REPORT, assignee_id=people["blake"])
    last = add_rule(app, position=99, assignee_id=people["chelsea"])
    as_user(app, client, people["admin"])

    response = post(client, f"/admin/routing/{first}/move", {"direction": "down"})
    assert response.status_code == 302 and response.headers["Location"] == URL
    assert rules(app) == [(second, 1, True), (first, 2, True), (last, 99, True)]
    assert "Rule moved down." in client.get(URL).text

    response = post(client, f"/admin/routing/{last}/move", {"direction": "up"}, headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert row_order(response.text) == [second, last, first]
    assert [p for _, p, _ in rules(app)] == [1, 2, 99]

    (down, up) = audits(app)
    assert (down.action, down.object_id, down.details["change"]) == (
        "routing.update",
        first,
        "move down",
    )
    assert {tuple(c["position"]) for c in down.details["positions"]} == {(1, 2), (2, 1)}
    assert (up.action, up.object_id, up.details["change"]) == ("routing.update", last, "move up")


def test_moving_among_equal_positions_renumbers_as_little_as_needed(app, client, people):
    a = add_rule(app, position=5, category=Category.HOSTING, assignee_id=people["snk"])
    b = add_rule(app, position=5, category=Category.OTHER, assignee_id=people["snk"])
    c = add_rule(app, position=5, category=Category.BUG_REPORT, assignee_id=people["blake"])
    d = add_rule(app, position=99, assignee_id=people["chelsea"])
    as_user(app, client, people["admin"])
    assert post(client, f"/admin/routing/{c}/move", {"direction": "up"}).status_code == 302
    assert rules(app) == [(a, 5, True), (c, 6, True), (b, 7, True), (d, 99, True)]


def test_the_first_rule_cannot_move_up(app, client, people):
    only = add_rule(app, position=1, assignee_id=people["chelsea"])
    as_user(app, client, people["admin"])
    response = post(client, f"/admin/routing/{only}/move", {"direction": "up"})
    assert response.status_code == 302
    assert "This rule is already first." in client.get(URL).text
    response = post(client, f"/admin/routing/{only}/move", {"direction": "down"}, headers=HTMX)
    assert response.status_code == 200 and "This rule is already last." in response.text
    assert rules(app) == [(only, 1, True)] and audits(app) == []


def test_a_bad_direction_is_a_bad_request(app, client, people):
    only = add_rule(app, position=1, assignee_id=people["chelsea"])
    as_user(app, client, people["admin"])
    assert post(client, f"/admin/routing/{only}/move", {"direction": "sideways"}).status_code == 400
    assert audits(app) == []


def test_a_deactivated_rule_no_longer_routes_new_cases(app, client, people, tmp_path):
    support = add_rule(app, position=1, category=Category.SUPPORT, assignee_id=people["snk"])
    add_rule(app, position=99, assignee_id=people["chelsea"])
    assert open_web_case(app, tmp_path) == people["snk"]

    as_user(app, client, people["admin"])
    response = post(client, f"/admin/routing/{support}/active", {"active": "0"})
    assert response.status_code == 302
    assert rules(app)[0] == (support, 1, False)
    page = client.get(URL).text
    assert "Rule switched off" in page and ">Activate<" in page
    # The next support case falls through to the catch-all.
    assert open_web_case(app, tmp_path) == people["chelsea"]

    response = post(client, f"/admin/routing/{support}/active", {"active": "1"}, headers=HTMX)
    assert response.status_code == 200 and "Rule switched on." in response.text
    assert open_web_case(app, tmp_path) == people["snk"]
    assert [(e.action, e.details["change"], e.details["active"]) for e in audits(app)] == [
        ("routing.update", "deactivate", [True, False]),
        ("routing.update", "activate", [False, True]),
    ]


def test_switching_to_the_state_it_has_changes_nothing(app, client, people):
    rule = add_rule(app, position=1, assignee_id=people["chelsea"])
    as_user(app, client, people["admin"])
    assert post(client, f"/admin/routing/{rule}/active", {"active": "1"}).status_code == 302
    assert post(client, f"/admin/routing/{rule}/active", {"active": "maybe"}).status_code == 400
    assert audits(app) == []


def test_a_deleted_rule_is_gone_and_its_audit_row_keeps_what_it_was(app, client, people, tmp_path):
    rule = add_rule(
        app,
        position=4,
        category=Category.SUPPORT,
        assignee_id=people["snk"],
        fallback_id=people["blake"],
    )
    as_user(app, client, people["admin"])
    response = post(client, f"/admin/routing/{rule}/delete", headers=HTMX)
    assert response.status_code == 200 and "Rule deleted." in response.text
    assert "No routing rules" in response.text
    assert rules(app) == []
    (entry,) = audits(app)
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_id) == (
        "routing.delete",
        "RoutingRule",
        rule,
        people["admin"],
    )
    assert entry.details == {
        "position": 4,
        "category": "support",
        "case_type_id": None,
        "case_reason_id": None,
        "assignee_id": people["snk"],
        "fallback_id": people["blake"],
        "active": True,
    }
    assert open_web_case(app, tmp_path) is None  # the support queue
    assert post(client, f"/admin/routing/{rule}/delete").status_code == 404
    # Deleted meanwhile (another admin's tab): htmx gets the current list and a message.
    stale = post(client, f"/admin/routing/{rule}/active", {"active": "0"}, headers=HTMX)
    assert stale.status_code == 200 and "That rule no longer exists" in stale.text
    assert len(audits(app)) == 1


def test_deleting_without_javascript_redirects(app, client, people):
    rule = add_rule(app, position=4, assignee_id=people["snk"])
    as_user(app, client, people["admin"])
    response = post(client, f"/admin/routing/{rule}/delete")
    assert response.status_code == 302 and response.headers["Location"] == URL
    assert "Rule deleted." in client.get(URL).text


# Who may ---------------------------------------------------------------------------------------


def actions(rule_id: int) -> list[tuple[str, dict]]:
    return [
        ("/admin/routing/rules", {"assignee_id": "1", "position": "1"}),
        (f"/admin/routing/{rule_id}/move", {"direction": "down"}),
        (f"/admin/routing/{rule_id}/active", {"active": "0"}),
        (f"/admin/routing/{rule_id}/delete", {}),
    ]


@pytest.mark.parametrize("role", ["agent", "billing", "customer"])
def test_non_admins_get_403(app, client, people, role):
    rule = add_rule(app, position=1, assignee_id=people["chelsea"])
    add_rule(app, position=2, assignee_id=people["snk"])
    before = rules(app)
    as_user(app, client, people[role])
    assert client.get(URL).status_code == 403
    token = csrf_from(client.get("/auth/profile").text)
    for url, data in actions(rule):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert rules(app) == before
    # Nothing changed; only the refusals are on record.
    assert {e.action.partition(".")[0] for e in audits(app)} == {"refused"}
    assert len(audits(app)) == len(actions(rule))


def test_anonymous_users_are_sent_to_log_in(app, client, people):
    rule = add_rule(app, position=1, assignee_id=people["chelsea"])
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    token = csrf_from(client.get("/auth/login").text)
    response = client.post(f"/admin/routing/{rule}/delete", data={"csrf_token": token})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert len(rules(app)) == 1


def test_posts_without_the_csrf_token_are_refused(app, client, people):
    rule = add_rule(app, position=1, assignee_id=people["chelsea"])
    add_rule(app, position=2, assignee_id=people["snk"])
    before = rules(app)
    as_user(app, client, people["admin"])
    for url, data in actions(rule):
        assert client.post(url, data=data).status_code == 400, url
        assert client.post(url, data=data, headers=HTMX).status_code == 400, url
    assert rules(app) == before and audits(app) == []
