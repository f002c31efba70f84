"""Long lists count only so far past the page: the rest shows as "N+" (issue 9)."""

from __future__ import annotations

import re

from helpdesk.extensions import db
from helpdesk.models import Role
from helpdesk.web import paging
from tests.conftest import as_user
from tests.factories import make_case, make_organisation, make_user


def pager_text(html: str) -> str:
    return re.search(r"<span>(Page \d+ of [^<]*)</span>", html).group(1)


def test_totals_beyond_the_counting_window_read_as_a_lower_bound(app, client, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_AHEAD", 30)
    with app.app_context():
        organisation = make_organisation()
        for _ in range(40):
            make_case(organisation)
        agent = make_user(Role.AGENT, tier=1)
        db.session.commit()
        agent_id = agent.id
    as_user(app, client, agent_id)

    assert pager_text(client.get("/tracker/folders/all").text) == "Page 1 of 2+ (30+ in all)"
    second = client.get("/tracker/folders/all?page=2").text
    assert pager_text(second) == "Page 2 of 2 (40 in all)"
    assert second.count('href="/tracker/cases/') >= 15
