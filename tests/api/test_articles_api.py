"""Help articles through /api/v1: any token reads (internal ones for the help centre's editors,
agents and admins, as on its pages); agents and admins write through the editor's save, which
keeps a revision and the sanitised HTML."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Article, ArticleRevision, Role, User
from helpdesk.services.helpcentre import kb
from tests.api.conftest import problem_fields
from tests.factories import make_user

API = "/api/v1"
NEW = {"title": "Reset a licence key", "body": "Open *My orders*.", "tags": ["Keys", "orders"]}


@pytest.fixture
def world(app) -> dict:
    with app.app_context():
        staff = {role.value: make_user(role) for role in (Role.AGENT, Role.BILLING, Role.ADMIN)}
        editor = staff["admin"]

        def article(title: str, tags: str, visibility: str = "public") -> int:
            saved = kb.save_article(
                editor,
                None,
                title=title,
                body=f"Helpdesk guide: {title}.",
                tags=tags,
                visibility=visibility,
            )
            return saved.id

        ids = {
            "install": article("Install the shop", "install, setup"),
            "keys": article("Licence keys explained", "keys"),
            "internal": article("Refund playbook", "keys, billing", "internal"),
        }
        return {**ids, **{role: user.id for role, user in staff.items()}}


def listed(client, headers, query: str = "") -> list[str]:
    response = client.get(f"{API}/articles{query}", headers=headers)
    assert response.status_code == 200, response.json
    return [a["title"] for a in response.json["items"]]


def test_any_token_lists_articles_oldest_first(client, world, bearer):
    headers = bearer(world["billing"], ["cases:read"])  # no scope of its own is needed
    response = client.get(f"{API}/articles", headers=headers)
    assert response.status_code == 200
    first = response.json["items"][0]
    assert first == {
        "id": world["install"],
        "slug": "install-the-shop",
        "title": "Install the shop",
        "tags": ["install", "setup"],
        "visibility": "public",
        "updated_at": first["updated_at"],
        "url": "http://localhost/help/install-the-shop",
    }
    assert first["updated_at"].endswith("Z")
    assert client.get(f"{API}/articles").status_code == 401


def test_internal_articles_are_for_agents_and_admins(client, world, bearer):
    everything = ["Install the shop", "Licence keys explained", "Refund playbook"]
    for role in ("agent", "admin"):
        assert listed(client, bearer(world[role])) == everything
        one = client.get(f"{API}/articles/{world['internal']}", headers=bearer(world[role]))
        assert one.status_code == 200 and one.json["visibility"] == "internal"
    # The help centre shows billing staff public articles only: so does their token.
    billing = bearer(world["billing"])
    assert listed(client, billing) == everything[:2]
    assert listed(client, billing, "?q=refund") == []
    assert client.get(f"{API}/articles/{world['internal']}", headers=billing).status_code == 404


def test_articles_by_tag_and_paged(client, world, bearer):
    headers = bearer(world["agent"])
    assert listed(client, headers, "?tag=keys") == ["Licence keys explained", "Refund playbook"]
    assert listed(client, headers, "?tag=key") == []  # a whole tag, never part of one
    page = client.get(f"{API}/articles?limit=2", headers=headers).json
    rest = client.get(f"{API}/articles?limit=2&cursor={page['next_cursor']}", headers=headers).json
    assert [a["id"] for a in page["items"] + rest["items"]] == [
        world["install"],
        world["keys"],
        world["internal"],
    ]
    assert rest["next_cursor"] is None


def test_searching_articles_best_first_and_paged(client, world, bearer):
    headers = bearer(world["agent"])
    assert listed(client, headers, "?q=licen") == ["Licence keys explained"]
    assert listed(client, headers, "?q=keys") == ["Licence keys explained", "Refund playbook"]
    page = client.get(f"{API}/articles?q=guide&limit=2", headers=headers).json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(
        f"{API}/articles?q=guide&limit=2&cursor={page['next_cursor']}", headers=headers
    )
    assert len(rest.json["items"]) == 1 and rest.json["next_cursor"] is None
    seen = {a["id"] for a in page["items"] + rest.json["items"]}
    assert seen == {world["install"], world["keys"], world["internal"]}


@pytest.mark.parametrize(
    "query, field",
    [
        ("?tag=a,b", "tag"),
        ("?limit=0", "limit"),
        ("?cursor=%3F", "cursor"),
    ],
)
def test_a_refused_article_query_names_the_parameter(client, world, bearer, query, field):
    response = client.get(f"{API}/articles{query}", headers=bearer(world["agent"]))
    assert response.status_code == 422
    assert problem_fields(response) == [field]


def test_one_article_as_typed_and_as_html(client, world, bearer):
    response = client.get(f"{API}/articles/{world['keys']}", headers=bearer(world["billing"]))
    assert response.status_code == 200
    body = response.json
    assert body["body"] == "Helpdesk guide: Licence keys explained."
    assert body["body_html"] == "<p>Helpdesk guide: Licence keys explained.</p>\n"
    assert body["updated_by"] == {"id": world["admin"], "name": body["updated_by"]["name"]}
    assert (body["link_count"], body["deflection_count"]) == (0, 0)
    assert client.get(f"{API}/articles/999999", headers=bearer(world["admin"])).status_code == 404


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_editors_write_an_article(app, client, world, bearer, role):
    response = client.post(f"{API}/articles", json=NEW, headers=bearer(world[role]))
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/v1/articles/{body['id']}")
    assert body["slug"] == "reset-a-licence-key"
    assert body["url"] == "http://localhost/help/reset-a-licence-key"
    assert body["tags"] == ["keys", "orders"]
    assert body["visibility"] == "public"
    assert body["body_html"] == "<p>Open <em>My orders</em>.</p>\n"
    assert body["updated_by"]["id"] == world[role]
    with app.app_context():
        assert kb.search_articles("reset").total == 1  # in the help centre's search at once


def test_changing_an_article_keeps_a_revision_and_its_slug(app, client, world, bearer):
    headers = bearer(world["agent"])
    response = client.patch(
        f"{API}/articles/{world['keys']}",
        json={"title": "Licence keys, explained again", "visibility": "internal"},
        headers=headers,
    )
    assert response.status_code == 200
    body = response.json
    assert body["slug"] == "licence-keys-explained"
    assert body["title"] == "Licence keys, explained again"
    assert body["body"] == "Helpdesk guide: Licence keys explained."  # not sent: kept
    assert body["tags"] == ["keys"]
    assert body["visibility"] == "internal"
    with app.app_context():
        revisions = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ArticleRevision)
            .where(ArticleRevision.article_id == world["keys"])
        )
        assert revisions == 2
        assert db.session.get(Article, world["keys"]).updated_by_id == world["agent"]
    cleared = client.patch(f"{API}/articles/{world['keys']}", json={"tags": []}, headers=headers)
    assert cleared.json["tags"] == []


def test_billing_staff_do_not_write_articles(app, client, world, bearer):
    headers = bearer(world["billing"])  # the articles:write scope is not theirs to hold
    assert client.post(f"{API}/articles", json=NEW, headers=headers).status_code == 403
    patched = client.patch(f"{API}/articles/{world['keys']}", json={"title": "X"}, headers=headers)
    assert patched.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 3


def test_writing_needs_the_articles_write_scope(client, world, bearer):
    headers = bearer(world["agent"], ["cases:read", "cases:write"])
    response = client.post(f"{API}/articles", json=NEW, headers=headers)
    assert response.status_code == 403
    assert "articles:write" in response.json["detail"]


def test_an_agent_whose_role_changed_loses_the_scope(app, client, world, bearer):
    headers = bearer(world["agent"])
    with app.app_context():
        db.session.get(User, world["agent"]).role = Role.BILLING
        db.session.commit()
    assert client.post(f"{API}/articles", json=NEW, headers=headers).status_code == 403


def test_an_unknown_article_is_not_found(client, world, bearer):
    response = client.patch(
        f"{API}/articles/999999", json={"title": "X"}, headers=bearer(world["admin"])
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({**NEW, "title": ""}, "title"),
        ({**NEW, "title": "x" * 201}, "title"),
        ({**NEW, "title": "two\nlines"}, "title"),
        ({"body": "No title"}, "title"),
        ({**NEW, "body": "a\u0000b"}, "body"),
        ({**NEW, "tags": ["a,b"]}, "tags.0"),
        ({**NEW, "tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({**NEW, "tags": "keys"}, "tags"),
        ({**NEW, "visibility": "secret"}, "visibility"),
        ({**NEW, "slug": "my-own"}, "slug"),
    ],
)
def test_a_refused_article_names_the_field(app, client, world, bearer, body, field):
    response = client.post(f"{API}/articles", json=body, headers=bearer(world["agent"]))
    assert response.status_code == 422
    assert problem_fields(response) == [field]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 3


@pytest.mark.parametrize("field", ["title", "body", "tags", "visibility"])
def test_a_change_cannot_null_a_field(client, world, bearer, field):
    response = client.patch(
        f"{API}/articles/{world['keys']}", json={field: None}, headers=bearer(world["agent"])
    )
    assert response.status_code == 422
    assert problem_fields(response) == [field]
