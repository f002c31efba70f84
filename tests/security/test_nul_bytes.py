"""A NUL byte anywhere in a query or a form is a 400 (PostgreSQL text cannot hold one)."""

from __future__ import annotations

import pytest

from helpdesk.extensions import db
from helpdesk.models import Role
from tests.conftest import as_user, csrf_from
from tests.factories import make_user


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "%00=x", "page=1&q=ok%00"])
def test_a_nul_in_the_query_string_is_refused(app, client, query):
    with app.app_context():
        agent = make_user(Role.AGENT, tier=1)
        db.session.commit()
        agent_id = agent.id
    as_user(app, client, agent_id)

    assert client.get(f"/tracker/search?{query}").status_code == 400
    assert client.get("/tracker/search?q=ok").status_code == 200


def test_a_nul_in_a_posted_field_is_refused(app, client):
    token = csrf_from(client.get("/auth/login").text)
    response = client.post(
        "/auth/login", data={"email": "a\x00@example.test", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
