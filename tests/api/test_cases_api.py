"""Cases through the API: the same rules as the case pages, answered as JSON."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    ApiIdempotencyKey,
    ApiToken,
    AuditLog,
    Case,
    CaseStatus,
    Message,
    MessageKind,
    OutboxMail,
    Role,
    User,
    utcnow,
)
from tests.api.tokens import bearer
from tests.factories import make_case, make_organisation, make_user


@pytest.fixture
def world(app):
    with app.app_context():
        org = make_organisation(name="Northwind")
        other = make_organisation(name="Harbor")
        customer = make_user(Role.CUSTOMER, organisation=org, email="anna@northwind.example")
        agent = make_user(Role.AGENT, tier=2, name="Lena")
        billing = make_user(Role.BILLING)
        cases = [make_case(org, subject=f"Printer {n}") for n in range(3)]
        make_case(other, subject="Harbor box office")
        db.session.commit()
        ids = {
            "org": org.id,
            "customer": customer.id,
            "customer_name": customer.name,
            "agent": agent.id,
            "billing": billing.id,
            "numbers": [c.number for c in cases],
        }
    # Outside the app context: each request then has a session of its own, as in production.
    return ids


def test_without_a_token_the_api_answers_401_as_a_problem(client, world):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_browser_session_does_not_open_the_api(app, client, world):
    from tests.conftest import login_as

    with app.app_context():
        login_as(client, db.session.get(User, world["agent"]))
    assert client.get("/api/v1/cases").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer hdp_" + "x" * 43, "Basic abc", "Bearer", "hdp_" + "x" * 43, "Bearer hdp_short"],
)
def test_unknown_or_malformed_tokens_are_refused(client, world, header):
    response = client.get("/api/v1/cases", headers={"Authorization": header})
    assert response.status_code == 401


def test_an_expired_or_revoked_token_is_refused(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
        token = db.session.scalar(sa.select(ApiToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/cases", headers=header)
    assert response.status_code == 401
    assert "expired" in response.json["detail"]
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        token.expires_at, token.revoked_at = utcnow() + timedelta(days=1), utcnow()
        db.session.commit()
    assert client.get("/api/v1/cases", headers=header).status_code == 401


def test_every_use_records_when_and_from_where(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
    client.get("/api/v1/cases", headers=header, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert token.last_used_at is not None
        assert token.last_used_ip == "203.0.113.9"


def test_a_missing_scope_is_403(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "customers:read")
    response = client.get("/api/v1/cases", headers=header)
    assert response.status_code == 403
    assert "cases:read" in response.json["detail"]


def test_a_token_of_someone_who_lost_their_role_stops_working(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
        agent = db.session.get(User, world["agent"])
        agent.active = False
        db.session.commit()
    assert client.get("/api/v1/cases", headers=header).status_code == 401


def test_the_list_pages_with_a_cursor_newest_first(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
    first = client.get("/api/v1/cases?limit=2", headers=header).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(f"/api/v1/cases?limit=2&cursor={first['next_cursor']}", headers=header)
    numbers = [c["number"] for c in first["items"] + second.json["items"]]
    assert len(numbers) == 4 and numbers == sorted(numbers, reverse=True)
    assert second.json["next_cursor"] is None


def test_the_list_takes_the_folder_filters(client, world, app):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
    response = client.get("/api/v1/cases?organisation=North&folder=queue", headers=header)
    assert sorted(c["number"] for c in response.json["items"]) == sorted(world["numbers"])
    item = response.json["items"][0]
    assert item["organisation"]["name"] == "Northwind"
    assert item["created_at"].endswith("Z")


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "tier=²",
        "tier=99999999999999999999",
        "cursor=%%%",
        "cursor=1e9",
        "updated_since=2026-12-01",
    ],
)
def test_odd_query_values_are_422_naming_the_parameter(client, world, app, query):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
    response = client.get(f"/api/v1/cases?{query}", headers=header)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == query.split("=")[0]


def test_a_case_with_its_thread_and_notes(app, client, world):
    number = world["numbers"][0]
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        db.session.add(
            Message(
                case_id=case.id,
                author_id=world["agent"],
                kind=MessageKind.NOTE,
                origin="web",
                body="Checked the logs",
                body_html="<p>Checked the logs</p>",
            )
        )
        db.session.commit()
        header = bearer(world["agent"], "cases:read")
    body = client.get(f"/api/v1/cases/{number}", headers=header).json
    assert body["number"] == number
    assert [m["body"] for m in body["messages"]] == ["Checked the logs"]
    assert body["messages"][0]["kind"] == "note"
    assert client.get("/api/v1/cases/1", headers=header).status_code == 404


def _new_case(world, **changes) -> dict:
    return {
        "organisation_id": world["org"],
        "subject": "Checkout fails",
        "body": "The shop reports a failed checkout.",
        "origin": "email",
        "requester_email": "anna@northwind.example",
        **changes,
    }


def test_opening_a_case_numbers_and_triages_it(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:write", "cases:read")
    response = client.post("/api/v1/cases", json=_new_case(world, tags=["Shop"]), headers=header)
    assert response.status_code == 201, response.json
    created = response.json
    assert response.headers["Location"] == f"/api/v1/cases/{created['number']}"
    assert created["status"] == "new" and created["tags"] == ["shop"]
    assert created["requester"]["name"] == world["customer_name"]
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == created["number"]))
        assert case.origin == "email"


def test_the_same_idempotency_key_makes_one_case(app, client, world):
    with app.app_context():
        header = {**bearer(world["agent"], "cases:write"), "Idempotency-Key": "order-77"}
    first = client.post("/api/v1/cases", json=_new_case(world), headers=header)
    again = client.post("/api/v1/cases", json=_new_case(world), headers=header)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["number"] == first.json["number"]
    other = client.post("/api/v1/cases", json=_new_case(world, subject="Else"), headers=header)
    assert other.status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiIdempotencyKey)) == 1
        subjects = db.session.scalars(sa.select(Case.subject)).all()
        assert subjects.count("Checkout fails") == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"organisation_id": 999999}, "organisation_id"),
        ({"origin": "web"}, "origin"),
        ({"requester_email": "not-an-address"}, "requester_email"),
        ({"origin": "email", "requester_email": None}, "requester_email"),
        ({"priority_factors": ["nope"]}, "priority_factors.0"),
        ({"surprise": 1}, "surprise"),
        ({"override_reason": ""}, "override_reason"),
        ({"override_reason": "x" * 301}, "override_reason"),
    ],
)
def test_a_refused_case_names_the_field_and_saves_nothing(app, client, world, changes, field):
    with app.app_context():
        header = bearer(world["agent"], "cases:write")
    response = client.post("/api/v1/cases", json=_new_case(world, **changes), headers=header)
    assert response.status_code == 422, response.json
    assert field in [error["field"] for error in response.json["errors"]]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 4


def test_a_case_below_the_assignees_tier_needs_an_override_reason(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:write", "cases:read")
        sam = make_user(Role.AGENT, name="Sam Stone", tier=1).id
        db.session.commit()
    # A bug report starts at tier 2: Sam (tier 1) gets it only with a reason.
    bug = _new_case(world, category="bug_report", assignee_id=sam)
    refused = client.post("/api/v1/cases", json=bug, headers=header)
    assert refused.status_code == 422, refused.json
    [error] = refused.json["errors"]
    assert error["field"] == "assignee_id"
    assert error["message"].startswith("This case needs tier 2: Sam Stone is tier 1.")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 4
        overrides = sa.select(AuditLog).where(AuditLog.action == "case.assign_below_tier")
        assert db.session.scalars(overrides).all() == []
    reason = "Sam wrote the import module"
    given = client.post("/api/v1/cases", json={**bug, "override_reason": reason}, headers=header)
    assert given.status_code == 201, given.json
    assert (given.json["tier"], given.json["assignee"]["id"]) == (2, sam)
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditLog).where(AuditLog.action == "case.assign_below_tier")
        )
        assert (entry.actor_id, entry.details["reason"]) == (world["agent"], reason)
    # Lena is tier 2 herself: no reason needed.
    mine = client.post("/api/v1/cases", json={**bug, "assignee_id": world["agent"]}, headers=header)
    assert mine.status_code == 201 and mine.json["assignee"]["id"] == world["agent"]


def test_a_body_that_is_not_json_is_400_or_415(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:write")
    broken = client.post(
        "/api/v1/cases", data="{", headers={**header, "Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    form = client.post("/api/v1/cases", data={"subject": "x"}, headers=header)
    assert form.status_code == 415


def test_billing_staff_cannot_open_or_answer_cases_but_can_add_notes(app, client, world):
    number = world["numbers"][0]
    with app.app_context():
        header = bearer(world["billing"], "cases:write", "cases:read")
    assert client.post("/api/v1/cases", json=_new_case(world), headers=header).status_code == 403
    reply = client.post(f"/api/v1/cases/{number}/replies", json={"body": "Hi"}, headers=header)
    assert reply.status_code == 403
    note = client.post(f"/api/v1/cases/{number}/notes", json={"body": "Refunded"}, headers=header)
    assert note.status_code == 201
    assert note.json["message"]["kind"] == "note"


def test_a_reply_is_mailed_and_answers_the_case(app, client, world):
    number = world["numbers"][0]
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        case.requester_id = world["customer"]
        db.session.commit()
        header = bearer(world["agent"], "cases:write", "cases:read")
    content = base64.b64encode(b"steps to try").decode()
    response = client.post(
        f"/api/v1/cases/{number}/replies",
        json={
            "body": "Try this.",
            "attachments": [{"name": "steps.txt", "content_base64": content}],
        },
        headers=header,
    )
    assert response.status_code == 201, response.json
    assert response.json["case"]["status"] == "answered"
    files = response.json["message"]["attachments"]
    assert [f["name"] for f in files] == ["steps.txt"]
    download = client.get(files[0]["url"].replace("http://localhost", ""), headers=header)
    assert download.status_code == 200 and download.data == b"steps to try"
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.to_address == "anna@northwind.example")
        )


def test_bad_base64_is_a_field_error(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:write")
    response = client.post(
        f"/api/v1/cases/{world['numbers'][0]}/notes",
        json={"body": "x", "attachments": [{"name": "a.txt", "content_base64": "***"}]},
        headers=header,
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "attachments.0.content_base64"


def test_changing_a_case_applies_each_field_on_its_timeline(app, client, world):
    number = world["numbers"][0]
    with app.app_context():
        header = bearer(world["agent"], "cases:write", "cases:read")
    changes = {"assignee_id": world["agent"], "tags": ["vip", "printer"], "status": "closed"}
    response = client.patch(f"/api/v1/cases/{number}", json=changes, headers=header)
    assert response.status_code == 200, response.json
    assert response.json["assignee"]["id"] == world["agent"]
    assert response.json["tags"] == ["printer", "vip"]
    assert response.json["status"] == "closed"
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        assert case.status == CaseStatus.CLOSED
    back = client.patch(f"/api/v1/cases/{number}", json={"assignee_id": None}, headers=header)
    assert back.json["assignee"] is None


def test_a_refused_change_is_422_with_its_field(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:write")
    response = client.patch(
        f"/api/v1/cases/{world['numbers'][0]}", json={"assignee_id": 999999}, headers=header
    )
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "assignee_id", "message": "Choose an active agent."}
    ]


def test_billing_staff_cannot_assign_or_close(app, client, world):
    with app.app_context():
        header = bearer(world["billing"], "cases:write")
    response = client.patch(
        f"/api/v1/cases/{world['numbers'][0]}", json={"status": "closed"}, headers=header
    )
    assert response.status_code == 403


def test_a_merged_case_cannot_be_changed(app, client, world):
    first, second = world["numbers"][:2]
    with app.app_context():
        merged = db.session.scalar(sa.select(Case).where(Case.number == first))
        merged.merged_into_id = db.session.scalar(sa.select(Case.id).where(Case.number == second))
        db.session.commit()
        header = bearer(world["agent"], "cases:write", "cases:read")
    assert client.get(f"/api/v1/cases/{first}", headers=header).json["merged_into"] == second
    note = client.post(f"/api/v1/cases/{first}/notes", json={"body": "x"}, headers=header)
    assert note.status_code == 409


def test_search_finds_cases_by_word(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
    response = client.get("/api/v1/cases/search?q=box", headers=header)
    assert [c["subject"] for c in response.json["items"]] == ["Harbor box office"]


def test_each_token_has_its_own_limit(app, client, world):
    app.config["API_LIMIT_PER_TOKEN"] = "3 per minute"
    try:
        with app.app_context():
            header = bearer(world["agent"], "cases:read")
            other = bearer(world["agent"], "cases:read")
        statuses = [client.get("/api/v1/cases", headers=header).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/api/v1/cases", headers=header)
        assert limited.content_type == "application/problem+json"
        assert int(limited.headers["Retry-After"]) >= 1
        assert client.get("/api/v1/cases", headers=other).status_code == 200
    finally:
        app.config["API_LIMIT_PER_TOKEN"] = "120 per minute"


def test_api_responses_are_never_cached(app, client, world):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
    assert client.get("/api/v1/cases", headers=header).headers["Cache-Control"] == "no-store"


def test_a_token_use_is_not_audited_but_making_one_is(app, world):
    with app.app_context():
        bearer(world["agent"], "cases:read")
        actions = db.session.scalars(sa.select(AuditLog.action)).all()
    assert actions == ["api_token.create"]


def test_the_command_prints_a_working_token_once(app, client, world):
    from helpdesk.api_cli import create_api_token

    with app.app_context():
        email = db.session.get(User, world["agent"]).email
    result = app.test_cli_runner().invoke(
        create_api_token, ["--email", email, "--name", "Shop", "--scopes", "cases:read"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("hdp_")
    header = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/cases", headers=header).status_code == 200
    refused = app.test_cli_runner().invoke(
        create_api_token, ["--email", email, "--name", "Shop", "--scopes", "billing"]
    )
    assert refused.exit_code != 0 and "cannot give" in refused.stderr


@pytest.mark.parametrize(
    ("since", "found"),
    [
        ("9999-12-31T23:59:59-14:00", 0),
        ("0001-01-01T00:00:00%2B14:00", 4),
        ("0483-10-11T12:00Z", 4),
    ],
)
def test_times_at_the_ends_of_the_calendar_are_held_to_a_sane_range(
    app, client, world, since, found
):
    with app.app_context():
        header = bearer(world["agent"], "cases:read")
    response = client.get(f"/api/v1/cases?updated_since={since}", headers=header)
    assert response.status_code == 200
    assert len(response.json["items"]) == found


def test_answering_a_case_above_ones_tier_leaves_it_in_its_queue(app, client, world):
    with app.app_context():
        tier1 = make_user(Role.AGENT, tier=1)
        case = db.session.scalar(sa.select(Case).where(Case.number == world["numbers"][0]))
        case.tier = 2
        db.session.commit()
        header = bearer(tier1.id, "cases:write")
    number = world["numbers"][0]
    response = client.post(f"/api/v1/cases/{number}/replies", json={"body": "Hi"}, headers=header)
    assert response.status_code == 201
    assert response.json["case"]["assignee"] is None


def test_the_webhook_command_registers_an_endpoint_and_prints_its_secret(app, world):
    from helpdesk.api_cli import create_webhook
    from helpdesk.models import WebhookEndpoint

    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        email = admin.email
    runner = app.test_cli_runner()
    local = ["--email", email, "--url", "http://127.0.0.1:9000/hooks"]
    refused = runner.invoke(create_webhook, local)
    assert refused.exit_code != 0  # this machine's own address, not allowed by default
    allowed = runner.invoke(create_webhook, [*local, "--allow-network", "127.0.0.0/8"])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout.strip().startswith("whsec_")
    with app.app_context():
        endpoint = db.session.scalar(sa.select(WebhookEndpoint))
        assert endpoint.event_list == ["case.created", "case.replied"]
    agent = runner.invoke(create_webhook, ["--email", "nobody@example.com", "--url", "x"])
    assert agent.exit_code != 0
