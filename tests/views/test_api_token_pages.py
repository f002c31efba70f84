"""API tokens through the browser: staff make one on their profile and see it once, the list
shows only its first characters, they revoke their own; administrators list and revoke
everyone's at /admin/api-tokens. Customers see none of it and cannot post to it."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ApiToken, AuditLog, Role, User, utcnow
from helpdesk.rules import api_tokens as rules
from helpdesk.services.accounts import api_tokens
from tests.conftest import csrf_from, login_as
from tests.factories import make_user

HTMX = {"HX-Request": "true"}
SECRET = re.compile(r'<code class="token-secret">(hdp_[A-Za-z0-9_-]{43})</code>')
SHOWN_ONCE = "Copy it now: it will not be shown again."
CSRF_REFUSED = "Your form expired or was not sent from this site"


@pytest.fixture
def people(app) -> dict[str, int]:
    with app.app_context():
        made = {
            "agent": make_user(Role.AGENT, name="Alva Agent"),
            "agent_billing": make_user(
                Role.AGENT, name="Bo Billing-Agent", billing_permission=True
            ),
            "other_agent": make_user(Role.AGENT, name="Cai Colleague"),
            "billing": make_user(Role.BILLING, name="Dee Billing"),
            "admin": make_user(Role.ADMIN, name="Eve Admin"),
            "customer": make_user(Role.CUSTOMER, name="Fay Customer"),
        }
        db.session.commit()
        return {key: user.id for key, user in made.items()}


def as_person(app, client, user_id: int):
    with app.app_context():
        login_as(client, db.session.get(User, user_id))
    return client


def token_for(app, user_id: int, name: str = "Shop", scopes=("cases:read",)) -> int:
    with app.app_context():
        user = db.session.get(User, user_id)
        return api_tokens.create(user, name=name, scopes=list(scopes), expires_in_days=30).token.id


def make_through_the_form(client, *, htmx: bool = False, **fields):
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    data = {
        "token-name": "Shop",
        "token-scopes": ["cases:read", "cases:write"],
        "token-expires_in_days": "90",
        "csrf_token": token,
        **fields,
    }
    return client.post("/auth/api-tokens", data=data, headers=HTMX if htmx else {})


def post_with_token(client, url: str, page: str = "/auth/profile", *, htmx: bool = False):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token}, headers=HTMX if htmx else {})


def tokens(app) -> list[ApiToken]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def audit(app, action: str) -> list[tuple[int | None, int | None]]:
    with app.app_context():
        query = sa.select(AuditLog.actor_id, AuditLog.object_id).where(AuditLog.action == action)
        return [tuple(row) for row in db.session.execute(query.order_by(AuditLog.id))]


def offered_scopes(html: str) -> list[str]:
    return re.findall(r'name="token-scopes" type="checkbox" value="([^"]+)"', html)


# -- the profile section --
@pytest.mark.parametrize(
    ("person", "expected"),
    [
        (
            "agent",
            ["cases:read", "cases:write", "customers:read", "customers:write", "articles:write"],
        ),
        (
            "agent_billing",
            [
                "cases:read",
                "cases:write",
                "customers:read",
                "customers:write",
                "billing",
                "articles:write",
            ],
        ),
        ("billing", ["cases:read", "cases:write", "customers:read", "customers:write", "billing"]),
        ("admin", list(rules.SCOPES)),
    ],
)
def test_staff_see_the_section_with_the_scopes_they_may_grant(
    app, client, people, person, expected
):
    html = as_person(app, client, people[person]).get("/auth/profile").get_data(as_text=True)
    assert 'id="api-tokens"' in html and ">API tokens</h2>" in html
    assert 'href="/api/v1/docs"' in html
    assert offered_scopes(html) == expected
    for scope in expected:
        assert html_lib.escape(rules.SCOPES[scope], quote=False) in html
    assert '<option selected value="90">90 days</option>' in html  # the default expiry
    for days in rules.EXPIRY_DAYS:
        assert f'value="{days}"' in html
    assert "You have no API tokens yet." in html


def test_customers_get_no_section_and_cannot_post(app, client, people):
    agents_token = token_for(app, people["agent"])
    as_person(app, client, people["customer"])
    html = client.get("/auth/profile").get_data(as_text=True)
    assert "API tokens" not in html and "api-tokens" not in html
    token = csrf_from(html)
    made = client.post(
        "/auth/api-tokens",
        data={"token-name": "Mine", "token-scopes": "cases:read", "csrf_token": token},
    )
    assert made.status_code == 404
    revoked = client.post(f"/auth/api-tokens/{agents_token}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 404
    assert [t.id for t in tokens(app)] == [agents_token]
    assert tokens(app)[0].revoked_at is None


def test_visitors_are_sent_to_log_in(client):
    for url in ("/auth/api-tokens", "/auth/api-tokens/1/revoke"):
        response = client.post(url)
        assert response.status_code in (302, 400)  # CSRF may answer before the login check
    assert client.get("/admin/api-tokens").headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("htmx", [True, False])
def test_a_new_token_is_shown_once_in_the_answer(app, client, people, htmx):
    as_person(app, client, people["agent"])
    response = make_through_the_form(client, htmx=htmx)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ("<html" in html) is not htmx  # htmx swaps the section, the browser gets the page
    assert SHOWN_ONCE in html
    (secret,) = SECRET.findall(html)
    (row,) = tokens(app)
    assert row.token_hash == rules.digest(secret)
    assert row.name == "Shop"
    assert row.scope_list == ["cases:read", "cases:write"]
    assert timedelta(days=89) < row.expires_at - row.created_at <= timedelta(days=90)
    assert response.headers["Cache-Control"] == "no-store"
    # Neither a flash message nor the (signed, readable) session cookie carries it.
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))
    assert secret not in (response.headers.get("Set-Cookie") or "")
    assert audit(app, "api_token.create") == [(people["agent"], row.id)]

    later = client.get("/auth/profile").get_data(as_text=True)
    assert secret not in later and SHOWN_ONCE not in later
    assert f"<code>{row.prefix}…</code>" in later
    assert secret[rules.SHOWN_CHARACTERS :] not in later
    assert "Live" in later and "Never" in later


def test_the_token_made_works_against_the_api(app, client, people):
    as_person(app, client, people["agent"])
    html = make_through_the_form(client, htmx=True).get_data(as_text=True)
    (secret,) = SECRET.findall(html)
    api = app.test_client()
    answer = api.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert api.get("/api/v1/cases").status_code == 401


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"token-name": ""}, "Name the token after what will use it"),
        ({"token-name": "x" * 81}, "Keep the name under 80 characters."),
        ({"token-name": "Shop\x1b"}, "The name contains characters we cannot store."),
        ({"token-scopes": []}, "Choose at least one thing the token may do."),
        ({"token-scopes": ["billing"]}, "Your account cannot give a token"),
        ({"token-scopes": ["cases:read", "x" * 5000]}, "There is no scope"),
        ({"token-expires_in_days": "91"}, "Choose when the token expires."),
        ({"token-expires_in_days": "abc"}, "Choose when the token expires."),
        ({"token-expires_in_days": "99999999999999999999999"}, "Choose when the token expires."),
        ({"token-expires_in_days": "٣٠"}, "Choose when the token expires."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_refused_input_shows_on_the_form(app, client, people, fields, message, htmx):
    as_person(app, client, people["agent"])
    response = make_through_the_form(client, htmx=htmx, **fields)
    # htmx swaps only 2xx answers: the refused section comes back as 200, the page as 422.
    assert response.status_code == (200 if htmx else 422)
    html = response.get_data(as_text=True)
    assert 'class="error' in html
    assert html_lib.escape(message, quote=False) in html
    assert SECRET.search(html) is None
    assert tokens(app) == []
    assert audit(app, "api_token.create") == []


def test_a_refused_form_keeps_what_was_typed(app, client, people):
    as_person(app, client, people["agent"])
    html = make_through_the_form(
        client, htmx=True, **{"token-name": "Chat", "token-scopes": ["cases:read", "billing"]}
    ).get_data(as_text=True)
    assert 'value="Chat"' in html
    assert (
        'checked id="token-scopes-0" name="token-scopes" type="checkbox" value="cases:read"' in html
    )


def test_an_agent_with_the_billing_permission_makes_a_billing_token(app, client, people):
    as_person(app, client, people["agent_billing"])
    response = make_through_the_form(client, htmx=True, **{"token-scopes": ["billing"]})
    assert SECRET.search(response.get_data(as_text=True))
    assert tokens(app)[0].scope_list == ["billing"]


def test_the_list_shows_use_expiry_and_revocation(app, client, people):
    used, expired, revoked = (
        token_for(app, people["agent"], name) for name in ("Used one", "Old one", "Ended one")
    )
    with app.app_context():
        db.session.get(ApiToken, used).last_used_at = utcnow()
        db.session.get(ApiToken, used).last_used_ip = "198.51.100.23"
        db.session.get(ApiToken, expired).expires_at = utcnow() - timedelta(days=1)
        agent = db.session.get(User, people["agent"])
        api_tokens.revoke(agent, db.session.get(ApiToken, revoked))
    token_for(app, people["other_agent"], "Not mine")
    html = as_person(app, client, people["agent"]).get("/auth/profile").get_data(as_text=True)
    assert "from 198.51.100.23" in html
    assert "Not mine" not in html
    rows = re.findall(r'<tr id="api-token-(\d+)">(.*?)</tr>', html, re.S)
    by_id = {int(token_id): row for token_id, row in rows}
    assert set(by_id) == {used, expired, revoked}
    assert "Live" in by_id[used] and "Revoke" in by_id[used]
    assert "Expired" in by_id[expired] and "Revoke" not in by_id[expired]
    assert "Revoked" in by_id[revoked] and "/revoke" not in by_id[revoked]


@pytest.mark.parametrize("htmx", [True, False])
def test_the_owner_revokes_a_token(app, client, people, htmx):
    token_id = token_for(app, people["agent"])
    as_person(app, client, people["agent"])
    response = post_with_token(client, f"/auth/api-tokens/{token_id}/revoke", htmx=htmx)
    if htmx:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "<html" not in html and "“Shop” is revoked: it no longer works." in html
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == "/auth/profile#api-tokens"
        html = client.get("/auth/profile").get_data(as_text=True)
        assert "“Shop” is revoked: it no longer works." in html
    (row,) = tokens(app)
    assert row.revoked_at is not None and row.revoked_by_id == people["agent"]
    assert audit(app, "api_token.revoke") == [(people["agent"], token_id)]
    assert "Revoked" in html


def test_revoking_twice_says_so(app, client, people):
    token_id = token_for(app, people["agent"])
    as_person(app, client, people["agent"])
    post_with_token(client, f"/auth/api-tokens/{token_id}/revoke", htmx=True)
    again = post_with_token(client, f"/auth/api-tokens/{token_id}/revoke", htmx=True)
    assert again.status_code == 200
    assert "This token was revoked already." in again.get_data(as_text=True)
    assert len(audit(app, "api_token.revoke")) == 1


@pytest.mark.parametrize("person", ["other_agent", "billing", "admin"])
def test_nobody_revokes_someone_elses_token_from_their_profile(app, client, people, person):
    token_id = token_for(app, people["agent"])
    as_person(app, client, people[person])
    assert post_with_token(client, f"/auth/api-tokens/{token_id}/revoke").status_code == 404
    assert post_with_token(client, "/auth/api-tokens/999999/revoke").status_code == 404
    assert tokens(app)[0].revoked_at is None


def test_posts_without_a_csrf_token_are_refused(app, client, people):
    token_id = token_for(app, people["agent"])
    as_person(app, client, people["agent"])
    client.get("/auth/profile")
    for url, data in (
        ("/auth/api-tokens", {"token-name": "Shop", "token-scopes": "cases:read"}),
        (f"/auth/api-tokens/{token_id}/revoke", {}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400
        assert CSRF_REFUSED in response.get_data(as_text=True)
    as_person(app, client, people["admin"])
    client.get("/admin/api-tokens")
    response = client.post(f"/admin/api-tokens/{token_id}/revoke", headers=HTMX)
    assert response.status_code == 400
    (row,) = tokens(app)
    assert row.revoked_at is None


# -- the administrators' list --
def test_the_admin_page_lists_everyones_live_tokens(app, client, people):
    shop = token_for(app, people["agent"], "Shop")
    chat = token_for(app, people["billing"], "Chat", scopes=["billing"])
    old = token_for(app, people["other_agent"], "Old script")
    with app.app_context():
        api_tokens.revoke(
            db.session.get(User, people["other_agent"]), db.session.get(ApiToken, old)
        )
    as_person(app, client, people["admin"])
    html = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "<h1>API tokens</h1>" in html
    assert f'id="api-token-{shop}"' in html and f'id="api-token-{chat}"' in html
    assert f'id="api-token-{old}"' not in html
    assert "Alva Agent" in html and "Dee Billing" in html
    assert '<code class="scope" title="Read orders and payments, and refund">billing</code>' in html
    for row in tokens(app):
        assert f"<code>{row.prefix}…</code>" in html or row.id == old
    assert 'href="/admin/api-tokens?revoked=1"' in html

    everything = client.get("/admin/api-tokens?revoked=1").get_data(as_text=True)
    assert f'id="api-token-{old}"' in everything
    assert "by Cai Colleague" in everything
    assert 'href="/admin/api-tokens">Hide revoked tokens' in everything


def test_the_admin_home_links_to_the_tokens(app, client, people):
    html = as_person(app, client, people["admin"]).get("/admin/").get_data(as_text=True)
    assert 'href="/admin/api-tokens"' in html


@pytest.mark.parametrize("htmx", [True, False])
def test_an_administrator_revokes_anyones_token(app, client, people, htmx):
    token_id = token_for(app, people["agent"])
    as_person(app, client, people["admin"])
    response = post_with_token(
        client, f"/admin/api-tokens/{token_id}/revoke", "/admin/api-tokens", htmx=htmx
    )
    message = "Alva Agent’s token “Shop” is revoked: it no longer works."
    if htmx:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "<html" not in html and message in html
        assert f'id="api-token-{token_id}"' not in html  # revoked ones are hidden
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/api-tokens"
        assert message in client.get("/admin/api-tokens").get_data(as_text=True)
    (row,) = tokens(app)
    assert row.revoked_by_id == people["admin"]
    assert audit(app, "api_token.revoke") == [(people["admin"], token_id)]


def test_revoking_from_the_list_with_revoked_ones_keeps_them_shown(app, client, people):
    token_id = token_for(app, people["agent"])
    as_person(app, client, people["admin"])
    url = f"/admin/api-tokens/{token_id}/revoke?revoked=1"
    response = post_with_token(client, url, "/admin/api-tokens?revoked=1")
    assert response.headers["Location"] == "/admin/api-tokens?revoked=1"
    again = post_with_token(client, url, "/admin/api-tokens?revoked=1", htmx=True)
    html = again.get_data(as_text=True)
    assert "This token was revoked already." in html
    assert f'id="api-token-{token_id}"' in html
    assert post_with_token(client, "/admin/api-tokens/999999/revoke").status_code == 404


@pytest.mark.parametrize("person", ["agent", "agent_billing", "billing", "customer"])
def test_only_administrators_open_the_admin_page(app, client, people, person):
    token_id = token_for(app, people["other_agent"])
    as_person(app, client, people[person])
    assert client.get("/admin/api-tokens").status_code == 403
    response = post_with_token(client, f"/admin/api-tokens/{token_id}/revoke")
    assert response.status_code == 403
    assert tokens(app)[0].revoked_at is None
    # The refused action is on record, as for every administration post.
    assert audit(app, "refused.admin.api_token_revoke") == [(people[person], token_id)]
